package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/intake"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/receipt"
	"github.com/cbec-platform/cbec/internal/store"
)

var (
	platforms  = []enterprise.Role{enterprise.RolePlatform, enterprise.RoleSeller}
	payers     = []enterprise.Role{enterprise.RolePayment}
	carriers   = []enterprise.Role{enterprise.RoleLogistics}
	declarers  = []enterprise.Role{enterprise.RoleAgent, enterprise.RoleSeller}
	operators  = []enterprise.Role{enterprise.RoleLogistics, enterprise.RoleArea}
	nothingYet = intake.Result{}
)

// stored is a declared order, receipt of payment, waybill, arrival or departure.
type stored struct {
	kind, k1, k2, ebc string
	amountFen         int64
	currency          string
	data              any
	at                time.Time
}

// putDoc stores a document under appType rules (1 new, 2 modify, 3 delete);
// a changed document whose inventory is released is refused (22007).
func putDoc(ctx context.Context, tx *store.Tx, appType, sender string, d stored, now time.Time) (intake.Result, bool, error) {
	body, err := json.Marshal(d.data)
	if err != nil {
		return nothingYet, false, err
	}
	old, owner, exists, err := tx.ExportDoc(ctx, d.kind, d.k1, d.k2)
	if err != nil {
		return nothingYet, false, err
	}
	if exists && owner != sender {
		return intake.Refused("1106", "%s %s/%s belongs to enterprise %s", d.kind, d.k1, d.k2, owner), false, nil
	}
	switch appType {
	case "1":
		if exists {
			if old == string(body) {
				return intake.Again("120", clearance.Finding{Code: "1800"}.Info()), false, nil
			}
			return intake.Refused("1101", "%s %s/%s exists with other content; send appType 2 to modify it", d.kind, d.k1, d.k2), false, nil
		}
	case "2", "3":
		if !exists {
			return intake.Refused("1102", "%s %s/%s", d.kind, d.k1, d.k2), false, nil
		}
		if d.kind == "order" || d.kind == "receipt" || d.kind == "waybill" {
			var released bool
			var err error
			if d.kind == "waybill" {
				released, err = tx.ExportReleasedForWaybill(ctx, d.k1, d.k2)
			} else {
				released, err = tx.ExportReleasedForOrder(ctx, d.k1, d.k2)
			}
			if err != nil {
				return nothingYet, false, err
			}
			if released {
				return intake.Refused("22007", "%s %s/%s belongs to a released export inventory", d.kind, d.k1, d.k2), false, nil
			}
		}
		if err := tx.DeleteExportDoc(ctx, d.kind, d.k1, d.k2); err != nil {
			return nothingYet, false, err
		}
		if appType == "3" {
			return intake.Accepted(), true, nil
		}
	default:
		return intake.Refused("1103", "appType=%s", appType), false, nil
	}
	if err := tx.InsertExportDoc(ctx, &store.ExportDoc{Kind: d.kind, K1: d.k1, K2: d.k2, EbcCode: d.ebc, AmountFen: d.amountFen,
		Currency: d.currency, Data: string(body), Sender: sender, At: d.at, CreatedAt: now}); err != nil {
		return nothingYet, false, err
	}
	return intake.Accepted(), true, nil
}

// getDoc reads a stored document into v; false when there is none.
func getDoc(ctx context.Context, tx *store.Tx, kind, k1, k2 string, v any) (bool, error) {
	data, _, found, err := tx.ExportDoc(ctx, kind, k1, k2)
	if err != nil || !found {
		return false, err
	}
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return false, fmt.Errorf("decode stored export %s %s/%s: %w", kind, k1, k2, err)
	}
	return true, nil
}

