package ceb

import (
	"strconv"
	"strings"
)

// minimalSignature is a schema-valid ds:Signature with placeholder values,
// enough for xmllint to accept messages whose XSD requires a signature.
const minimalSignature = `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
	`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>` +
	`<ds:SignatureMethod Algorithm="http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"/>` +
	`<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>` +
	`<ds:DigestMethod Algorithm="http://www.chinaport.gov.cn/2022/04/xmldsig#sm3"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference>` +
	`</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>`

// fillMessage returns a message of type msgType with every element present
// (repeated ones twice) and a valid value in every field, derived from the
// facets. Strings carry Chinese text and characters that need escaping.
func fillMessage(msgType string) Message {
	m, _ := New(msgType)
	ts := m.spec()
	*m.attr(0) = NewGuid()
	*m.attr(1) = "1.0"
	fillNode(m, ts)
	return m
}

func fillNode(n node, ts *typeSpec) {
	for i := range ts.fields {
		f := &ts.fields[i]
		reps := 1
		if f.max < 0 || f.max > 1 {
			reps = 2
		}
		for r := 0; r < reps; r++ {
			switch f.kind {
			case kindLeaf:
				*n.leaf(i) = fillValue(f, r)
			case kindComplex:
				fillNode(n.child(i), f.typ)
			case kindSignature:
				*n.leaf(i) = minimalSignature
				r = reps
			case kindAny:
				*n.leaf(i) = `<ext xmlns="urn:example">值 &amp; more</ext>`
				r = reps
			}
		}
	}
}

func fillValue(f *fieldSpec, rep int) string {
	switch {
	case f.hasFixed:
		return f.fixed
	case len(f.enum) > 0:
		return f.enum[0]
	case f.time == 8:
		return "20220501"
	case f.time == 14:
		return "20220501120000"
	case f.time == 17:
		return "20220501120000123"
	case f.base == baseDecimal:
		return "12.5"
	case f.base == baseInt:
		return strconv.Itoa(rep + 1)
	case f.name == "guid" && f.length == 36:
		return NewGuid()
	}
	n := 12
	switch {
	case f.length >= 0:
		n = f.length
	case f.maxLen >= 0 && f.maxLen < n:
		n = f.maxLen
	}
	if n < 3 {
		return strings.Repeat("A", n)
	}
	return "测&<" + strings.Repeat("a", n-3)
}
