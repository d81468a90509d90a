// Package tax computes the cross-border e-commerce composite tax
// (跨境电商综合税) of an inventory list exactly: customs duty, consumption
// tax (CT) and import VAT per line with full decimal precision, summed per
// inventory and rounded once per tax type (rules §6, limits exception §4).
//
// It is pure arithmetic: rates come in as catalog.TariffRow values, the
// regime (within limits or over-limit single item) is decided by the caller's
// quota check, and nothing is stored.
package tax

import (
	"errors"
	"fmt"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/money"
)

// Regime is the tax treatment of an inventory.
type Regime int

const (
	// WithinLimits is the CBEC retail regime: duty 0, VAT and CT levied at
	// Params.Reduction (70 %) of the statutory amount.
	WithinLimits Regime = iota
	// OverLimitSingleItem is the exception of rules §4: one line above the
	// single-transaction limit, taxed at full general-trade rates with duty.
	OverLimitSingleItem
)

func (r Regime) String() string {
	switch r {
	case WithinLimits:
		return "within_limits"
	case OverLimitSingleItem:
		return "over_limit_single_item"
	}
	return fmt.Sprintf("regime(%d)", int(r))
}

// Params are the tax engine's configuration. Start from DefaultParams.
type Params struct {
	// Reduction is the share of statutory VAT and CT levied within limits
	// (0.7 since 2016). It must be in [0, 1].
	Reduction money.Decimal
	// Step is the rounding granularity of each inventory tax type: 0.01 CNY
	// by default; 0.1 or 1 CNY where a district rounds coarser.
	Step money.Amount
}

// DefaultParams returns the rules' defaults: 70 % reduction, rounding to
// 0.01 CNY.
func DefaultParams() Params {
	return Params{Reduction: money.NewDecimal(7, -1), Step: money.Fen}
}

// Validate reports whether p is usable.
func (p Params) Validate() error {
	if p.Reduction.Sign() < 0 || p.Reduction.Cmp(one) > 0 {
		return fmt.Errorf("tax params: reduction %s outside [0, 1]", p.Reduction)
	}
	if p.Step.Fen() <= 0 {
		return fmt.Errorf("tax params: rounding step %s must be positive", p.Step)
	}
	return nil
}

// Line is one inventory line as the tax engine sees it.
type Line struct {
	// Value is the line's dutiable value in CNY: its totalPrice plus its
	// share of the inventory's freight and insurance (see DutiableValues).
	Value money.Amount
	// Qty and Unit are the legal quantity and unit (qty1/unit1). They are
	// needed only when the tariff row has a CT threshold or a specific CT.
	Qty  money.Decimal
	Unit catalog.Unit
	// Qty2 and Unit2 are optionally a second quantity of the same goods
	// (qty2/unit2, or the declared qty/unit), used when a threshold or
	// specific rate is in a unit Qty cannot be converted to: sheet masks
	// have their legal quantity in kg but a per-piece threshold.
	Qty2  money.Decimal
	Unit2 catalog.Unit
	// Tariff is the tariff row of the line's HS code.
	Tariff catalog.TariffRow
}

// ErrInput marks a line or inventory the engine cannot tax.
var ErrInput = errors.New("invalid tax input")

var (
	zero = money.Decimal{}
	one  = money.DecimalFromInt(1)
)

// Calculator computes taxes under fixed Params.
type Calculator struct {
	p Params
}

// NewCalculator validates p and returns a Calculator using it.
func NewCalculator(p Params) (_ Calculator, err error) {
	defer errs.Wrap(&err, "tax.NewCalculator")
	if err := p.Validate(); err != nil {
		return Calculator{}, err
	}
	return Calculator{p: p}, nil
}

// Params returns the calculator's parameters.
func (c Calculator) Params() Params { return c.p }

// Inventory computes the taxes of one inventory: each line with full
// precision, then per tax type the exact sum over lines rounded half-up to
// Params.Step. The over-limit regime requires exactly one line.
func (c Calculator) Inventory(regime Regime, lines []Line) (Result, error) {
	if len(lines) == 0 {
		return Result{}, fmt.Errorf("tax: %w: inventory has no lines", ErrInput)
	}
	if regime == OverLimitSingleItem && len(lines) != 1 {
		return Result{}, fmt.Errorf("tax: %w: over-limit regime needs exactly one line, got %d", ErrInput, len(lines))
	}
	if regime != WithinLimits && regime != OverLimitSingleItem {
		return Result{}, fmt.Errorf("tax: %w: unknown %s", ErrInput, regime)
	}
	res := Result{Regime: regime, Lines: make([]LineResult, len(lines))}
	var sum exact
	for i, l := range lines {
		e, basis, err := c.line(regime, l)
		if err != nil {
			return Result{}, fmt.Errorf("tax: line %d: %w", i+1, err)
		}
		rounded, err := e.round(c.p.Step)
		if err != nil {
			return Result{}, fmt.Errorf("tax: line %d: %w", i+1, err)
		}
		res.Lines[i] = LineResult{Exact: e.export(), Taxes: rounded, Basis: basis}
		if sum, err = sum.add(e); err != nil {
			return Result{}, fmt.Errorf("tax: sum: %w", err)
		}
	}
	total, err := sum.round(c.p.Step)
	if err != nil {
		return Result{}, fmt.Errorf("tax: inventory: %w", err)
	}
	res.Taxes = total
	return res, nil
}

// CompositeRate is the within-limits composite rate of ad-valorem goods,
// (c + v) / (1 − c) × reduction: 9.1 % for VAT 13 % and no CT, about
// 23.06 % for high-end cosmetics (CT 15 %).
func CompositeRate(vat, ct, reduction money.Decimal) (money.Decimal, error) {
	var calc money.Calc
	r := calc.Mul(calc.Quo(calc.Add(ct, vat), calc.Sub(one, ct)), reduction)
	if err := calc.Err(); err != nil {
		return money.Decimal{}, fmt.Errorf("composite rate: %w", err)
	}
	return r, nil
}
