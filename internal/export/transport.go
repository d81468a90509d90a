package export

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/intake"
	"github.com/cbec-platform/cbec/internal/store"
)

// arrivalDocuments takes arrivals at the exit port (运抵, CEB507): each named
// waybill is recorded as arrived and its matched inventory is released.
func (s *Service) arrivalDocuments(ctx context.Context, _ *intake.Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]intake.Doc, []ceb.Problem, error) {
	m := d.Message.(*ceb.CEB507Message)
	keys := ceb.DocumentKeys(m)
	var out []intake.Doc
	for i := range m.Arrival {
		a := m.Arrival[i]
		h := a.ArrivalHead
		if err := intake.MayAct(sender, fmt.Sprintf("Arrival[%d]/ArrivalHead/operatorCode", i+1), operators, h.OperatorCode, h.LogisticsCode); err != nil {
			return nil, nil, err
		}
		k := keys[i]
		if k["billNo"] == "" {
			k["billNo"] = h.DomesticTrafNo
		}
		if k["msgSeqNo"] == "" {
			k["msgSeqNo"] = "1"
		}
		out = append(out, &doc{keys: k, copNo: h.CopNo, apply: func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
			if err := preNo(ctx, tx, k, "Y", now); err != nil {
				return nothingYet, err
			}
			if h.AppType != "1" {
				return intake.Refused("1103", "an arrival is declared with appType 1 only, not %s", h.AppType), nil
			}
			if h.IeFlag != "E" {
				return intake.Refused("1412", "ArrivalHead.ieFlag=%s: export arrivals are E", h.IeFlag), nil
			}
			if len(a.ArrivalList) == 0 {
				return intake.Refused("1412", "the arrival names no waybill (ArrivalList is empty)"), nil
			}
			for j, l := range a.ArrivalList {
				var wb ceb.ExportLogistics
				found, err := getDoc(ctx, tx, "waybill", h.LogisticsCode, l.LogisticsNo, &wb)
				if err != nil {
					return nothingYet, err
				}
				if !found {
					return intake.Refused("1412", "ArrivalList[%d].logisticsNo=%s is not a waybill (CEB505) of logisticsCode=%s", j+1, l.LogisticsNo, h.LogisticsCode), nil
				}
			}
			released := 0
			for _, l := range a.ArrivalList {
				if _, _, err := putDoc(ctx, tx, "1", env.Sender.Code, stored{kind: "arrival", k1: h.LogisticsCode, k2: l.LogisticsNo, data: h, at: now}, now); err != nil {
					return nothingYet, err
				}
				n, err := s.releaseArrived(ctx, tx, h.LogisticsCode, l.LogisticsNo, now)
				if err != nil {
					return nothingYet, err
				}
				released += n
			}
			return intake.Result{Status: "120", Finding: clearance.Finding{Code: "1800",
				Detail: fmt.Sprintf("%d waybills arrived, %d export inventories released", len(a.ArrivalList), released)}}, nil
		}})
	}
	return out, nil, nil
}

// releaseArrived releases the matched inventories of an arrived waybill.
func (s *Service) releaseArrived(ctx context.Context, tx *store.Tx, code, no string, now time.Time) (int, error) {
	inv, err := decoded(tx.MatchedExportInventory(ctx, code, no))
	if err != nil || inv == nil {
		return 0, err
	}
	st, f, err := s.judge(ctx, tx, inv, now)
	if err != nil {
		return 0, err
	}
	if st != "800" {
		return 0, inventoryReceipt(ctx, tx, inv, st, f, now)
	}
	return 1, inventoryReceipt(ctx, tx, inv, st, f, now)
}

// departureDocuments takes departures (离境, CEB509): every named waybill
// must belong to a released export inventory; all are then closed (899).
func (s *Service) departureDocuments(ctx context.Context, _ *intake.Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]intake.Doc, []ceb.Problem, error) {
	m := d.Message.(*ceb.CEB509Message)
	keys := ceb.DocumentKeys(m)
	var out []intake.Doc
	for i := range m.Departure {
		dep := m.Departure[i]
		h := dep.DepartureHead
		if err := intake.MayAct(sender, fmt.Sprintf("Departure[%d]/DepartureHead/logisticsCode", i+1), carriers, h.LogisticsCode); err != nil {
			return nil, nil, err
		}
		k := keys[i]
		if k["msgSeqNo"] == "" {
			k["msgSeqNo"] = "1"
		}
		out = append(out, &doc{keys: k, copNo: h.CopNo, apply: func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
			if err := preNo(ctx, tx, k, "L", now); err != nil {
				return nothingYet, err
			}
			if h.AppType != "1" {
				return intake.Refused("1103", "a departure is declared with appType 1 only, not %s", h.AppType), nil
			}
			leave, err := time.ParseInLocation("20060102150405", h.LeaveTime, cst)
			if err != nil {
				return intake.Refused("1411", "DepartureHead.leaveTime=%q is not YYYYMMDDhhmmss", h.LeaveTime), nil
			}
			var invs []*inventory
			for j, l := range dep.DepartureList {
				inv, err := decoded(tx.LiveExportInventoryOfWaybill(ctx, h.LogisticsCode, l.LogisticsNo))
				if err != nil {
					return nothingYet, err
				}
				switch {
				case inv == nil:
					return intake.Refused("1411", "DepartureList[%d].logisticsNo=%s has no export inventory", j+1, l.LogisticsNo), nil
				case inv.Status != "800":
					why := "not released"
					if inv.Status == "120" {
						why = "not released: no arrival at the exit port (CEB507) yet, or its documents do not match"
					}
					if inv.Status == "899" {
						why = "already closed"
					}
					return intake.Refused("1411", "DepartureList[%d].logisticsNo=%s: export inventory invtNo=%s has status %s, %s", j+1, l.LogisticsNo, inv.InvtNo, inv.Status, why), nil
				}
				invs = append(invs, inv)
			}
			for _, inv := range invs {
				f := clearance.Finding{Code: "2801", Detail: fmt.Sprintf("left on %s %s at %s", h.TrafName, h.VoyageNo, leave.Format(time.RFC3339))}
				if err := tx.CloseExportInventory(ctx, inv.ID, f.Code, f.Info(), leave, now); err != nil {
					return nothingYet, err
				}
				if err := inventoryReceipt(ctx, tx, inv, "899", f, now); err != nil {
					return nothingYet, err
				}
				_, _, err := putDoc(ctx, tx, "1", env.Sender.Code, stored{kind: "departure", k1: h.LogisticsCode, k2: inv.Doc.InventoryHead.LogisticsNo, data: h, at: leave}, now)
				if err != nil {
					return nothingYet, err
				}
			}
			return intake.Result{Status: "120", Finding: clearance.Finding{Code: "1800", Detail: fmt.Sprintf("%d export inventories closed", len(invs))}}, nil
		}})
	}
	return out, nil, nil
}

