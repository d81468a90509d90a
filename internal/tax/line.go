package tax

import (
	"fmt"
	"strings"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/money"
)

// CTKind is how consumption tax is levied on a line.
type CTKind string

// Consumption-tax kinds.
const (
	CTNone      CTKind = "none"       // no CT (ordinary goods, or below threshold)
	CTAdValorem CTKind = "ad_valorem" // rate c on the tax-inclusive price
	CTSpecific  CTKind = "specific"   // s per unit only (beer)
	CTCompound  CTKind = "compound"   // rate c plus s per unit (spirits)
)

// Basis records which rule produced a line's taxes, for receipts and audit.
type Basis struct {
	Regime Regime
	CT     CTKind
	// Factor is the share of statutory VAT and CT levied: Params.Reduction
	// within limits, 1 for the over-limit item.
	Factor money.Decimal
	// ThresholdChecked is set when the row has a CT threshold. UnitPrice is
	// then the line's dutiable price per ThresholdUnit, compared with
	// Threshold (the last threshold tested), and BelowThreshold tells
	// whether the line stayed under every threshold.
	ThresholdChecked bool
	UnitPrice        money.Decimal
	ThresholdUnit    catalog.Unit
	Threshold        money.Decimal
	BelowThreshold   bool
	// The rates applied after the threshold test, with the tariff row's HS
	// code and specific-CT unit.
	HSCode       string
	VATRate      money.Decimal
	CTRate       money.Decimal
	CTSpecific   money.Decimal
	SpecificUnit catalog.Unit
	DutyRate     money.Decimal
}

// rates are the effective rates of one line after the threshold test.
type rates struct {
	vat, ct, duty money.Decimal
	specific      money.Decimal // CNY per specific unit, 0 for none
	qtySpecific   money.Decimal // legal quantity in the specific unit
}

// line computes one line's taxes exactly.
func (c Calculator) line(regime Regime, l Line) (exact, Basis, error) {
	if err := checkLine(l); err != nil {
		return exact{}, Basis{}, err
	}
	value := l.Value.Decimal()
	basis := Basis{Regime: regime, Factor: one}
	if regime == WithinLimits {
		basis.Factor = c.p.Reduction
	}
	r, err := effectiveRates(l, value, &basis)
	if err != nil {
		return exact{}, Basis{}, err
	}
	if regime == WithinLimits {
		r.duty = zero // CBEC duty rate is provisionally 0 within limits
	}
	basis.CT = ctKind(r)
	basis.HSCode, basis.SpecificUnit = l.Tariff.HSCode, l.Tariff.SpecificUnit()
	basis.VATRate, basis.CTRate, basis.CTSpecific, basis.DutyRate = r.vat, r.ct, r.specific, r.duty

	var calc money.Calc
	duty := calc.Mul(value, r.duty)
	specificCT := calc.Mul(r.qtySpecific, r.specific) // q × s
	// Composite taxable price (value + duty + q×s) / (1 − c): CT is part of
	// its own base, so the base is grossed up. Without ad-valorem CT the
	// gross-up is the identity; skipping it saves the costliest operation.
	ctFull := specificCT
	if !r.ct.IsZero() {
		composite := calc.Quo(calc.Add(calc.Add(value, duty), specificCT), calc.Sub(one, r.ct))
		ctFull = calc.Add(calc.Mul(composite, r.ct), specificCT)
	}
	vatFull := calc.Mul(calc.Add(calc.Add(value, duty), ctFull), r.vat)
	e := exact{
		duty: duty,
		ct:   calc.Mul(ctFull, basis.Factor),
		vat:  calc.Mul(vatFull, basis.Factor),
	}
	if err := calc.Err(); err != nil {
		return exact{}, Basis{}, err
	}
	return e, basis, nil
}

// checkLine refuses inputs the formulas cannot take: negative values, and
// rates whose (1 − c) would be zero or negative.
func checkLine(l Line) error {
	t := l.Tariff
	if l.Value.IsNegative() {
		return fmt.Errorf("%w: negative dutiable value %s", ErrInput, l.Value)
	}
	if l.Qty.Sign() < 0 || l.Qty2.Sign() < 0 {
		return fmt.Errorf("%w: negative quantity %s / %s", ErrInput, l.Qty, l.Qty2)
	}
	for _, r := range []struct {
		name string
		v    money.Decimal
	}{{"VAT rate", t.VATRate}, {"consumption tax rate", t.CTRate}} {
		if r.v.Sign() < 0 || r.v.Cmp(one) >= 0 {
			return fmt.Errorf("%w: HS %s %s %s outside [0, 1)", ErrInput, t.HSCode, r.name, r.v)
		}
	}
	for _, r := range []struct {
		name string
		v    money.Decimal
	}{{"duty rate", t.DutyRate}, {"specific CT", t.CTSpecific}, {"specific CT below threshold", t.CTSpecificBelow}, {"CT threshold", t.CTThreshold}, {"CT threshold per piece", t.CTThresholdPiece}} {
		if r.v.Sign() < 0 {
			return fmt.Errorf("%w: HS %s %s %s is negative", ErrInput, t.HSCode, r.name, r.v)
		}
	}
	return nil
}

