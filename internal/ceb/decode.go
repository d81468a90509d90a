package ceb

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Defaults for the hostile-input limits; change them with options.
const (
	DefaultMaxSize     = 10 << 20 // bytes of input (and of a DxpMsg payload)
	DefaultMaxDepth    = 64       // element nesting
	DefaultMaxProblems = 1000     // problems kept per message
)

// Option configures Decode.
type Option func(*options)

type options struct {
	maxSize     int
	maxDepth    int
	maxProblems int
	inEnvelope  bool
}

// WithMaxSize sets the largest input accepted, in bytes.
func WithMaxSize(n int) Option { return func(o *options) { o.maxSize = n } }

// WithMaxDepth sets the deepest element nesting accepted.
func WithMaxDepth(n int) Option { return func(o *options) { o.maxDepth = n } }

// WithMaxProblems bounds the problem list; one CEB-TOOMANY entry marks the cut.
func WithMaxProblems(n int) Option { return func(o *options) { o.maxProblems = n } }

// Decoded is the result of Decode.
type Decoded struct {
	Type     string    // root element name, e.g. "CEB621Message"
	Family   string    // "import" or "export"
	Message  Message   // e.g. *CEB621Message
	Problems []Problem // all problems, in document order; see Valid
	Envelope *DxpMsg   // the DxpMsg the message came in, if any
	Signed   bool      // the message carries a ds:Signature
	Guid     string    // root guid attribute
}

// Valid reports whether no problem has Error severity.
func (d *Decoded) Valid() bool { return !HasErrors(d.Problems) }

// Errors returns the Error-severity problems only.
func (d *Decoded) Errors() []Problem {
	var out []Problem
	for _, p := range d.Problems {
		if p.Severity == Error {
			out = append(out, p)
		}
	}
	return out
}

type pathSeg struct {
	name string
	idx  int // 0: element that cannot repeat, shown without index
}

type decoder struct {
	sc      scanner
	lineOff int // line counting resumes here: problems come in document order
	lineNo  int
	opt     options
	probs   []Problem
	path    []pathSeg
	signed  bool
	cut     bool
}

var decoderPool = sync.Pool{New: func() any { return new(decoder) }}

// Decode detects the message type (unwrapping a DxpMsg envelope), parses and
// validates it. It returns an error (a *ValidationError listing the problems)
// only when the input cannot be parsed into a message at all: too large, not
// well-formed, unknown root, bad envelope. Validation findings go into
// Decoded.Problems; check Decoded.Valid. Values are kept exactly as sent:
// surrounding whitespace is not trimmed (the XML rules for line ends and
// references do apply). Decode never panics.
func Decode(data []byte, opts ...Option) (*Decoded, error) {
	o := options{maxSize: DefaultMaxSize, maxDepth: DefaultMaxDepth, maxProblems: DefaultMaxProblems}
	for _, f := range opts {
		f(&o)
	}
	return decodeWith(data, o)
}

func decodeWith(data []byte, o options) (*Decoded, error) {
	if len(data) > o.maxSize {
		return nil, fatal(Problem{Code: CodeTooLarge, Value: strconv.Itoa(len(data)),
			Rule:    "at most " + strconv.Itoa(o.maxSize) + " bytes",
			Message: "message of " + strconv.Itoa(len(data)) + " bytes exceeds the limit of " + strconv.Itoa(o.maxSize)})
	}
	text, p := toUTF8(data, o.maxSize)
	if p != nil {
		return nil, fatal(*p)
	}
	d := decoderPool.Get().(*decoder)
	defer d.release()
	d.opt = o
	d.probs = d.probs[:0]
	d.path = d.path[:0]
	d.signed, d.cut = false, false
	d.lineOff, d.lineNo = 0, 0
	d.sc.init(text, o.maxDepth)
	if d.sc.next() != tokStart {
		return nil, d.fatalScan()
	}
	if d.sc.local == "DxpMsg" && d.sc.space == nsDXP {
		if o.inEnvelope {
			return nil, fatal(Problem{Code: CodeEnvelope, Path: "DxpMsg", Rule: "Data holds a CEB business message",
				Message: "a DxpMsg inside a DxpMsg is not accepted"})
		}
		return d.envelope(o)
	}
	return d.message()
}

