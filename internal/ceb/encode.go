package ceb

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// encoder appends XML to buf. It writes elements in the order the generated
// encode methods call it, which is the schema order.
type encoder struct {
	buf    []byte
	prefix string // "ceb:" or "" (default namespace)
	err    error
}

func (e *encoder) open(name string) {
	e.buf = append(e.buf, '<')
	e.buf = append(e.buf, e.prefix...)
	e.buf = append(e.buf, name...)
	e.buf = append(e.buf, '>')
}

func (e *encoder) close(name string) {
	e.buf = append(e.buf, "</"...)
	e.buf = append(e.buf, e.prefix...)
	e.buf = append(e.buf, name...)
	e.buf = append(e.buf, '>')
}

// leaf writes a simple element; an empty optional value is left out.
func (e *encoder) leaf(name, v string, required bool) {
	if v == "" && !required {
		return
	}
	e.open(name)
	e.text(name, v, false)
	e.close(name)
}

// raw appends XML kept verbatim from a parsed message (ds:Signature).
func (e *encoder) raw(s string) { e.buf = append(e.buf, s...) }

// anyElem writes an element whose content is raw XML (xs:any).
func (e *encoder) anyElem(name, inner string) {
	e.open(name)
	e.buf = append(e.buf, inner...)
	e.close(name)
}

// text escapes v as character data (or an attribute value). Carriage
// returns and, in attributes, tabs and newlines are written as character
// references so that a parser gives back exactly v.
func (e *encoder) text(name, v string, attr bool) {
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		var esc string
		switch c {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '\r':
			esc = "&#13;"
		case '"':
			if attr {
				esc = "&quot;"
			}
		case '\n':
			if attr {
				esc = "&#10;"
			}
		case '\t':
			if attr {
				esc = "&#9;"
			}
		default:
			if c < 0x20 && e.err == nil {
				e.err = fmt.Errorf("ceb encode: %s contains control character %#x, not allowed in XML", name, c)
			}
		}
		if esc != "" {
			e.buf = append(e.buf, v[start:i]...)
			e.buf = append(e.buf, esc...)
			start = i + 1
		}
	}
	e.buf = append(e.buf, v[start:]...)
	if e.err == nil && !utf8.ValidString(v) {
		e.err = fmt.Errorf("ceb encode: %s is not valid UTF-8", name)
	}
}

// Marshal writes m as XML without validating it. Declarations (messages an
// enterprise sends) use the ceb: prefix; receipts and other messages written
// by customs use the default namespace, as customs does.
func Marshal(m Message) ([]byte, error) {
	ms, ok := messageSpecs[m.MessageType()]
	if !ok {
		return nil, fmt.Errorf("ceb marshal: unknown message type %q", m.MessageType())
	}
	e := &encoder{buf: make([]byte, 0, 4096)}
	if !ms.customs {
		e.prefix = "ceb:"
	}
	name := m.MessageType()
	if ms.customs {
		e.buf = append(e.buf, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"...)
	} else {
		e.buf = append(e.buf, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"...)
	}
	e.buf = append(e.buf, '<')
	e.buf = append(e.buf, e.prefix...)
	e.buf = append(e.buf, name...)
	ts := m.spec()
	for i := range ts.attrs {
		e.buf = append(e.buf, ' ')
		e.buf = append(e.buf, ts.attrs[i].name...)
		e.buf = append(e.buf, `="`...)
		e.text("@"+ts.attrs[i].name, *m.attr(i), true)
		e.buf = append(e.buf, '"')
	}
	if ms.customs {
		e.buf = append(e.buf, ` xmlns="`+nsCEB+`"`...)
	} else {
		e.buf = append(e.buf, ` xmlns:ceb="`+nsCEB+`"`...)
	}
	if p := signaturePrefixNeeded(m, ts); p != "" {
		e.buf = append(e.buf, ` xmlns:`+p+`="`+nsDSig+`"`...)
	}
	e.buf = append(e.buf, '>')
	m.encode(e)
	e.close(name)
	if e.err != nil {
		return nil, e.err
	}
	return e.buf, nil
}

// signaturePrefixNeeded returns the prefix of a kept ds:Signature when the
// signature relied on a declaration of an ancestor, so the root must declare it.
func signaturePrefixNeeded(m Message, ts *typeSpec) string {
	for i := range ts.fields {
		if ts.fields[i].kind != kindSignature {
			continue
		}
		sig := m.get(i)
		if len(sig) < 2 || sig[0] != '<' {
			return ""
		}
		end := strings.IndexByte(sig, '>')
		colon := strings.IndexByte(sig, ':')
		if end < 0 || colon < 0 || colon > end {
			return ""
		}
		p := sig[1:colon]
		if strings.Contains(sig[:end], "xmlns:"+p+"=") {
			return ""
		}
		return p
	}
	return ""
}

// Encode writes m as XML after validating it: it returns a
// *ValidationError listing the problems if the result would not be a valid
// message. A missing ds:Signature is not an error here, since signing
// happens after encoding. Missing required elements are refused even where
// Decode only warns (lenient reading, strict writing); advisory code-list
// warnings (CEB-ENUM warnings, CEB-GUID, CEB-VERSION) do not block.
func Encode(m Message) ([]byte, error) {
	out, err := Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("ceb encode %s: %w", m.MessageType(), err)
	}
	probs, err := validateBytes(out)
	if err != nil {
		return nil, fmt.Errorf("ceb encode %s: %w", m.MessageType(), err)
	}
	var bad []Problem
	for _, p := range probs {
		if p.Code == CodeRequired && p.Path == "Signature" {
			continue
		}
		if p.Severity == Error || p.Code == CodeRequired {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		return nil, &ValidationError{Op: "encode " + m.MessageType(), Problems: bad}
	}
	return out, nil
}

// Validate checks a message built in code against the schema and the spec
// rules, as Decode would check it on arrival.
func Validate(m Message) []Problem {
	out, err := Marshal(m)
	if err != nil {
		return []Problem{{Code: CodeEncoding, Rule: "values are valid XML characters", Message: err.Error()}}
	}
	probs, err := validateBytes(out)
	if err != nil {
		if ve, ok := err.(*ValidationError); ok {
			return ve.Problems
		}
		return []Problem{{Code: CodeSyntax, Message: err.Error()}}
	}
	return probs
}

func validateBytes(b []byte) ([]Problem, error) {
	d, err := Decode(b, WithMaxSize(len(b)+1))
	if err != nil {
		return nil, err
	}
	return d.Problems, nil
}
