package tax

import (
	"fmt"

	"github.com/cbec-platform/cbec/internal/money"
)

// Taxes are rounded tax amounts. Total is the sum of the three rounded
// types, so the parts always add up to what is reported.
type Taxes struct {
	Duty  money.Amount `json:"duty"`
	CT    money.Amount `json:"consumptionTax"`
	VAT   money.Amount `json:"vat"`
	Total money.Amount `json:"total"`
}

// Exact are unrounded tax amounts in CNY.
type Exact struct {
	Duty, CT, VAT money.Decimal
}

// LineResult is one line's taxes. Taxes are the line's own amounts rounded
// for display; the inventory's amounts round the exact sums and may differ
// from the sum of the lines' rounded amounts by a fen or so per type.
type LineResult struct {
	Exact Exact
	Taxes Taxes
	Basis Basis
}

// Result is an inventory's taxes. Taxes is authoritative: it is what the
// receipt reports and the order's taxTotal is compared with.
type Result struct {
	Regime Regime
	Lines  []LineResult
	Taxes  Taxes
}

// exact accumulates unrounded amounts.
type exact struct {
	duty, ct, vat money.Decimal
}

func (e exact) add(o exact) (exact, error) {
	var calc money.Calc
	s := exact{duty: calc.Add(e.duty, o.duty), ct: calc.Add(e.ct, o.ct), vat: calc.Add(e.vat, o.vat)}
	return s, calc.Err()
}

// round rounds each tax type half-up to step and totals the rounded parts.
func (e exact) round(step money.Amount) (Taxes, error) {
	var t Taxes
	var err error
	if t.Duty, err = e.duty.RoundHalfUp(step); err != nil {
		return Taxes{}, fmt.Errorf("duty: %w", err)
	}
	if t.CT, err = e.ct.RoundHalfUp(step); err != nil {
		return Taxes{}, fmt.Errorf("consumption tax: %w", err)
	}
	if t.VAT, err = e.vat.RoundHalfUp(step); err != nil {
		return Taxes{}, fmt.Errorf("VAT: %w", err)
	}
	if t.Total, err = money.Sum(t.Duty, t.CT, t.VAT); err != nil {
		return Taxes{}, fmt.Errorf("total: %w", err)
	}
	return t, nil
}

func (e exact) export() Exact { return Exact{Duty: e.duty, CT: e.ct, VAT: e.vat} }