func (s *Service) orderDocuments(ctx context.Context, _ *intake.Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]intake.Doc, []ceb.Problem, error) {
	m := d.Message.(*ceb.CEB303Message)
	keys := ceb.DocumentKeys(m)
	var out []intake.Doc
	for i := range m.Order {
		o := m.Order[i]
		h := o.OrderHead
		if err := intake.MayAct(sender, fmt.Sprintf("Order[%d]/OrderHead/ebpCode", i+1), platforms, h.EbpCode, h.EbcCode); err != nil {
			return nil, nil, err
		}
		out = append(out, &doc{keys: keys[i], orderNo: h.OrderNo, apply: func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
			if r, ok, err := s.sanctioned(ctx, h.EbpCode, h.EbcCode); err != nil || !ok {
				return r, err
			}
			v, err := amount("OrderHead.goodsValue", h.GoodsValue)
			if err != nil {
				return intake.Refused("1402", "%v", err), nil
			}
			o.OrderHead.Guid, o.OrderHead.AppTime, o.OrderHead.AppType = "", "", ""
			res, changed, err := putDoc(ctx, tx, h.AppType, env.Sender.Code, stored{kind: "order", k1: h.EbpCode, k2: h.OrderNo, ebc: h.EbcCode,
				amountFen: v, currency: h.Currency, data: o, at: now}, now)
			if err != nil || !changed {
				return res, err
			}
			ids, err := tx.WaitingExportInventoriesOfOrder(ctx, h.EbpCode, h.OrderNo)
			if err != nil {
				return res, err
			}
			return res, s.rejudge(ctx, tx, ids, now)
		}})
	}
	return out, nil, nil
}

func (s *Service) receiptDocuments(ctx context.Context, _ *intake.Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]intake.Doc, []ceb.Problem, error) {
	m := d.Message.(*ceb.CEB403Message)
	keys := ceb.DocumentKeys(m)
	var out []intake.Doc
	for i := range m.Receipts {
		r := m.Receipts[i]
		if err := intake.MayAct(sender, fmt.Sprintf("Receipts[%d]/payCode", i+1), payers, r.PayCode); err != nil {
			return nil, nil, err
		}
		out = append(out, &doc{keys: keys[i], orderNo: r.OrderNo, apply: func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
			if res, ok, err := s.sanctioned(ctx, r.PayCode, r.EbcCode); err != nil || !ok {
				return res, err
			}
			v, err := amount("Receipts.charge", r.Charge)
			if err != nil {
				return intake.Refused("1403", "%v", err), nil
			}
			at, err := time.ParseInLocation("20060102150405", r.AccountingDate, cst)
			if err != nil {
				return intake.Refused("1403", "Receipts.accountingDate=%q is not YYYYMMDDhhmmss", r.AccountingDate), nil
			}
			r.Guid, r.AppTime, r.AppType = "", "", ""
			res, changed, err := putDoc(ctx, tx, keys[i]["appType"], env.Sender.Code, stored{kind: "receipt", k1: r.EbpCode, k2: r.OrderNo, ebc: r.EbcCode,
				amountFen: v, currency: r.Currency, data: r, at: at}, now)
			if err != nil || !changed {
				return res, err
			}
			ids, err := tx.WaitingExportInventoriesOfOrder(ctx, r.EbpCode, r.OrderNo)
			if err != nil {
				return res, err
			}
			return res, s.rejudge(ctx, tx, ids, now)
		}})
	}
	return out, nil, nil
}

func (s *Service) waybillDocuments(ctx context.Context, _ *intake.Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]intake.Doc, []ceb.Problem, error) {
	m := d.Message.(*ceb.CEB505Message)
	keys := ceb.DocumentKeys(m)
	var out []intake.Doc
	for i := range m.Logistics {
		w := m.Logistics[i]
		if err := intake.MayAct(sender, fmt.Sprintf("Logistics[%d]/logisticsCode", i+1), carriers, w.LogisticsCode); err != nil {
			return nil, nil, err
		}
		out = append(out, &doc{keys: keys[i], apply: func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
			if res, ok, err := s.sanctioned(ctx, w.LogisticsCode); err != nil || !ok {
				return res, err
			}
			// The consignor's phone is not kept: only what matching needs.
			w.Guid, w.AppTime, w.AppType, w.EbcTelephone = "", "", "", ""
			res, changed, err := putDoc(ctx, tx, keys[i]["appType"], env.Sender.Code, stored{kind: "waybill", k1: w.LogisticsCode, k2: w.LogisticsNo,
				ebc: w.EbcCode, currency: w.Currency, data: w, at: now}, now)
			if err != nil || !changed {
				return res, err
			}
			ids, err := tx.WaitingExportInventoriesOfWaybill(ctx, w.LogisticsCode, w.LogisticsNo)
			if err != nil {
				return res, err
			}
			return res, s.rejudge(ctx, tx, ids, now)
		}})
	}
	return out, nil, nil
}

