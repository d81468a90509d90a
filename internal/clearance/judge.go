package clearance

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/tax"
)

// Reference is the reference data the checks read: product filings, the
// tariff table and the positive and negative lists in force.
type Reference interface {
	Product(ebcCode, itemNo string) (catalog.Product, bool)
	Tariff(hsCode string) (catalog.TariffRow, bool)
	Positive(hsCode string) (catalog.PositiveListEntry, bool)
	Negative(g catalog.Goods) []catalog.NegativeListEntry
}

// Rules are the parameters of the decision (configuration: rules.*).
type Rules struct {
	SingleLimit     money.Amount
	AnnualLimit     money.Amount
	Tax             tax.Calculator
	InspectionRates map[enterprise.CreditClass]money.Decimal
}

// Verdict is the outcome of every check that needs no stored state. The
// annual limit and the yearly caps are checked and reserved afterwards, in
// one atomic step with the decision (see Store).
type Verdict struct {
	Reject   *Finding     // non-nil: the inventory is rejected (status 100)
	Hold     *Finding     // non-nil: manual review (status 300) once the limits are reserved
	Dutiable money.Amount // Σ line dutiable values (goods + freight + insurance)
	Taxes    tax.Taxes
	Regime   tax.Regime
	Caps     []CapUse
}

// CapUse is a quantity to count against a per-person yearly cap of the positive list.
type CapUse struct {
	HSCode string        `json:"hsCode"` // the positive-list entry's code: the cap's key
	Qty    money.Decimal `json:"qty"`    // in Cap.Unit
	Cap    catalog.Quantity
}

// Judge runs the checks of rules §3 in order, then the single-transaction
// limit (§4), the catalogue and lists, and tax (§6). trustBuyer is true for a
// direct-connect platform (§5): the payer = buyer comparison is skipped.
func (r *Rules) Judge(c *Case, ref Reference, trustBuyer bool) Verdict {
	reject := func(f *Finding) Verdict { return Verdict{Reject: f} }
	inv := c.Inventory
	if f := checkOrder(c.Order); f != nil {
		return reject(f)
	}
	if f := checkPayment(c.Order, c.Payment, trustBuyer); f != nil {
		return reject(f)
	}
	if f := checkWaybill(inv, c.Order, c.Waybill); f != nil {
		return reject(f)
	}
	if f := checkInventoryAgainstOrder(inv, c.Order); f != nil {
		return reject(f)
	}
	if f := checkParties(inv, c.Parties); f != nil {
		return reject(f)
	}
	v := Verdict{}
	values, f := dutiableValues(inv)
	if f != nil {
		return reject(f)
	}
	for _, x := range values {
		v.Dutiable, _ = v.Dutiable.Add(x)
	}
	if v.Dutiable.Cmp(r.SingleLimit) > 0 {
		if !singleIndivisible(inv) {
			return reject(find("1314", "dutiable value %s > limit %s (goods + freight %s + insurance %s)", v.Dutiable, r.SingleLimit, inv.Freight, inv.InsuredFee))
		}
		v.Regime = tax.OverLimitSingleItem
	}
	lines := make([]tax.Line, len(inv.Lines))
	for i := range inv.Lines {
		l := &inv.Lines[i]
		row, hold, caps, f := r.catalogue(inv, l, ref)
		if f != nil {
			return reject(f)
		}
		if hold != nil && v.Hold == nil {
			v.Hold = hold
		}
		v.Caps = append(v.Caps, caps...)
		unit, _ := catalog.ParseUnit(l.Unit1) // unknown units are fine unless the tariff needs the quantity
		lines[i] = tax.Line{Value: values[i], Qty: l.Qty1, Unit: unit, Tariff: row}
	}
	res, err := r.Tax.Inventory(v.Regime, lines)
	if err != nil {
		return reject(find("1362", "%v", err))
	}
	v.Taxes = res.Taxes
	if !near(c.Order.TaxTotal, res.Taxes.Total.Decimal()) {
		return reject(find("1360", "OrderHead.taxTotal=%s, computed %s (duty %s, consumption tax %s, VAT %s)",
			c.Order.TaxTotal, res.Taxes.Total, res.Taxes.Duty, res.Taxes.CT, res.Taxes.VAT))
	}
	return v
}

// dutiableValues spreads freight and insurance over the lines (rules §6).
func dutiableValues(inv *Inventory) ([]money.Amount, *Finding) {
	prices := make([]money.Amount, len(inv.Lines))
	for i, l := range inv.Lines {
		a, err := l.TotalPrice.RoundHalfUp(money.Fen)
		if err != nil || a.IsNegative() {
			return nil, find("1322", "gnum=%d: totalPrice=%s is not a usable amount", l.Gnum, l.TotalPrice)
		}
		prices[i] = a
	}
	freight, err1 := inv.Freight.RoundHalfUp(money.Fen)
	insured, err2 := inv.InsuredFee.RoundHalfUp(money.Fen)
	if err := errors.Join(err1, err2); err != nil || freight.IsNegative() || insured.IsNegative() {
		return nil, find("1323", "freight=%s, insuredFee=%s are not usable amounts", inv.Freight, inv.InsuredFee)
	}
	values, err := tax.DutiableValues(prices, freight, insured)
	if err != nil {
		return nil, find("1323", "%v", err)
	}
	return values, nil
}

