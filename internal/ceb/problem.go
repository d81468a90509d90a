package ceb

import (
	"fmt"
	"strings"
)

// Severity tells whether a problem rejects the message (Error) or is only
// reported (Warning: tolerated deviations of real senders from the spec).
type Severity uint8

const (
	// Error marks a message that does not conform to the schema or spec.
	Error Severity = iota
	// Warning marks a tolerated deviation; the message is still accepted.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Problem codes. They are stable: other packages and enterprises key on them.
// docs/ceb.md explains each one and how to fix it.
const (
	CodeSyntax    = "CEB-SYNTAX"    // not well-formed XML
	CodeDoctype   = "CEB-DOCTYPE"   // a DOCTYPE (DTD) is present
	CodeEncoding  = "CEB-ENCODING"  // unsupported encoding or bytes invalid in it
	CodeTooLarge  = "CEB-TOOLARGE"  // input larger than the size limit
	CodeTooDeep   = "CEB-TOODEEP"   // nesting deeper than the depth limit
	CodeRoot      = "CEB-ROOT"      // root element is not a known message
	CodeNamespace = "CEB-NAMESPACE" // element outside the ceb namespace
	CodeRequired  = "CEB-REQUIRED"  // required element or attribute missing
	CodeLength    = "CEB-LENGTH"    // too short / too long / not the exact length
	CodeEnum      = "CEB-ENUM"      // value not in the spec's code list
	CodeDigits    = "CEB-DIGITS"    // not a number, or too many (decimal) digits
	CodeDateTime  = "CEB-DATETIME"  // not a valid YYYYMMDD[hhmmss[SSS]] time
	CodeFixed     = "CEB-FIXED"     // differs from the schema's fixed value
	CodeCount     = "CEB-COUNT"     // element repeated more often than allowed
	CodeOrder     = "CEB-ORDER"     // element out of schema order
	CodeUnknown   = "CEB-UNKNOWN"   // element or attribute not in the schema
	CodeContent   = "CEB-CONTENT"   // text inside a structure, or elements inside a value
	CodeGuid      = "CEB-GUID"      // 36 characters but not an upper-case UUID
	CodeVersion   = "CEB-VERSION"   // message version other than 1.0
	CodeEnvelope  = "CEB-ENVELOPE"  // DxpMsg envelope problem (bad Data, ver…)
	CodeTooMany   = "CEB-TOOMANY"   // problem list truncated
)

// Problem is one finding about a message. Path is 1-based and rooted below
// the message element, e.g. "Inventory[2]/InventoryList[3]/qty"; attributes
// of the root are "@guid"; Line is the 1-based line in the (UTF-8) input.
type Problem struct {
	Code     string
	Severity Severity
	Path     string
	Value    string
	Rule     string
	Message  string
	Line     int
}

func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", p.Severity, p.Code)
	if p.Path != "" {
		fmt.Fprintf(&b, " at %s", p.Path)
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", p.Line)
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError is returned by Decode for input that cannot be parsed at
// all and by Encode for a message that does not validate. It lists every
// problem found.
type ValidationError struct {
	Op       string // "decode" or "encode"
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("ceb ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	n := 0
	for _, p := range e.Problems {
		if p.Severity != Error {
			continue
		}
		if n > 0 {
			b.WriteString("; ")
		}
		if n == 5 {
			fmt.Fprintf(&b, "and %d more", countErrors(e.Problems)-5)
			break
		}
		b.WriteString(p.String())
		n++
	}
	if n == 0 {
		b.WriteString("invalid message")
	}
	return b.String()
}

func countErrors(ps []Problem) int {
	n := 0
	for _, p := range ps {
		if p.Severity == Error {
			n++
		}
	}
	return n
}

// HasErrors reports whether any problem has Error severity.
func HasErrors(ps []Problem) bool { return countErrors(ps) > 0 }