// cancelDocuments takes cancels of export inventories (CEB605 → 606).
func (s *Service) cancelDocuments(ctx context.Context, _ *intake.Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]intake.Doc, []ceb.Problem, error) {
	m := d.Message.(*ceb.CEB605Message)
	keys := ceb.DocumentKeys(m)
	var out []intake.Doc
	for i := range m.InvtCancel {
		c := m.InvtCancel[i]
		if err := intake.MayAct(sender, fmt.Sprintf("InvtCancel[%d]/agentCode", i+1), declarers, c.AgentCode, c.EbcCode); err != nil {
			return nil, nil, err
		}
		k := keys[i]
		out = append(out, &doc{keys: k, copNo: c.CopNo, apply: func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
			if err := preNo(ctx, tx, k, "C", now); err != nil {
				return nothingYet, err
			}
			inv, err := decoded(tx.ExportInventoryByInvtNo(ctx, c.InvtNo))
			if err != nil {
				return nothingYet, err
			}
			switch {
			case inv == nil || inv.AgentCode != c.AgentCode:
				return intake.Refused("1413", "invtNo=%s is not an export inventory of agentCode=%s", c.InvtNo, c.AgentCode), nil
			case strings.TrimSpace(c.Reason) == "":
				return intake.Refused("1413", "InvtCancel.reason is empty: say why the inventory is cancelled"), nil
			case inv.Status == "899" || inv.Status == "100":
				return intake.Refused("1413", "invtNo=%s has status %s", c.InvtNo, inv.Status), nil
			case inv.SumNo != "":
				return intake.Refused("1413", "invtNo=%s is in summary declaration %s", c.InvtNo, inv.SumNo), nil
			}
			f := clearance.Finding{Code: "2802", Detail: fmt.Sprintf("cancelled in status %s: %s", inv.Status, c.Reason)}
			if err := tx.CancelExportInventory(ctx, inv.ID, f.Code, f.Info(), now); err != nil {
				return nothingYet, err
			}
			if err := inventoryReceipt(ctx, tx, inv, "899", f, now); err != nil {
				return nothingYet, err
			}
			return intake.Result{Status: "399", Finding: f}, nil
		}})
	}
	return out, nil, nil
}

// waybillListDocuments takes master/house waybill lists (清单总分单, CEB607):
// every house waybill must be declared (CEB505).
func (s *Service) waybillListDocuments(ctx context.Context, _ *intake.Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]intake.Doc, []ceb.Problem, error) {
	m := d.Message.(*ceb.CEB607Message)
	keys := ceb.DocumentKeys(m)
	var out []intake.Doc
	for i := range m.WayBill {
		w := m.WayBill[i]
		h := w.WayBillHead
		if err := intake.MayAct(sender, fmt.Sprintf("WayBill[%d]/WayBillHead/agentCode", i+1), append(declarers, enterprise.RoleLogistics), h.AgentCode, h.LogisticsCode); err != nil {
			return nil, nil, err
		}
		k := keys[i]
		if k["msgSeqNo"] == "" {
			k["msgSeqNo"] = "1"
		}
		out = append(out, &doc{keys: k, copNo: h.CopNo, apply: func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
			if err := preNo(ctx, tx, k, "Z", now); err != nil {
				return nothingYet, err
			}
			for j, l := range w.WayBillList {
				found, err := getDoc(ctx, tx, "waybill", h.LogisticsCode, l.LogisticsNo, new(ceb.ExportLogistics))
				if err != nil {
					return nothingYet, err
				}
				if !found {
					return intake.Refused("1412", "WayBillList[%d].logisticsNo=%s is not a waybill (CEB505) of logisticsCode=%s", j+1, l.LogisticsNo, h.LogisticsCode), nil
				}
			}
			h.Guid, h.AppTime = "", ""
			w.WayBillHead = h
			res, _, err := putDoc(ctx, tx, h.AppType, env.Sender.Code, stored{kind: "waybill_list", k1: h.AgentCode, k2: h.CopNo, data: w, at: now}, now)
			return res, err
		}})
	}
	return out, nil, nil
}
