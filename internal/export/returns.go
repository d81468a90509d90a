package export

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/intake"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
)

// returnLine is a returned quantity of one HS code of the original inventory.
type returnLine struct {
	Gcode     string `json:"gcode"`
	Qty       string `json:"qty"`
	ExemptFen int64  `json:"exemptFen"`
}

// returnDocuments takes export returns (CEB213 → 214): goods exported and
// returned in original state within rules.export.return_months of release,
// released in the policy period, are exempt from import duty, VAT and
// consumption tax; food is excluded. Nothing else is restored: an export
// never took a buyer's quota, stock or guarantee.
func (s *Service) returnDocuments(ctx context.Context, _ *intake.Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]intake.Doc, []ceb.Problem, error) {
	m := d.Message.(*ceb.CEB213Message)
	keys := ceb.DocumentKeys(m)
	var out []intake.Doc
	for i := range m.InvtRefund {
		r := m.InvtRefund[i]
		h := r.InvtRefundHead
		if err := intake.MayAct(sender, fmt.Sprintf("InvtRefund[%d]/InvtRefundHead/ebcCode", i+1), declarers, h.EbcCode, h.AgentCode); err != nil {
			return nil, nil, err
		}
		k := keys[i]
		out = append(out, &doc{keys: k, copNo: h.CoElNo, apply: func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
			if err := preNo(ctx, tx, k, "R", now); err != nil {
				return nothingYet, err
			}
			return s.applyReturn(ctx, tx, r, k["preNo"], now)
		}})
	}
	return out, nil, nil
}

func (s *Service) applyReturn(ctx context.Context, tx *store.Tx, r ceb.ExportInvtRefund, preNo string, now time.Time) (intake.Result, error) {
	h := r.InvtRefundHead
	if h.AppType != "1" {
		return intake.Refused("1103", "an export return is declared with appType 1 only, not %s", h.AppType), nil
	}
	dup, err := tx.ExportReturnExists(ctx, h.EbcCode, h.CoElNo)
	if err != nil {
		return nothingYet, err
	}
	if dup {
		return intake.Refused("1101", "export return %s/%s exists", h.EbcCode, h.CoElNo), nil
	}
	inv, err := decoded(tx.ExportInventoryByInvtNo(ctx, h.InvtNo))
	if err != nil {
		return nothingYet, err
	}
	if inv == nil || inv.Doc.InventoryHead.EbcCode != h.EbcCode {
		return intake.Refused("1417", "invtNo=%s is not an export inventory of ebcCode=%s", h.InvtNo, h.EbcCode), nil
	}
	if inv.ReleasedAt == nil || (inv.Status != "800" && inv.Status != "899") {
		return intake.Refused("1417", "export inventory invtNo=%s was never released (status %s): nothing to return", h.InvtNo, inv.Status), nil
	}
	rel := inv.ReleasedAt.In(cst)
	day := time.Date(rel.Year(), rel.Month(), rel.Day(), 0, 0, 0, 0, cst)
	p := s.Params
	if day.Before(p.ReturnPolicyFrom) || day.After(p.ReturnPolicyUntil) {
		return intake.Refused("1415", "released on %s, outside the policy period %s to %s", day.Format(time.DateOnly),
			p.ReturnPolicyFrom.Format(time.DateOnly), p.ReturnPolicyUntil.Format(time.DateOnly)), nil
	}
	if limit := rel.AddDate(0, p.ReturnMonths, 0); now.After(limit) {
		return intake.Refused("1415", "released on %s; returns are exempt until %s (%d months), applied on %s", rel.Format(time.DateOnly),
			limit.Format(time.DateOnly), p.ReturnMonths, now.In(cst).Format(time.DateOnly)), nil
	}
	for j, l := range r.InvtRefundList {
		if pre, food := hasPrefix(l.Gcode, p.FoodHS); food {
			return intake.Refused("1416", "InvtRefundList[%d].gcode=%s is food (HS prefix %s): returned food keeps its import taxes", j+1, l.Gcode, pre), nil
		}
	}
	// Quantities already returned per HS code, from earlier returns.
	done := map[string]money.Decimal{}
	earlier, err := tx.ExportReturnLines(ctx, inv.ID)
	if err != nil {
		return nothingYet, err
	}
	for _, js := range earlier {
		var ls []returnLine
		if err := json.Unmarshal([]byte(js), &ls); err != nil {
			return nothingYet, fmt.Errorf("decode stored lines of an export return of inventory %s: %w", inv.ID, err)
		}
		for _, l := range ls {
			q, err := decimal("qty", l.Qty)
			if err != nil {
				return nothingYet, fmt.Errorf("decode stored lines of an export return of inventory %s: %w", inv.ID, err)
			}
			prev, ok := done[l.Gcode]
			if !ok {
				prev = money.DecimalFromInt(0)
			}
			if done[l.Gcode], err = prev.Add(q); err != nil {
				return nothingYet, fmt.Errorf("add up returns of inventory %s: %w", inv.ID, err)
			}
		}
	}
	var lines []returnLine
	var exempt int64
	for j, l := range r.InvtRefundList {
		q, err := decimal(fmt.Sprintf("InvtRefundList[%d].qty", j+1), l.Qty)
		if err != nil || q.Sign() <= 0 {
			return intake.Refused("1417", "InvtRefundList[%d].qty=%q must be a positive number", j+1, l.Qty), nil
		}
		x := slices.IndexFunc(inv.Doc.InventoryList, func(o ceb.ExportInventoryList) bool { return o.Gcode == l.Gcode })
		if x < 0 {
			return intake.Refused("1417", "InvtRefundList[%d].gcode=%s is not on export inventory %s", j+1, l.Gcode, h.InvtNo), nil
		}
		// The original's quantity and price were declared for a list that was
		// released; they are checked against an order only when there is one.
		orig, stored := &inv.Doc.InventoryList[x], fmt.Sprintf("export inventory %s", h.InvtNo)
		oq, err := decimal(fmt.Sprintf("InventoryList[%d].qty", x+1), orig.Qty)
		if err != nil {
			return nothingYet, damaged(stored, err)
		}
		price, err := decimal(fmt.Sprintf("InventoryList[%d].price", x+1), orig.Price)
		if err != nil {
			return nothingYet, damaged(stored, err)
		}
		prev, ok := done[l.Gcode]
		if !ok {
			prev = money.DecimalFromInt(0)
		}
		after, err := prev.Add(q)
		if err != nil {
			return nothingYet, fmt.Errorf("add InvtRefundList[%d].qty=%s to the %s returned of export inventory %s: %w", j+1, l.Qty, prev, h.InvtNo, err)
		}
		if after.Cmp(oq) > 0 {
			return intake.Refused("1417", "InvtRefundList[%d].qty=%s: %s exported, %s already returned", j+1, l.Qty, orig.Qty, prev.String()), nil
		}
		done[l.Gcode] = after
		// The exempt value is the line's share: totalPrice × returned ÷ exported.
		v, err := times(price, q)
		if err != nil {
			return nothingYet, err
		}
		exempt += v
		lines = append(lines, returnLine{Gcode: l.Gcode, Qty: q.String(), ExemptFen: v})
	}
	js, err := json.Marshal(lines)
	if err != nil {
		return nothingYet, fmt.Errorf("encode lines of export return %s/%s: %w", h.EbcCode, h.CoElNo, err)
	}
	currency := lineCurrency(inv.Doc)
	if err := tx.InsertExportReturn(ctx, &store.ExportReturn{ID: newID(), EbcCode: h.EbcCode, CopNo: h.CoElNo, PreNo: preNo, InvtNo: h.InvtNo,
		InventoryID: inv.ID, LogisticsCode: h.LogisticsCode, LogisticsNo: h.LogisticsNo, State: "applied", Reason: h.Reason, ExemptFen: exempt,
		Currency: currency, Lines: string(js), AppliedAt: now}); err != nil {
		return nothingYet, err
	}
	return intake.Result{Status: "120", Finding: clearance.Finding{Code: "2804", Detail: fmt.Sprintf(
		"import duty, VAT and consumption tax exempt on %s %s (%d lines); export duty refunded 0.00 (none levied); no quota, stock or guarantee to restore: the export never took any",
		fen(exempt), currency, len(lines))}}, nil
}

