package money

import (
	"math"
	"math/big"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestPropFormatParseRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := FromFen(rapid.Int64().Draw(t, "fen"))
		got, err := ParseAmountWith(a.String(), ParseOptions{AllowNegative: true})
		if err != nil || got != a {
			t.Fatalf("parse(%s) = %v, %v", a, got, err)
		}
	})
}

func TestPropParseFormatRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		intg := rapid.StringMatching(`[1-9][0-9]{0,14}|0`).Draw(t, "int")
		frac := rapid.StringMatching(`[0-9]{0,2}`).Draw(t, "frac")
		s := intg
		if frac != "" {
			s += "." + frac
		}
		a, err := ParseAmount(s)
		if err != nil {
			t.Fatalf("ParseAmount(%q): %v", s, err)
		}
		want := intg + "." + frac + strings.Repeat("0", 2-len(frac))
		if a.String() != want {
			t.Fatalf("format(parse(%q)) = %s, want %s", s, a, want)
		}
		d, err := ParseDecimal(s)
		if err != nil || d.String() != s {
			t.Fatalf("ParseDecimal(%q) = %s, %v", s, d, err)
		}
		if d.Cmp(a.Decimal()) != 0 {
			t.Fatalf("decimal %s != amount %s", d, a)
		}
	})
}

func TestPropAddSubInverse(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := FromFen(rapid.Int64().Draw(t, "a"))
		b := FromFen(rapid.Int64().Draw(t, "b"))
		exact := new(big.Int).Add(big.NewInt(a.Fen()), big.NewInt(b.Fen()))
		s, err := a.Add(b)
		if !exact.IsInt64() {
			if err == nil {
				t.Fatalf("%s + %s: overflow not detected", a, b)
			}
			return
		}
		if err != nil || s.Fen() != exact.Int64() {
			t.Fatalf("%s + %s = %s, %v", a, b, s, err)
		}
		back, err := s.Sub(b)
		if err != nil || back != a {
			t.Fatalf("(%s + %s) - %s = %s, %v", a, b, b, back, err)
		}
	})
}

func TestPropRoundingBounds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		coeff := rapid.Int64Range(-1e15, 1e15).Draw(t, "coeff")
		exp := rapid.Int32Range(-8, 0).Draw(t, "exp")
		step := FromFen(rapid.SampledFrom([]int64{1, 5, 10, 100}).Draw(t, "step"))
		d := NewDecimal(coeff, exp)
		got, err := d.RoundHalfUp(step)
		if err != nil {
			t.Fatalf("round %s: %v", d, err)
		}
		if got.Fen()%step.Fen() != 0 {
			t.Fatalf("round %s to %s = %s: not a multiple", d, step, got)
		}
		diff, _ := got.Decimal().Sub(d)
		absDiff := diff
		if diff.Sign() < 0 {
			absDiff, _ = Decimal{}.Sub(diff)
		}
		half, _ := step.Decimal().Quo(DecimalFromInt(2))
		switch absDiff.Cmp(half) {
		case 1:
			t.Fatalf("round %s to %s = %s: off by %s", d, step, got, diff)
		case 0: // a tie must have gone away from zero
			if diff.Sign() != d.Sign() {
				t.Fatalf("round %s to %s = %s: tie not away from zero", d, step, got)
			}
		}
	})
}

func TestPropAllocate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		total := FromFen(rapid.Int64Range(0, math.MaxInt64).Draw(t, "total"))
		n := rapid.IntRange(1, 12).Draw(t, "n")
		weights := make([]Amount, n)
		for i := range weights {
			weights[i] = FromFen(rapid.Int64Range(0, 1e12).Draw(t, "w"))
		}
		shares, err := Allocate(total, weights)
		if err != nil {
			t.Fatal(err)
		}
		sum := new(big.Int)
		var wsum int64
		for i := range shares {
			sum.Add(sum, big.NewInt(shares[i].Fen()))
			wsum += weights[i].Fen()
		}
		if sum.Cmp(big.NewInt(total.Fen())) != 0 {
			t.Fatalf("shares %v sum to %s, want %s", shares, sum, total)
		}
		if wsum == 0 {
			return
		}
		for i, s := range shares {
			// |s − total×w/W| < 1 fen  ⇔  |s×W − total×w| < W
			exact := new(big.Int).Mul(big.NewInt(total.Fen()), big.NewInt(weights[i].Fen()))
			dev := new(big.Int).Sub(new(big.Int).Mul(big.NewInt(s.Fen()), big.NewInt(wsum)), exact)
			if dev.Abs(dev).Cmp(big.NewInt(wsum)) >= 0 {
				t.Fatalf("share %d = %s strays a fen or more from its proportion", i, s)
			}
		}
	})
}