// release returns d to the pool. Everything that may point into the input
// is cleared first, so a pooled decoder never keeps a (large) message alive,
// and an unusually large entity buffer is dropped.
func (d *decoder) release() {
	clear(d.probs[:cap(d.probs)])
	clear(d.path[:cap(d.path)])
	clear(d.sc.attrs[:cap(d.sc.attrs)])
	clear(d.sc.open[:cap(d.sc.open)])
	clear(d.sc.ns[:cap(d.sc.ns)])
	d.probs, d.path = d.probs[:0], d.path[:0]
	d.sc.s, d.sc.text, d.sc.prefix, d.sc.local, d.sc.space = "", "", "", "", ""
	if cap(d.sc.buf) > 64<<10 {
		d.sc.buf = nil
	}
	decoderPool.Put(d)
}

func fatal(p Problem) error {
	return &ValidationError{Op: "decode", Problems: []Problem{p}}
}

func (d *decoder) fatalScan() error {
	e := d.sc.err
	if e == nil {
		e = &syntaxError{code: CodeSyntax, msg: "no root element", off: d.sc.pos}
	}
	p := Problem{Code: e.code, Rule: "well-formed XML 1.0 without DTD", Message: e.msg, Line: lineAt(d.sc.s, e.off)}
	if e.code == CodeTooDeep {
		p.Rule = "at most " + strconv.Itoa(d.opt.maxDepth) + " levels of nesting"
	}
	probs := append(append([]Problem(nil), d.probs...), p)
	return &ValidationError{Op: "decode", Problems: probs}
}

// message decodes the CEB business message whose root start tag was read.
func (d *decoder) message() (*Decoded, error) {
	name := d.sc.local
	ms, ok := messageSpecs[name]
	if !ok {
		// Real senders (and the official CEB214 sample) drop the suffix.
		if alt, ok2 := messageSpecs[name+"Message"]; ok2 && strings.HasPrefix(name, "CEB") {
			d.addAt(Problem{Code: CodeRoot, Severity: Warning, Value: name, Rule: "root element is " + name + "Message",
				Message: "root element <" + name + "> read as " + name + "Message"})
			ms, ok = alt, true
			name += "Message"
		}
	}
	if !ok {
		return nil, fatal(Problem{Code: CodeRoot, Value: d.sc.local, Line: lineAt(d.sc.s, d.sc.tokStart),
			Rule:    "root is a CEBnnnMessage of the 202205 spec or a DxpMsg",
			Message: "unknown root element <" + d.sc.local + ">"})
	}
	if d.sc.space != nsCEB {
		d.addAt(Problem{Code: CodeNamespace, Value: d.sc.space, Rule: "namespace " + nsCEB,
			Message: "root element <" + d.sc.local + "> is not in the CEB namespace"})
	}
	msg := ms.newMsg()
	d.rootAttrs(msg, ms.typ)
	if !d.complex(msg, ms.typ) {
		return nil, d.fatalScan()
	}
	if d.sc.next() != tokEOF || d.sc.err != nil {
		return nil, d.fatalScan()
	}
	return &Decoded{
		Type:     name,
		Family:   ms.family,
		Message:  msg,
		Problems: append([]Problem(nil), d.probs...),
		Signed:   d.signed,
		Guid:     *msg.attr(0),
	}, nil
}

