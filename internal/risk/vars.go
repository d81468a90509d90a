package risk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
)

// cst is China Standard Time: counters are kept per calendar day in China.
var cst = time.FixedZone("CST", 8*3600)

// variable is one name a rule may use, with its type and meaning (docs/risk.md).
type variable struct {
	name    string
	typ     *cel.Type
	meaning string
}

// Variables lists what a rule sees of an inventory. Money is integer fen;
// personal data only as keyed hashes (equal values, equal hashes) and masked forms.
var variables = []variable{
	{"trade_mode", cel.StringType, "the inventory's tradeMode: 9610 direct purchase, 1210 bonded"},
	{"customs_code", cel.StringType, "the customs district (customsCode) of the declaration"},
	{"port_code", cel.StringType, "the port of entry (portCode)"},
	{"cop_no", cel.StringType, "the declarer's inventory number"},
	{"order_no", cel.StringType, "the order number"},
	{"ebp", cel.StringType, "customs code of the e-commerce platform"},
	{"ebc", cel.StringType, "customs code of the e-commerce enterprise"},
	{"agent", cel.StringType, "customs code of the declaring agent"},
	{"logistics", cel.StringType, "customs code of the logistics enterprise"},
	{"pay", cel.StringType, "customs code of the payment enterprise"},
	{"assure", cel.StringType, "customs code of the guarantor, empty when none"},
	{"dutiable_fen", cel.IntType, "dutiable value in fen (goods + freight + insurance)"},
	{"goods_fen", cel.IntType, "Σ line totalPrice in fen"},
	{"freight_fen", cel.IntType, "the inventory's freight in fen"},
	{"tax_fen", cel.IntType, "the computed tax in fen"},
	{"regime", cel.StringType, "the tax regime of the verdict (retail or general)"},
	{"single_limit_fen", cel.IntType, "rules.single_limit in fen"},
	{"annual_limit_fen", cel.IntType, "rules.annual_limit in fen"},
	{"line_count", cel.IntType, "number of goods lines"},
	{"lines", cel.ListType(cel.MapType(cel.StringType, cel.DynType)), "goods lines: gnum (int), item_no, name, hs, gtin, brand, origin, unit (strings), qty (decimal text), qty_milli, price_fen, total_fen (ints), filed (bool: a product filing exists)"},
	{"hs_codes", cel.ListType(cel.StringType), "the lines' 10-digit HS codes"},
	{"item_nos", cel.ListType(cel.StringType), "the lines' item numbers"},
	{"gtins", cel.ListType(cel.StringType), "the lines' GTINs (declared barCode, else the filing's)"},
	{"brands", cel.ListType(cel.StringType), "the lines' brands, from the product filings"},
	{"origins", cel.ListType(cel.StringType), "the lines' origin countries (3-digit customs codes)"},
	{"order_paid_fen", cel.IntType, "the order's acturalPaid in fen"},
	{"order_discount_fen", cel.IntType, "the order's discount in fen"},
	{"payment_fen", cel.IntType, "the payment's amountPaid in fen"},
	{"waybill_freight_fen", cel.IntType, "the waybill's freight in fen"},
	{"waybill_weight", cel.StringType, "the waybill's gross weight in kg (decimal text)"},
	{"buyer_id_hash", cel.StringType, "keyed hash of the buyer's ID number"},
	{"buyer_phone_hash", cel.StringType, "keyed hash of the buyer's phone"},
	{"consignee_phone_hash", cel.StringType, "keyed hash of the consignee's phone"},
	{"consignee_address_hash", cel.StringType, "keyed hash of the consignee's address"},
	{"consignee_region", cel.StringType, "the first six characters of the consignee's address (its masked form without the stars)"},
	{"buyer_is_payer", cel.BoolType, "the payer's ID number is the buyer's"},
	{"buyer_is_consignee", cel.BoolType, "the consignee's name is the buyer's"},
	{"ebc_class", cel.StringType, "credit class of the e-commerce enterprise: advanced, certified, general, dishonest, seriously_dishonest"},
	{"ebp_class", cel.StringType, "credit class of the platform"},
	{"agent_class", cel.StringType, "credit class of the declaring agent"},
	{"logistics_class", cel.StringType, "credit class of the logistics enterprise"},
	{"ebc_abnormal", cel.BoolType, "the e-commerce enterprise is on the abnormal operations list"},
	{"ebc_serious_violation", cel.BoolType, "the e-commerce enterprise is on the serious violation list"},
	{"ebp_direct_connect", cel.BoolType, "the platform is in data direct-connect mode"},
	{"orders_per_address_today", cel.IntType, "inventories to this consignee address today (China time), this one included"},
	{"parcels_per_phone_today", cel.IntType, "inventories to this consignee phone today, this one included"},
	{"parcels_per_phone_30d", cel.IntType, "inventories to this consignee phone in the last 30 days, this one included"},
	{"buyer_value_30d_fen", cel.IntType, "the buyer's dutiable value over the last 30 days in fen, this one included"},
	{"ebc_days_known", cel.IntType, "whole days since the e-commerce enterprise's first inventory on the platform (0: first seen within a day)"},
	{"now", cel.TimestampType, "the time of the decision"},
	{"hour", cel.IntType, "the hour of the decision in China time, 0–23"},
}

