// Package trace holds quality and traceability (rules §10): the traceability
// service code (溯源服务码) each released piece gets, the life of each piece
// (released, exited the zone, returned) and its GS1 EPCIS 2.0 export, product
// recalls and holds, published risk warnings and policy notices, and online
// lab-test applications. Storage is reached through package store; the public
// pages live in package publicweb.
package trace

import (
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"time"
)

// Alphabet is the code's 31 symbols: digits and capital letters without 0, 1,
// I, L and O, which people confuse. 31 is prime, so the weighted check below
// catches every single wrong symbol and every swap of two neighbours.
const Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// Code layout: five symbols of the release minute, twelve random symbols
// (12 × log2 31 ≈ 59 bits) and one check symbol. The minute leads so that the
// codes of one minute sit side by side in the pieces' index: a release writes
// into the few pages the last minutes' codes fill, not into pages spread over
// the whole index, which stop fitting in memory as the index grows. Guessing
// stays hopeless: a minute in which a million pieces are released holds one
// code in 7.9 × 10¹¹ of its range. The minute is no secret: a code's page
// shows the release date anyway.
const (
	minuteLen = 5
	randomLen = 12
	bodyLen   = minuteLen + randomLen
	CodeLen   = bodyLen + 1
)

// codeEpoch is minute 0 of the codes' clock; five symbols count 31⁵ minutes,
// about 54 years, from it.
var codeEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// minuteSymbols writes the minute of at since codeEpoch in base 31, most
// significant symbol first, so codes sort by their minute. A time outside the
// clock's range takes its nearest end.
func minuteSymbols(dst []byte, at time.Time) {
	m := int64(at.Sub(codeEpoch) / time.Minute)
	limit := int64(1)
	for range minuteLen {
		limit *= int64(len(Alphabet))
	}
	m = max(0, min(m, limit-1))
	for i := minuteLen - 1; i >= 0; i-- {
		dst[i] = Alphabet[m%int64(len(Alphabet))]
		m /= int64(len(Alphabet))
	}
}

var symbolValue = func() [256]int8 {
	var v [256]int8
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(Alphabet); i++ {
		v[Alphabet[i]] = int8(i)
		v[Alphabet[i]|0x20] = int8(i) // lower case reads the same
	}
	return v
}()

// checkSymbol is Σ (i+2)·v_i mod 31 over the code's body: weights 2…18 are
// distinct and non-zero modulo 31.
func checkSymbol(body string) (byte, bool) {
	sum := 0
	for i := 0; i < len(body); i++ {
		v := symbolValue[body[i]]
		if v < 0 {
			return 0, false
		}
		sum += (i + 2) * int(v)
	}
	return Alphabet[sum%31], true
}

// NewCodes returns n fresh codes of pieces released at at, their random
// symbols read from r (crypto/rand when nil).
func NewCodes(r io.Reader, at time.Time, n int) ([]string, error) {
	random, err := Symbols(r, n*randomLen)
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	var code [CodeLen]byte
	minuteSymbols(code[:minuteLen], at)
	for i := range out {
		copy(code[minuteLen:bodyLen], random[i*randomLen:])
		code[bodyLen], _ = checkSymbol(string(code[:bodyLen]))
		out[i] = string(code[:])
	}
	return out, nil
}

// Symbols returns n symbols of the alphabet read from r (crypto/rand when
// nil), by rejection sampling so every symbol is uniform.
func Symbols(r io.Reader, n int) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	out := make([]byte, 0, n)
	buf := make([]byte, n*9/8+16)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("random source: %w", err)
		}
		for _, b := range buf {
			if b >= 248 { // 248 = 8 × 31: keep the sample uniform
				continue
			}
			out = append(out, Alphabet[b%31])
			if len(out) == n {
				break
			}
		}
	}
	return out, nil
}

// Verdict tells what a typed or scanned code is, before any lookup.
type Verdict int

// Code verdicts.
const (
	WellFormed Verdict = iota // right length, symbols and check: look it up
	Mistyped                  // right length and symbols, wrong check: a typo
	Malformed                 // wrong length or symbols
)

// Normalize drops spaces and dashes and upper-cases a code, so a code copied
// from a label in groups reads the same.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(CodeLen)
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 0x20)
		default:
			b.WriteRune(r)
		}
		if b.Len() > 64 {
			break
		}
	}
	return b.String()
}

// Check classifies a normalized code.
func Check(code string) Verdict {
	if len(code) != CodeLen {
		return Malformed
	}
	c, ok := checkSymbol(code[:bodyLen])
	if !ok || symbolValue[code[bodyLen]] < 0 {
		return Malformed
	}
	if c != code[bodyLen] {
		return Mistyped
	}
	return WellFormed
}

// Group formats a code in groups of six for labels: ABCDEF-GHJKMN-PQRSTU.
func Group(code string) string {
	if len(code) != CodeLen {
		return code
	}
	return code[:6] + "-" + code[6:12] + "-" + code[12:]
}

// GTIN14 pads a GTIN-8/12/13/14 to 14 digits, as GS1 Digital Link writes it;
// empty when g is not a GTIN with a right check digit.
func GTIN14(g string) string {
	switch len(g) {
	case 8, 12, 13, 14:
	default:
		return ""
	}
	sum := 0
	for i := 0; i < len(g); i++ {
		c := g[i]
		if c < '0' || c > '9' {
			return ""
		}
		// weights 3,1,3,… from the right, the check digit excluded
		if pos := len(g) - 1 - i; pos > 0 {
			w := 1
			if pos%2 == 1 {
				w = 3
			}
			sum += w * int(c-'0')
		}
	}
	if int(g[len(g)-1]-'0') != (10-sum%10)%10 {
		return ""
	}
	return strings.Repeat("0", 14-len(g)) + g
}

// LookupPath is the public page of a code: GS1 Digital Link form
// (/01/{gtin}/21/{serial}) when the GTIN is known, /t/{code} otherwise.
func LookupPath(code, gtin string) string {
	if g := GTIN14(gtin); g != "" {
		return "/01/" + g + "/21/" + code
	}
	return "/t/" + code
}