func (d *decoder) rootAttrs(msg Message, ts *typeSpec) {
	var seen [4]bool
	for _, a := range d.sc.attrs {
		if a.prefix == "xmlns" || (a.prefix == "" && a.local == "xmlns") || d.sc.attrSpace(a) == nsXSI {
			continue
		}
		i := -1
		if a.prefix == "" {
			for j := range ts.attrs {
				if ts.attrs[j].name == a.local {
					i = j
				}
			}
		}
		if i < 0 {
			d.addAt(Problem{Code: CodeUnknown, Path: "@" + a.local, Value: a.value, Rule: "only guid and version",
				Message: "attribute " + a.local + " is not in the schema"})
			continue
		}
		seen[i] = true
		*msg.attr(i) = a.value
		d.checkValue(&ts.attrs[i].facets, "@"+a.local, a.value, false)
	}
	for i := range ts.attrs {
		if !seen[i] && ts.attrs[i].min > 0 {
			d.addAt(Problem{Code: CodeRequired, Path: "@" + ts.attrs[i].name, Rule: "required attribute",
				Message: "attribute " + ts.attrs[i].name + " is missing"})
		}
	}
	if seen[0] {
		d.checkGuid("@guid", *msg.attr(0))
	}
	if v := *msg.attr(1); seen[1] && v != "1.0" && len(v) <= 10 {
		d.addAt(Problem{Code: CodeVersion, Severity: Warning, Path: "@version", Value: v, Rule: "version 1.0",
			Message: "message version " + strconv.Quote(v) + " accepted as 1.0"})
	}
}

// complex decodes the children of the element whose start tag was just read,
// up to and including its end tag. It returns false on a fatal syntax error.
func (d *decoder) complex(n node, ts *typeSpec) bool {
	var cntArr [64]int32
	var counts []int32
	if len(ts.fields) <= len(cntArr) {
		counts = cntArr[:len(ts.fields)]
	} else {
		counts = make([]int32, len(ts.fields))
	}
	last := -1
	for {
		switch d.sc.next() {
		case tokEOF:
			return false
		case tokEnd:
			d.missing(ts, counts)
			return true
		case tokText:
			if !isSpace(d.sc.text) {
				d.add(Problem{Code: CodeContent, Value: clip(d.sc.text), Rule: "only elements inside <" + ts.name + ">",
					Message: "text is not allowed inside <" + ts.name + ">"}, "")
			}
		case tokStart:
			if !d.childElem(n, ts, counts, &last) {
				return false
			}
		}
	}
}

func (d *decoder) childElem(n node, ts *typeSpec, counts []int32, last *int) bool {
	i, ok := fieldFor(ts, d.sc.local, *last)
	if !ok {
		return d.unknownChild(ts)
	}
	if !d.placement(ts, i, counts, last) {
		_, ok := d.sc.skipElement() // a repeated single element: the first one counts
		return ok
	}
	return d.decodeField(n, &ts.fields[i], i, int(counts[i]))
}

// fieldFor finds the field of ts named local. Children almost always come
// in schema order, so the field after the last one seen (or the same one,
// for repeats) is tried before the map lookup.
func fieldFor(ts *typeSpec, local string, last int) (int, bool) {
	if n := last + 1; n < len(ts.fields) && ts.fields[n].name == local {
		return n, true
	}
	if last >= 0 && ts.fields[last].name == local {
		return last, true
	}
	i, ok := ts.index[local]
	return i, ok
}

// unknownChild reports and skips an element the schema does not have here.
func (d *decoder) unknownChild(ts *typeSpec) bool {
	local := d.sc.local
	if !d.cut { // once the list is full, building the report is wasted work
		sev := Error
		if lenientUnknown(ts, local) {
			sev = Warning
		}
		d.add(Problem{Code: CodeUnknown, Severity: sev, Value: local, Rule: "children of " + ts.name + ": " + fieldNames(ts),
			Message: "element <" + local + "> is not allowed in <" + ts.name + ">"}, local)
	}
	_, ok := d.sc.skipElement()
	return ok
}

