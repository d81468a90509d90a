package money

import (
	"errors"
	"math"
	"testing"
)

func mustDec(t *testing.T, s string) Decimal {
	t.Helper()
	d, err := ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParseDecimal(t *testing.T) {
	good := map[string]string{
		"12.34000":                           "12.34000", // CEB N19,5 keeps its scale
		"0.13":                               "0.13",
		"-0.5":                               "-0.5",
		"1500":                               "1500",
		"0.000001":                           "0.000001",
		"1234567890123456789012345678901234": "1234567890123456789012345678901234",
		"0.0001234567890123456789012345678901234": "0.0001234567890123456789012345678901234",
	}
	for in, want := range good {
		d, err := ParseDecimal(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseDecimal(%q) = %s, %v; want %s", in, d, err, want)
		}
	}
	bad := map[string]error{
		"1e5": ErrSyntax, "NaN": ErrSyntax, "inf": ErrSyntax, "+1": ErrSyntax, "": ErrSyntax,
		"1.": ErrSyntax, " 1": ErrSyntax, "0x10": ErrSyntax,
		"12345678901234567890123456789012345": ErrOverflow,
	}
	for in, want := range bad {
		if _, err := ParseDecimal(in); !errors.Is(err, want) {
			t.Errorf("ParseDecimal(%q) error = %v, want %v", in, err, want)
		}
	}
}

func TestDecimalArithmetic(t *testing.T) {
	a, b := mustDec(t, "12.34000"), mustDec(t, "0.66")
	if s, _ := a.Add(b); s.Cmp(DecimalFromInt(13)) != 0 {
		t.Errorf("add = %s", s)
	}
	if s, _ := a.Sub(b); s.String() != "11.68000" {
		t.Errorf("sub = %s", s)
	}
	if p, _ := a.Mul(b); p.String() != "8.1444000" {
		t.Errorf("mul = %s", p)
	}
	q, err := DecimalFromInt(1).Quo(DecimalFromInt(3))
	if err != nil || q.String() != "0.3333333333333333333333333333333333" {
		t.Errorf("quo = %s, %v (want 34 significant digits)", q, err)
	}
	if _, err := a.Quo(Decimal{}); !errors.Is(err, ErrDivisionByZero) {
		t.Errorf("quo by zero: %v", err)
	}
	if NewDecimal(7, -1).String() != "0.7" || !(Decimal{}).IsZero() || NewDecimal(-3, 0).Sign() != -1 {
		t.Error("constructors")
	}
	if FromFen(123450).Decimal().String() != "1234.50" {
		t.Error("Amount.Decimal")
	}
}

func TestRoundHalfUp(t *testing.T) {
	tests := []struct {
		in      string
		step    Amount
		wantFen int64
	}{
		{"37.31", Fen, 3731},
		{"37.3100", Fen, 3731},
		{"0.005", Fen, 1}, // tie rounds up
		{"0.00499999", Fen, 0},
		{"-0.005", Fen, -1}, // ties go away from zero
		{"123.5294117647", Fen, 12353},
		{"123.55", FromFen(10), 12360},
		{"123.54", FromFen(10), 12350},
		{"123.50", FromFen(100), 12400},
		{"123.49", FromFen(100), 12300},
		{"0.024", FromFen(5), 0},
		{"0.025", FromFen(5), 5},
		{"0", Fen, 0},
	}
	for _, tt := range tests {
		got, err := mustDec(t, tt.in).RoundHalfUp(tt.step)
		if err != nil || got.Fen() != tt.wantFen {
			t.Errorf("RoundHalfUp(%s, %s) = %d fen, %v; want %d", tt.in, tt.step, got.Fen(), err, tt.wantFen)
		}
	}
	if _, err := DecimalFromInt(1).RoundHalfUp(Zero); err == nil {
		t.Error("zero step: want error")
	}
	if _, err := mustDec(t, "100000000000000000000").RoundHalfUp(Fen); !errors.Is(err, ErrOverflow) {
		t.Errorf("huge: %v", err)
	}
}

func TestDecimalText(t *testing.T) {
	var d Decimal
	if err := d.UnmarshalText([]byte("0.130")); err != nil || d.String() != "0.130" {
		t.Fatalf("UnmarshalText = %s, %v", d, err)
	}
	if err := d.UnmarshalText([]byte("1e2")); err == nil {
		t.Error("want error for exponent")
	}
}

func TestAllocate(t *testing.T) {
	fen := func(xs ...int64) []Amount {
		out := make([]Amount, len(xs))
		for i, x := range xs {
			out[i] = FromFen(x)
		}
		return out
	}
	tests := []struct {
		name    string
		total   int64
		weights []Amount
		want    []int64
	}{
		{"even", 1000, fen(100, 100), []int64{500, 500}},
		{"thirds go to the earliest", 100, fen(1, 1, 1), []int64{34, 33, 33}},
		{"proportional", 1000, fen(30000, 10000), []int64{750, 250}},
		{"largest remainder wins", 10, fen(1, 2, 4), []int64{1, 3, 6}},
		{"zero total", 0, fen(5, 7), []int64{0, 0}},
		{"all weights zero split equally", 5, fen(0, 0), []int64{3, 2}},
		{"zero-weight line gets nothing", 99, fen(0, 1), []int64{0, 99}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Allocate(FromFen(tt.total), tt.weights)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if got[i].Fen() != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	if _, err := Allocate(FromFen(1), nil); !errors.Is(err, ErrNoWeights) {
		t.Errorf("no weights: %v", err)
	}
	if _, err := Allocate(FromFen(-1), fen(1)); !errors.Is(err, ErrNegative) {
		t.Errorf("negative total: %v", err)
	}
	if _, err := Allocate(FromFen(1), fen(1, -1)); !errors.Is(err, ErrNegative) {
		t.Errorf("negative weight: %v", err)
	}
	if _, err := Allocate(FromFen(1), fen(math.MaxInt64, math.MaxInt64, math.MaxInt64)); !errors.Is(err, ErrOverflow) {
		t.Errorf("weights overflow: %v", err)
	}
}

func TestCalcStickyError(t *testing.T) {
	var c Calc
	x := c.Add(DecimalFromInt(1), DecimalFromInt(2))
	if x.Cmp(DecimalFromInt(3)) != 0 || c.Err() != nil {
		t.Fatalf("1+2 = %s, %v", x, c.Err())
	}
	y := c.Quo(x, Decimal{})
	z := c.Mul(c.Sub(y, x), DecimalFromInt(5))
	if !errors.Is(c.Err(), ErrDivisionByZero) || !z.IsZero() {
		t.Fatalf("after division by zero: %s, %v", z, c.Err())
	}
}
