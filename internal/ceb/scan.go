package ceb

import (
	"strings"
	"unicode/utf8"
)

// scan.go is a small XML tokenizer over an immutable string. Names, attribute
// values and text are substrings of the input whenever no entity or line-end
// has to be rewritten, so a typical message decodes with almost no
// allocations. It supports what CEB messages use: namespaces, the five
// predefined entities and character references, CDATA, comments and
// processing instructions. A DOCTYPE is refused: no DTD, no external entity.

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
	tokText
)

const (
	nsCEB  = "http://www.chinaport.gov.cn/ceb"
	nsDXP  = "http://www.chinaport.gov.cn/dxp"
	nsDSig = "http://www.w3.org/2000/09/xmldsig#"
	nsXSI  = "http://www.w3.org/2001/XMLSchema-instance"
	nsXML  = "http://www.w3.org/XML/1998/namespace"
)

// Bounds that keep the work per byte constant for hostile input.
const (
	maxAttrs    = 64  // attributes on one element
	maxNSInView = 128 // namespace bindings in scope
)

type xattr struct {
	prefix, local string
	value         string
}

type nsBind struct {
	prefix, uri string
}

type openElem struct {
	qname  string
	nsMark int
}

// syntaxError is a fatal tokenizer error.
type syntaxError struct {
	code string
	msg  string
	off  int
}

type scanner struct {
	s        string
	pos      int
	maxDepth int

	kind     tokKind
	prefix   string
	local    string
	space    string // namespace of the current start/end element
	attrs    []xattr
	text     string
	tokStart int // offset of the current token
	tokEnd   int // offset just after it

	open       []openElem
	ns         []nsBind
	pendingEnd bool // the last start tag was self-closing
	rootDone   bool
	buf        []byte
	err        *syntaxError
}

func (sc *scanner) init(s string, maxDepth int) {
	sc.s = s
	sc.pos = 0
	sc.maxDepth = maxDepth
	sc.open = sc.open[:0]
	sc.ns = sc.ns[:0]
	sc.attrs = sc.attrs[:0]
	sc.pendingEnd = false
	sc.rootDone = false
	sc.err = nil
}

func (sc *scanner) fail(code, msg string, off int) tokKind {
	if sc.err == nil {
		sc.err = &syntaxError{code: code, msg: msg, off: off}
	}
	sc.kind = tokEOF
	return tokEOF
}

// next advances to the next start, end or text token. Comments, processing
// instructions and whitespace outside the root are skipped. After an error
// it keeps returning tokEOF and sc.err is set.
func (sc *scanner) next() tokKind {
	if sc.err != nil {
		return tokEOF
	}
	if sc.pendingEnd {
		sc.pendingEnd = false
		sc.tokStart = sc.tokEnd
		sc.popElem()
		sc.kind = tokEnd
		return tokEnd
	}
	for {
		if sc.pos >= len(sc.s) {
			if len(sc.open) > 0 {
				return sc.fail(CodeSyntax, "unexpected end of input inside <"+sc.open[len(sc.open)-1].qname+">", sc.pos)
			}
			if !sc.rootDone {
				return sc.fail(CodeSyntax, "no root element", sc.pos)
			}
			sc.kind = tokEOF
			return tokEOF
		}
		sc.tokStart = sc.pos
		if sc.s[sc.pos] != '<' {
			k, ok := sc.scanText()
			if !ok {
				return tokEOF
			}
			if k {
				return tokText
			}
			continue
		}
		if sc.pos+1 >= len(sc.s) {
			return sc.fail(CodeSyntax, "unexpected end of input after '<'", sc.pos)
		}
		switch sc.s[sc.pos+1] {
		case '/':
			return sc.scanEnd()
		case '?':
			if !sc.skipPI() {
				return tokEOF
			}
		case '!':
			k, ok := sc.scanBang()
			if !ok {
				return tokEOF
			}
			if k {
				return tokText
			}
		default:
			return sc.scanStart()
		}
	}
}