// sanctioned refuses a document naming an enterprise under a credit sanction
// (rules §9); ok is true when none is. An enterprise that is not registered
// is under none, but a registry that does not answer is an error: read as
// "not registered" it would let a sanctioned enterprise through.
func (s *Service) sanctioned(ctx context.Context, codes ...string) (_ intake.Result, ok bool, err error) {
	for _, c := range codes {
		if c == "" {
			continue
		}
		e, err := s.Parties.Get(ctx, c)
		if err != nil {
			return nothingYet, false, fmt.Errorf("credit standing of %s: %w", c, err)
		}
		if e != nil && clearance.Sanctioned(e) {
			return intake.Refused("22004", "%s is under a credit sanction", c), false, nil
		}
	}
	return nothingYet, true, nil
}

// inventory is an export inventory as kept, with its declaration decoded.
type inventory struct {
	store.ExportInventory
	Doc ceb.ExportInventory
}

// decoded decodes a stored export inventory; nil when there is none.
func decoded(v *store.ExportInventory, err error) (*inventory, error) {
	if err != nil || v == nil {
		return nil, err
	}
	inv := &inventory{ExportInventory: *v}
	if err := json.Unmarshal([]byte(v.Data), &inv.Doc); err != nil {
		return nil, fmt.Errorf("decode stored export inventory %s/%s: %w", v.AgentCode, v.CopNo, err)
	}
	return inv, nil
}

func (s *Service) inventoryDocuments(ctx context.Context, _ *intake.Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]intake.Doc, []ceb.Problem, error) {
	m := d.Message.(*ceb.CEB603Message)
	keys := ceb.DocumentKeys(m)
	var out []intake.Doc
	for i := range m.Inventory {
		inv := m.Inventory[i]
		h := inv.InventoryHead
		if err := intake.MayAct(sender, fmt.Sprintf("Inventory[%d]/InventoryHead/agentCode", i+1), declarers, h.AgentCode, h.EbcCode); err != nil {
			return nil, nil, err
		}
		k := keys[i]
		out = append(out, &doc{keys: k, copNo: h.CopNo, orderNo: h.OrderNo, apply: func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
			return s.applyInventory(ctx, tx, env.Sender, inv, k, now)
		}})
	}
	return out, nil, nil
}

