// Package money holds exact money and decimal arithmetic for the platform.
//
// Amount is a CNY amount in integer fen (0.01 CNY): what documents carry,
// what is stored and what is compared. Decimal is an arbitrary-precision
// decimal for rates, quantities and intermediate tax math. The only way from
// a Decimal to an Amount is Decimal.RoundHalfUp, so there is exactly one
// place where rounding to money happens. Nothing here uses floating point.
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Errors returned (wrapped, with the offending input) by parsing and
// arithmetic, so callers can tell a typo from an out-of-range value.
var (
	ErrSyntax    = errors.New("not a decimal number")
	ErrPrecision = errors.New("too many fraction digits")
	ErrNegative  = errors.New("negative amount not allowed")
	ErrOverflow  = errors.New("out of range")
)

// fenPerYuan is the number of fen in one yuan.
const fenPerYuan = 100

// Amount is an exact CNY amount in fen. The zero value is 0.00 CNY. Amounts
// are comparable with == and usable as map keys.
type Amount struct {
	fen int64
}

// Zero is 0.00 CNY.
var Zero = Amount{}

// FromFen returns the amount of fen fen.
func FromFen(fen int64) Amount { return Amount{fen: fen} }

// FromYuan returns a whole-yuan amount, or ErrOverflow.
func FromYuan(yuan int64) (Amount, error) {
	if yuan > math.MaxInt64/fenPerYuan || yuan < math.MinInt64/fenPerYuan {
		return Zero, fmt.Errorf("%d yuan: %w", yuan, ErrOverflow)
	}
	return Amount{fen: yuan * fenPerYuan}, nil
}

// Fen returns the amount in fen.
func (a Amount) Fen() int64 { return a.fen }

// IsZero reports whether a is 0.00.
func (a Amount) IsZero() bool { return a.fen == 0 }

// IsNegative reports whether a is below zero.
func (a Amount) IsNegative() bool { return a.fen < 0 }

// Cmp returns -1, 0 or +1 as a is less than, equal to or greater than b.
func (a Amount) Cmp(b Amount) int {
	switch {
	case a.fen < b.fen:
		return -1
	case a.fen > b.fen:
		return 1
	}
	return 0
}

// Add returns a+b, or ErrOverflow when the sum leaves the int64 fen range.
func (a Amount) Add(b Amount) (Amount, error) {
	s := a.fen + b.fen
	// Overflow happened iff both operands have the same sign and the sum's
	// sign differs from it.
	if (a.fen >= 0) == (b.fen >= 0) && (s >= 0) != (a.fen >= 0) {
		return Zero, fmt.Errorf("%s + %s: %w", a, b, ErrOverflow)
	}
	return Amount{fen: s}, nil
}

// Sub returns a−b, or ErrOverflow.
func (a Amount) Sub(b Amount) (Amount, error) {
	d := a.fen - b.fen
	if (a.fen >= 0) != (b.fen >= 0) && (d >= 0) != (a.fen >= 0) {
		return Zero, fmt.Errorf("%s - %s: %w", a, b, ErrOverflow)
	}
	return Amount{fen: d}, nil
}

// Sum adds amounts, or returns ErrOverflow.
func Sum(amounts ...Amount) (Amount, error) {
	total := Zero
	for _, a := range amounts {
		var err error
		if total, err = total.Add(a); err != nil {
			return Zero, err
		}
	}
	return total, nil
}

// String formats a with exactly two fraction digits: "1234.50", "-0.01".
func (a Amount) String() string {
	// Work on the magnitude as uint64 so math.MinInt64 formats correctly.
	neg := a.fen < 0
	mag := uint64(a.fen)
	if neg {
		mag = -mag
	}
	s := strconv.FormatUint(mag/fenPerYuan, 10) + "." + fmt.Sprintf("%02d", mag%fenPerYuan)
	if neg {
		return "-" + s
	}
	return s
}

// ParseOptions relaxes the strict amount grammar.
type ParseOptions struct {
	// AllowNegative accepts a leading '-'.
	AllowNegative bool
	// Round accepts more than two fraction digits and rounds half-up to fen
	// (through Decimal.RoundHalfUp, the package's single rounding point).
	Round bool
}

// ParseAmount parses a non-negative decimal amount with at most two fraction
// digits: "1234", "1234.5", "1234.50", "0.01". Signs, exponents, spaces,
// thousands separators, NaN and Infinity are refused with an error naming
// the problem.
func ParseAmount(s string) (Amount, error) {
	return ParseAmountWith(s, ParseOptions{})
}