// scanText reads character data up to the next '<'. It reports whether a
// text token was produced (whitespace outside the root is not one).
func (sc *scanner) scanText() (bool, bool) {
	i := strings.IndexByte(sc.s[sc.pos:], '<')
	end := len(sc.s)
	if i >= 0 {
		end = sc.pos + i
	}
	raw := sc.s[sc.pos:end]
	start := sc.pos
	sc.pos = end
	sc.tokEnd = end
	if len(sc.open) == 0 {
		if !isSpace(raw) {
			sc.fail(CodeSyntax, "text outside the root element", start)
			return false, false
		}
		return false, true
	}
	t, ok := sc.decodeChars(raw, false, start)
	if !ok {
		return false, false
	}
	sc.text = t
	sc.kind = tokText
	return true, true
}

// charClass marks bytes that need a look in character data: markup, line
// ends to normalize and control characters XML forbids.
var charClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = 1
	}
	t['&'], t['\r'], t['\t'], t['\n'], t[']'] = 1, 1, 1, 1, 1
	return
}()

// decodeChars resolves entity and character references and normalizes line
// ends (and, in attribute values, whitespace) as XML requires.
func (sc *scanner) decodeChars(raw string, attr bool, off int) (string, bool) {
	i := 0
scan:
	for i < len(raw) {
		// Skip eight plain bytes at a time (long values, base64 Data).
		if i+8 <= len(raw) && !wordNeedsLook(load64(raw, i)) {
			i += 8
			continue
		}
		c := raw[i]
		switch {
		case charClass[c] == 0:
		case c == '\n' || c == '\t':
			if attr {
				break scan
			}
		case c == ']':
			if !attr && strings.HasPrefix(raw[i:], "]]>") {
				sc.fail(CodeSyntax, "']]>' is not allowed in text", off+i)
				return "", false
			}
		default:
			break scan
		}
		i++
	}
	if i == len(raw) {
		return raw, true
	}
	b := append(sc.buf[:0], raw[:i]...)
	for ; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '&':
			j := strings.IndexByte(raw[i:], ';')
			if j < 0 || j > 12 {
				sc.fail(CodeSyntax, "unterminated entity reference", off+i)
				return "", false
			}
			ref := raw[i+1 : i+j]
			var ok bool
			b, ok = appendEntity(b, ref)
			if !ok {
				sc.fail(CodeSyntax, "undefined or invalid entity &"+ref+";", off+i)
				return "", false
			}
			i += j
		case c == '\r':
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			if attr {
				b = append(b, ' ')
			} else {
				b = append(b, '\n')
			}
		case c == '\n' || c == '\t':
			if attr {
				b = append(b, ' ')
			} else {
				b = append(b, c)
			}
		case c < 0x20:
			sc.fail(CodeSyntax, "control character not allowed in XML", off+i)
			return "", false
		case c == '<' && attr:
			sc.fail(CodeSyntax, "'<' not allowed in an attribute value", off+i)
			return "", false
		case c == ']' && !attr && strings.HasPrefix(raw[i:], "]]>"):
			sc.fail(CodeSyntax, "']]>' is not allowed in text", off+i)
			return "", false
		default:
			b = append(b, c)
		}
	}
	sc.buf = b
	return string(b), true
}

// load64 reads eight bytes of s at i, little-endian (one load on amd64).
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// wordNeedsLook reports whether a byte of w may be below 0x20, '&' or ']'
// (the bytes charClass marks). It may say yes wrongly, never no wrongly:
// the caller then looks byte by byte.
func wordNeedsLook(w uint64) bool {
	hasZero := func(x uint64) uint64 { return (x - lsb) & ^x & msb }
	below20 := (w - lsb*0x20) & ^w & msb
	return below20|hasZero(w^(lsb*'&'))|hasZero(w^(lsb*']')) != 0
}

