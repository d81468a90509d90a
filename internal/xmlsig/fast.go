package xmlsig

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"slices"
	"sync"
	"unicode/utf8"
)

// A single-pass canonicalizer over the raw message bytes: the fast path of
// Verify and Sign.
//
// Parsing the message into an etree tree over encoding/xml and writing C14N
// from it (c14n.go) costs about as much as the SM2 or RSA operation itself,
// for a message that enterprises send thousands of times a second. This
// scanner reads the bytes once, with no tree and no per-token allocation,
// and writes both canonical forms Verify needs as it goes: the document
// minus the enveloped ds:Signature, and ds:SignedInfo with the namespace
// declarations and xml:* attributes it inherits. Of the Signature subtree it
// keeps only a few small nodes (names, attributes, text) so the profile can
// be checked as parseSignature does.
//
// It is deliberately narrower than XML: ASCII names, no DOCTYPE, no
// processing instruction named like "xml" except the declaration at the
// start, no control characters, no text outside the document element, no
// character reference outside the XML character range, bounded depth and
// namespace declarations. Whenever it meets something outside that subset,
// or anything wrong at all, it gives up (ok == false) and the caller runs the
// reference implementation, which then accepts or rejects with its own
// error. The scanner therefore never has to reproduce an error message, only
// to be at least as strict as encoding/xml + etree + c14n.go and to produce
// byte-identical output where it succeeds; TestFastMatchesReference and
// FuzzFastC14N check exactly that.

const (
	fastMaxDepth    = 256 // etree allows 1024; deeper messages take the slow path
	fastMaxBindings = 64  // namespace declarations in scope at once
	fastMaxSigNodes = 64  // elements in the ds:Signature subtree
)

// Output modes of an open element.
const (
	modeContent = iota // part of the signed content
	modeSigSkip        // inside ds:Signature, outside SignedInfo: nothing written
	modeSigInfo        // inside ds:SignedInfo: written to the SignedInfo form
)

// nsXMLBytes is nsXML for byte comparisons, allocated once.
var nsXMLBytes = []byte(nsXML)

type fbind struct{ prefix, uri []byte } // prefix empty for the default namespace

type fattr struct {
	qname, prefix, local []byte // raw name and its parts
	uri                  []byte // resolved namespace of a prefixed attribute
	val                  []byte // value after entity decoding and normalization
	decl                 bool   // a namespace declaration
}

type fframe struct {
	qname []byte
	mark  int // len(scope) before the element's own declarations
	mode  int
	node  int // index in nodes for Signature elements, else -1
}

// sigNode is one element of the ds:Signature subtree, with what
// parseSignature looks at: its expanded name, its attributes as etree keeps
// them, and etree's Element.Text().
type sigNode struct {
	ds                bool // in the XML-DSig namespace, resolved as etree does
	local             []byte
	attrFrom, attrTo  int // range in fastScanner.sattrs
	text              []byte
	textDone          bool // a child element or PI ended etree's Text()
	textSegs          int
	first, next, last int // children, in order; -1 for none
}

type fastScanner struct {
	doc     []byte
	arena   []byte // decoded values; capacity len(doc) so slices stay valid
	content []byte // canonical message minus the enveloped Signature
	si      []byte // canonical SignedInfo
	scope   []fbind
	attrs   []fattr // the current start tag
	sorted  []fattr // scratch: attributes to write
	decls   []fbind // scratch: declarations to write
	inherit []fattr // xml:* attributes of the root and the Signature
	stack   []fframe
	nodes   []sigNode
	sattrs  []fattr
	b64     []byte // scratch for base64 text without whitespace
	decoded []byte // decoded base64 values (digest, signature, certificate)

	// Sign's layout of the root's children, when lay is not nil.
	lay          *layout
	layCur       childSpan
	layRootEmpty bool

	sigSeen    bool // a ds:Signature child of the root was found
	siSeen     bool // and its first child element is ds:SignedInfo
	sigKids    int  // element children of the Signature so far
	rootClosed bool
}

var fastPool = sync.Pool{New: func() any { return new(fastScanner) }}

func getFastScanner() *fastScanner { return fastPool.Get().(*fastScanner) }

// release returns s to the pool unless it grew unusually large. The
// slices that point into the message are cleared so that a pooled scanner
// does not keep the last message alive.
func (s *fastScanner) release() {
	if cap(s.arena) > 1<<20 || cap(s.content) > 1<<20 {
		return
	}
	s.doc, s.lay = nil, nil
	clear(s.scope[:cap(s.scope)])
	clear(s.attrs[:cap(s.attrs)])
	clear(s.sorted[:cap(s.sorted)])
	clear(s.decls[:cap(s.decls)])
	clear(s.inherit[:cap(s.inherit)])
	clear(s.stack[:cap(s.stack)])
	clear(s.nodes[:cap(s.nodes)])
	clear(s.sattrs[:cap(s.sattrs)])
	s.layCur = childSpan{}
	fastPool.Put(s)
}

