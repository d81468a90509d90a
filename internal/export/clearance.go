package export

import (
	"context"
	"database/sql"
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
	var old, owner string
	err = tx.QueryRow(ctx, `SELECT data, sender FROM export_docs WHERE kind = $1 AND k1 = $2 AND k2 = $3`, d.kind, d.k1, d.k2).Scan(&old, &owner)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
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
			var released int
			q := `SELECT COUNT(*) FROM export_inventories WHERE ebp_code = $1 AND order_no = $2 AND status IN ('800', '899')`
			if d.kind == "waybill" {
				q = `SELECT COUNT(*) FROM export_inventories WHERE logistics_code = $1 AND logistics_no = $2 AND status IN ('800', '899')`
			}
			if err := tx.QueryRow(ctx, q, d.k1, d.k2).Scan(&released); err != nil {
				return nothingYet, false, err
			}
			if released > 0 {
				return intake.Refused("22007", "%s %s/%s belongs to a released export inventory", d.kind, d.k1, d.k2), false, nil
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM export_docs WHERE kind = $1 AND k1 = $2 AND k2 = $3`, d.kind, d.k1, d.k2); err != nil {
			return nothingYet, false, err
		}
		if appType == "3" {
			return intake.Accepted(), true, nil
		}
	default:
		return intake.Refused("1103", "appType=%s", appType), false, nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO export_docs (kind, k1, k2, ebc_code, amount_fen, currency, data, sender, at, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`, d.kind, d.k1, d.k2, d.ebc, d.amountFen, d.currency, string(body), sender, d.at, now); err != nil {
		return nothingYet, false, err
	}
	return intake.Accepted(), true, nil
}

// getDoc reads a stored document into v; false when there is none.
func getDoc(ctx context.Context, tx *store.Tx, kind, k1, k2 string, v any) (bool, error) {
	var data string
	err := tx.QueryRow(ctx, `SELECT data FROM export_docs WHERE kind = $1 AND k1 = $2 AND k2 = $3`, kind, k1, k2).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal([]byte(data), v)
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
			if r, ok := s.sanctioned(ctx, h.EbpCode, h.EbcCode); !ok {
				return r, nil
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
			return res, s.rejudge(ctx, tx, `ebp_code = $1 AND order_no = $2`, now, h.EbpCode, h.OrderNo)
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
			if res, ok := s.sanctioned(ctx, r.PayCode, r.EbcCode); !ok {
				return res, nil
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
			return res, s.rejudge(ctx, tx, `ebp_code = $1 AND order_no = $2`, now, r.EbpCode, r.OrderNo)
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
			if res, ok := s.sanctioned(ctx, w.LogisticsCode); !ok {
				return res, nil
			}
			// The consignor's phone is not kept: only what matching needs.
			w.Guid, w.AppTime, w.AppType, w.EbcTelephone = "", "", "", ""
			res, changed, err := putDoc(ctx, tx, keys[i]["appType"], env.Sender.Code, stored{kind: "waybill", k1: w.LogisticsCode, k2: w.LogisticsNo,
				ebc: w.EbcCode, currency: w.Currency, data: w, at: now}, now)
			if err != nil || !changed {
				return res, err
			}
			return res, s.rejudge(ctx, tx, `logistics_code = $1 AND logistics_no = $2`, now, w.LogisticsCode, w.LogisticsNo)
		}})
	}
	return out, nil, nil
}

// sanctioned refuses a document naming an enterprise under a credit sanction (rules §9).
func (s *Service) sanctioned(ctx context.Context, codes ...string) (intake.Result, bool) {
	for _, c := range codes {
		if c == "" {
			continue
		}
		e, err := s.Parties.Get(ctx, c)
		if err == nil && e != nil && clearance.Sanctioned(e) {
			return intake.Refused("22004", "%s is under a credit sanction", c), false
		}
	}
	return nothingYet, true
}