func appendEntity(b []byte, ref string) ([]byte, bool) {
	switch ref {
	case "lt":
		return append(b, '<'), true
	case "gt":
		return append(b, '>'), true
	case "amp":
		return append(b, '&'), true
	case "quot":
		return append(b, '"'), true
	case "apos":
		return append(b, '\''), true
	}
	if len(ref) < 2 || ref[0] != '#' {
		return b, false
	}
	var r rune
	digits := ref[1:]
	hex := digits[0] == 'x'
	if hex {
		digits = digits[1:]
	}
	if digits == "" {
		return b, false
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var v rune
		switch {
		case c >= '0' && c <= '9':
			v = rune(c - '0')
		case hex && c >= 'a' && c <= 'f':
			v = rune(c-'a') + 10
		case hex && c >= 'A' && c <= 'F':
			v = rune(c-'A') + 10
		default:
			return b, false
		}
		if hex {
			r = r*16 + v
		} else {
			r = r*10 + v
		}
		if r > utf8.MaxRune {
			return b, false
		}
	}
	if !isXMLChar(r) {
		return b, false
	}
	return utf8.AppendRune(b, r), true
}

func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

func isSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return false
		}
	}
	return true
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipPI skips a processing instruction or the XML declaration.
func (sc *scanner) skipPI() bool {
	i := strings.Index(sc.s[sc.pos+2:], "?>")
	if i < 0 {
		sc.fail(CodeSyntax, "unterminated processing instruction", sc.pos)
		return false
	}
	target := sc.s[sc.pos+2 : sc.pos+2+i]
	if j := strings.IndexAny(target, " \t\r\n"); j >= 0 {
		target = target[:j]
	}
	if strings.EqualFold(target, "xml") && sc.pos != 0 {
		sc.fail(CodeSyntax, "XML declaration not at the start of the document", sc.pos)
		return false
	}
	sc.pos += 2 + i + 2
	return true
}

// scanBang handles comments, CDATA sections and the refused DOCTYPE.
func (sc *scanner) scanBang() (bool, bool) {
	rest := sc.s[sc.pos:]
	switch {
	case strings.HasPrefix(rest, "<!--"):
		i := strings.Index(rest[4:], "--")
		if i < 0 {
			sc.fail(CodeSyntax, "unterminated comment", sc.pos)
			return false, false
		}
		if !strings.HasPrefix(rest[4+i:], "-->") {
			sc.fail(CodeSyntax, "'--' not allowed inside a comment", sc.pos+4+i)
			return false, false
		}
		sc.pos += 4 + i + 3
		return false, true
	case strings.HasPrefix(rest, "<![CDATA["):
		if len(sc.open) == 0 {
			sc.fail(CodeSyntax, "CDATA outside the root element", sc.pos)
			return false, false
		}
		i := strings.Index(rest[9:], "]]>")
		if i < 0 {
			sc.fail(CodeSyntax, "unterminated CDATA section", sc.pos)
			return false, false
		}
		raw := rest[9 : 9+i]
		start := sc.pos + 9
		sc.pos += 9 + i + 3
		sc.tokEnd = sc.pos
		if strings.IndexByte(raw, '\r') >= 0 || hasControl(raw) {
			if hasControl(raw) {
				sc.fail(CodeSyntax, "control character not allowed in XML", start)
				return false, false
			}
			raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\r", "\n")
		}
		sc.text = raw
		sc.kind = tokText
		return true, true
	case strings.HasPrefix(rest, "<!DOCTYPE"):
		sc.fail(CodeDoctype, "a DOCTYPE declaration is not allowed (no DTDs, no external entities)", sc.pos)
		return false, false
	}
	sc.fail(CodeSyntax, "unexpected '<!'", sc.pos)
	return false, false
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return false
}

// scanName reads an XML name at sc.pos and splits it at the colon.
func (sc *scanner) scanName() (qname, prefix, local string, ok bool) {
	start := sc.pos
	i := start
	colon := -1
	for i < len(sc.s) {
		c := sc.s[i]
		if c == ':' {
			if colon >= 0 {
				sc.fail(CodeSyntax, "more than one ':' in a name", i)
				return "", "", "", false
			}
			colon = i
		} else if !isNameByte(c) {
			break
		}
		i++
	}
	if i == start || !isNameStart(sc.s[start]) || colon == start || colon == i-1 {
		sc.fail(CodeSyntax, "invalid or missing name", start)
		return "", "", "", false
	}
	if colon >= 0 && !isNameStart(sc.s[colon+1]) {
		sc.fail(CodeSyntax, "invalid name", start)
		return "", "", "", false
	}
	sc.pos = i
	qname = sc.s[start:i]
	if colon >= 0 {
		return qname, sc.s[start:colon], sc.s[colon+1 : i], true
	}
	return qname, "", qname, true
}