// ParseAmountWith parses an amount under opts; see ParseAmount.
func ParseAmountWith(s string, opts ParseOptions) (Amount, error) {
	n, err := scanDecimal(s)
	if err != nil {
		return Zero, fmt.Errorf("amount %q: %w", s, err)
	}
	if n.neg && !opts.AllowNegative {
		return Zero, fmt.Errorf("amount %q: %w", s, ErrNegative)
	}
	if len(n.frac) > 2 {
		if !opts.Round {
			return Zero, fmt.Errorf("amount %q: %w: %d, at most 2 allowed", s, ErrPrecision, len(n.frac))
		}
		d, err := ParseDecimal(s)
		if err != nil {
			return Zero, fmt.Errorf("amount %q: %w", s, err)
		}
		return d.RoundHalfUp(Fen)
	}
	fen, err := n.fen()
	if err != nil {
		return Zero, fmt.Errorf("amount %q: %w", s, err)
	}
	return Amount{fen: fen}, nil
}

// scanned is a syntactically valid decimal literal split into its parts.
type scanned struct {
	neg  bool
	intg string // integer digits, at least one
	frac string // fraction digits, possibly empty
}

// scanDecimal checks the grammar  ['-'] digit+ ['.' digit+]  and names the
// first thing that breaks it.
func scanDecimal(s string) (scanned, error) {
	if s == "" {
		return scanned{}, fmt.Errorf("%w: empty", ErrSyntax)
	}
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "nan", "inf", "infinity", "snan":
		return scanned{}, fmt.Errorf("%w: NaN and Infinity are not amounts", ErrSyntax)
	}
	var n scanned
	rest := s
	switch rest[0] {
	case '-':
		n.neg = true
		rest = rest[1:]
	case '+':
		return scanned{}, fmt.Errorf("%w: explicit '+' sign", ErrSyntax)
	}
	intg, frac, hasDot := strings.Cut(rest, ".")
	if err := checkDigits(intg, "integer part"); err != nil {
		return scanned{}, err
	}
	if hasDot {
		if err := checkDigits(frac, "fraction part"); err != nil {
			return scanned{}, err
		}
	}
	n.intg, n.frac = intg, frac
	return n, nil
}

// checkDigits requires part to be a non-empty run of ASCII digits.
func checkDigits(part, what string) error {
	if part == "" {
		return fmt.Errorf("%w: empty %s", ErrSyntax, what)
	}
	for i := 0; i < len(part); i++ {
		c := part[i]
		if c >= '0' && c <= '9' {
			continue
		}
		switch c {
		case 'e', 'E':
			return fmt.Errorf("%w: exponent notation", ErrSyntax)
		case ',':
			return fmt.Errorf("%w: thousands separator", ErrSyntax)
		case ' ', '\t', '\n', '\r':
			return fmt.Errorf("%w: white space", ErrSyntax)
		case '.':
			return fmt.Errorf("%w: more than one decimal point", ErrSyntax)
		case '-', '+':
			return fmt.Errorf("%w: sign inside the number", ErrSyntax)
		}
		return fmt.Errorf("%w: unexpected character %q in %s", ErrSyntax, c, what)
	}
	return nil
}

// fen converts a scanned literal with at most two fraction digits to fen,
// detecting int64 overflow.
func (n scanned) fen() (int64, error) {
	digits := n.intg + n.frac + strings.Repeat("0", 2-len(n.frac))
	var mag uint64
	for i := 0; i < len(digits); i++ {
		d := uint64(digits[i] - '0')
		if mag > (math.MaxUint64-d)/10 {
			return 0, ErrOverflow
		}
		mag = mag*10 + d
	}
	if n.neg {
		if mag > uint64(math.MaxInt64)+1 {
			return 0, ErrOverflow
		}
		return int64(-mag), nil
	}
	if mag > math.MaxInt64 {
		return 0, ErrOverflow
	}
	return int64(mag), nil
}

// MarshalJSON encodes a as a JSON string, "1234.50", as the contract's
// amounts are decimal strings (a JSON number would invite float parsing on
// the other side).
func (a Amount) MarshalJSON() ([]byte, error) {
	return json.Marshal(a.String())
}

// UnmarshalJSON accepts a decimal string ("12.50") or, for lenient clients, a
// bare JSON number token (12.5) read from its text, never through float64.
// Negative values are accepted; more than two fraction digits are not.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil // encoding/json convention: null leaves the value alone
	}
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("amount: %w", err)
		}
	}
	v, err := ParseAmountWith(s, ParseOptions{AllowNegative: true})
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// MarshalText encodes a as "1234.50" (for XML and CSV).
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses a signed amount with at most two fraction digits.
func (a *Amount) UnmarshalText(b []byte) error {
	v, err := ParseAmountWith(string(b), ParseOptions{AllowNegative: true})
	if err != nil {
		return err
	}
	*a = v
	return nil
}
