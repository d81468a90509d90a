package clearance

import (
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/money"
)

// Case is everything known about one inventory when it is judged.
type Case struct {
	Inventory *Inventory
	Order     *Order   // nil while missing
	Payment   *Payment // nil while missing
	Waybill   *Waybill // nil while missing
	// Parties holds the registered enterprises by code; a code absent from the map is not registered.
	Parties map[string]*enterprise.Enterprise
}

// Complete reports whether the three companion documents are present.
func (c *Case) Complete() bool { return c.Order != nil && c.Payment != nil && c.Waybill != nil }

// Missing names the companion documents still missing.
func (c *Case) Missing() string {
	return missingList(c.Order != nil, c.Payment != nil, c.Waybill != nil)
}

// tolerance is the ±0.01 CNY the rules allow between computed and declared amounts.
var tolerance = money.NewDecimal(1, -2)

// near reports whether a and b differ by at most the tolerance.
func near(a, b money.Decimal) bool {
	d, err := a.Sub(b)
	if err != nil {
		return false
	}
	if d.Sign() < 0 {
		if d, err = b.Sub(a); err != nil {
			return false
		}
	}
	return d.Cmp(tolerance) <= 0
}

// checkOrder is rule §3.2: the order balances.
func checkOrder(o *Order) *Finding {
	var calc money.Calc
	var sum money.Decimal
	for _, l := range o.Lines {
		if want := calc.Mul(l.Price, l.Qty); calc.Err() == nil && !near(l.TotalPrice, want) {
			return find("1311", "OrderList[gnum=%d]: totalPrice=%s, price × qty = %s × %s = %s", l.Gnum, l.TotalPrice, l.Price, l.Qty, want)
		}
		sum = calc.Add(sum, l.TotalPrice)
	}
	if calc.Err() == nil && !near(o.GoodsValue, sum) {
		return find("1312", "OrderHead.goodsValue=%s, Σ OrderList.totalPrice=%s", o.GoodsValue, sum)
	}
	paid := calc.Sub(calc.Add(calc.Add(o.GoodsValue, o.Freight), o.TaxTotal), o.Discount)
	if err := calc.Err(); err != nil {
		return find("1310", "amounts cannot be added: %v", err)
	}
	if !near(o.ActuralPaid, paid) {
		return find("1310", "OrderHead.acturalPaid=%s, goodsValue + freight + taxTotal − discount = %s + %s + %s − %s = %s",
			o.ActuralPaid, o.GoodsValue, o.Freight, o.TaxTotal, o.Discount, paid)
	}
	return nil
}

// checkPayment is rule §3.3; trustBuyer skips payer = buyer for a direct-connect platform (rules §5).
func checkPayment(o *Order, p *Payment, trustBuyer bool) *Finding {
	if !near(p.AmountPaid, o.ActuralPaid) {
		return find("1332", "PaymentHead.amountPaid=%s, OrderHead.acturalPaid=%s", p.AmountPaid, o.ActuralPaid)
	}
	if o.PayCode != "" && o.PayCode != p.PayCode {
		return find("13035", "OrderHead.payCode=%s, PaymentHead.payCode=%s", o.PayCode, p.PayCode)
	}
	if trustBuyer {
		return nil
	}
	if p.PayerID.Hash != o.BuyerID.Hash {
		return find("1327", "PaymentHead.payerIdNumber=%s, OrderHead.buyerIdNumber=%s", p.PayerID.Masked, o.BuyerID.Masked)
	}
	if p.PayerName.Hash != o.BuyerName.Hash {
		return find("1327", "PaymentHead.payerName=%s, OrderHead.buyerName=%s", p.PayerName.Masked, o.BuyerName.Masked)
	}
	return nil
}

// checkWaybill is rule §3.4.
func checkWaybill(inv *Inventory, o *Order, w *Waybill) *Finding {
	if w.OrderNo != inv.OrderNo {
		return find("1341", "LogisticsHead.orderNo=%s, InventoryHead.orderNo=%s", w.OrderNo, inv.OrderNo)
	}
	for _, f := range []struct {
		name       string
		wayb, ordr Protected
	}{
		{"consignee", w.Consignee, o.Consignee},
		{"consigneeTelephone", w.ConsigneePhone, o.ConsigneePhone},
		{"consigneeAddress", w.ConsigneeAddress, o.ConsigneeAddress},
	} {
		if f.wayb.Hash != f.ordr.Hash {
			return find("1340", "LogisticsHead.%s=%s, OrderHead.%s=%s", f.name, f.wayb.Masked, f.name, f.ordr.Masked)
		}
	}
	return nil
}