// singleIndivisible is the exception of rules §4: one line of one piece.
func singleIndivisible(inv *Inventory) bool {
	return len(inv.Lines) == 1 && inv.Lines[0].Qty.Cmp(money.DecimalFromInt(1)) == 0
}

// catalogue checks one line against the product filing, the lists and the
// tariff, returning the tariff row, a hold finding and yearly-cap uses.
func (r *Rules) catalogue(inv *Inventory, l *InventoryLine, ref Reference) (catalog.TariffRow, *Finding, []CapUse, *Finding) {
	var none catalog.TariffRow
	p, ok := ref.Product(inv.EbcCode, l.ItemNo)
	if !ok {
		return none, nil, nil, find("1350", "gnum=%d: itemNo=%s of ebcCode=%s has no product filing", l.Gnum, l.ItemNo, inv.EbcCode)
	}
	if p.HSCode != l.Gcode {
		return none, nil, nil, find("1354", "gnum=%d: InventoryList.gcode=%s, filed HS code=%s", l.Gnum, l.Gcode, p.HSCode)
	}
	gtin := l.BarCode
	if gtin == "" {
		gtin = p.GTIN
	}
	if hits := ref.Negative(catalog.Goods{HSCode: l.Gcode, GTIN: gtin, Name: l.Gname}); len(hits) > 0 {
		return none, nil, nil, find("1352", "gnum=%d: %s (%s)", l.Gnum, hits[0].Kind, hits[0].Reason)
	}
	entry, ok := ref.Positive(l.Gcode)
	if !ok {
		return none, nil, nil, find("1351", "gnum=%d: gcode=%s", l.Gnum, l.Gcode)
	}
	var hold *Finding
	var caps []CapUse
	switch entry.RemarkKind {
	case catalog.RemarkBondedOnly:
		if inv.TradeMode != "1210" {
			return none, nil, nil, find("1353", "gnum=%d: gcode=%s under tradeMode %s", l.Gnum, l.Gcode, inv.TradeMode)
		}
	case catalog.RemarkNamedGoods, catalog.RemarkExclusion:
		hold = find("1200", "gnum=%d: gcode=%s, positive-list remark (%s): %s", l.Gnum, l.Gcode, entry.RemarkKind, entry.Remark)
	case catalog.RemarkYearlyCap:
		if entry.YearlyCap != nil {
			unit, err := catalog.ParseUnit(l.Unit1)
			if err != nil {
				return none, nil, nil, find("1315", "gnum=%d: legal unit %s cannot be compared with the cap of %s", l.Gnum, l.Unit1, entry.YearlyCap)
			}
			q, err := catalog.ConvertQuantity(l.Qty1, unit, entry.YearlyCap.Unit, money.Decimal{})
			if err != nil {
				return none, nil, nil, find("1315", "gnum=%d: %v", l.Gnum, err)
			}
			caps = append(caps, CapUse{HSCode: entry.HSCode, Qty: q, Cap: *entry.YearlyCap})
		}
	}
	row, ok := ref.Tariff(l.Gcode)
	if !ok {
		return none, nil, nil, find("1361", "gnum=%d: gcode=%s", l.Gnum, l.Gcode)
	}
	return row, hold, caps, nil
}

// Draw returns the inspection draw of an inventory: a number in [0, 1)
// derived from its seed, so an audit can recompute why a parcel was chosen.
func Draw(seed string) money.Decimal {
	sum := sha256.Sum256([]byte(seed))
	return money.NewDecimal(int64(binary.BigEndian.Uint64(sum[:8])%1_000_000), -6)
}

// InspectionRate is the random inspection rate of an e-commerce enterprise
// (rules §9): its credit class's, or the dishonest class's when it is on the
// market regulator's abnormal operations list and that rate is higher — the
// rules give dishonest and abnormal-list enterprises the same higher rate.
func InspectionRate(rates map[enterprise.CreditClass]money.Decimal, class enterprise.CreditClass, abnormal bool) (money.Decimal, bool) {
	rate, ok := rates[class]
	if abnormal {
		if d, has := rates[enterprise.CreditDishonest]; has && (!ok || d.Cmp(rate) > 0) {
			return d, true
		}
	}
	return rate, ok
}

// Selected reports whether the draw falls under the inspection rate of the
// e-commerce enterprise (see InspectionRate).
func (r *Rules) Selected(class enterprise.CreditClass, abnormal bool, draw money.Decimal) bool {
	rate, ok := InspectionRate(r.InspectionRates, class, abnormal)
	return ok && draw.Cmp(rate) < 0
}

// Describe renders a verdict's amounts for the receipt of a passed inventory.
func (v Verdict) Describe() string {
	return fmt.Sprintf("dutiable value %s, tax %s (duty %s, consumption tax %s, VAT %s)", v.Dutiable, v.Taxes.Total, v.Taxes.Duty, v.Taxes.CT, v.Taxes.VAT)
}