// applyInventory stores an export inventory (appType 1, 2 or 3) and judges it.
func (s *Service) applyInventory(ctx context.Context, tx *store.Tx, by *enterprise.Enterprise, d ceb.ExportInventory, k ceb.Keys, now time.Time) (intake.Result, error) {
	h := d.InventoryHead
	sender := by.Code
	if res, refused, err := intake.MayDeclare(ctx, tx, by, h.AppType, h.AgentCode, h.EbcCode, h.CopNo, now); err != nil || refused {
		if err == nil {
			err = preNo(ctx, tx, k, "E", now)
		}
		return res, err
	}
	if res, ok, err := s.sanctioned(ctx, h.AgentCode, h.EbcCode, h.EbpCode, h.LogisticsCode); err != nil {
		return nothingYet, err
	} else if !ok {
		return res, preNo(ctx, tx, k, "E", now)
	}
	old, err := decoded(tx.ExportInventoryByCopNo(ctx, h.AgentCode, h.CopNo))
	if err != nil {
		return nothingYet, err
	}
	// The freight is summed for the forex report once the export is
	// released: one the platform cannot read is refused now, naming it,
	// rather than failing that report later.
	if _, err := amount("InventoryHead.freight", h.Freight); err != nil {
		return intake.Refused("1404", "%v", err), preNo(ctx, tx, k, "E", now)
	}
	var total int64
	totals := make([]int64, len(d.InventoryList)) // each line's, in fen
	for j, l := range d.InventoryList {
		v, err := amount(fmt.Sprintf("InventoryList[%d].totalPrice", j+1), l.TotalPrice)
		if err != nil {
			return intake.Refused("1404", "%v", err), preNo(ctx, tx, k, "E", now)
		}
		totals[j] = v
		total += v
	}
	content := d
	content.InventoryHead.Guid, content.InventoryHead.AppTime, content.InventoryHead.AppType = "", "", ""
	body, err := json.Marshal(content)
	if err != nil {
		return nothingYet, err
	}
	if old != nil {
		k["preNo"], k["invtNo"] = old.PreNo, old.InvtNo
	}
	switch h.AppType {
	case "1":
		if old != nil {
			prev, err := json.Marshal(old.Doc)
			if err != nil {
				return nothingYet, err
			}
			if string(prev) == string(body) {
				return intake.Again(old.Status, old.ReasonInfo), nil
			}
			return intake.Refused("1101", "export inventory %s/%s exists with other content; send appType 2 to modify it", h.AgentCode, h.CopNo), nil
		}
	case "2", "3":
		if old == nil {
			if err := preNo(ctx, tx, k, "E", now); err != nil {
				return nothingYet, err
			}
			return intake.Refused("1102", "export inventory %s/%s", h.AgentCode, h.CopNo), nil
		}
		if old.Status == "800" || old.Status == "899" {
			return intake.Refused("22007", "export inventory invtNo=%s has status %s", old.InvtNo, old.Status), nil
		}
		if h.AppType == "3" {
			f := clearance.Finding{Code: "2802", Detail: "deleted by appType 3"}
			err := tx.CancelExportInventory(ctx, old.ID, f.Code, f.Info(), now)
			return intake.Result{Status: "899", Finding: f}, err
		}
		if err := tx.DeleteExportInventory(ctx, old.ID); err != nil {
			return nothingYet, err
		}
	default:
		if err := preNo(ctx, tx, k, "E", now); err != nil {
			return nothingYet, err
		}
		return intake.Refused("1103", "appType=%s", h.AppType), nil
	}
	id := newID()
	if old != nil {
		id = old.ID
	} else {
		if err := preNo(ctx, tx, k, "E", now); err != nil {
			return nothingYet, err
		}
		customs := h.CustomsCode
		if len(customs) != 4 {
			customs = "0000"
		}
		invtNo, err := serialNo(ctx, tx, customs+"%[2]sE%09[3]d", now)
		if err != nil {
			return nothingYet, err
		}
		k["invtNo"] = invtNo
	}
	var lines []store.ExportLine
	for j, l := range d.InventoryList {
		name := l.ItemName
		if name == "" {
			name = l.Gname
		}
		lines = append(lines, store.ExportLine{Gnum: j + 1, ItemNo: l.ItemNo, ItemName: name, Gcode: l.Gcode, Unit: l.Unit, Currency: l.Currency,
			Qty: strings.TrimSpace(l.Qty), TotalFen: totals[j]})
	}
	if err := tx.InsertExportInventory(ctx, &store.ExportInventory{ID: id, AgentCode: h.AgentCode, CopNo: h.CopNo, PreNo: k["preNo"],
		InvtNo: k["invtNo"], EbpCode: h.EbpCode, OrderNo: h.OrderNo, EbcCode: h.EbcCode, OwnerCode: h.OwnerCode, LogisticsCode: h.LogisticsCode,
		LogisticsNo: h.LogisticsNo, TradeMode: h.TradeMode, StatisticsFlag: h.StatisticsFlag, CustomsCode: h.CustomsCode, PortCode: h.PortCode,
		TrafMode: h.TrafMode, Country: h.Country, Currency: lineCurrency(d), TotalFen: total, Status: "120", ReasonCode: "1800",
		Sender: sender, Data: string(body), DeclaredAt: now, UpdatedAt: now}, lines); err != nil {
		return nothingYet, err
	}
	inv, err := decoded(tx.ExportInventory(ctx, id))
	if err != nil {
		return nothingYet, err
	}
	st, f, err := s.judge(ctx, tx, inv, now)
	if err != nil {
		return nothingYet, err
	}
	return intake.Result{Status: st, Finding: f}, nil
}

func lineCurrency(d ceb.ExportInventory) string {
	if len(d.InventoryList) > 0 {
		return d.InventoryList[0].Currency
	}
	return ""
}

