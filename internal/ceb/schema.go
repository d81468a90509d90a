package ceb

import "sort"

// The schema tables below are filled by the generated code (zz_generated.go)
// from the official XSDs; the decoder and validator are driven by them.

//go:generate go run ./internal/xsdgen -out zz_generated.go

type base uint8

const (
	baseString base = iota
	baseDecimal
	baseInt
)

type fieldKind uint8

const (
	kindLeaf      fieldKind = iota // simple element: a string value
	kindComplex                    // element with children
	kindSignature                  // ds:Signature, kept as raw XML
	kindAny                        // xs:any content, kept as raw XML
)

// facets are the restrictions of a simple element. Unset lengths are -1,
// unset digit counts 0.
type facets struct {
	base           base
	minLen, maxLen int
	length         int
	totalDigits    int
	fractionDigits int
	fixed          string
	hasFixed       bool
	def            string   // XSD default (value of an empty element)
	collapse       bool     // xs:whiteSpace collapse
	time           int      // 8, 14 or 17: a YYYYMMDD[hhmmss[SSS]] time
	enum           []string // code list from the spec
	enumWarn       bool     // code list is advisory (Warning, not Error)
}

type fieldSpec struct {
	name     string
	kind     fieldKind
	min, max int // max < 0: unbounded
	typ      *typeSpec
	facets
}

type typeSpec struct {
	name   string // XSD element name
	goName string
	attrs  []fieldSpec // root messages: guid, version
	fields []fieldSpec
	index  map[string]int
}

type msgSpec struct {
	typ     *typeSpec
	family  string // "import" or "export"
	customs bool   // written by customs / e-port (receipts), no BaseTransfer
	newMsg  func() Message
}

// node is implemented by every generated element type: leaf and child give
// the decoder somewhere to store values without reflection, get and kids
// give generic read access, encode writes the children in schema order.
type node interface {
	leaf(i int) *string
	child(i int) node
	get(i int) string
	kids(i int) []node
	encode(e *encoder)
}

// Message is a parsed CEB business message, e.g. *CEB621Message.
type Message interface {
	node
	// MessageType is the root element name, e.g. "CEB621Message".
	MessageType() string
	spec() *typeSpec
	attr(i int) *string
}

func init() {
	seen := map[*typeSpec]bool{}
	for _, m := range messageSpecs {
		indexSpec(m.typ, seen)
	}
}

// indexSpec builds the name→field lookup of every type once at start-up.
func indexSpec(ts *typeSpec, seen map[*typeSpec]bool) {
	if seen[ts] {
		return
	}
	seen[ts] = true
	ts.index = make(map[string]int, len(ts.fields))
	for i := range ts.fields {
		ts.index[ts.fields[i].name] = i
		if t := ts.fields[i].typ; t != nil {
			indexSpec(t, seen)
		}
	}
}

// Family reports "import" or "export" for a message type ("" if unknown).
func Family(msgType string) string {
	if m, ok := messageSpecs[msgType]; ok {
		return m.family
	}
	return ""
}

// New returns an empty message of the given type, e.g. New("CEB621Message").
func New(msgType string) (Message, bool) {
	m, ok := messageSpecs[msgType]
	if !ok {
		return nil, false
	}
	return m.newMsg(), true
}

// MessageTypes lists every supported root element name.
func MessageTypes() []string {
	out := make([]string, 0, len(messageSpecs))
	for k := range messageSpecs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