// effectiveRates applies the CT thresholds: when the row has any, CT is
// levied at the row's rates if the line's unit price reaches at least one
// threshold its quantities can be compared with; otherwise the ad-valorem CT
// is 0 and the specific CT is the row's below-threshold amount.
func effectiveRates(l Line, value money.Decimal, basis *Basis) (rates, error) {
	t := l.Tariff
	r := rates{vat: t.VATRate, ct: t.CTRate, duty: t.DutyRate, specific: t.CTSpecific}
	met, checked, err := thresholdTest(l, value, basis)
	if err != nil {
		return rates{}, err
	}
	if checked && !met {
		basis.BelowThreshold = true
		r.ct, r.specific = zero, t.CTSpecificBelow
	}
	if !r.specific.IsZero() {
		q, err := quantityIn(l, t.SpecificUnit())
		if err != nil {
			return rates{}, fmt.Errorf("specific CT: %w", err)
		}
		r.qtySpecific = q
	}
	return r, nil
}

// threshold is one CT threshold of a tariff row.
type threshold struct {
	price money.Decimal // CNY per unit
	unit  catalog.Unit
}

// thresholdTest compares the line's unit price with each threshold of its
// row it has a quantity for. checked is false when the row has none; it is
// an error when the row has thresholds but none can be compared.
func thresholdTest(l Line, value money.Decimal, basis *Basis) (met, checked bool, err error) {
	t := l.Tariff
	var ths []threshold
	if !t.CTThreshold.IsZero() {
		ths = append(ths, threshold{t.CTThreshold, t.CTUnit})
	}
	if !t.CTThresholdPiece.IsZero() {
		ths = append(ths, threshold{t.CTThresholdPiece, catalog.Piece})
	}
	if len(ths) == 0 {
		return false, false, nil
	}
	for _, th := range ths {
		if !catalog.Convertible(l.Unit, th.unit) && !catalog.Convertible(l.Unit2, th.unit) {
			continue
		}
		price, err := unitPrice(l, value, th.unit)
		if err != nil {
			return false, false, err
		}
		checked = true
		basis.ThresholdChecked, basis.UnitPrice, basis.ThresholdUnit, basis.Threshold = true, price, th.unit, th.price
		if price.Cmp(th.price) >= 0 {
			return true, true, nil
		}
	}
	if !checked {
		return false, false, fmt.Errorf("%w: CT threshold of HS %s is per %s; no line quantity (%q, %q) converts to it",
			ErrInput, t.HSCode, thresholdUnits(ths), l.Unit, l.Unit2)
	}
	return false, true, nil
}

func thresholdUnits(ths []threshold) string {
	s := ""
	for i, th := range ths {
		if i > 0 {
			s += " or "
		}
		s += string(th.unit)
	}
	return s
}

// unitPrice is the dutiable value per unit.
func unitPrice(l Line, value money.Decimal, unit catalog.Unit) (money.Decimal, error) {
	q, err := quantityIn(l, unit)
	if err != nil {
		return money.Decimal{}, fmt.Errorf("CT threshold: %w", err)
	}
	if q.IsZero() {
		return money.Decimal{}, fmt.Errorf("%w: CT threshold of HS %s needs a legal quantity, got 0", ErrInput, l.Tariff.HSCode)
	}
	p, err := value.Quo(q)
	if err != nil {
		return money.Decimal{}, fmt.Errorf("CT threshold: %w", err)
	}
	return p, nil
}

// quantityIn expresses the line's quantity in unit to: the legal quantity
// when it converts, else the second quantity.
func quantityIn(l Line, to catalog.Unit) (money.Decimal, error) {
	q, from := l.Qty, l.Unit
	if !catalog.Convertible(from, to) && catalog.Convertible(l.Unit2, to) {
		q, from = l.Qty2, l.Unit2
	}
	out, err := catalog.ConvertQuantity(q, from, to, l.Tariff.LitresPerTonne)
	if err != nil {
		return money.Decimal{}, fmt.Errorf("%w: legal quantity: %w", ErrInput, err)
	}
	return out, nil
}

func ctKind(r rates) CTKind {
	switch adv, spec := !r.ct.IsZero(), !r.specific.IsZero(); {
	case adv && spec:
		return CTCompound
	case adv:
		return CTAdValorem
	case spec:
		return CTSpecific
	}
	return CTNone
}

// Note explains the basis in one English sentence for receipts and logs.
// It is built on demand so computing taxes does not pay for formatting.
func (b Basis) Note() string {
	var s strings.Builder
	fmt.Fprintf(&s, "%s: HS %s, VAT %s", b.Regime, b.HSCode, b.VATRate)
	switch b.CT {
	case CTAdValorem:
		fmt.Fprintf(&s, ", CT %s ad valorem", b.CTRate)
	case CTSpecific:
		fmt.Fprintf(&s, ", CT %s CNY per %s", b.CTSpecific, b.SpecificUnit)
	case CTCompound:
		fmt.Fprintf(&s, ", CT %s + %s CNY per %s", b.CTRate, b.CTSpecific, b.SpecificUnit)
	}
	if b.Regime == OverLimitSingleItem {
		fmt.Fprintf(&s, ", duty %s, full rates", b.DutyRate)
	} else {
		fmt.Fprintf(&s, ", duty 0, VAT and CT at %s", b.Factor)
	}
	if b.ThresholdChecked {
		cmp := "at or above"
		if b.BelowThreshold {
			cmp = "below"
		}
		fmt.Fprintf(&s, "; unit price %s CNY/%s %s CT threshold %s", display(b.UnitPrice), b.ThresholdUnit, cmp, b.Threshold)
	}
	return s.String()
}

// display shows a decimal to the fen for notes; exact values stay in Basis.
func display(d money.Decimal) string {
	if a, err := d.RoundHalfUp(money.Fen); err == nil {
		return a.String()
	}
	return d.String()
}
