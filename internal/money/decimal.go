package money

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// Precision is the number of significant digits kept by Decimal arithmetic
// (IEEE 754 decimal128). Amounts up to 10^17 CNY with rates like 1/0.85 keep
// more than 15 digits below the fen, so intermediate rounding can never move
// a result across a half-fen boundary in practice.
const Precision = 34

// ctx is the one arithmetic context: fixed precision, half-up wherever a
// digit has to go, and traps on everything except ordinary rounding, so a
// division by zero or an exponent overflow is an error, never a NaN.
var ctx = apd.Context{
	Precision:   Precision,
	MaxExponent: apd.MaxExponent,
	MinExponent: apd.MinExponent,
	Traps:       apd.DefaultTraps,
	Rounding:    apd.RoundHalfUp,
}

// ErrDivisionByZero is returned by Quo when the divisor is zero.
var ErrDivisionByZero = errors.New("division by zero")

// Decimal is an immutable exact decimal. The zero value is 0. Operations
// return new values and never modify their operands, so Decimals may be
// copied and shared freely.
type Decimal struct {
	d apd.Decimal
}

// NewDecimal returns coeff × 10^exp, e.g. NewDecimal(7, -1) is 0.7.
func NewDecimal(coeff int64, exp int32) Decimal {
	var r Decimal
	r.d.SetFinite(coeff, exp)
	return r
}

// DecimalFromInt returns the integer n as a Decimal.
func DecimalFromInt(n int64) Decimal { return NewDecimal(n, 0) }

// Decimal returns a as a Decimal number of yuan (exact).
func (a Amount) Decimal() Decimal { return NewDecimal(a.fen, -2) }

// ParseDecimal parses ['-'] digit+ ['.' digit+] exactly, keeping trailing
// zeros' scale ("12.34000" as read from a CEB N19,5 field). Exponents, NaN,
// Infinity, '+' and white space are refused, as are literals with more
// digits than Precision, which could not be held exactly.
func ParseDecimal(s string) (Decimal, error) {
	n, err := scanDecimal(s)
	if err != nil {
		return Decimal{}, fmt.Errorf("decimal %q: %w", s, err)
	}
	// Leading zeros are not significant: "0.0013" holds 2 digits.
	if digits := len(strings.TrimLeft(n.intg+n.frac, "0")); digits > Precision {
		return Decimal{}, fmt.Errorf("decimal %q: %w: %d significant digits, at most %d", s, ErrOverflow, digits, Precision)
	}
	var r Decimal
	if _, _, err := r.d.SetString(s); err != nil {
		return Decimal{}, fmt.Errorf("decimal %q: %w", s, err)
	}
	return r, nil
}

// String formats d in plain notation, never with an exponent: "0.13",
// "12.34000", "1500".
func (d Decimal) String() string { return d.d.Text('f') }

// Cmp returns -1, 0 or +1 as d is less than, equal to or greater than x,
// regardless of scale (1.0 equals 1.00).
func (d Decimal) Cmp(x Decimal) int { return d.d.Cmp(&x.d) }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int { return d.d.Sign() }

// IsZero reports whether d is zero.
func (d Decimal) IsZero() bool { return d.d.IsZero() }

// Add returns d+x.
func (d Decimal) Add(x Decimal) (Decimal, error) {
	return d.op("+", x, ctx.Add)
}

// Sub returns d−x.
func (d Decimal) Sub(x Decimal) (Decimal, error) {
	return d.op("-", x, ctx.Sub)
}

// Mul returns d×x, rounded half-up to Precision digits if longer.
func (d Decimal) Mul(x Decimal) (Decimal, error) {
	return d.op("*", x, ctx.Mul)
}

// Quo returns d÷x, rounded half-up to Precision digits, or
// ErrDivisionByZero.
func (d Decimal) Quo(x Decimal) (Decimal, error) {
	if x.IsZero() {
		return Decimal{}, fmt.Errorf("%s / 0: %w", d, ErrDivisionByZero)
	}
	return d.op("/", x, ctx.Quo)
}

// op runs one apd operation into a fresh result.
func (d Decimal) op(sym string, x Decimal, f func(r, a, b *apd.Decimal) (apd.Condition, error)) (Decimal, error) {
	var r Decimal
	if _, err := f(&r.d, &d.d, &x.d); err != nil {
		return Decimal{}, fmt.Errorf("%s %s %s: %w", d, sym, x, err)
	}
	return r, nil
}

// Fen is the finest rounding step, 0.01 CNY, and the default.
var Fen = FromFen(1)

// RoundHalfUp rounds d to a multiple of step half-up (四舍五入: ties go
// away from zero) and returns it as an Amount. It is the package's single
// rounding point from exact decimals to money. step must be positive: Fen
// (0.01) by default, FromFen(10) for 0.1, FromFen(100) for whole yuan.
func (d Decimal) RoundHalfUp(step Amount) (Amount, error) {
	if step.fen <= 0 {
		return Zero, fmt.Errorf("round %s to step %s: step must be positive", d, step)
	}
	if exp, ok := powerOfTenExp(step.fen); ok {
		// 0.01, 0.1, 1, 10 … CNY: round at that decimal place directly.
		return d.quantizeToFen(exp, step)
	}
	// Other steps (0.05 …): count steps, d / step, and round that.
	steps, err := d.Quo(step.Decimal())
	if err != nil {
		return Zero, fmt.Errorf("round %s to step %s: %w", d, step, err)
	}
	var whole apd.Decimal
	if _, err := ctx.Quantize(&whole, &steps.d, 0); err != nil {
		return Zero, fmt.Errorf("round %s to step %s: %w", d, step, ErrOverflow)
	}
	n, err := whole.Int64()
	if err != nil {
		return Zero, fmt.Errorf("round %s to step %s: %w", d, step, ErrOverflow)
	}
	if n != 0 && (n*step.fen/step.fen != n) {
		return Zero, fmt.Errorf("round %s to step %s: %w", d, step, ErrOverflow)
	}
	return Amount{fen: n * step.fen}, nil
}

// powerOfTenExp returns e when fen is 10^(e+2), i.e. the step is 10^e CNY.
func powerOfTenExp(fen int64) (int32, bool) {
	exp := int32(-2)
	for ; fen > 1 && fen%10 == 0; fen /= 10 {
		exp++
	}
	return exp, fen == 1
}

// quantizeToFen rounds d half-up to exponent exp (-2 for fen) and returns
// the result as an Amount.
func (d Decimal) quantizeToFen(exp int32, step Amount) (Amount, error) {
	var q apd.Decimal
	if _, err := ctx.Quantize(&q, &d.d, exp); err != nil {
		return Zero, fmt.Errorf("round %s to step %s: %w", d, step, ErrOverflow)
	}
	// q is a whole number of steps at exponent exp; shifting the exponent
	// by two reads it in fen, an integer because exp ≥ −2.
	q.Exponent += 2
	n, err := q.Int64()
	if err != nil {
		return Zero, fmt.Errorf("round %s to step %s: %w", d, step, ErrOverflow)
	}
	return Amount{fen: n}, nil
}

// MarshalText encodes d in plain notation.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses d with ParseDecimal's strict grammar.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