// newEnv is the environment every rule is compiled in.
func newEnv() (*cel.Env, error) {
	opts := make([]cel.EnvOption, 0, len(variables))
	for _, v := range variables {
		opts = append(opts, cel.Variable(v.name, v.typ))
	}
	return cel.NewEnv(opts...)
}

// Vars are the values of the variables for one inventory.
type Vars map[string]any

// activation serves the variables to a program; values are converted to CEL
// values once per inventory, not once per rule.
type activation struct{ vals map[string]ref.Val }

func (a *activation) ResolveName(name string) (any, bool) {
	v, ok := a.vals[name]
	return v, ok
}

func (a *activation) Parent() interpreter.Activation { return nil }

func (v Vars) activation() *activation {
	reg := types.DefaultTypeAdapter
	a := &activation{vals: make(map[string]ref.Val, len(v))}
	for k, x := range v {
		switch x := x.(type) {
		case []string:
			a.vals[k] = types.NewStringList(reg, x)
		case []map[string]any:
			// Lines as CEL maps up front: no reflection on each access by each rule.
			lines := make([]ref.Val, len(x))
			for i, l := range x {
				m := make(map[ref.Val]ref.Val, len(l))
				for lk, lv := range l {
					m[types.String(lk)] = reg.NativeToValue(lv)
				}
				lines[i] = types.NewRefValMap(reg, m)
			}
			a.vals[k] = types.NewRefValList(reg, lines)
		default:
			a.vals[k] = reg.NativeToValue(x)
		}
	}
	return a
}

// counters are the history counters of one inventory.
type counters struct {
	addrToday, phoneToday, phone30d, buyer30dFen, ebcDays int64
}

// subject is what the variables are built from.
type subject struct {
	inv      *store.Inventory
	doc      *clearance.Inventory
	c        *clearance.Case // may be nil (dry-run of an inventory whose documents are gone)
	parties  map[string]*enterprise.Enterprise
	direct   bool
	now      time.Time
	counters counters
}

// amounts turns decimals into the rules' integer variables, keeping the
// first one that does not fit: a rule must never read such a value as 0.
type amounts struct{ err error }

// fen is d in fen, rounded half up; field names it in an error.
func (a *amounts) fen(field string, d money.Decimal) int64 {
	r, err := d.RoundHalfUp(money.FromFen(1))
	if err != nil {
		a.fail(field, err)
		return 0
	}
	return r.Fen()
}

// milli is the quantity d in thousandths, rounded half up.
func (a *amounts) milli(field string, d money.Decimal) int64 {
	q, err := d.Mul(money.DecimalFromInt(1000))
	if err != nil {
		a.fail(field, err)
		return 0
	}
	return a.fen(field, q) / 100
}