// placement checks namespace, order and count of child field i just opened
// and counts it. It returns false when the element is to be skipped.
func (d *decoder) placement(ts *typeSpec, i int, counts []int32, last *int) bool {
	f := &ts.fields[i]
	local := d.sc.local
	want := nsCEB
	if f.kind == kindSignature {
		want = nsDSig
	}
	if d.sc.space != want {
		d.add(Problem{Code: CodeNamespace, Value: d.sc.space, Rule: "namespace " + want,
			Message: "element <" + local + "> must be in namespace " + want}, local)
	}
	counts[i]++
	if i < *last {
		sev := Error
		if lenientOrder(ts, i, *last) {
			sev = Warning
		}
		d.add(Problem{Code: CodeOrder, Severity: sev, Value: local,
			Rule:    "schema order: " + fieldNames(ts),
			Message: "element <" + local + "> must come before <" + ts.fields[*last].name + ">"}, local)
	} else {
		*last = i
	}
	n := int(counts[i])
	if f.max < 0 || n <= f.max {
		return true
	}
	if n == f.max+1 {
		sev := Error
		if f.name == "BaseTransfer" {
			sev = Warning // repeated in eight official export samples
		}
		msg := "more than " + strconv.Itoa(f.max) + " <" + local + "> in <" + ts.name + ">"
		at := local + "[" + strconv.Itoa(n) + "]"
		if f.max == 1 {
			msg = "<" + local + "> repeated in <" + ts.name + ">; the first one is used"
			at = local
		}
		d.add(Problem{Code: CodeCount, Severity: sev, Value: strconv.Itoa(n),
			Rule: "at most " + strconv.Itoa(f.max) + " <" + local + ">", Message: msg}, at)
	}
	// Documents and lines beyond the limit are still read (nothing is
	// lost); a repeated single element is skipped.
	return f.max != 1
}

// decodeField reads the element of field f (the count-th of its kind) into n.
func (d *decoder) decodeField(n node, f *fieldSpec, i, count int) bool {
	local := d.sc.local
	switch f.kind {
	case kindLeaf:
		d.elemAttrs(local)
		v, ok := d.leafText(local)
		if !ok {
			return false
		}
		if v == "" {
			// XSD: an empty element takes the schema's fixed or default value.
			if f.hasFixed {
				v = f.fixed
			} else if f.def != "" {
				v = f.def
			}
		}
		*n.leaf(i) = v
		d.checkValue(&f.facets, local, v, f.min == 0)
		if local == "guid" {
			d.checkGuid(local, v)
		}
	case kindComplex:
		idx := 0
		if f.max != 1 {
			idx = count
		}
		d.path = append(d.path, pathSeg{local, idx})
		d.elemAttrs("")
		ok := d.complex(n.child(i), f.typ)
		d.path = d.path[:len(d.path)-1]
		return ok
	case kindSignature:
		start := d.sc.tokStart
		end, ok := d.sc.skipElement()
		if !ok {
			return false
		}
		d.signed = true
		*n.leaf(i) = d.sc.s[start:end]
	case kindAny:
		d.elemAttrs(local)
		inner := d.sc.tokEnd
		if d.sc.pendingEnd {
			d.sc.next()
			return true
		}
		if _, ok := d.sc.skipElement(); !ok {
			return false
		}
		*n.leaf(i) = d.sc.s[inner:d.sc.tokStart]
	}
	return true
}

// elemAttrs reports attributes on non-root elements (the schema has none).
func (d *decoder) elemAttrs(leaf string) {
	for _, a := range d.sc.attrs {
		if a.prefix == "xmlns" || (a.prefix == "" && a.local == "xmlns") || d.sc.attrSpace(a) == nsXSI {
			continue
		}
		d.add(Problem{Code: CodeUnknown, Value: a.value, Rule: "no attributes on <" + d.sc.local + ">",
			Message: "attribute " + a.local + " is not allowed on <" + d.sc.local + ">"}, leaf)
	}
}