// nameClass: 1 = may start a name, 2 = may continue one. Bytes >= 0x80 are
// parts of non-ASCII letters (the input is valid UTF-8).
var nameClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c >= 0x80:
			t[c] = 3
		case c >= '0' && c <= '9', c == '-', c == '.':
			t[c] = 2
		}
	}
	return
}()

func isNameStart(c byte) bool { return nameClass[c]&1 != 0 }

func isNameByte(c byte) bool { return nameClass[c] != 0 }

func (sc *scanner) skipSpace() {
	for sc.pos < len(sc.s) && isSpaceByte(sc.s[sc.pos]) {
		sc.pos++
	}
}

func (sc *scanner) scanStart() tokKind {
	start := sc.pos
	if sc.rootDone && len(sc.open) == 0 {
		return sc.fail(CodeSyntax, "more than one root element", start)
	}
	if len(sc.open) >= sc.maxDepth {
		return sc.fail(CodeTooDeep, "elements nested deeper than the limit", start)
	}
	sc.pos++
	qname, prefix, local, ok := sc.scanName()
	if !ok {
		return tokEOF
	}
	sc.attrs = sc.attrs[:0]
	mark := len(sc.ns)
	for {
		hadSpace := sc.pos < len(sc.s) && isSpaceByte(sc.s[sc.pos])
		sc.skipSpace()
		if sc.pos >= len(sc.s) {
			return sc.fail(CodeSyntax, "unterminated start tag <"+qname, start)
		}
		c := sc.s[sc.pos]
		if c == '>' {
			sc.pos++
			break
		}
		if c == '/' {
			if sc.pos+1 >= len(sc.s) || sc.s[sc.pos+1] != '>' {
				return sc.fail(CodeSyntax, "expected '/>'", sc.pos)
			}
			sc.pos += 2
			sc.pendingEnd = true
			break
		}
		if !hadSpace {
			return sc.fail(CodeSyntax, "whitespace required between attributes", sc.pos)
		}
		if len(sc.attrs) >= maxAttrs {
			return sc.fail(CodeSyntax, "too many attributes", sc.pos)
		}
		aq, ap, al, ok := sc.scanName()
		if !ok {
			return tokEOF
		}
		sc.skipSpace()
		if sc.pos >= len(sc.s) || sc.s[sc.pos] != '=' {
			return sc.fail(CodeSyntax, "expected '=' after attribute "+aq, sc.pos)
		}
		sc.pos++
		sc.skipSpace()
		if sc.pos >= len(sc.s) || (sc.s[sc.pos] != '"' && sc.s[sc.pos] != '\'') {
			return sc.fail(CodeSyntax, "attribute value must be quoted", sc.pos)
		}
		q := sc.s[sc.pos]
		j := strings.IndexByte(sc.s[sc.pos+1:], q)
		if j < 0 {
			return sc.fail(CodeSyntax, "unterminated attribute value", sc.pos)
		}
		rawv := sc.s[sc.pos+1 : sc.pos+1+j]
		if strings.IndexByte(rawv, '<') >= 0 {
			return sc.fail(CodeSyntax, "'<' not allowed in an attribute value", sc.pos)
		}
		v, ok := sc.decodeChars(rawv, true, sc.pos+1)
		if !ok {
			return tokEOF
		}
		sc.pos += j + 2
		for _, a := range sc.attrs {
			if a.prefix == ap && a.local == al {
				return sc.fail(CodeSyntax, "duplicate attribute "+aq, start)
			}
		}
		switch {
		case ap == "" && al == "xmlns":
			sc.ns = append(sc.ns, nsBind{"", v})
		case ap == "xmlns":
			if v == "" {
				return sc.fail(CodeSyntax, "empty namespace for prefix "+al, start)
			}
			sc.ns = append(sc.ns, nsBind{al, v})
		}
		if len(sc.ns) > maxNSInView {
			return sc.fail(CodeSyntax, "too many namespace declarations", start)
		}
		sc.attrs = append(sc.attrs, xattr{prefix: ap, local: al, value: v})
	}
	space, ok := sc.resolve(prefix)
	if !ok {
		return sc.fail(CodeSyntax, "undeclared namespace prefix "+prefix, start)
	}
	for _, a := range sc.attrs {
		if a.prefix != "" && a.prefix != "xmlns" {
			if _, ok := sc.resolve(a.prefix); !ok {
				return sc.fail(CodeSyntax, "undeclared namespace prefix "+a.prefix, start)
			}
		}
	}
	sc.open = append(sc.open, openElem{qname: qname, nsMark: mark})
	sc.prefix, sc.local, sc.space = prefix, local, space
	sc.tokEnd = sc.pos
	sc.kind = tokStart
	return tokStart
}

