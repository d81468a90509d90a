package tax

import (
	"errors"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/money"
)

func dec(t testing.TB, s string) money.Decimal {
	t.Helper()
	d, err := money.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func amt(t testing.TB, s string) money.Amount {
	t.Helper()
	a, err := money.ParseAmount(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Tariff rows used by the worked checks.
func ordinary(t testing.TB) catalog.TariffRow {
	return catalog.TariffRow{HSCode: "1901101000", VATRate: dec(t, "0.13"), DutyRate: dec(t, "0.15"), LegalUnit: catalog.Kilogram}
}

func cosmetics(t testing.TB) catalog.TariffRow {
	return catalog.TariffRow{HSCode: "3304990099", VATRate: dec(t, "0.13"), CTRate: dec(t, "0.15"),
		CTThreshold: dec(t, "10"), CTUnit: catalog.Gram, LegalUnit: catalog.Kilogram, DutyRate: dec(t, "0.01")}
}

func masks(t testing.TB) catalog.TariffRow {
	r := cosmetics(t)
	r.CTThreshold, r.CTUnit = dec(t, "15"), catalog.Piece
	return r
}

func spirits(t testing.TB) catalog.TariffRow {
	return catalog.TariffRow{HSCode: "2208300000", VATRate: dec(t, "0.13"), CTRate: dec(t, "0.2"),
		CTSpecific: dec(t, "0.5"), CTSpecificUnit: catalog.Unit("500g"), LegalUnit: catalog.Litre, DutyRate: dec(t, "0.1")}
}

func beer(t testing.TB) catalog.TariffRow {
	return catalog.TariffRow{HSCode: "2203000000", VATRate: dec(t, "0.13"),
		CTThreshold: dec(t, "3000"), CTUnit: catalog.Tonne, CTSpecific: dec(t, "250"), CTSpecificBelow: dec(t, "220"),
		CTSpecificUnit: catalog.Tonne, LitresPerTonne: dec(t, "988"), LegalUnit: catalog.Litre}
}

func calc(t testing.TB) Calculator {
	c, err := NewCalculator(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWorkedChecks(t *testing.T) {
	spiritsPerLitre := spirits(t)
	spiritsPerLitre.CTSpecific, spiritsPerLitre.CTSpecificUnit = dec(t, "1"), catalog.Litre
	spiritsPerKg := spiritsPerLitre
	spiritsPerKg.CTSpecificUnit = catalog.Kilogram // 0.5 per 500 g; 1 ml ≡ 1 g

	tests := []struct {
		name           string
		regime         Regime
		value          string
		qty            string
		unit           catalog.Unit
		row            catalog.TariffRow
		duty, ct, vat  string
		total          string
		wantCT         CTKind
		belowThreshold bool
	}{
		{"ordinary goods 9.1 %", WithinLimits, "1000", "1", catalog.Kilogram, ordinary(t), "0.00", "0.00", "91.00", "91.00", CTNone, false},
		{"410 CNY at VAT 13 %", WithinLimits, "410", "1", catalog.Kilogram, ordinary(t), "0.00", "0.00", "37.31", "37.31", CTNone, false},
		{"tie rounds half up", WithinLimits, "15", "1", catalog.Kilogram, ordinary(t), "0.00", "0.00", "1.37", "1.37", CTNone, false},
		{"high-end cosmetics 1,000 CNY, 50 g in kg", WithinLimits, "1000", "0.05", catalog.Kilogram, cosmetics(t), "0.00", "123.53", "107.06", "230.59", CTAdValorem, false},
		{"cosmetics exactly at 10 CNY/g pays CT", WithinLimits, "500", "50", catalog.Gram, cosmetics(t), "0.00", "61.76", "53.53", "115.29", CTAdValorem, false},
		{"cosmetics under threshold pays no CT", WithinLimits, "100", "0.05", catalog.Kilogram, cosmetics(t), "0.00", "0.00", "9.10", "9.10", CTNone, true},
		{"perfume 100 ml in L, 15 CNY/ml", WithinLimits, "1500", "0.1", catalog.Litre, cosmetics(t), "0.00", "185.29", "160.59", "345.88", CTAdValorem, false},
		{"masks 10 pieces at 10 CNY each: no CT", WithinLimits, "100", "10", catalog.Piece, masks(t), "0.00", "0.00", "9.10", "9.10", CTNone, true},
		{"spirits 20 % + 0.5 CNY/500 g, 1 L", WithinLimits, "500", "1", catalog.Litre, spiritsPerKg, "0.00", "88.38", "56.99", "145.37", CTCompound, false},
		{"spirits quoted per L, 0.7 L", WithinLimits, "300", "0.7", catalog.Litre, spiritsPerLitre, "0.00", "53.11", "34.20", "87.31", CTCompound, false},
		{"beer 12 L at 250 CNY/t (988 L/t)", WithinLimits, "120", "12", catalog.Litre, beer(t), "0.00", "2.13", "11.20", "13.33", CTSpecific, false},
		{"cheap beer under 3,000 CNY/t at 220", WithinLimits, "30", "12", catalog.Litre, beer(t), "0.00", "1.87", "2.97", "4.84", CTSpecific, true},
		{"over-limit watch: duty 10 %, full VAT", OverLimitSingleItem, "6000", "1", catalog.Piece, catalog.TariffRow{HSCode: "9102110000", VATRate: dec(t, "0.13"), DutyRate: dec(t, "0.1")}, "600.00", "0.00", "858.00", "1458.00", CTNone, false},
		{"over-limit cosmetics: full CT and VAT on value + duty", OverLimitSingleItem, "6000", "0.1", catalog.Kilogram, cosmetics(t), "60.00", "1069.41", "926.82", "2056.23", CTAdValorem, false},
		{"over-limit spirits compound", OverLimitSingleItem, "6000", "1.5", catalog.Litre, spiritsPerLitre, "600.00", "1651.88", "1072.74", "3324.62", CTCompound, false},
		{"zero value", WithinLimits, "0", "1", catalog.Kilogram, ordinary(t), "0.00", "0.00", "0.00", "0.00", CTNone, false},
	}
	c := calc(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Inventory(tt.regime, []Line{{Value: amt(t, tt.value), Qty: dec(t, tt.qty), Unit: tt.unit, Tariff: tt.row}})
			if err != nil {
				t.Fatal(err)
			}
			got := res.Taxes
			if got.Duty.String() != tt.duty || got.CT.String() != tt.ct || got.VAT.String() != tt.vat || got.Total.String() != tt.total {
				t.Errorf("duty %s CT %s VAT %s total %s; want %s %s %s %s", got.Duty, got.CT, got.VAT, got.Total, tt.duty, tt.ct, tt.vat, tt.total)
			}
			b := res.Lines[0].Basis
			if b.CT != tt.wantCT || b.BelowThreshold != tt.belowThreshold || b.Regime != tt.regime {
				t.Errorf("basis = %+v", b)
			}
			if res.Lines[0].Taxes != got {
				t.Errorf("single line taxes %+v differ from inventory %+v", res.Lines[0].Taxes, got)
			}
			if b.Note() == "" {
				t.Error("empty note")
			}
		})
	}
}

func TestBasisNote(t *testing.T) {
	res, err := calc(t).Inventory(WithinLimits, []Line{{Value: amt(t, "1000"), Qty: dec(t, "0.05"), Unit: catalog.Kilogram, Tariff: cosmetics(t)}})
	if err != nil {
		t.Fatal(err)
	}
	want := "within_limits: HS 3304990099, VAT 0.13, CT 0.15 ad valorem, duty 0, VAT and CT at 0.7; unit price 20.00 CNY/g at or above CT threshold 10"
	if got := res.Lines[0].Basis.Note(); got != want {
		t.Errorf("note\n got %s\nwant %s", got, want)
	}
	spirit := spirits(t)
	spirit.CTSpecific, spirit.CTSpecificUnit = dec(t, "1"), catalog.Litre
	res, err = calc(t).Inventory(OverLimitSingleItem, []Line{{Value: amt(t, "6000"), Qty: dec(t, "1.5"), Unit: catalog.Litre, Tariff: spirit}})
	if err != nil {
		t.Fatal(err)
	}
	want = "over_limit_single_item: HS 2208300000, VAT 0.13, CT 0.2 + 1 CNY per L, duty 0.1, full rates"
	if got := res.Lines[0].Basis.Note(); got != want {
		t.Errorf("note\n got %s\nwant %s", got, want)
	}
}

// High-end cosmetics have two thresholds, 10 CNY per g (ml) and 15 CNY per
// piece; CT applies when the line reaches either one it has a quantity for.
func TestTwoThresholds(t *testing.T) {
	row := cosmetics(t)
	row.CTThresholdPiece = dec(t, "15")
	tests := []struct {
		name      string
		line      Line
		ct        string
		below     bool
		unitPrice string
		unit      catalog.Unit
	}{
		{"cream by weight only, under 10/g", Line{Value: amt(t, "100"), Qty: dec(t, "0.05"), Unit: catalog.Kilogram}, "0.00", true, "2", catalog.Gram},
		{"sheet masks: 0.8/g but 20/piece", Line{Value: amt(t, "200"), Qty: dec(t, "0.25"), Unit: catalog.Kilogram, Qty2: dec(t, "10"), Unit2: catalog.Piece}, "24.71", false, "20", catalog.Piece},
		{"cheap masks: under both", Line{Value: amt(t, "100"), Qty: dec(t, "0.25"), Unit: catalog.Kilogram, Qty2: dec(t, "10"), Unit2: catalog.Piece}, "0.00", true, "10", catalog.Piece},
		{"pieces only", Line{Value: amt(t, "150"), Qty: dec(t, "10"), Unit: catalog.Piece}, "18.53", false, "15", catalog.Piece},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.line.Tariff = row
			res, err := calc(t).Inventory(WithinLimits, []Line{tt.line})
			if err != nil {
				t.Fatal(err)
			}
			b := res.Lines[0].Basis
			if res.Taxes.CT.String() != tt.ct || b.BelowThreshold != tt.below ||
				b.UnitPrice.Cmp(dec(t, tt.unitPrice)) != 0 || b.ThresholdUnit != tt.unit {
				t.Errorf("CT %s, basis %+v", res.Taxes.CT, b)
			}
		})
	}
}

func TestCompositeRate(t *testing.T) {
	tests := []struct{ vat, ct, reduction, want string }{
		{"0.13", "0", "0.7", "0.091"},
		{"0.09", "0", "0.7", "0.063"},
		{"0.17", "0", "0.7", "0.119"},
		{"0.13", "0.15", "0.7", "0.2305882352941176470588235294117647"},
	}
	for _, tt := range tests {
		got, err := CompositeRate(dec(t, tt.vat), dec(t, tt.ct), dec(t, tt.reduction))
		if err != nil || got.Cmp(dec(t, tt.want)) != 0 {
			t.Errorf("CompositeRate(%s, %s) = %s, %v; want %s", tt.vat, tt.ct, got, err, tt.want)
		}
	}
	if _, err := CompositeRate(dec(t, "0.13"), dec(t, "1"), dec(t, "0.7")); err == nil {
		t.Error("CT rate 1: want error")
	}
}

// Rounding is per inventory and tax type, not per line: three lines of
// 0.06 CNY each owe 0.00546 VAT; rounded per line that would be 0.03, but the
// inventory owes round(0.01638) = 0.02.
func TestRoundingPerInventory(t *testing.T) {
	line := Line{Value: amt(t, "0.06"), Tariff: ordinary(t)}
	res, err := calc(t).Inventory(WithinLimits, []Line{line, line, line})
	if err != nil {
		t.Fatal(err)
	}
	if res.Taxes.VAT.String() != "0.02" || res.Lines[0].Taxes.VAT.String() != "0.01" {
		t.Errorf("inventory VAT %s, line VAT %s; want 0.02 and 0.01", res.Taxes.VAT, res.Lines[0].Taxes.VAT)
	}
	if res.Lines[0].Exact.VAT.Cmp(dec(t, "0.00546")) != 0 {
		t.Errorf("exact line VAT %s", res.Lines[0].Exact.VAT)
	}
}

func TestParams(t *testing.T) {
	line := []Line{{Value: amt(t, "1000"), Qty: dec(t, "0.05"), Unit: catalog.Kilogram, Tariff: cosmetics(t)}}
	tests := []struct {
		name     string
		p        Params
		ct, vat  string
		parseErr bool
	}{
		{"default", DefaultParams(), "123.53", "107.06", false},
		{"step 0.1", Params{Reduction: dec(t, "0.7"), Step: money.FromFen(10)}, "123.50", "107.10", false},
		{"step 1", Params{Reduction: dec(t, "0.7"), Step: money.FromFen(100)}, "124.00", "107.00", false},
		{"no reduction", Params{Reduction: dec(t, "1"), Step: money.Fen}, "176.47", "152.94", false},
		{"reduction 0.6", Params{Reduction: dec(t, "0.6"), Step: money.Fen}, "105.88", "91.76", false},
		{"zero value params", Params{}, "", "", true},
		{"reduction above 1", Params{Reduction: dec(t, "1.1"), Step: money.Fen}, "", "", true},
		{"negative reduction", Params{Reduction: dec(t, "-0.1"), Step: money.Fen}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCalculator(tt.p)
			if tt.parseErr {
				if err == nil {
					t.Fatal("want error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Inventory(WithinLimits, line)
			if err != nil {
				t.Fatal(err)
			}
			if res.Taxes.CT.String() != tt.ct || res.Taxes.VAT.String() != tt.vat {
				t.Errorf("CT %s VAT %s; want %s %s", res.Taxes.CT, res.Taxes.VAT, tt.ct, tt.vat)
			}
		})
	}
}

func TestInputErrors(t *testing.T) {
	badCT := ordinary(t)
	badCT.CTRate = dec(t, "1")
	negDuty := ordinary(t)
	negDuty.DutyRate = dec(t, "-0.1")
	pieceThreshold := masks(t)
	ok := Line{Value: amt(t, "10"), Qty: dec(t, "1"), Unit: catalog.Kilogram, Tariff: ordinary(t)}
	tests := []struct {
		name   string
		regime Regime
		lines  []Line
		want   string
	}{
		{"no lines", WithinLimits, nil, "no lines"},
		{"over-limit with two lines", OverLimitSingleItem, []Line{ok, ok}, "exactly one line"},
		{"unknown regime", Regime(9), []Line{ok}, "unknown regime(9)"},
		{"CT rate 1", WithinLimits, []Line{{Value: amt(t, "10"), Tariff: badCT}}, "consumption tax rate 1 outside [0, 1)"},
		{"negative duty rate", OverLimitSingleItem, []Line{{Value: amt(t, "10"), Tariff: negDuty}}, "duty rate -0.1 is negative"},
		{"negative value", WithinLimits, []Line{{Value: money.FromFen(-1), Tariff: ordinary(t)}}, "negative dutiable value"},
		{"negative quantity", WithinLimits, []Line{{Value: amt(t, "10"), Qty: dec(t, "-1"), Tariff: ordinary(t)}}, "negative quantity"},
		{"threshold with zero quantity", WithinLimits, []Line{{Value: amt(t, "10"), Unit: catalog.Gram, Tariff: cosmetics(t)}}, "needs a legal quantity"},
		{"threshold per piece, quantity in kg", WithinLimits, []Line{{Value: amt(t, "10"), Qty: dec(t, "1"), Unit: catalog.Kilogram, Tariff: pieceThreshold}}, "is per piece; no line quantity (\"kg\", \"\") converts"},
		{"threshold with unknown unit", WithinLimits, []Line{{Value: amt(t, "10"), Qty: dec(t, "1"), Unit: "box", Tariff: cosmetics(t)}}, "is per g; no line quantity"},
		{"specific CT with unknown unit", WithinLimits, []Line{{Value: amt(t, "10"), Qty: dec(t, "1"), Unit: catalog.Litre, Tariff: spirits(t)}}, "specific CT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := calc(t).Inventory(tt.regime, tt.lines)
			if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want ErrInput containing %q", err, tt.want)
			}
		})
	}
}

func TestLineNumberInError(t *testing.T) {
	ok := Line{Value: amt(t, "10"), Tariff: ordinary(t)}
	bad := Line{Value: money.FromFen(-5), Tariff: ordinary(t)}
	_, err := calc(t).Inventory(WithinLimits, []Line{ok, bad})
	if err == nil || !strings.HasPrefix(err.Error(), "tax: line 2:") {
		t.Fatalf("error = %v", err)
	}
}

func TestDutiableValues(t *testing.T) {
	prices := []money.Amount{amt(t, "100"), amt(t, "200"), amt(t, "0.01")}
	got, err := DutiableValues(prices, amt(t, "10"), amt(t, "0.03"))
	if err != nil {
		t.Fatal(err)
	}
	// freight 1000 fen over 10000:20000:1 → 333.32…, 666.64…, 0.03… →
	// floors 333, 666, 0, the last fen to the largest remainder (line 2).
	// insurance 3 fen → 0.99…, 1.99…, 0.0001 → 0, 1, 0 + two fen to lines 1, 2.
	want := []string{"103.34", "206.69", "0.01"}
	for i := range want {
		if got[i].String() != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	sum, _ := money.Sum(got...)
	if sum.String() != "310.04" {
		t.Errorf("sum %s, want 310.04", sum)
	}
	if _, err := DutiableValues(nil, amt(t, "1"), money.Zero); err == nil {
		t.Error("no lines: want error")
	}
	if _, err := DutiableValues(prices, money.FromFen(-1), money.Zero); err == nil {
		t.Error("negative freight: want error")
	}
}
