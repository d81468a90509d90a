package tax

import (
	"testing"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/money"

	"pgregory.net/rapid"
)

// genRate draws a rate in [0, 0.5] with up to 4 decimals.
func genRate(t *rapid.T, label string) money.Decimal {
	return money.NewDecimal(rapid.Int64Range(0, 5000).Draw(t, label), -4)
}

// genRow draws a tariff row of any shape the engine supports: ad valorem,
// with or without threshold, specific or compound, with CTSpecificBelow ≤
// CTSpecific as the law has it.
func genRow(t *rapid.T) catalog.TariffRow {
	row := catalog.TariffRow{
		HSCode:    "0000000000",
		VATRate:   genRate(t, "vat"),
		CTRate:    genRate(t, "ct"),
		DutyRate:  genRate(t, "duty"),
		LegalUnit: catalog.Litre,
	}
	if rapid.Bool().Draw(t, "threshold") {
		row.CTThreshold = money.NewDecimal(rapid.Int64Range(1, 5000).Draw(t, "thr"), -1)
		row.CTUnit = rapid.SampledFrom([]catalog.Unit{catalog.Millilitre, catalog.Gram, catalog.Tonne}).Draw(t, "thrUnit")
	}
	if rapid.Bool().Draw(t, "specific") {
		s := rapid.Int64Range(1, 30000).Draw(t, "s")
		row.CTSpecific = money.NewDecimal(s, -2)
		row.CTSpecificBelow = money.NewDecimal(rapid.Int64Range(0, s).Draw(t, "sBelow"), -2)
		row.CTSpecificUnit = rapid.SampledFrom([]catalog.Unit{catalog.Litre, catalog.Kilogram, catalog.Tonne}).Draw(t, "sUnit")
		row.LitresPerTonne = money.NewDecimal(rapid.SampledFrom([]int64{0, 988, 962}).Draw(t, "lpt"), 0)
	}
	return row
}

var (
	genValue = rapid.Custom(func(t *rapid.T) money.Amount { return money.FromFen(rapid.Int64Range(0, 1e8).Draw(t, "fen")) })
	genQty   = rapid.Custom(func(t *rapid.T) money.Decimal { return money.NewDecimal(rapid.Int64Range(1, 1e7).Draw(t, "q"), -3) })
)

func genRegime(t *rapid.T) Regime {
	return rapid.SampledFrom([]Regime{WithinLimits, OverLimitSingleItem}).Draw(t, "regime")
}

func TestPropNeverNegativeAndTotalsAddUp(t *testing.T) {
	c := calc(t)
	rapid.Check(t, func(t *rapid.T) {
		regime := genRegime(t)
		n := 1
		if regime == WithinLimits {
			n = rapid.IntRange(1, 5).Draw(t, "lines")
		}
		lines := make([]Line, n)
		for i := range lines {
			lines[i] = Line{Value: genValue.Draw(t, "value"), Qty: genQty.Draw(t, "qty"), Unit: catalog.Litre, Tariff: genRow(t)}
		}
		res, err := c.Inventory(regime, lines)
		if err != nil {
			t.Fatal(err)
		}
		checkTaxes(t, res.Taxes)
		for _, l := range res.Lines {
			checkTaxes(t, l.Taxes)
		}
		if regime == WithinLimits && !res.Taxes.Duty.IsZero() {
			t.Fatalf("duty %s within limits", res.Taxes.Duty)
		}
	})
}

func checkTaxes(t *rapid.T, x Taxes) {
	for _, a := range []money.Amount{x.Duty, x.CT, x.VAT, x.Total} {
		if a.IsNegative() {
			t.Fatalf("negative tax in %+v", x)
		}
	}
	if sum, err := money.Sum(x.Duty, x.CT, x.VAT); err != nil || sum != x.Total {
		t.Fatalf("duty+CT+VAT = %s, total %s", sum, x.Total)
	}
}

func TestPropMonotoneInValue(t *testing.T) {
	c := calc(t)
	rapid.Check(t, func(t *rapid.T) {
		regime := genRegime(t)
		row := genRow(t)
		qty := genQty.Draw(t, "qty")
		lo := genValue.Draw(t, "lo")
		hi, _ := lo.Add(money.FromFen(rapid.Int64Range(0, 1e6).Draw(t, "delta")))
		a, err := c.Inventory(regime, []Line{{Value: lo, Qty: qty, Unit: catalog.Litre, Tariff: row}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.Inventory(regime, []Line{{Value: hi, Qty: qty, Unit: catalog.Litre, Tariff: row}})
		if err != nil {
			t.Fatal(err)
		}
		if a.Taxes.Duty.Cmp(b.Taxes.Duty) > 0 || a.Taxes.CT.Cmp(b.Taxes.CT) > 0 ||
			a.Taxes.VAT.Cmp(b.Taxes.VAT) > 0 || a.Taxes.Total.Cmp(b.Taxes.Total) > 0 {
			t.Fatalf("value %s → %+v but %s → %+v", lo, a.Taxes, hi, b.Taxes)
		}
	})
}

// For ad-valorem goods within limits, CT + VAT is value × composite rate.
func TestPropCompositeRateAgrees(t *testing.T) {
	c := calc(t)
	rapid.Check(t, func(t *rapid.T) {
		row := catalog.TariffRow{HSCode: "0000000000", VATRate: genRate(t, "vat"), CTRate: genRate(t, "ct")}
		value := genValue.Draw(t, "value")
		res, err := c.Inventory(WithinLimits, []Line{{Value: value, Tariff: row}})
		if err != nil {
			t.Fatal(err)
		}
		rate, err := CompositeRate(row.VATRate, row.CTRate, DefaultParams().Reduction)
		if err != nil {
			t.Fatal(err)
		}
		var m money.Calc
		viaRate := m.Mul(value.Decimal(), rate)
		exactSum := m.Add(res.Lines[0].Exact.CT, res.Lines[0].Exact.VAT)
		diff := m.Sub(viaRate, exactSum)
		if m.Err() != nil {
			t.Fatal(m.Err())
		}
		// The two routes round differently only at the 34th digit.
		if diff.Sign() < 0 {
			diff = m.Sub(money.Decimal{}, diff)
		}
		if diff.Cmp(money.NewDecimal(1, -20)) > 0 {
			t.Fatalf("value × rate = %s, CT + VAT = %s", viaRate, exactSum)
		}
		// After rounding each type, the total is within a fen of value × rate.
		r, err := viaRate.RoundHalfUp(money.Fen)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := r.Sub(res.Taxes.Total)
		if d.Fen() < -1 || d.Fen() > 1 {
			t.Fatalf("rounded total %s vs value × rate %s", res.Taxes.Total, r)
		}
	})
}

func TestPropDutiableValuesSum(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		prices := rapid.SliceOfN(genValue, 1, 20).Draw(t, "prices")
		freight := genValue.Draw(t, "freight")
		insurance := genValue.Draw(t, "insurance")
		values, err := DutiableValues(prices, freight, insurance)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := money.Sum(values...)
		want, _ := money.Sum(append(append([]money.Amount{}, prices...), freight, insurance)...)
		if got != want {
			t.Fatalf("Σ dutiable %s, want Σ prices + freight + insurance = %s", got, want)
		}
		for i := range values {
			if values[i].Cmp(prices[i]) < 0 {
				t.Fatalf("line %d dutiable %s below its price %s", i, values[i], prices[i])
			}
		}
	})
}