// inventory is an export inventory as kept.
type inventory struct {
	ID, AgentCode, CopNo, PreNo, InvtNo, Sender, Status, ReasonCode, ReasonInfo string
	Doc                                                                         ceb.ExportInventory
	Matched                                                                     bool
	ReleasedAt                                                                  *time.Time
	DeclaredAt                                                                  time.Time
	TotalFen                                                                    int64
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
	if res, ok := s.sanctioned(ctx, h.AgentCode, h.EbcCode, h.EbpCode, h.LogisticsCode); !ok {
		return res, preNo(ctx, tx, k, "E", now)
	}
	old, err := s.inventoryBy(ctx, tx, `agent_code = $1 AND cop_no = $2`, h.AgentCode, h.CopNo)
	if err != nil {
		return nothingYet, err
	}
	var total int64
	for j, l := range d.InventoryList {
		v, err := amount(fmt.Sprintf("InventoryList[%d].totalPrice", j+1), l.TotalPrice)
		if err != nil {
			return intake.Refused("1404", "%v", err), preNo(ctx, tx, k, "E", now)
		}
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
			prev, _ := json.Marshal(old.Doc)
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
			_, err := tx.Exec(ctx, `UPDATE export_inventories SET status = '899', reason_code = $2, reason_info = $3, cancelled = $4, closed_at = $5, updated_at = $5 WHERE id = $1`,
				old.ID, f.Code, f.Info(), true, now)
			return intake.Result{Status: "899", Finding: f}, err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM export_lines WHERE inventory_id = $1`, old.ID); err != nil {
			return nothingYet, err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM export_inventories WHERE id = $1`, old.ID); err != nil {
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
	if _, err := tx.Exec(ctx, `INSERT INTO export_inventories (id, agent_code, cop_no, pre_no, invt_no, ebp_code, order_no, ebc_code, owner_code,
		logistics_code, logistics_no, trade_mode, statistics_flag, customs_code, port_code, traf_mode, country, currency, total_fen, matched,
		status, reason_code, reason_info, sender, data, declared_at, cancelled, sum_no, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,'120','1800','',$21,$22,$23,$24,'',$23)`,
		id, h.AgentCode, h.CopNo, k["preNo"], k["invtNo"], h.EbpCode, h.OrderNo, h.EbcCode, h.OwnerCode, h.LogisticsCode, h.LogisticsNo,
		h.TradeMode, h.StatisticsFlag, h.CustomsCode, h.PortCode, h.TrafMode, h.Country, lineCurrency(d), total, false, sender, string(body), now, false); err != nil {
		return nothingYet, err
	}
	for j, l := range d.InventoryList {
		v, _ := amount("totalPrice", l.TotalPrice)
		name := l.ItemName
		if name == "" {
			name = l.Gname
		}
		if _, err := tx.Exec(ctx, `INSERT INTO export_lines (inventory_id, gnum, item_no, item_name, gcode, unit, currency, qty, total_fen) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
			id, j+1, l.ItemNo, name, l.Gcode, l.Unit, l.Currency, strings.TrimSpace(l.Qty), v); err != nil {
			return nothingYet, err
		}
	}
	inv, err := s.inventoryBy(ctx, tx, `id = $1`, id)
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

// inventoryBy reads one export inventory; nil when none.
func (s *Service) inventoryBy(ctx context.Context, tx *store.Tx, where string, args ...any) (*inventory, error) {
	var inv inventory
	var data string
	var rel store.NullTime
	var declared store.Time
	err := tx.QueryRow(ctx, `SELECT id, agent_code, cop_no, pre_no, invt_no, sender, status, reason_code, reason_info, data, matched, released_at, total_fen, declared_at
		FROM export_inventories WHERE `+where, args...).Scan(&inv.ID, &inv.AgentCode, &inv.CopNo, &inv.PreNo, &inv.InvtNo, &inv.Sender, &inv.Status,
		&inv.ReasonCode, &inv.ReasonInfo, &data, &inv.Matched, &rel, &inv.TotalFen, &declared)
	inv.DeclaredAt = declared.Time
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read export inventory: %w", err)
	}
	if rel.Valid {
		t := rel.Time.Time
		inv.ReleasedAt = &t
	}
	return &inv, json.Unmarshal([]byte(data), &inv.Doc)
}

// rejudge judges the inventories waiting for a document that just changed.
func (s *Service) rejudge(ctx context.Context, tx *store.Tx, where string, now time.Time, args ...any) error {
	rows, err := tx.Query(ctx, `SELECT id FROM export_inventories WHERE status = '120' AND `+where, args...)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		inv, err := s.inventoryBy(ctx, tx, `id = $1`, id)
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
	q := `UPDATE export_inventories SET status = $2, reason_code = $3, reason_info = $4, matched = $5, updated_at = $6 WHERE id = $1`
	args := []any{inv.ID, status, f.Code, f.Info(), matched, now}
	if status == "800" {
		q = `UPDATE export_inventories SET status = $2, reason_code = $3, reason_info = $4, matched = $5, updated_at = $6, released_at = $6 WHERE id = $1`
	}
	if _, err := tx.Exec(ctx, q, args...); err != nil {
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
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM export_warehouses WHERE ebc_code = $1 AND country = $2`, h.EbcCode, h.Country).Scan(&n); err != nil {
			return clearance.Finding{}, err
		}
		if n == 0 {
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
			charge, _ := amount("Receipts.charge", rcpt.Charge)
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
			ol := order.OrderList[j]
			q1, _ := decimal("qty", l.Qty)
			q2, _ := decimal("qty", ol.Qty)
			p1, _ := decimal("price", l.Price)
			p2, _ := decimal("price", ol.Price)
			t1, _ := amount("totalPrice", l.TotalPrice)
			t2, _ := amount("totalPrice", ol.TotalPrice)
			switch {
			case l.ItemNo != ol.ItemNo:
				return fail("1404", "InventoryList[%d].itemNo=%s, OrderList[%d].itemNo=%s", j+1, l.ItemNo, j+1, ol.ItemNo)
			case q1.Cmp(q2) != 0:
				return fail("1404", "InventoryList[%d].qty=%s, OrderList[%d].qty=%s", j+1, l.Qty, j+1, ol.Qty)
			case p1.Cmp(p2) != 0 || abs(t1-t2) > 1:
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
		inv, err := s.inventoryBy(ctx, tx, `invt_no = $1 OR cop_no = $1`, number)
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
		q := `UPDATE export_inventories SET status = $2, reason_code = $3, reason_info = $4, released_at = $5, updated_at = $5 WHERE id = $1`
		if !passed {
			status, f = "100", clearance.Finding{Code: "1419", Detail: fmt.Sprintf("inspected by %s: %s", by, note)}
			if inv.Status == "300" {
				f.Code = "1502"
			}
			q = `UPDATE export_inventories SET status = $2, reason_code = $3, reason_info = $4, updated_at = $5 WHERE id = $1`
		}
		if _, err := tx.Exec(ctx, q, inv.ID, status, f.Code, f.Info(), now); err != nil {
			return err
		}
		return inventoryReceipt(ctx, tx, inv, status, f, now)
	})
	if err != nil {
		return nil, wrap("record inspection", err)
	}
	return s.Inventory(ctx, number)
}

// Sweep re-judges the export inventories still waiting (120): documents
// committed at the same time as their inventory, in another transaction, are
// seen here; one that waited for its documents longer than DocumentWait is
// rejected (100, 1301). It returns how many changed.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.Now()
	rows, err := s.DB.Query(ctx, `SELECT id FROM export_inventories WHERE status = '120' AND updated_at < $1 ORDER BY updated_at LIMIT 1000`, now.Add(-2*time.Second))
	if err != nil {
		return 0, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	changed := 0
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
		inv, err := s.inventoryBy(ctx, tx, `id = $1 AND status = '120'`, id)
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
			if _, err := tx.Exec(ctx, `UPDATE export_inventories SET status = '100', reason_code = $2, reason_info = $3, updated_at = $4 WHERE id = $1`,
				inv.ID, f.Code, f.Info(), now); err != nil {
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
	rows, err := tx.Query(ctx, `SELECT id, reason_info FROM export_inventories WHERE status = '300' AND reason_code = '2420'`)
	if err != nil {
		return nil, nil, fmt.Errorf("exports held by measure %s: %w", measureID, err)
	}
	for rows.Next() {
		var id, info string
		if err := rows.Scan(&id, &info); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("exports held by measure %s: %w", measureID, err)
		}
		if strings.Contains(info, "measure "+measureID+":") {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("exports held by measure %s: %w", measureID, err)
	}
	for _, id := range ids {
		inv, err := s.inventoryBy(ctx, tx, `id = $1`, id)
		if err != nil {
			return nil, nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE export_inventories SET status = '120', reason_code = $2, reason_info = $3, updated_at = $4 WHERE id = $1`,
			id, f.Code, f.Info(), now); err != nil {
			return nil, nil, fmt.Errorf("put export %s back to judgement: %w", inv.CopNo, err)
		}
		if err := inventoryReceipt(ctx, tx, inv, "120", f, now); err != nil {
			return nil, nil, err
		}
		copNos = append(copNos, inv.CopNo)
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