// tallyDocuments takes tallies of returned goods (CEB215 → 216).
func (s *Service) tallyDocuments(ctx context.Context, _ *intake.Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]intake.Doc, []ceb.Problem, error) {
	m := d.Message.(*ceb.CEB215Message)
	keys := ceb.DocumentKeys(m)
	var out []intake.Doc
	for i := range m.InvtRefundDetail {
		t := m.InvtRefundDetail[i]
		if err := intake.MayAct(sender, fmt.Sprintf("InvtRefundDetail[%d]/operatorCode", i+1), operators, t.OperatorCode, t.LogisticsCode); err != nil {
			return nil, nil, err
		}
		k := keys[i]
		out = append(out, &doc{keys: k, copNo: t.CoElNo, apply: func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
			if err := preNo(ctx, tx, k, "T", now); err != nil {
				return nothingYet, err
			}
			ret, err := tx.ExportReturnByWaybill(ctx, t.CoElNo, t.LogisticsNo)
			if errs.KindOf(err) == errs.NotFound {
				return intake.Refused("1418", "no export return coElNo=%s with logisticsNo=%s", t.CoElNo, t.LogisticsNo), nil
			}
			if err != nil {
				return nothingYet, err
			}
			if ret.State != "applied" {
				return intake.Refused("1418", "export return coElNo=%s is %s", t.CoElNo, ret.State), nil
			}
			if err := tx.TallyExportReturn(ctx, ret.ID, now); err != nil {
				return nothingYet, err
			}
			return intake.Result{Status: "120", Finding: clearance.Finding{Code: "2805", Detail: fmt.Sprintf("return of invtNo %s tallied at %s", ret.InvtNo, t.Location)}}, nil
		}})
	}
	return out, nil, nil
}