// leafText reads the text of a simple element up to its end tag.
func (d *decoder) leafText(local string) (string, bool) {
	// One text segment is the rule and stays a substring of the input;
	// several (CDATA, comments in between) are joined in a builder so that
	// hostile input cannot make the joining quadratic.
	var v string
	var sb strings.Builder
	n := 0
	for {
		switch d.sc.next() {
		case tokText:
			switch n {
			case 0:
				v = d.sc.text
			case 1:
				sb.WriteString(v)
				fallthrough
			default:
				sb.WriteString(d.sc.text)
			}
			n++
		case tokStart:
			d.add(Problem{Code: CodeContent, Value: d.sc.local, Rule: local + " holds a value, not elements",
				Message: "element <" + d.sc.local + "> is not allowed inside <" + local + ">"}, local)
			if _, ok := d.sc.skipElement(); !ok {
				return "", false
			}
		case tokEnd:
			if n > 1 {
				v = sb.String()
			}
			return v, true
		default:
			return "", false
		}
	}
}

// missing reports required children that did not occur.
func (d *decoder) missing(ts *typeSpec, counts []int32) {
	for i := range ts.fields {
		f := &ts.fields[i]
		if int(counts[i]) >= f.min {
			continue
		}
		sev := Error
		if lenientMissing(ts, f.name) {
			sev = Warning
		}
		name := f.name
		if f.kind == kindSignature {
			name = "ds:Signature"
		}
		d.add(Problem{Code: CodeRequired, Severity: sev, Rule: "required in <" + ts.name + ">",
			Message: "required element <" + name + "> is missing"}, f.name)
	}
}

// add records a problem at the current path, below which leaf (if not
// empty) names the element concerned.
func (d *decoder) add(p Problem, leaf string) {
	p.Path = d.pathString(leaf)
	d.addAt(p)
}

func (d *decoder) addAt(p Problem) {
	if d.cut {
		return
	}
	if len(d.probs) >= d.opt.maxProblems {
		d.cut = true
		d.probs = append(d.probs, Problem{Code: CodeTooMany, Rule: "at most " + strconv.Itoa(d.opt.maxProblems) + " problems listed",
			Message: "further problems not listed"})
		return
	}
	if p.Line == 0 {
		p.Line = d.lineAt(d.sc.tokStart)
	}
	if p.Message == "" {
		p.Message = p.Rule
	}
	d.probs = append(d.probs, p)
}

// lineAt returns the 1-based line of offset off, counting on from the
// previous call so that many problems cost one pass over the input.
func (d *decoder) lineAt(off int) int {
	if off < d.lineOff || d.lineNo == 0 {
		d.lineOff, d.lineNo = 0, 1
	}
	if off > len(d.sc.s) {
		off = len(d.sc.s)
	}
	d.lineNo += strings.Count(d.sc.s[d.lineOff:off], "\n")
	d.lineOff = off
	return d.lineNo
}

func (d *decoder) pathString(leaf string) string {
	var b strings.Builder
	for _, s := range d.path {
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(s.name)
		if s.idx > 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
		}
	}
	if leaf != "" {
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(leaf)
	}
	return b.String()
}

func fieldNames(ts *typeSpec) string {
	var b strings.Builder
	for i, f := range ts.fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.name)
	}
	return b.String()
}

// clip shortens a value for a problem report.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= 80 {
		return s
	}
	i := 80
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// Leniency for known deviations of real senders and of the official samples
// (ceb-notes §0, §13): reported as warnings, not errors.

func lenientOrder(ts *typeSpec, found, after int) bool {
	a, b := ts.fields[found].name, ts.fields[after].name
	pair := func(x, y string) bool { return (a == x && b == y) || (a == y && b == x) }
	switch {
	case ts.name == "SummaryResultList":
		return pair("gseqno", "gnum")
	case len(ts.attrs) > 0: // root: the PDF and the import XSD disagree
		return pair("Signature", "ExtendMessage")
	}
	return false
}

func lenientMissing(ts *typeSpec, field string) bool {
	return ts.name == "SummaryResultList" && field == "gseqno"
}

func lenientUnknown(ts *typeSpec, local string) bool {
	// The PDF lists orderNo and logisticNo in the tax bill head; real tax
	// bills carry orderNo and logisticsNo although the XSD lacks them.
	return ts.name == "TaxHeadRd" && (local == "orderNo" || local == "logisticsNo" || local == "logisticNo")
}
