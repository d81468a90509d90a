package ceb

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkValue applies the facets of a simple element to its value and
// records every violation. optional says the element may be absent: an
// empty optional value is then only checked against the schema facets.
func (d *decoder) checkValue(f *facets, leaf, v string, optional bool) {
	w := v
	if f.collapse {
		w = collapse(v)
	}
	if f.hasFixed && w != f.fixed {
		d.add(Problem{Code: CodeFixed, Value: clip(v), Rule: "fixed value " + f.fixed,
			Message: leaf + " must be " + strconv.Quote(f.fixed) + ", not " + strconv.Quote(clip(v))}, leaf)
	}
	switch f.base {
	case baseString:
		d.checkLength(f, leaf, v, w)
	case baseDecimal:
		if why := checkDecimal(w, f.totalDigits, f.fractionDigits); why != "" {
			d.add(Problem{Code: CodeDigits, Value: clip(v), Rule: decimalRule(f), Message: leaf + " " + why}, leaf)
		}
	case baseInt:
		if why := checkInt(w, f.totalDigits); why != "" {
			d.add(Problem{Code: CodeDigits, Value: clip(v), Rule: intRule(f), Message: leaf + " " + why}, leaf)
		}
	}
	if f.time > 0 && len(w) == f.time {
		if why := checkTime(w); why != "" {
			d.add(Problem{Code: CodeDateTime, Value: v, Rule: timeRule(f.time), Message: leaf + " " + why}, leaf)
		}
	}
	if len(f.enum) > 0 && !(optional && w == "") && !inList(f.enum, w) {
		sev := Error
		if f.enumWarn {
			sev = Warning
		}
		d.add(Problem{Code: CodeEnum, Severity: sev, Value: clip(v), Rule: "one of " + strings.Join(f.enum, ", "),
			Message: leaf + " " + strconv.Quote(clip(v)) + " is not one of " + strings.Join(f.enum, ", ")}, leaf)
	}
}

func (d *decoder) checkLength(f *facets, leaf, v, w string) {
	if f.length < 0 && f.minLen < 0 && f.maxLen < 0 {
		return
	}
	n := len(w)
	if n > 0 && hasMultibyte(w) {
		n = utf8.RuneCountInString(w)
	}
	var rule string
	switch {
	case f.length >= 0 && n != f.length:
		rule = "exactly " + strconv.Itoa(f.length) + " characters"
		if f.time > 0 {
			rule += " (" + timeRule(f.time) + ")"
		}
	case f.minLen >= 0 && n < f.minLen:
		rule = "at least " + strconv.Itoa(f.minLen) + " characters"
		if f.maxLen >= 0 {
			rule = strconv.Itoa(f.minLen) + " to " + strconv.Itoa(f.maxLen) + " characters"
		}
	case f.maxLen >= 0 && n > f.maxLen:
		rule = "at most " + strconv.Itoa(f.maxLen) + " characters"
		if f.minLen > 0 {
			rule = strconv.Itoa(f.minLen) + " to " + strconv.Itoa(f.maxLen) + " characters"
		}
	default:
		return
	}
	d.add(Problem{Code: CodeLength, Value: clip(v), Rule: rule,
		Message: leaf + " has " + strconv.Itoa(n) + " characters, must have " + rule}, leaf)
}

func hasMultibyte(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// collapse applies xs:whiteSpace="collapse" (numbers always collapse).
func collapse(v string) string {
	clean := true
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\t' || c == '\n' || c == '\r' || (c == ' ' && (i == 0 || i == len(v)-1 || v[i+1] == ' ')) {
			clean = false
			break
		}
	}
	if clean {
		return v
	}
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, v)), " ")
}