func (a *amounts) fail(field string, err error) {
	if a.err == nil {
		a.err = fmt.Errorf("%s: %w", field, err)
	}
}

// vars builds the variables of an inventory.
func (s *Service) vars(sub *subject) (Vars, error) {
	doc, inv := sub.doc, sub.inv
	var a amounts
	v := Vars{
		"trade_mode": doc.TradeMode, "customs_code": doc.CustomsCode, "port_code": doc.PortCode,
		"cop_no": doc.CopNo, "order_no": doc.OrderNo, "ebp": doc.EbpCode, "ebc": doc.EbcCode, "agent": doc.AgentCode,
		"logistics": doc.LogisticsCode, "assure": doc.AssureCode, "pay": "",
		"dutiable_fen": inv.DutiableFen, "freight_fen": a.fen("inventory.freight", doc.Freight), "tax_fen": inv.Tax, "regime": inv.Regime,
		"single_limit_fen": s.SingleLimit.Fen(), "annual_limit_fen": s.AnnualLimit.Fen(),
		"line_count":     int64(len(doc.Lines)),
		"order_paid_fen": int64(0), "order_discount_fen": int64(0), "payment_fen": int64(0), "waybill_freight_fen": int64(0), "waybill_weight": "",
		"buyer_id_hash": doc.BuyerID.Hash, "buyer_phone_hash": doc.BuyerPhone.Hash,
		"consignee_phone_hash": "", "consignee_address_hash": "", "consignee_region": "",
		"buyer_is_payer": false, "buyer_is_consignee": false,
		"ebp_direct_connect":       sub.direct,
		"orders_per_address_today": sub.counters.addrToday, "parcels_per_phone_today": sub.counters.phoneToday,
		"parcels_per_phone_30d": sub.counters.phone30d, "buyer_value_30d_fen": sub.counters.buyer30dFen,
		"ebc_days_known": sub.counters.ebcDays,
		"now":            sub.now, "hour": int64(sub.now.In(cst).Hour()),
	}
	var goods int64
	lines := make([]map[string]any, 0, len(doc.Lines))
	var hs, items, gtins, brands, origins []string
	for i, l := range doc.Lines {
		gtin, brand, origin, filed := strings.TrimSpace(l.BarCode), "", l.Country, false
		if s.Ref != nil {
			if p, ok := s.Ref.Product(doc.EbcCode, l.ItemNo); ok {
				filed, brand = true, p.Brand
				if gtin == "" {
					gtin = p.GTIN
				}
				if p.OriginCountry != "" {
					origin = p.OriginCountry
				}
			}
		}
		line := fmt.Sprintf("lines[%d].", i)
		total := a.fen(line+"totalPrice", l.TotalPrice)
		goods += total
		lines = append(lines, map[string]any{"gnum": int64(l.Gnum), "item_no": l.ItemNo, "name": l.Gname, "hs": l.Gcode, "gtin": gtin,
			"brand": brand, "origin": origin, "unit": l.Unit, "qty": l.Qty.String(), "qty_milli": a.milli(line+"qty", l.Qty),
			"price_fen": a.fen(line+"price", l.Price), "total_fen": total, "filed": filed})
		hs, items, gtins, brands, origins = append(hs, l.Gcode), append(items, l.ItemNo), append(gtins, gtin), append(brands, brand), append(origins, origin)
	}
	v["goods_fen"], v["lines"], v["hs_codes"], v["item_nos"], v["gtins"], v["brands"], v["origins"] = goods, lines, hs, items, gtins, brands, origins
	if c := sub.c; c != nil {
		if o := c.Order; o != nil {
			v["order_paid_fen"], v["order_discount_fen"], v["pay"] = a.fen("order.acturalPaid", o.ActuralPaid), a.fen("order.discount", o.Discount), o.PayCode
			v["consignee_phone_hash"], v["consignee_address_hash"] = o.ConsigneePhone.Hash, o.ConsigneeAddress.Hash
			v["consignee_region"] = strings.TrimRight(o.ConsigneeAddress.Masked, "*")
			v["buyer_is_consignee"] = o.Consignee.Hash != "" && o.Consignee.Hash == doc.BuyerName.Hash
		}
		if p := c.Payment; p != nil {
			v["payment_fen"] = a.fen("payment.amountPaid", p.AmountPaid)
			v["buyer_is_payer"] = p.PayerID.Hash != "" && p.PayerID.Hash == doc.BuyerID.Hash
		}
		if w := c.Waybill; w != nil {
			v["waybill_freight_fen"], v["waybill_weight"] = a.fen("waybill.freight", w.Freight), w.Weight.String()
		}
	}
	class := func(code string) string {
		if p := sub.parties[code]; p != nil {
			return string(p.CreditClass)
		}
		return ""
	}
	v["ebc_class"], v["ebp_class"], v["agent_class"], v["logistics_class"] = class(doc.EbcCode), class(doc.EbpCode), class(doc.AgentCode), class(doc.LogisticsCode)
	ebc := sub.parties[doc.EbcCode]
	v["ebc_abnormal"] = ebc != nil && ebc.AbnormalList
	v["ebc_serious_violation"] = ebc != nil && ebc.SeriousViolationList
	if a.err != nil {
		return nil, fmt.Errorf("risk variables of inventory %s: %w", doc.CopNo, a.err)
	}
	return v, nil
}