// checkInventoryAgainstOrder is rule §3.5.
func checkInventoryAgainstOrder(inv *Inventory, o *Order) *Finding {
	if inv.BuyerIDType != "1" {
		return find("1305", "InventoryHead.buyerIdType=%s, want 1", inv.BuyerIDType)
	}
	if inv.BuyerIDProblem != "" {
		return find("1300", "InventoryHead.buyerIdNumber=%s: %s", inv.BuyerID.Masked, inv.BuyerIDProblem)
	}
	for _, f := range []struct {
		name      string
		invt, ord Protected
	}{
		{"buyerName", inv.BuyerName, o.BuyerName},
		{"buyerIdNumber", inv.BuyerID, o.BuyerID},
		{"buyerTelephone", inv.BuyerPhone, o.BuyerPhone},
	} {
		if f.invt.Hash != f.ord.Hash {
			return find("13127", "InventoryHead.%s=%s, OrderHead.%s=%s", f.name, f.invt.Masked, f.name, f.ord.Masked)
		}
	}
	if len(inv.Lines) != len(o.Lines) {
		return find("1320", "InventoryList has %d lines, OrderList has %d", len(inv.Lines), len(o.Lines))
	}
	byGnum := make(map[int]*OrderLine, len(o.Lines))
	for i := range o.Lines {
		byGnum[o.Lines[i].Gnum] = &o.Lines[i]
	}
	var calc money.Calc
	var sum money.Decimal
	for _, il := range inv.Lines {
		ol, ok := byGnum[il.Gnum]
		switch {
		case !ok:
			return find("1322", "InventoryList gnum=%d has no OrderList line with that gnum", il.Gnum)
		case il.ItemNo != ol.ItemNo:
			return find("1322", "gnum=%d: InventoryList.itemNo=%s, OrderList.itemNo=%s", il.Gnum, il.ItemNo, ol.ItemNo)
		case il.Qty.Cmp(ol.Qty) != 0:
			return find("1322", "gnum=%d: InventoryList.qty=%s, OrderList.qty=%s", il.Gnum, il.Qty, ol.Qty)
		case !near(il.Price, ol.Price):
			return find("1322", "gnum=%d: InventoryList.price=%s, OrderList.price=%s", il.Gnum, il.Price, ol.Price)
		case !near(il.TotalPrice, ol.TotalPrice):
			return find("1322", "gnum=%d: InventoryList.totalPrice=%s, OrderList.totalPrice=%s", il.Gnum, il.TotalPrice, ol.TotalPrice)
		}
		sum = calc.Add(sum, il.TotalPrice)
	}
	if calc.Err() == nil && !near(sum, o.GoodsValue) {
		return find("1323", "Σ InventoryList.totalPrice=%s, OrderHead.goodsValue=%s", sum, o.GoodsValue)
	}
	if !near(inv.Freight, o.Freight) {
		return find("1323", "InventoryHead.freight=%s, OrderHead.freight=%s", inv.Freight, o.Freight)
	}
	return nil
}

// partyRole is one enterprise code of an inventory and the role it must hold.
type partyRole struct {
	field string
	code  string
	roles []enterprise.Role // any of these
}

// checkParties is rule §3.6: every code registered, active, holding its role, not sanctioned.
func checkParties(inv *Inventory, parties map[string]*enterprise.Enterprise) *Finding {
	list := []partyRole{
		{"ebpCode", inv.EbpCode, []enterprise.Role{enterprise.RolePlatform}},
		{"ebcCode", inv.EbcCode, []enterprise.Role{enterprise.RoleSeller}},
		{"logisticsCode", inv.LogisticsCode, []enterprise.Role{enterprise.RoleLogistics}},
		{"agentCode", inv.AgentCode, []enterprise.Role{enterprise.RoleAgent, enterprise.RoleSeller}},
	}
	if inv.AssureCode != "" {
		list = append(list, partyRole{"assureCode", inv.AssureCode, []enterprise.Role{enterprise.RoleGuarantor}})
	}
	if inv.AreaCode != "" {
		list = append(list, partyRole{"areaCode", inv.AreaCode, []enterprise.Role{enterprise.RoleArea}})
	}
	for _, p := range list {
		e := parties[p.code]
		if e == nil {
			return find("22001", "InventoryHead.%s=%s is not registered", p.field, p.code)
		}
		if !e.Active() {
			return find("22003", "InventoryHead.%s=%s is disabled", p.field, p.code)
		}
		if Sanctioned(e) {
			return find("22004", "InventoryHead.%s=%s: credit class %s, serious violation list %v", p.field, p.code, e.CreditClass, e.SeriousViolationList)
		}
		held := false
		for _, r := range p.roles {
			held = held || e.HasRole(r)
		}
		if !held {
			return find("22002", "InventoryHead.%s=%s does not hold the role %s", p.field, p.code, p.roles[0])
		}
	}
	return nil
}

// Sanctioned reports whether no new document of the enterprise may be accepted (rules §9).
func Sanctioned(e *enterprise.Enterprise) bool {
	return e.CreditClass == enterprise.CreditSeriouslyDishonest || e.SeriousViolationList
}