// checkDecimal checks the xs:decimal lexical form and the digit facets. The
// total counts significant digits as XSD does: leading integer zeros and
// trailing fraction zeros do not count. Surrounding whitespace, which XSD
// would collapse, is refused: libxml2 rejects it for xs:int and no sender
// needs it.
func checkDecimal(v string, total, frac int) string {
	if v != strings.TrimSpace(v) && strings.TrimSpace(v) != "" {
		return "has surrounding whitespace (numbers are written without)"
	}
	s := v
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	intPart, fracPart := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, fracPart = s[:i], s[i+1:]
	}
	if (intPart == "" && fracPart == "") || !allDigits(intPart) || !allDigits(fracPart) {
		return "is not a decimal number"
	}
	intPart = strings.TrimLeft(intPart, "0")
	fracPart = strings.TrimRight(fracPart, "0")
	if frac > 0 && len(fracPart) > frac {
		return "has " + strconv.Itoa(len(fracPart)) + " digits after the decimal point, at most " + strconv.Itoa(frac) + " allowed"
	}
	if total > 0 && len(intPart)+len(fracPart) > total {
		return "has " + strconv.Itoa(len(intPart)+len(fracPart)) + " digits, at most " + strconv.Itoa(total) + " allowed"
	}
	return ""
}

func checkInt(v string, total int) string {
	if v != strings.TrimSpace(v) && strings.TrimSpace(v) != "" {
		return "has surrounding whitespace (numbers are written without)"
	}
	s := v
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" || !allDigits(s) {
		return "is not an integer"
	}
	if _, err := strconv.ParseInt(v, 10, 32); err != nil {
		return "is out of the xs:int range"
	}
	if d := strings.TrimLeft(s, "0"); total > 0 && len(d) > total {
		return "has " + strconv.Itoa(len(d)) + " digits, at most " + strconv.Itoa(total) + " allowed"
	}
	return ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkTime checks a YYYYMMDD, YYYYMMDDhhmmss or YYYYMMDDhhmmssSSS value.
func checkTime(v string) string {
	if !allDigits(v) {
		return "must be digits only"
	}
	num := func(i, n int) int { x, _ := strconv.Atoi(v[i : i+n]); return x }
	y, m, day := num(0, 4), num(4, 2), num(6, 2)
	if m < 1 || m > 12 {
		return "has month " + v[4:6]
	}
	if day < 1 || day > daysIn(y, m) {
		return "has day " + v[6:8] + " not in month " + v[4:6]
	}
	if len(v) >= 14 {
		if num(8, 2) > 23 || num(10, 2) > 59 || num(12, 2) > 59 {
			return "has an invalid time of day " + v[8:14]
		}
	}
	return ""
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func timeRule(n int) string {
	switch n {
	case 8:
		return "date YYYYMMDD"
	case 14:
		return "time YYYYMMDDhhmmss"
	}
	return "time YYYYMMDDhhmmssSSS"
}

func decimalRule(f *facets) string {
	return "decimal N" + strconv.Itoa(f.totalDigits) + "," + strconv.Itoa(f.fractionDigits) +
		" (at most " + strconv.Itoa(f.totalDigits) + " digits, " + strconv.Itoa(f.fractionDigits) + " after the point)"
}

func intRule(f *facets) string {
	if f.totalDigits > 0 {
		return "integer of at most " + strconv.Itoa(f.totalDigits) + " digits"
	}
	return "integer (xs:int)"
}

func inList(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// checkGuid warns when a 36-character guid is not an upper-case UUID (the
// spec's intent); the XSD checks the length only.
func (d *decoder) checkGuid(leaf, v string) {
	if len(v) != 36 || isUpperUUID(v) {
		return
	}
	d.add(Problem{Code: CodeGuid, Severity: Warning, Value: v, Rule: "upper-case UUID, 8-4-4-4-12 hex digits",
		Message: leaf + " " + strconv.Quote(v) + " is not an upper-case UUID"}, leafOrEmpty(leaf))
}

func leafOrEmpty(leaf string) string {
	if strings.HasPrefix(leaf, "@") {
		return ""
	}
	return leaf
}

func isUpperUUID(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