func day(t time.Time) string { return t.In(cst).Format("2006-01-02") }

// count adds an inventory to the history counters once and, when read is set
// (rules are active), reads the counters the variables need. A counted
// inventory may be judged again: rejected (by a rule, its quota) and then
// changed by its declarer (appType 2), it waits in 120 once more. Its row
// keeps when it was counted (RiskCountedAt), written by the decision's
// update of the row, so the second judgement adds nothing and the mark costs
// no statement; a rollback undoes both the counters and the mark.
func count(ctx context.Context, tx *store.Tx, sub *subject, read bool) error {
	doc, now := sub.doc, sub.now
	k := countKeys(sub)
	if sub.inv.RiskCountedAt == nil {
		if err := tx.AddRiskCounters(ctx, k.Day, []store.RiskCounter{{Kind: "addr", Key: k.Addr}, {Kind: "phone", Key: k.Phone},
			{Kind: "buyer", Key: k.Buyer, Fen: sub.inv.DutiableFen}}); err != nil {
			return fmt.Errorf("risk counters: %w", err)
		}
		if err := tx.MarkRiskFirstSeen(ctx, doc.EbcCode, now); err != nil {
			return fmt.Errorf("risk counters: %w", err)
		}
		sub.inv.RiskCountedAt = &now
	}
	if !read {
		return nil
	}
	c, err := tx.RiskCounts(ctx, k)
	if err != nil {
		return err
	}
	sub.setCounters(c)
	return nil
}

// countKeys are the counters of an inventory as of sub.now: its consignee's
// address and phone, its buyer and e-commerce enterprise, on the calendar
// days in China of the last 30 days.
func countKeys(sub *subject) store.RiskCountKeys {
	k := store.RiskCountKeys{Buyer: sub.doc.BuyerID.Hash, EbcCode: sub.doc.EbcCode, Day: day(sub.now), From: day(sub.now.AddDate(0, 0, -29))}
	if sub.c != nil && sub.c.Order != nil {
		k.Addr, k.Phone = sub.c.Order.ConsigneeAddress.Hash, sub.c.Order.ConsigneePhone.Hash
	}
	return k
}

// setCounters turns the counters read into the variables' counters.
func (sub *subject) setCounters(c store.RiskCounts) {
	sub.counters = counters{addrToday: c.AddrToday, phoneToday: c.PhoneToday, phone30d: c.PhonePeriod, buyer30dFen: c.BuyerPeriodFen}
	if c.EbcFirstSeen != nil {
		sub.counters.ebcDays = max(0, int64(sub.now.Sub(*c.EbcFirstSeen)/(24*time.Hour)))
	}
}