func (s *fastScanner) reset(doc []byte) {
	s.doc = doc
	if cap(s.arena) < len(doc) {
		s.arena = make([]byte, 0, len(doc))
	}
	s.arena = s.arena[:0]
	if cap(s.content) < len(doc) {
		s.content = make([]byte, 0, len(doc))
	}
	s.content = s.content[:0]
	s.si = s.si[:0]
	s.scope = s.scope[:0]
	s.inherit = s.inherit[:0]
	s.stack = s.stack[:0]
	s.nodes = s.nodes[:0]
	s.sattrs = s.sattrs[:0]
	s.decoded = s.decoded[:0]
	s.sigSeen, s.siSeen, s.sigKids, s.rootClosed = false, false, 0, false
	s.lay, s.layRootEmpty = nil, false
}

// scan canonicalizes doc. ok is false when the message is outside the
// subset this scanner handles or is not acceptable; the caller must then
// use the reference implementation.
func (s *fastScanner) scan(doc []byte) (ok bool) {
	s.reset(doc)
	return s.scanFrom()
}

// scanFrom is scan after reset, for callers that set options in between.
func (s *fastScanner) scanFrom() (ok bool) {
	doc := s.doc
	i := 0
	if bytes.HasPrefix(doc, utf8BOM) {
		i = len(utf8BOM)
	}
	if !plainChars(doc[i:]) {
		return false
	}
	if bytes.HasPrefix(doc[i:], []byte("<?xml")) && len(doc) > i+5 && (isSpace(doc[i+5]) || doc[i+5] == '?') {
		end := bytes.Index(doc[i+5:], []byte("?>"))
		if end < 0 || !plainXMLDecl(doc[i+5:i+5+end]) {
			return false
		}
		i += 5 + end + 2
	}
	seenRoot := false
	for i < len(doc) {
		depth := len(s.stack)
		if doc[i] != '<' {
			j := bytes.IndexByte(doc[i:], '<')
			if j < 0 {
				j = len(doc)
			} else {
				j += i
			}
			if depth == 0 {
				// etree keeps text outside the root but C14N drops it; only
				// the usual whitespace is taken on the fast path.
				if !allSpace(doc[i:j]) {
					return false
				}
			} else if !s.text(doc[i:j], false) {
				return false
			}
			i = j
			continue
		}
		if i+1 >= len(doc) {
			return false
		}
		var next int
		switch doc[i+1] {
		case '/':
			next, ok = s.endTag(i)
		case '?':
			next, ok = s.procInst(i, seenRoot)
		case '!':
			switch {
			case bytes.HasPrefix(doc[i:], []byte("<!--")):
				next, ok = s.comment(i)
			case depth > 0 && bytes.HasPrefix(doc[i:], []byte("<![CDATA[")):
				end := bytes.Index(doc[i+9:], []byte("]]>"))
				if end < 0 {
					return false
				}
				next, ok = i+9+end+3, s.text(doc[i+9:i+9+end], true)
			default:
				return false // DOCTYPE and other declarations
			}
		default:
			if depth == 0 && seenRoot {
				return false // a second document element
			}
			seenRoot = true
			next, ok = s.startTag(i)
		}
		if !ok {
			return false
		}
		i = next
	}
	return seenRoot && s.rootClosed && len(s.stack) == 0
}