// resolve finds the namespace bound to prefix ("" = default namespace).
func (sc *scanner) resolve(prefix string) (string, bool) {
	for i := len(sc.ns) - 1; i >= 0; i-- {
		if sc.ns[i].prefix == prefix {
			return sc.ns[i].uri, true
		}
	}
	switch prefix {
	case "":
		return "", true
	case "xml":
		return nsXML, true
	}
	return "", false
}

// attrSpace resolves the namespace of attribute a (unprefixed: none).
func (sc *scanner) attrSpace(a xattr) string {
	if a.prefix == "" || a.prefix == "xmlns" {
		return ""
	}
	s, _ := sc.resolve(a.prefix)
	return s
}

func (sc *scanner) scanEnd() tokKind {
	start := sc.pos
	sc.pos += 2
	// Fast path: the end tag repeats the open element's name.
	if n := len(sc.open); n > 0 {
		top := sc.open[n-1].qname
		if end := sc.pos + len(top); end < len(sc.s) && sc.s[end] == '>' && sc.s[sc.pos:end] == top {
			sc.pos = end + 1
			sc.popElem() // names of end tokens are not used: no need to set them
			sc.tokEnd = sc.pos
			sc.kind = tokEnd
			return tokEnd
		}
	}
	qname, prefix, local, ok := sc.scanName()
	if !ok {
		return tokEOF
	}
	sc.skipSpace()
	if sc.pos >= len(sc.s) || sc.s[sc.pos] != '>' {
		return sc.fail(CodeSyntax, "expected '>' in end tag </"+qname, sc.pos)
	}
	sc.pos++
	if len(sc.open) == 0 || sc.open[len(sc.open)-1].qname != qname {
		want := "nothing"
		if len(sc.open) > 0 {
			want = "</" + sc.open[len(sc.open)-1].qname + ">"
		}
		return sc.fail(CodeSyntax, "end tag </"+qname+"> does not match, expected "+want, start)
	}
	sc.space, _ = sc.resolve(prefix)
	sc.prefix, sc.local = prefix, local
	sc.popElem()
	sc.tokEnd = sc.pos
	sc.kind = tokEnd
	return tokEnd
}

func (sc *scanner) popElem() {
	top := sc.open[len(sc.open)-1]
	sc.ns = sc.ns[:top.nsMark]
	sc.open = sc.open[:len(sc.open)-1]
	if len(sc.open) == 0 {
		sc.rootDone = true
	}
}

// skipElement skips the rest of the element whose start tag was just read
// and returns the offset just after its end tag.
func (sc *scanner) skipElement() (int, bool) {
	d := len(sc.open)
	for {
		switch sc.next() {
		case tokEOF:
			return 0, false
		case tokEnd:
			if len(sc.open) < d {
				return sc.tokEnd, true
			}
		}
	}
}

// lineAt returns the 1-based line of byte offset off.
func lineAt(s string, off int) int {
	if off > len(s) {
		off = len(s)
	}
	return strings.Count(s[:off], "\n") + 1
}
