package money

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in      string
		opts    ParseOptions
		wantFen int64
		wantErr error
	}{
		{in: "1234.5", wantFen: 123450},
		{in: "1234.50", wantFen: 123450},
		{in: "1234", wantFen: 123400},
		{in: "0.01", wantFen: 1},
		{in: "0", wantFen: 0},
		{in: "000.10", wantFen: 10},
		{in: "92233720368547758.07", wantFen: math.MaxInt64},
		{in: "92233720368547758.08", wantErr: ErrOverflow},
		{in: "99999999999999999999999", wantErr: ErrOverflow},
		{in: "-92233720368547758.08", opts: ParseOptions{AllowNegative: true}, wantFen: math.MinInt64},
		{in: "-92233720368547758.09", opts: ParseOptions{AllowNegative: true}, wantErr: ErrOverflow},
		{in: "1.234", wantErr: ErrPrecision},
		{in: "1.234", opts: ParseOptions{Round: true}, wantFen: 123},
		{in: "1.235", opts: ParseOptions{Round: true}, wantFen: 124},
		{in: "1.23499999", opts: ParseOptions{Round: true}, wantFen: 123},
		{in: "-1.235", opts: ParseOptions{Round: true, AllowNegative: true}, wantFen: -124},
		{in: "-1.00", wantErr: ErrNegative},
		{in: "-1.00", opts: ParseOptions{AllowNegative: true}, wantFen: -100},
		{in: "+1.00", wantErr: ErrSyntax},
		{in: "1e3", wantErr: ErrSyntax},
		{in: "1.5E2", wantErr: ErrSyntax},
		{in: "NaN", wantErr: ErrSyntax},
		{in: "-Infinity", wantErr: ErrSyntax},
		{in: "", wantErr: ErrSyntax},
		{in: ".5", wantErr: ErrSyntax},
		{in: "5.", wantErr: ErrSyntax},
		{in: "1,234.00", wantErr: ErrSyntax},
		{in: " 1.00", wantErr: ErrSyntax},
		{in: "1.00 ", wantErr: ErrSyntax},
		{in: "1.0.0", wantErr: ErrSyntax},
		{in: "1-2", wantErr: ErrSyntax},
		{in: "¥1", wantErr: ErrSyntax},
		{in: "-", opts: ParseOptions{AllowNegative: true}, wantErr: ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAmountWith(tt.in, tt.opts)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Fen() != tt.wantFen {
				t.Fatalf("= %d fen, %v; want %d fen", got.Fen(), err, tt.wantFen)
			}
		})
	}
}

func TestParseErrorsNameTheProblem(t *testing.T) {
	for in, want := range map[string]string{
		"1e3":   `amount "1e3": not a decimal number: exponent notation`,
		"1.234": `amount "1.234": too many fraction digits: 3, at most 2 allowed`,
		"-5":    `amount "-5": negative amount not allowed`,
		"NaN":   `amount "NaN": not a decimal number: NaN and Infinity are not amounts`,
	} {
		if _, err := ParseAmount(in); err == nil || err.Error() != want {
			t.Errorf("ParseAmount(%q) error = %v, want %s", in, err, want)
		}
	}
}

func TestAmountString(t *testing.T) {
	for fen, want := range map[int64]string{
		0: "0.00", 1: "0.01", 10: "0.10", 123450: "1234.50", -1: "-0.01", -123456: "-1234.56",
		math.MaxInt64: "92233720368547758.07", math.MinInt64: "-92233720368547758.08",
	} {
		if got := FromFen(fen).String(); got != want {
			t.Errorf("FromFen(%d) = %s, want %s", fen, got, want)
		}
	}
}

func TestAmountArithmeticOverflow(t *testing.T) {
	max, min := FromFen(math.MaxInt64), FromFen(math.MinInt64)
	one := FromFen(1)
	if _, err := max.Add(one); !errors.Is(err, ErrOverflow) {
		t.Errorf("max+1: %v", err)
	}
	if _, err := min.Sub(one); !errors.Is(err, ErrOverflow) {
		t.Errorf("min-1: %v", err)
	}
	if _, err := FromFen(0).Sub(min); !errors.Is(err, ErrOverflow) {
		t.Errorf("0-min: %v", err)
	}
	if got, err := max.Add(min); err != nil || got.Fen() != -1 {
		t.Errorf("max+min = %v, %v", got, err)
	}
	if _, err := Sum(max, one); !errors.Is(err, ErrOverflow) {
		t.Errorf("Sum overflow: %v", err)
	}
	if _, err := FromYuan(math.MaxInt64 / 10); !errors.Is(err, ErrOverflow) {
		t.Errorf("FromYuan overflow: %v", err)
	}
	if s, err := Sum(FromFen(1), FromFen(2), FromFen(3)); err != nil || s.Fen() != 6 {
		t.Errorf("Sum = %v, %v", s, err)
	}
	if FromFen(1).Cmp(FromFen(2)) != -1 || FromFen(2).Cmp(FromFen(1)) != 1 || FromFen(2).Cmp(FromFen(2)) != 0 {
		t.Error("Cmp")
	}
}

func TestAmountJSON(t *testing.T) {
	type doc struct {
		Used  Amount  `json:"used"`
		Limit *Amount `json:"limit,omitempty"`
	}
	b, err := json.Marshal(doc{Used: FromFen(123450)})
	if err != nil || string(b) != `{"used":"1234.50"}` {
		t.Fatalf("marshal = %s, %v", b, err)
	}
	var d doc
	if err := json.Unmarshal([]byte(`{"used":"26000","limit":null}`), &d); err != nil || d.Used.Fen() != 2600000 || d.Limit != nil {
		t.Fatalf("unmarshal string = %+v, %v", d, err)
	}
	if err := json.Unmarshal([]byte(`{"used":12.5}`), &d); err != nil || d.Used.Fen() != 1250 {
		t.Fatalf("unmarshal number = %+v, %v", d, err)
	}
	for _, bad := range []string{`{"used":1e3}`, `{"used":"1.001"}`, `{"used":true}`, `{"used":"x"}`} {
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("unmarshal %s: want error", bad)
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1234.50", "0.01", "-1", "1e3", "NaN", "92233720368547758.07", "1.235"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, opts := range []ParseOptions{{}, {AllowNegative: true, Round: true}} {
			a, err := ParseAmountWith(s, opts)
			if err != nil {
				continue
			}
			back, err := ParseAmountWith(a.String(), ParseOptions{AllowNegative: true})
			if err != nil || back != a {
				t.Fatalf("%q → %s → %v, %v", s, a, back, err)
			}
		}
		if d, err := ParseDecimal(s); err == nil {
			if d2, err := ParseDecimal(d.String()); err != nil || d2.Cmp(d) != 0 {
				t.Fatalf("decimal %q → %s → %v", s, d, err)
			}
		}
	})
}