// plainChars reports whether b is valid UTF-8 with only characters XML
// allows and no control character other than tab, newline and carriage
// return.
func plainChars(b []byte) bool {
	// Eight bytes at a time: most words of a message hold no byte below
	// 0x20, and the test for that (hasless in "Bit Twiddling Hacks") is
	// exact about whether one exists.
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	k := 0
	for ; k+8 <= len(b); k += 8 {
		w := binary.LittleEndian.Uint64(b[k:])
		if (w-ones*0x20)&^w&highs == 0 {
			continue
		}
		for _, c := range b[k : k+8] {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
		}
	}
	for _, c := range b[k:] {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	if !utf8.Valid(b) {
		return false
	}
	// U+FFFE and U+FFFF are not XML characters; in valid UTF-8 they are
	// the only sequences starting EF BF BE or EF BF BF.
	for rest := b; ; {
		k := bytes.IndexByte(rest, 0xEF)
		if k < 0 || k+2 >= len(rest) {
			return true
		}
		if rest[k+1] == 0xBF && (rest[k+2] == 0xBE || rest[k+2] == 0xBF) {
			return false
		}
		rest = rest[k+1:]
	}
}

// plainXMLDecl accepts the pseudo-attributes of an XML declaration that
// encoding/xml reads the same way: version 1.0, a UTF-8 encoding, a
// standalone flag.
func plainXMLDecl(b []byte) bool {
	seen := 0
	for {
		b = trimSpaceLeft(b)
		if len(b) == 0 {
			return true
		}
		eq := bytes.IndexByte(b, '=')
		if eq < 0 {
			return false
		}
		name := bytes.TrimRight(b[:eq], " \t\r\n")
		b = trimSpaceLeft(b[eq+1:])
		if len(b) == 0 || (b[0] != '"' && b[0] != '\'') {
			return false
		}
		end := bytes.IndexByte(b[1:], b[0])
		if end < 0 {
			return false
		}
		val := b[1 : 1+end]
		b = b[end+2:]
		if len(b) > 0 && !isSpace(b[0]) {
			return false
		}
		bit := 0
		switch string(name) {
		case "version":
			bit = 1
			if string(val) != "1.0" {
				return false
			}
		case "encoding":
			bit = 2
			if !bytes.EqualFold(val, []byte("utf-8")) {
				return false
			}
		case "standalone":
			bit = 4
			if string(val) != "yes" && string(val) != "no" {
				return false
			}
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func allSpace(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

func trimSpaceLeft(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && isSpace(doc[i]) {
		i++
	}
	return i
}

// nameClass classifies the ASCII bytes of the names the scanner takes:
// nameStart may begin a name part, nameChar may follow.
var nameClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
			t[c] = nameStart | nameChar
		case '0' <= c && c <= '9', c == '.', c == '-':
			t[c] = nameChar
		}
	}
	return t
}()

const (
	nameStart = 1 << iota
	nameChar
)

func isNameStart(c byte) bool { return nameClass[c]&nameStart != 0 }
func isNameChar(c byte) bool  { return nameClass[c]&nameChar != 0 }

// name reads an ASCII qualified name at doc[i:]: NCName, or NCName:NCName.
// Other names (non-ASCII, several colons, leading or trailing colons) are
// left to the reference parser.
func name(doc []byte, i int) (qname, prefix, local []byte, next int, ok bool) {
	start, colon := i, -1
	if i >= len(doc) || !isNameStart(doc[i]) {
		return nil, nil, nil, i, false
	}
	for i++; i < len(doc); i++ {
		c := doc[i]
		if isNameChar(c) {
			continue
		}
		if c == ':' && colon < 0 && i+1 < len(doc) && isNameStart(doc[i+1]) {
			colon = i
			continue
		}
		if c == ':' || c >= utf8.RuneSelf {
			return nil, nil, nil, i, false
		}
		break
	}
	qname = doc[start:i]
	if colon < 0 {
		return qname, nil, qname, i, true
	}
	return qname, doc[start:colon], doc[colon+1 : i], i, true
}

func (s *fastScanner) top() *fframe { return &s.stack[len(s.stack)-1] }

// lookup resolves prefix in the current scope the way c14n.go does.
func (s *fastScanner) lookup(prefix []byte) ([]byte, bool) {
	if string(prefix) == "xml" {
		return nsXMLBytes, true
	}
	for k := len(s.scope) - 1; k >= 0; k-- {
		if bytes.Equal(s.scope[k].prefix, prefix) {
			return s.scope[k].uri, true
		}
	}
	return nil, len(prefix) == 0
}

// etreeNS resolves an element's namespace as etree's NamespaceURI does:
// the nearest declaration, or "" (also for xml:, which etree does not know).
func (s *fastScanner) etreeNS(prefix []byte) []byte {
	for k := len(s.scope) - 1; k >= 0; k-- {
		if bytes.Equal(s.scope[k].prefix, prefix) {
			return s.scope[k].uri
		}
	}
	return nil
}

// store keeps a decoded value in the arena. The arena never grows: decoded
// text is never longer than its source, and sources do not overlap.
func (s *fastScanner) store(raw []byte, attr bool) ([]byte, bool) {
	if !needsDecoding(raw, attr) {
		return raw, true
	}
	if len(s.arena)+len(raw) > cap(s.arena) {
		return nil, false
	}
	from := len(s.arena)
	var ok bool
	if s.arena, ok = appendDecoded(s.arena, raw, attr); !ok {
		return nil, false
	}
	return s.arena[from:len(s.arena):len(s.arena)], true
}

func needsDecoding(raw []byte, attr bool) bool {
	for _, c := range raw {
		switch c {
		case '&', '\r':
			return true
		case '\t', '\n':
			if attr {
				return true
			}
		}
	}
	return false
}

// appendDecoded appends raw with references replaced and line ends
// normalized: in text CR and CR LF become LF (encoding/xml), in attribute
// values tab, LF, CR and CR LF become one space (attribute-value
// normalization, see normalizeAttrWhitespace).
func appendDecoded(dst, raw []byte, attr bool) ([]byte, bool) {
	last := 0
	for k := 0; k < len(raw); k++ {
		c := raw[k]
		switch {
		case c == '&':
			r, n, ok := parseRef(raw[k:])
			if !ok {
				return dst, false
			}
			dst = append(dst, raw[last:k]...)
			dst = utf8.AppendRune(dst, r)
			k += n - 1
			last = k + 1
		case c == '\r':
			dst = append(dst, raw[last:k]...)
			if attr {
				dst = append(dst, ' ')
			} else {
				dst = append(dst, '\n')
			}
			if k+1 < len(raw) && raw[k+1] == '\n' {
				k++
			}
			last = k + 1
		case attr && (c == '\t' || c == '\n'):
			dst = append(dst, raw[last:k]...)
			dst = append(dst, ' ')
			last = k + 1
		}
	}
	return append(dst, raw[last:]...), true
}

// parseRef reads the entity or character reference at the start of b and
// returns the character and the reference's length. Only the predefined
// entities and references to XML characters are taken.
func parseRef(b []byte) (rune, int, bool) {
	end := bytes.IndexByte(b, ';')
	if end < 2 || end > 12 {
		return 0, 0, false
	}
	body := b[1:end]
	if body[0] != '#' {
		switch string(body) {
		case "lt":
			return '<', end + 1, true
		case "gt":
			return '>', end + 1, true
		case "amp":
			return '&', end + 1, true
		case "apos":
			return '\'', end + 1, true
		case "quot":
			return '"', end + 1, true
		}
		return 0, 0, false
	}
	digits, base := body[1:], rune(10)
	if len(digits) > 0 && digits[0] == 'x' { // encoding/xml takes lower-case x only
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 || len(digits) > 8 {
		return 0, 0, false
	}
	var r rune
	for _, c := range digits {
		var d rune
		switch {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, 0, false
		}
		r = r*base + d
	}
	if !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
		return 0, 0, false
	}
	return r, end + 1, true
}

// appendCanonText writes character data (raw text, or the inside of a
// CDATA section) in canonical form: decoded, line ends normalized, then
// escaped as C14N requires.
func appendCanonText(dst, raw []byte, cdata bool) ([]byte, bool) {
	last := 0
	for k := 0; k < len(raw); k++ {
		var esc string
		n := 1
		switch raw[k] {
		case '>':
			if !cdata && k >= 2 && raw[k-1] == ']' && raw[k-2] == ']' {
				return dst, false // "]]>" outside CDATA
			}
			esc = "&gt;"
		case '<':
			esc = "&lt;" // only inside CDATA
		case '&':
			if cdata {
				esc = "&amp;"
				break
			}
			r, rn, ok := parseRef(raw[k:])
			if !ok {
				return dst, false
			}
			n = rn
			switch r {
			case '&':
				esc = "&amp;"
			case '<':
				esc = "&lt;"
			case '>':
				esc = "&gt;"
			case '\r':
				esc = "&#xD;"
			default:
				dst = append(dst, raw[last:k]...)
				dst = utf8.AppendRune(dst, r)
				k += n - 1
				last = k + 1
				continue
			}
		case '\r':
			esc = "\n"
			if k+1 < len(raw) && raw[k+1] == '\n' {
				n = 2
			}
		default:
			continue
		}
		dst = append(dst, raw[last:k]...)
		dst = append(dst, esc...)
		k += n - 1
		last = k + 1
	}
	return append(dst, raw[last:]...), true
}

// appendEscapedAttr escapes an attribute value as C14N requires.
func appendEscapedAttr(dst, v []byte) []byte {
	last := 0
	for k, c := range v {
		var esc string
		switch c {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '"':
			esc = "&quot;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		dst = append(dst, v[last:k]...)
		dst = append(dst, esc...)
		last = k + 1
	}
	return append(dst, v[last:]...)
}

// text handles character data inside the document element.
func (s *fastScanner) text(raw []byte, cdata bool) bool {
	f := s.top()
	var ok bool
	switch f.mode {
	case modeContent:
		s.content, ok = appendCanonText(s.content, raw, cdata)
		return ok
	case modeSigInfo:
		if s.si, ok = appendCanonText(s.si, raw, cdata); !ok {
			return false
		}
	default:
		// Checked even though nothing is written: encoding/xml refuses a
		// bad reference or "]]>" anywhere.
		if !cdata && !validText(raw) {
			return false
		}
	}
	n := &s.nodes[f.node]
	if n.textDone {
		return true
	}
	n.textSegs++
	if n.textSegs > 1 {
		return false // text split by comments or CDATA: rare, left to etree
	}
	if cdata {
		// No references in CDATA; only line ends change, and CR is taken
		// as in text.
		if bytes.IndexByte(raw, '\r') < 0 {
			n.text = raw
			return true
		}
		if len(s.arena)+len(raw) > cap(s.arena) {
			return false
		}
		from := len(s.arena)
		for k := 0; k < len(raw); k++ {
			if raw[k] == '\r' {
				s.arena = append(s.arena, '\n')
				if k+1 < len(raw) && raw[k+1] == '\n' {
					k++
				}
				continue
			}
			s.arena = append(s.arena, raw[k])
		}
		n.text = s.arena[from:len(s.arena):len(s.arena)]
		return true
	}
	n.text, ok = s.store(raw, false)
	return ok
}

func validText(raw []byte) bool {
	for k := 0; k < len(raw); k++ {
		switch raw[k] {
		case '&':
			_, n, ok := parseRef(raw[k:])
			if !ok {
				return false
			}
			k += n - 1
		case '>':
			if k >= 2 && raw[k-1] == ']' && raw[k-2] == ']' {
				return false
			}
		}
	}
	return true
}

// comment skips a comment; encoding/xml refuses "--" inside one.
func (s *fastScanner) comment(i int) (int, bool) {
	end := bytes.Index(s.doc[i+4:], []byte("--"))
	if end < 0 {
		return 0, false
	}
	end += i + 4
	if end+2 >= len(s.doc) || s.doc[end+2] != '>' {
		return 0, false
	}
	return end + 3, true
}

// procInst handles a processing instruction other than the XML
// declaration.
func (s *fastScanner) procInst(i int, seenRoot bool) (int, bool) {
	doc := s.doc
	target, _, _, j, ok := name(doc, i+2)
	if !ok || bytes.IndexByte(target, ':') >= 0 || bytes.EqualFold(target, []byte("xml")) {
		return 0, false
	}
	if j < len(doc) && !isSpace(doc[j]) && doc[j] != '?' {
		return 0, false
	}
	j = skipSpace(doc, j)
	end := bytes.Index(doc[j:], []byte("?>"))
	if end < 0 {
		return 0, false
	}
	inst := doc[j : j+end]
	write := func(dst []byte) []byte {
		dst = append(dst, "<?"...)
		dst = append(dst, target...)
		if len(inst) > 0 {
			dst = append(dst, ' ')
			dst = append(dst, inst...)
		}
		return append(dst, "?>"...)
	}
	if len(s.stack) == 0 {
		// Outside the root, as canonicalDocument writes them.
		if seenRoot {
			s.content = append(s.content, '\n')
		}
		s.content = write(s.content)
		if !seenRoot {
			s.content = append(s.content, '\n')
		}
		return j + end + 2, true
	}
	f := s.top()
	switch f.mode {
	case modeContent:
		s.content = write(s.content)
	case modeSigInfo:
		s.si = write(s.si)
	}
	if f.node >= 0 {
		s.nodes[f.node].textDone = true
	}
	return j + end + 2, true
}

func (s *fastScanner) endTag(i int) (int, bool) {
	doc := s.doc
	if len(s.stack) == 0 {
		return 0, false
	}
	// The end tag must name the open element; comparing bytes is enough,
	// provided the name ends there (names are read greedily).
	qname := s.top().qname
	j := i + 2 + len(qname)
	if j > len(doc) || !bytes.Equal(doc[i+2:j], qname) {
		return 0, false
	}
	if j < len(doc) && (isNameChar(doc[j]) || doc[j] == ':' || doc[j] >= utf8.RuneSelf) {
		return 0, false
	}
	j = skipSpace(doc, j)
	if j >= len(doc) || doc[j] != '>' {
		return 0, false
	}
	if s.lay != nil {
		switch len(s.stack) {
		case 1:
			s.lay.rootEnd, s.lay.rootEndWSAt = i, wsBefore(doc, i)
		case 2:
			s.layCur.end = j + 1
			s.lay.children = append(s.lay.children, s.layCur)
		}
	}
	s.closeElement()
	return j + 1, true
}

func (s *fastScanner) closeElement() {
	f := s.top()
	switch f.mode {
	case modeContent:
		s.content = append(s.content, "</"...)
		s.content = append(s.content, f.qname...)
		s.content = append(s.content, '>')
	case modeSigInfo:
		s.si = append(s.si, "</"...)
		s.si = append(s.si, f.qname...)
		s.si = append(s.si, '>')
	}
	s.scope = s.scope[:f.mark]
	s.stack = s.stack[:len(s.stack)-1]
	if len(s.stack) == 0 {
		s.rootClosed = true
	}
}

// startTag reads a start tag, decides where the element goes, and writes
// it.
func (s *fastScanner) startTag(i int) (int, bool) {
	doc := s.doc
	qname, prefix, local, j, ok := name(doc, i+1)
	if !ok {
		return 0, false
	}
	s.attrs = s.attrs[:0]
	empty := false
	for {
		k := skipSpace(doc, j)
		if k >= len(doc) {
			return 0, false
		}
		if doc[k] == '>' {
			j = k + 1
			break
		}
		if doc[k] == '/' {
			if k+1 >= len(doc) || doc[k+1] != '>' {
				return 0, false
			}
			j, empty = k+2, true
			break
		}
		var a fattr
		if a.qname, a.prefix, a.local, k, ok = name(doc, k); !ok {
			return 0, false
		}
		k = skipSpace(doc, k)
		if k >= len(doc) || doc[k] != '=' {
			return 0, false
		}
		k = skipSpace(doc, k+1)
		if k >= len(doc) || (doc[k] != '"' && doc[k] != '\'') {
			return 0, false
		}
		end := bytes.IndexByte(doc[k+1:], doc[k])
		if end < 0 {
			return 0, false
		}
		raw := doc[k+1 : k+1+end]
		if bytes.IndexByte(raw, '<') >= 0 {
			return 0, false
		}
		if a.val, ok = s.store(raw, true); !ok {
			return 0, false
		}
		a.decl = len(a.prefix) == 0 && string(a.local) == "xmlns" || string(a.prefix) == "xmlns"
		s.attrs = append(s.attrs, a)
		j = k + 1 + end + 1
	}
	if len(s.stack) >= fastMaxDepth {
		return 0, false
	}
	if !s.openElement(qname, prefix, local) {
		return 0, false
	}
	if s.lay != nil {
		switch len(s.stack) {
		case 1:
			uri, _ := s.lookup(prefix)
			s.lay.root = xml.Name{Space: string(uri), Local: string(local)}
			s.layRootEmpty = empty
		case 2:
			uri, _ := s.lookup(prefix)
			s.layCur = childSpan{name: xml.Name{Space: string(uri), Local: string(local)}, start: i, wsStart: wsBefore(doc, i)}
			if empty {
				s.layCur.end = j
				s.lay.children = append(s.lay.children, s.layCur)
			}
		}
	}
	if empty {
		s.closeElement()
	}
	return j, true
}

// declPrefixOf returns the prefix a declaration binds ("" for xmlns=).
func declPrefixOf(a *fattr) []byte {
	if len(a.prefix) == 0 {
		return nil
	}
	return a.local
}

// pushDecls checks the element's namespace declarations as c14n.go does
// and brings them into scope.
func (s *fastScanner) pushDecls() bool {
	from := len(s.scope)
	for k := range s.attrs {
		a := &s.attrs[k]
		if !a.decl {
			continue
		}
		p := declPrefixOf(a)
		if checkDecl(string(p), string(a.val)) != nil {
			return false
		}
		for _, b := range s.scope[from:] {
			if bytes.Equal(b.prefix, p) {
				return false // declared twice
			}
		}
		if len(s.scope) >= fastMaxBindings {
			return false
		}
		s.scope = append(s.scope, fbind{prefix: p, uri: a.val})
	}
	return true
}

func (s *fastScanner) openElement(qname, prefix, local []byte) bool {
	mode, parentNode := modeContent, -1
	apex := len(s.stack) == 0
	if !apex {
		p := s.top()
		mode, parentNode = p.mode, p.node
	}
	mark := len(s.scope)

	// Declarations written below the apex are those that change what the
	// parent has in scope; decide before pushing the element's own.
	decls := s.decls[:0]
	if mode != modeSigSkip && !apex {
		for k := range s.attrs {
			a := &s.attrs[k]
			if !a.decl {
				continue
			}
			p := declPrefixOf(a)
			if parent, _ := s.lookup(p); !bytes.Equal(parent, a.val) && string(p) != "xml" {
				decls = append(decls, fbind{prefix: p, uri: a.val})
			}
		}
	}
	if !s.pushDecls() {
		return false
	}

	// Where does this element go?
	if mode == modeContent && len(s.stack) == 1 && string(local) == "Signature" && string(s.etreeNS(prefix)) == nsDSig {
		if s.sigSeen {
			return false // several signatures: the reference reports it
		}
		s.sigSeen, mode = true, modeSigSkip
		// The signature's xml:* attributes are inherited by SignedInfo.
		if !s.inheritXML() {
			return false
		}
		s.stack = append(s.stack, fframe{qname: qname, mark: mark, mode: mode, node: s.newNode(-1, prefix, local)})
		s.decls = decls[:0]
		return s.stack[len(s.stack)-1].node >= 0
	}
	siApex := false
	if mode == modeSigSkip && len(s.stack) == 2 {
		// A child of the Signature: the first must be SignedInfo.
		s.sigKids++
		if s.sigKids == 1 {
			if string(local) != "SignedInfo" || string(s.etreeNS(prefix)) != nsDSig {
				return false
			}
			s.siSeen, mode, siApex = true, modeSigInfo, true
		}
	}
	node := -1
	if mode != modeContent {
		if node = s.newNode(parentNode, prefix, local); node < 0 {
			return false
		}
		if parentNode >= 0 {
			s.nodes[parentNode].textDone = true
		}
	}
	s.stack = append(s.stack, fframe{qname: qname, mark: mark, mode: mode, node: node})
	if apex && !s.inheritXML() {
		return false
	}
	if mode == modeSigSkip {
		s.decls = decls[:0]
		return true
	}

	if apex || siApex {
		decls = s.apexDecls(decls[:0], mark)
	}
	slices.SortFunc(decls, func(a, b fbind) int { return bytes.Compare(a.prefix, b.prefix) })
	s.decls = decls[:0]

	if len(prefix) > 0 {
		if _, ok := s.lookup(prefix); !ok {
			return false
		}
	}
	attrs := s.sorted[:0]
	for _, a := range s.attrs {
		if a.decl {
			continue
		}
		if len(a.prefix) > 0 {
			uri, ok := s.lookup(a.prefix)
			if !ok || len(uri) == 0 {
				return false
			}
			a.uri = uri
		}
		attrs = append(attrs, a)
	}
	if siApex {
		attrs = s.inheritedXML(attrs)
	}
	slices.SortFunc(attrs, func(a, b fattr) int {
		return cmp.Or(bytes.Compare(a.uri, b.uri), bytes.Compare(a.local, b.local))
	})
	for k := 1; k < len(attrs); k++ {
		if bytes.Equal(attrs[k].uri, attrs[k-1].uri) && bytes.Equal(attrs[k].local, attrs[k-1].local) {
			return false
		}
	}
	s.sorted = attrs[:0]

	out := s.content
	if mode == modeSigInfo {
		out = s.si
	}
	out = append(out, '<')
	out = append(out, qname...)
	for _, d := range decls {
		if len(d.prefix) == 0 {
			out = append(out, ` xmlns="`...)
		} else {
			out = append(out, ` xmlns:`...)
			out = append(out, d.prefix...)
			out = append(out, `="`...)
		}
		out = appendEscapedAttr(out, d.uri)
		out = append(out, '"')
	}
	for _, a := range attrs {
		out = append(out, ' ')
		out = append(out, a.qname...)
		out = append(out, `="`...)
		out = appendEscapedAttr(out, a.val)
		out = append(out, '"')
	}
	out = append(out, '>')
	if mode == modeSigInfo {
		s.si = out
	} else {
		s.content = out
	}
	return true
}

// apexDecls lists the declarations the apex of a canonicalized subset
// writes: every binding in scope (its own included, scope[mark:]), except
// an empty default namespace and the xml prefix.
func (s *fastScanner) apexDecls(decls []fbind, mark int) []fbind {
	for k := len(s.scope) - 1; k >= 0; k-- {
		b := s.scope[k]
		shadowed := false
		for _, d := range s.scope[k+1:] {
			if bytes.Equal(d.prefix, b.prefix) {
				shadowed = true
				break
			}
		}
		if shadowed || len(b.uri) == 0 || string(b.prefix) == "xml" {
			continue
		}
		decls = append(decls, b)
	}
	return decls
}

// inheritXML records the xml:* attributes of the root or the Signature,
// which SignedInfo inherits. Their number is bounded because inheritedXML
// compares them pairwise, and the Signature's attributes are not checked
// for duplicates.
func (s *fastScanner) inheritXML() bool {
	for _, a := range s.attrs {
		if string(a.prefix) == "xml" {
			if len(s.inherit) >= fastMaxBindings {
				return false
			}
			s.inherit = append(s.inherit, a)
		}
	}
	return true
}

// inheritedXML adds to SignedInfo's attributes the xml:* attributes of its
// ancestors it does not set itself, the nearest ancestor's value winning.
func (s *fastScanner) inheritedXML(attrs []fattr) []fattr {
	for k := len(s.inherit) - 1; k >= 0; k-- {
		a := s.inherit[k]
		dup := false
		for _, own := range s.attrs {
			if string(own.prefix) == "xml" && bytes.Equal(own.local, a.local) {
				dup = true
				break
			}
		}
		for _, later := range s.inherit[k+1:] {
			if bytes.Equal(later.local, a.local) {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		a.uri = nsXMLBytes
		attrs = append(attrs, a)
	}
	return attrs
}

// newNode records a Signature element; -1 when there are too many.
func (s *fastScanner) newNode(parent int, prefix, local []byte) int {
	if len(s.nodes) >= fastMaxSigNodes {
		return -1
	}
	from := len(s.sattrs)
	s.sattrs = append(s.sattrs, s.attrs...)
	n := len(s.nodes)
	s.nodes = append(s.nodes, sigNode{
		ds:    string(s.etreeNS(prefix)) == nsDSig,
		local: local, attrFrom: from, attrTo: len(s.sattrs),
		first: -1, next: -1, last: -1,
	})
	if parent >= 0 {
		p := &s.nodes[parent]
		if p.last < 0 {
			p.first = n
		} else {
			s.nodes[p.last].next = n
		}
		p.last = n
	}
	return n
}

// isDS mirrors isDS for recorded nodes.
func (s *fastScanner) isDS(n int, local string) bool {
	return n >= 0 && s.nodes[n].ds && string(s.nodes[n].local) == local
}

// kids lists the element children of node n into dst.
func (s *fastScanner) kids(dst []int, n int) []int {
	for c := s.nodes[n].first; c >= 0; c = s.nodes[c].next {
		dst = append(dst, c)
	}
	return dst
}

// attr mirrors etree's SelectAttrValue for an unprefixed key: the first
// attribute, in document order, whose local name (for a declaration, the
// declared prefix, or "xmlns") is key.
func (s *fastScanner) attr(n int, key string) ([]byte, bool) {
	for _, a := range s.sattrs[s.nodes[n].attrFrom:s.nodes[n].attrTo] {
		if string(a.local) == key {
			return a.val, true
		}
	}
	return nil, false
}

// base64Text decodes a node's text as decodeBase64 does, into s.decoded.
func (s *fastScanner) base64Text(n int) ([]byte, bool) {
	s.b64 = s.b64[:0]
	for _, c := range s.nodes[n].text {
		if !isSpace(c) {
			s.b64 = append(s.b64, c)
		}
	}
	if len(s.b64) == 0 {
		return nil, false
	}
	from := len(s.decoded)
	s.decoded = slices.Grow(s.decoded, base64.StdEncoding.DecodedLen(len(s.b64)))
	m, err := base64.StdEncoding.Decode(s.decoded[from:cap(s.decoded)], s.b64)
	if err != nil {
		return nil, false
	}
	s.decoded = s.decoded[:from+m]
	return s.decoded[from : from+m : from+m], true
}

// signature checks the recorded Signature subtree against the profile, as
// parseSignature does for the reference path. Any deviation gives ok ==
// false so that parseSignature reports it. Decoded values live in s until
// release.
func (s *fastScanner) signature() (*parsedSignature, bool) {
	if !s.sigSeen || !s.siSeen {
		return nil, false
	}
	var buf [16]int
	kids := s.kids(buf[:0], 0)
	if len(kids) < 2 || !s.isDS(kids[0], "SignedInfo") || !s.isDS(kids[1], "SignatureValue") {
		return nil, false
	}
	var sbuf [8]int
	si := s.kids(sbuf[:0], kids[0])
	if len(si) != 3 || !s.isDS(si[0], "CanonicalizationMethod") || !s.isDS(si[1], "SignatureMethod") || !s.isDS(si[2], "Reference") {
		return nil, false
	}
	if m, _ := s.attr(si[0], "Algorithm"); string(m) != uriC14N {
		return nil, false
	}
	m, _ := s.attr(si[1], "Algorithm")
	alg, ok := signatureMethods[string(m)]
	if !ok {
		return nil, false
	}
	ps := &parsedSignature{alg: alg}

	ref := si[2]
	if uri, found := s.attr(ref, "URI"); !found || len(uri) != 0 {
		return nil, false
	}
	var rbuf [8]int
	rk := s.kids(rbuf[:0], ref)
	if len(rk) != 3 || !s.isDS(rk[0], "Transforms") || !s.isDS(rk[1], "DigestMethod") || !s.isDS(rk[2], "DigestValue") {
		return nil, false
	}
	enveloped := false
	for t := s.nodes[rk[0]].first; t >= 0; t = s.nodes[t].next {
		if !s.isDS(t, "Transform") {
			return nil, false
		}
		switch a, _ := s.attr(t, "Algorithm"); string(a) {
		case uriEnveloped:
			enveloped = true
		case uriC14N, uriC14NComments:
		default:
			return nil, false
		}
	}
	if !enveloped {
		return nil, false
	}
	dm, _ := s.attr(rk[1], "Algorithm")
	if ps.digest = digestMethods[string(dm)]; ps.digest == nil {
		return nil, false
	}
	if ps.digestValue, ok = s.base64Text(rk[2]); !ok {
		return nil, false
	}
	if ps.signatureValue, ok = s.base64Text(kids[1]); !ok {
		return nil, false
	}
	for _, ki := range kids[2:] {
		if !s.isDS(ki, "KeyInfo") {
			continue
		}
		for xd := s.nodes[ki].first; xd >= 0; xd = s.nodes[xd].next {
			if !s.isDS(xd, "X509Data") {
				continue
			}
			for c := s.nodes[xd].first; c >= 0; c = s.nodes[c].next {
				if s.isDS(c, "X509Certificate") {
					if ps.certDER, ok = s.base64Text(c); !ok {
						return nil, false
					}
					return ps, true
				}
			}
		}
	}
	return nil, false
}