// rejudge judges the inventories waiting for a document that just changed.
func (s *Service) rejudge(ctx context.Context, tx *store.Tx, ids []string, now time.Time) error {
	for _, id := range ids {
		inv, err := decoded(tx.ExportInventory(ctx, id))
		if err != nil {
			return err
		}
		before := inv.Status
		st, f, err := s.judge(ctx, tx, inv, now)
		if err != nil {
			return err
		}
		if st != before || f.Code != "1801" {
			if err := inventoryReceipt(ctx, tx, inv, st, f, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// judge checks an export inventory against its documents (rules §11) and
// records the outcome: 120 waiting for documents (1801) or for the arrival
// (1401), 100 with the reason, or 800 when the goods have already arrived.
func (s *Service) judge(ctx context.Context, tx *store.Tx, inv *inventory, now time.Time) (string, clearance.Finding, error) {
	f, err := s.check(ctx, tx, inv)
	if err != nil {
		return "", f, err
	}
	status := "120"
	matched := false
	switch {
	case f.Code == "1801":
	case f.Code != "":
		status = "100"
	default:
		matched = true
		h := inv.Doc.InventoryHead
		arrived, err := getDoc(ctx, tx, "arrival", h.LogisticsCode, h.LogisticsNo, new(ceb.ArrivalHead))
		if err != nil {
			return "", f, err
		}
		f = clearance.Finding{Code: "1401", Detail: fmt.Sprintf("matched; waiting for the arrival (CEB507) of waybill %s", h.LogisticsNo)}
		if arrived {
			status, f = "800", clearance.Finding{Code: "2600", Detail: fmt.Sprintf("goods value %s %s; arrived at the exit port", fen(inv.TotalFen), lineCurrency(inv.Doc))}
			if detail, held := s.held(inv); held {
				status, f = "300", clearance.Finding{Code: "2420", Detail: detail}
			} else if sel, detail, err := s.selected(ctx, inv); err != nil {
				return "", f, err
			} else if sel {
				status, f = "500", clearance.Finding{Code: "2500", Detail: detail}
			}
		}
	}
	if err := tx.JudgeExportInventory(ctx, inv.ID, store.ExportJudgement{Status: status, ReasonCode: f.Code, ReasonInfo: f.Info(), Matched: matched},
		now, status == "800"); err != nil {
		return "", f, err
	}
	inv.Status, inv.Matched = status, matched
	return status, f, nil
}

// check runs the export checks in order; a zero Finding means all passed.
func (s *Service) check(ctx context.Context, tx *store.Tx, inv *inventory) (clearance.Finding, error) {
	h := inv.Doc.InventoryHead
	lines := inv.Doc.InventoryList
	fail := func(code, format string, args ...any) (clearance.Finding, error) {
		return clearance.Finding{Code: code, Detail: fmt.Sprintf(format, args...)}, nil
	}
	if h.IeFlag != "E" || (h.TradeMode != ModeRetail && h.TradeMode != ModeB2B && h.TradeMode != ModeWarehouse) {
		return fail("1409", "InventoryHead.tradeMode=%s, ieFlag=%s", h.TradeMode, h.IeFlag)
	}
	for j, l := range lines {
		if p, bad := hasPrefix(l.Gcode, s.Params.ProhibitedHS); bad {
			return fail("1406", "InventoryList[%d].gcode=%s is under the prohibited prefix %s", j+1, l.Gcode, p)
		}
	}
	switch h.StatisticsFlag {
	case "A":
		if strings.TrimSpace(h.LicenseNo) != "" {
			return fail("1407", "statisticsFlag=A (simplified) with licenseNo=%s: goods needing a licence are declared B", h.LicenseNo)
		}
		for j, l := range lines {
			if len(l.Gcode) < 4 || strings.Trim(l.Gcode, "0123456789") != "" {
				return fail("1407", "statisticsFlag=A needs an HS code of at least 4 digits: InventoryList[%d].gcode=%q", j+1, l.Gcode)
			}
		}
		if h.TradeMode != ModeRetail && lineCurrency(inv.Doc) == "142" && inv.TotalFen > s.Params.SimplifiedLimit.Fen() {
			return fail("1407", "statisticsFlag=A for %s worth %s CNY > rules.export.simplified_limit %s", h.TradeMode, fen(inv.TotalFen), s.Params.SimplifiedLimit)
		}
	case "B":
		for j, l := range lines {
			if len(l.Gcode) != 10 || strings.Trim(l.Gcode, "0123456789") != "" {
				return fail("1407", "statisticsFlag=B (summary) needs a 10-digit HS code: InventoryList[%d].gcode=%q", j+1, l.Gcode)
			}
		}
	default:
		return fail("1407", "statisticsFlag=%q is neither A nor B", h.StatisticsFlag)
	}
	if h.TradeMode == ModeWarehouse {
		filed, err := tx.HasExportWarehouse(ctx, h.EbcCode, h.Country)
		if err != nil {
			return clearance.Finding{}, err
		}
		if !filed {
			return fail("1408", "no overseas warehouse of ebcCode=%s is filed for country=%s", h.EbcCode, h.Country)
		}
	}
	var order ceb.ExportOrder
	var rcpt ceb.Receipts
	var wb ceb.ExportLogistics
	hasOrder, err := getDoc(ctx, tx, "order", h.EbpCode, h.OrderNo, &order)
	if err != nil {
		return clearance.Finding{}, err
	}
	hasReceipt, err := getDoc(ctx, tx, "receipt", h.EbpCode, h.OrderNo, &rcpt)
	if err != nil {
		return clearance.Finding{}, err
	}
	hasWaybill, err := getDoc(ctx, tx, "waybill", h.LogisticsCode, h.LogisticsNo, &wb)
	if err != nil {
		return clearance.Finding{}, err
	}
	var missing []string
	if !hasOrder && h.TradeMode != ModeWarehouse {
		missing = append(missing, "order (CEB303)")
	}
	if !hasReceipt && h.TradeMode == ModeRetail {
		missing = append(missing, "receipt of payment (CEB403)")
	}
	if !hasWaybill {
		missing = append(missing, "waybill (CEB505)")
	}
	if len(missing) > 0 {
		return fail("1801", "%s", strings.Join(missing, ", "))
	}
	if hasOrder {
		oh := order.OrderHead
		goods, err := amount("OrderHead.goodsValue", oh.GoodsValue)
		if err != nil {
			return fail("1402", "%v", err)
		}
		var sum int64
		ordered := make([]figures, len(order.OrderList))
		for j, l := range order.OrderList {
			q, err1 := decimal("qty", l.Qty)
			p, err2 := decimal("price", l.Price)
			t, err3 := amount("totalPrice", l.TotalPrice)
			if err := errors.Join(err1, err2, err3); err != nil {
				return fail("1402", "OrderList[%d]: %v", j+1, err)
			}
			want, err := times(p, q)
			if err != nil || abs(want-t) > 1 {
				return fail("1402", "OrderList[%d].totalPrice=%s, price × qty = %s", j+1, l.TotalPrice, fen(want))
			}
			ordered[j] = figures{qty: q, price: p, total: t}
			sum += t
		}
		if abs(sum-goods) > 1 {
			return fail("1402", "OrderHead.goodsValue=%s, Σ OrderList.totalPrice=%s", oh.GoodsValue, fen(sum))
		}
		if hasReceipt {
			freight, err := amount("OrderHead.freight", oh.Freight)
			if err != nil {
				return fail("1402", "%v", err)
			}
			charge, err := amount("Receipts.charge", rcpt.Charge)
			if err != nil {
				// A receipt is refused at intake unless its charge parses: this row is damaged.
				return clearance.Finding{}, damaged(fmt.Sprintf("receipt %s/%s", h.EbpCode, h.OrderNo), err)
			}
			if abs(charge-(goods+freight)) > 1 || rcpt.Currency != oh.Currency {
				return fail("1403", "Receipts.charge=%s %s, OrderHead.goodsValue + freight = %s %s", rcpt.Charge, rcpt.Currency, fen(goods+freight), oh.Currency)
			}
		}
		if oh.EbcCode != h.EbcCode {
			return fail("1404", "InventoryHead.ebcCode=%s, OrderHead.ebcCode=%s", h.EbcCode, oh.EbcCode)
		}
		if len(order.OrderList) != len(lines) {
			return fail("1404", "the inventory has %d lines, the order %d", len(lines), len(order.OrderList))
		}
		for j, l := range lines {
			ol, o := order.OrderList[j], ordered[j]
			// The schema lets through numbers such as "+2" or "5." that are none here.
			q, err1 := decimal(fmt.Sprintf("InventoryList[%d].qty", j+1), l.Qty)
			p, err2 := decimal(fmt.Sprintf("InventoryList[%d].price", j+1), l.Price)
			if err := errors.Join(err1, err2); err != nil {
				return fail("1404", "%v", err)
			}
			t, err := amount(fmt.Sprintf("InventoryList[%d].totalPrice", j+1), l.TotalPrice)
			if err != nil {
				// An inventory is refused at intake unless its totals parse: this row is damaged.
				return clearance.Finding{}, damaged(fmt.Sprintf("export inventory %s/%s", h.AgentCode, h.CopNo), err)
			}
			switch {
			case l.ItemNo != ol.ItemNo:
				return fail("1404", "InventoryList[%d].itemNo=%s, OrderList[%d].itemNo=%s", j+1, l.ItemNo, j+1, ol.ItemNo)
			case q.Cmp(o.qty) != 0:
				return fail("1404", "InventoryList[%d].qty=%s, OrderList[%d].qty=%s", j+1, l.Qty, j+1, ol.Qty)
			case p.Cmp(o.price) != 0 || abs(t-o.total) > 1:
				return fail("1404", "InventoryList[%d] price %s total %s, OrderList[%d] price %s total %s", j+1, l.Price, l.TotalPrice, j+1, ol.Price, ol.TotalPrice)
			case l.Currency != oh.Currency:
				return fail("1404", "InventoryList[%d].currency=%s, OrderHead.currency=%s", j+1, l.Currency, oh.Currency)
			}
		}
	}
	if wb.EbcCode != "" && wb.EbcCode != h.EbcCode {
		return fail("1405", "InventoryHead.ebcCode=%s, Logistics.ebcCode=%s", h.EbcCode, wb.EbcCode)
	}
	return clearance.Finding{}, nil
}

// figures are a declared line's quantity, price and total (fen), parsed.
type figures struct {
	qty, price money.Decimal
	total      int64
}

// inventoryReceipt puts an export inventory's new status in its declarer's feed (CEB604).
func inventoryReceipt(ctx context.Context, tx *store.Tx, inv *inventory, status string, f clearance.Finding, now time.Time) error {
	h := inv.Doc.InventoryHead
	keys := ceb.Keys{"agentCode": h.AgentCode, "copNo": h.CopNo, "preNo": inv.PreNo, "invtNo": inv.InvtNo, "ebcCode": h.EbcCode,
		"ebpCode": h.EbpCode, "orderNo": h.OrderNo, "statisticsFlag": h.StatisticsFlag}
	info := f.Info()
	xml, err := receipt.One("CEB604Message", keys, receipt.Status{ReturnStatus: status, ReturnInfo: info}, now)
	if err != nil {
		return err
	}
	return tx.AddReceipt(ctx, &store.Receipt{EnterpriseCode: inv.Sender, MessageType: "CEB604Message", CopNo: h.CopNo, OrderNo: h.OrderNo,
		ReturnStatus: status, ReturnInfo: info, XML: string(xml), CreatedAt: now})
}

// selected draws an arrived export for inspection at the rate of its
// consignor's credit class, or the dishonest rate when it is on the abnormal
// operations list (rules §9), as the import side does.
func (s *Service) selected(ctx context.Context, inv *inventory) (bool, string, error) {
	if s.Rules == nil {
		return false, "", nil
	}
	e, err := s.Parties.Get(ctx, inv.Doc.InventoryHead.EbcCode)
	if err != nil || e == nil {
		return false, "", err
	}
	draw := clearance.Draw("export:" + inv.ID)
	if !s.Rules.Selected(e.CreditClass, e.AbnormalList, draw) {
		return false, "", nil
	}
	return true, fmt.Sprintf("credit class %s, draw %s; goods value %s %s", e.CreditClass, draw, fen(inv.TotalFen), lineCurrency(inv.Doc)), nil
}

// Inspect records an officer's inspection result of an export selected for
// inspection (500): passed releases it (800), failed rejects it (100, 1419).
func (s *Service) Inspect(ctx context.Context, number string, passed bool, note, by string) (*InventoryView, error) {
	if strings.TrimSpace(note) == "" {
		return nil, errs.Invalidf("note", "note_required", "say what the inspection found")
	}
	now := s.Now()
	err := s.Batch.Do(ctx, func(tx *store.Tx) error {
		inv, err := decoded(tx.ExportInventoryByNumber(ctx, number))
		if err != nil {
			return err
		}
		if inv == nil {
			return errs.New(errs.NotFound, "export_inventory_not_found", "number", "no export inventory %s", number)
		}
		if inv.Status != "500" && inv.Status != "300" {
			return errs.New(errs.Conflict, "not_selected", "number", "export inventory %s has status %s, not 500 (selected for inspection) or 300 (held)", number, inv.Status)
		}
		if detail, held := s.held(inv); held && passed {
			return errs.New(errs.Conflict, "measure_in_force", "number", "export inventory %s falls under an emergency measure in force (%s); lift the measure first", number, detail)
		}
		status, f := "800", clearance.Finding{Code: "2600", Detail: fmt.Sprintf("inspected by %s, passed: %s", by, note)}
		if !passed {
			status, f = "100", clearance.Finding{Code: "1419", Detail: fmt.Sprintf("inspected by %s: %s", by, note)}
			if inv.Status == "300" {
				f.Code = "1502"
			}
		}
		if err := tx.JudgeExportInventory(ctx, inv.ID, store.ExportJudgement{Status: status, ReasonCode: f.Code, ReasonInfo: f.Info(), Matched: inv.Matched},
			now, passed); err != nil {
			return err
		}
		return inventoryReceipt(ctx, tx, inv, status, f, now)
	})
	if err != nil {
		return nil, wrap("record inspection of export "+number, err)
	}
	return s.Inventory(ctx, number)
}

// Sweep re-judges the export inventories still waiting (120): documents
// committed at the same time as their inventory, in another transaction, are
// seen here; one that waited for its documents longer than DocumentWait is
// rejected (100, 1301). It returns how many changed.
func (s *Service) Sweep(ctx context.Context) (changed int, err error) {
	defer errs.Wrap(&err, "export.Sweep")
	now := s.Now()
	ids, err := s.DB.StaleExportInventories(ctx, now.Add(-2*time.Second), 1000)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		ok, err := s.judgeWaiting(ctx, id, now)
		if err != nil {
			return changed, err
		}
		if ok {
			changed++
		}
	}
	return changed, nil
}

// judgeWaiting judges an export inventory still waiting (120) again, with a
// receipt when that changed anything.
func (s *Service) judgeWaiting(ctx context.Context, id string, now time.Time) (changed bool, err error) {
	err = s.Batch.Do(ctx, func(tx *store.Tx) error {
		changed = false
		inv, err := decoded(tx.WaitingExportInventory(ctx, id))
		if err != nil || inv == nil {
			return err
		}
		before := inv.ReasonCode
		st, f, err := s.judge(ctx, tx, inv, now)
		if err != nil {
			return err
		}
		if st == "120" && f.Code == "1801" && s.DocumentWait > 0 && now.Sub(inv.DeclaredAt) > s.DocumentWait {
			st, f = "100", clearance.Finding{Code: "1301", Detail: fmt.Sprintf("waited %s for: %s", s.DocumentWait, f.Detail)}
			if err := tx.JudgeExportInventory(ctx, inv.ID, store.ExportJudgement{Status: st, ReasonCode: f.Code, ReasonInfo: f.Info(), Matched: inv.Matched},
				now, false); err != nil {
				return err
			}
		}
		if st != "120" || f.Code != before {
			changed = true
			return inventoryReceipt(ctx, tx, inv, st, f, now)
		}
		return nil
	})
	return changed, err
}

// Unhold puts the exports that a lifted measure held (300, 2420 naming it)
// back to waiting (120, with f: code 2421) in the lift's transaction, each
// with a CEB604, as the import side does; Rejudge judges them once the
// measure is gone. It returns their ids and copNos.
func (s *Service) Unhold(ctx context.Context, tx *store.Tx, measureID string, f clearance.Finding, now time.Time) (ids, copNos []string, err error) {
	defer errs.Wrap(&err, "export.Unhold(%s)", measureID)
	held, err := tx.HeldExportInventories(ctx)
	if err != nil {
		return nil, nil, err
	}
	for i := range held {
		if !strings.Contains(held[i].ReasonInfo, "measure "+measureID+":") {
			continue
		}
		inv, err := decoded(&held[i], nil)
		if err != nil {
			return nil, nil, err
		}
		if err := tx.JudgeExportInventory(ctx, inv.ID, store.ExportJudgement{Status: "120", ReasonCode: f.Code, ReasonInfo: f.Info(), Matched: inv.Matched},
			now, false); err != nil {
			return nil, nil, fmt.Errorf("put export %s back to judgement: %w", inv.CopNo, err)
		}
		if err := inventoryReceipt(ctx, tx, inv, "120", f, now); err != nil {
			return nil, nil, err
		}
		ids, copNos = append(ids, inv.ID), append(copNos, inv.CopNo)
	}
	return ids, copNos, nil
}

// Rejudge judges the given export inventories again (those Unhold put back).
func (s *Service) Rejudge(ctx context.Context, ids []string) error {
	now := s.Now()
	for _, id := range ids {
		if _, err := s.judgeWaiting(ctx, id, now); err != nil {
			return fmt.Errorf("judge export again: %w", err)
		}
	}
	return nil
}

// held asks the emergency measures (rules §9) about an export: its
// enterprises, products, GTINs and HS codes (not the destination, which is
// no origin).
func (s *Service) held(inv *inventory) (string, bool) {
	if s.Measures == nil {
		return "", false
	}
	h := inv.Doc.InventoryHead
	doc := &clearance.Inventory{EbpCode: h.EbpCode, EbcCode: h.EbcCode, AgentCode: h.AgentCode, LogisticsCode: h.LogisticsCode}
	for j, l := range inv.Doc.InventoryList {
		doc.Lines = append(doc.Lines, clearance.InventoryLine{Gnum: j + 1, ItemNo: l.ItemNo, ItemName: l.ItemName, Gcode: l.Gcode, Gname: l.Gname, BarCode: l.BarCode})
	}
	return s.Measures(doc)
}
