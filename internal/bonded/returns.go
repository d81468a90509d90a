package bonded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/engine"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/intake"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/receipt"
	"github.com/cbec-platform/cbec/internal/store"
)

// Register plugs the bonded message types into intake: cancels (CEB623),
// returns (CEB625) and warehouse entries (CEB711).
func (s *Service) Register(in *intake.Service) {
	in.Handle("CEB623Message", s.cancelDocuments)
	in.Handle("CEB625Message", s.returnDocuments)
	in.Handle("CEB711Message", s.entryDocuments)
}

// doc is one bonded document of a message; apply does the work in the message's transaction.
type doc struct {
	keys    ceb.Keys
	copNo   string
	orderNo string
	apply   func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error)
}

func (d *doc) Keys() ceb.Keys                { return d.keys }
func (d *doc) Feed() (copNo, orderNo string) { return d.copNo, d.orderNo }
func (d *doc) Apply(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
	return d.apply(ctx, tx, env)
}

var declarers = []enterprise.Role{enterprise.RoleAgent, enterprise.RoleSeller}

func (s *Service) cancelDocuments(ctx context.Context, _ *intake.Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]intake.Doc, []ceb.Problem, error) {
	m := d.Message.(*ceb.CEB623Message)
	keys := ceb.DocumentKeys(m)
	var out []intake.Doc
	for i := range m.InvtCancel {
		c := m.InvtCancel[i]
		if err := intake.MayAct(sender, fmt.Sprintf("InvtCancel[%d]/agentCode", i+1), declarers, c.AgentCode, c.EbcCode); err != nil {
			return nil, nil, err
		}
		k, declared := keys[i], keys[i]["preNo"]
		out = append(out, &doc{keys: k, copNo: c.CopNo, orderNo: c.OrderNo, apply: func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
			if err := preNo(ctx, tx, k, declared, "B", env.Now); err != nil {
				return intake.Result{}, err
			}
			if c.AppType != "1" {
				return intake.Refused("1103", "a cancel is declared with appType 1 only, not %s", c.AppType), nil
			}
			inv, err := tx.InventoryByInvtNo(ctx, c.InvtNo)
			if err != nil {
				return intake.Result{}, err
			}
			if inv == nil || !declaredBy(inv, env.Sender.Code) || inv.OrderNo != c.OrderNo {
				return intake.Refused("1380", "invtNo=%s orderNo=%s is not an inventory of agentCode=%s", c.InvtNo, c.OrderNo, c.AgentCode), nil
			}
			if strings.TrimSpace(c.Reason) == "" {
				return intake.Refused("1382", "InvtCancel.reason is empty: say why the inventory is cancelled"), nil
			}
			return s.cancel(ctx, tx, inv, env.Sender.Code, c.Reason, env.Now)
		}})
	}
	return out, nil, nil
}

// declaredBy tells whether an enterprise may cancel or return an inventory: its declaring agent or its e-commerce enterprise.
func declaredBy(inv *store.Inventory, code string) bool {
	return code == inv.AgentCode || code == inv.EbcCode
}

// cancel withdraws an inventory (rules §7): before release freely, after
// release until its tax is billed. It gives back the buyer's quota, the
// account-book stock and the guarantee, and closes the inventory (899).
func (s *Service) cancel(ctx context.Context, tx *store.Tx, inv *store.Inventory, by, reason string, now time.Time) (intake.Result, error) {
	from := inv.Status
	// The tax line of a released, guaranteed inventory (nil otherwise): no
	// cancel once it is billed, and its open tax is credited back.
	var tax *store.TaxLine
	switch from {
	case "100", "899":
		return intake.Refused("1382", "inventory invtNo=%s has status %s (%s)", inv.InvtNo, from, inv.ReasonCode), nil
	case "800":
		var err error
		if tax, err = tx.TaxLine(ctx, inv.ID); err != nil {
			return intake.Result{}, err
		}
		if tax != nil && tax.BillNo != "" {
			return intake.Refused("1381", "invtNo=%s is on tax bill %s; a cancel is possible only before billing", inv.InvtNo, tax.BillNo), nil
		}
		open, err := tx.CountBondedReturns(ctx, inv.ID, "applied", "arrived")
		if err != nil {
			return intake.Result{}, err
		}
		if open > 0 {
			return intake.Refused("1382", "invtNo=%s has a return in progress or done; it cannot be cancelled as well", inv.InvtNo), nil
		}
	}
	f := clearance.Finding{Code: "2710", Detail: fmt.Sprintf("cancelled by %s in status %s: %s", by, from, reason)}
	inv.Status, inv.ReasonCode, inv.ReasonInfo, inv.Pending, inv.UpdatedAt = "899", f.Code, f.Info(), false, now
	if err := tx.UpdateInventory(ctx, inv); err != nil {
		if errors.Is(err, store.ErrStale) {
			return intake.Refused("1382", "invtNo=%s changed while the cancel was applied; send it again", inv.InvtNo), nil
		}
		return intake.Result{}, err
	}
	if err := tx.AddEvent(ctx, inv.ID, now, "899", f.Code, f.Detail, by); err != nil {
		return intake.Result{}, err
	}
	if err := tx.SetQuotaState(ctx, inv.ID, "restored", now); err != nil {
		return intake.Result{}, err
	}
	if err := unreserve(ctx, tx, inv.ID, now); err != nil {
		return intake.Result{}, err
	}
	if from == "800" {
		if err := giveBack(ctx, tx, inv.ID, inv.InvtNo, nil, "cancel "+inv.InvtNo, now); err != nil {
			return intake.Result{}, err
		}
		if tax != nil && tax.State == "open" {
			if err := credit(ctx, tx, tax.AssureCode, tax.TaxFen, inv.ID, inv.InvtNo, "cancelled", now); err != nil {
				return intake.Result{}, err
			}
			if err := tx.CancelTaxLine(ctx, inv.ID, now); err != nil {
				return intake.Result{}, err
			}
		}
	}
	if err := tx.InsertBondedCancel(ctx, &store.BondedCancel{InventoryID: inv.ID, AgentCode: inv.AgentCode, CopNo: inv.CopNo,
		FromStatus: from, Reason: reason, At: now}); err != nil {
		return intake.Result{}, err
	}
	var d clearance.Inventory
	if err := json.Unmarshal(inv.Data, &d); err != nil {
		return intake.Result{}, fmt.Errorf("decode stored inventory %s: %w", inv.ID, err)
	}
	if err := engine.StatusReceipt(ctx, tx, inv, d.CustomsCode, now); err != nil {
		return intake.Result{}, err
	}
	return intake.Result{Status: "399", Finding: f}, nil
}

// ReturnLine is a quantity of one inventory line to return.
type ReturnLine struct {
	Gnum  int    `json:"gnum"`
	Qty   string `json:"qty"`
	Milli int64  `json:"milli"`
}

func (s *Service) returnDocuments(ctx context.Context, _ *intake.Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]intake.Doc, []ceb.Problem, error) {
	m := d.Message.(*ceb.CEB625Message)
	keys := ceb.DocumentKeys(m)
	var out []intake.Doc
	for i := range m.InvtRefund {
		r := m.InvtRefund[i]
		h := r.InvtRefundHead
		if err := intake.MayAct(sender, fmt.Sprintf("InvtRefund[%d]/InvtRefundHead/agentCode", i+1), declarers, h.AgentCode, h.EbcCode); err != nil {
			return nil, nil, err
		}
		k, declared := keys[i], keys[i]["preNo"]
		out = append(out, &doc{keys: k, copNo: h.CopNo, orderNo: h.OrderNo, apply: func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
			if err := preNo(ctx, tx, k, declared, "T", env.Now); err != nil {
				return intake.Result{}, err
			}
			return s.applyReturn(ctx, tx, &r, env.Sender.Code, k["preNo"], env.Now)
		}})
	}
	return out, nil, nil
}

// applyReturn records a return application (rules §7): within
// return_apply_days of release, lines of the inventory with quantities not
// already returned or under return.
func (s *Service) applyReturn(ctx context.Context, tx *store.Tx, r *ceb.InvtRefund, sender, preNo string, now time.Time) (intake.Result, error) {
	h := r.InvtRefundHead
	if h.AppType != "1" {
		return intake.Refused("1103", "a return is declared with appType 1 only here, not %s", h.AppType), nil
	}
	inv, err := tx.InventoryByInvtNo(ctx, h.InvtNo)
	if err != nil {
		return intake.Result{}, err
	}
	if inv == nil || !declaredBy(inv, sender) || inv.OrderNo != h.OrderNo {
		return intake.Refused("1380", "invtNo=%s orderNo=%s is not an inventory of agentCode=%s", h.InvtNo, h.OrderNo, h.AgentCode), nil
	}
	prior, err := tx.BondedReturnState(ctx, sender, h.CopNo)
	if err != nil {
		return intake.Result{}, err
	}
	if prior != "" {
		return intake.Refused("1101", "return copNo=%s was already declared (state %s)", h.CopNo, prior), nil
	}
	if inv.Status != "800" || inv.ReleasedAt == nil {
		return intake.Refused("1382", "invtNo=%s has status %s; only a released inventory can be returned", inv.InvtNo, inv.Status), nil
	}
	released := *inv.ReleasedAt
	if now.Sub(released) > days(s.Params.ReturnApplyDays) {
		return intake.Refused("1383", "invtNo=%s was released %s, %d days ago; a return is applied for within %d days",
			inv.InvtNo, released.In(cst).Format("2006-01-02"), int(now.Sub(released)/(24*time.Hour)), s.Params.ReturnApplyDays), nil
	}
	tax, err := tx.TaxLine(ctx, inv.ID)
	if err != nil {
		return intake.Result{}, err
	}
	if tax != nil && tax.BillNo != "" {
		return intake.Refused("1381", "invtNo=%s is already on tax bill %s", inv.InvtNo, tax.BillNo), nil
	}
	var d clearance.Inventory
	if err := json.Unmarshal(inv.Data, &d); err != nil {
		return intake.Result{}, fmt.Errorf("decode stored inventory %s: %w", inv.ID, err)
	}
	// Returns are counted in thousandths, and their arrival gives back the tax
	// and quota of every line by that count: an inventory with a line of more
	// decimals (a non-bonded one may declare five) cannot be returned.
	declared := make(map[int]int64, len(d.Lines))
	for _, l := range d.Lines {
		m, err := parseMilli("qty", l.Qty.String())
		if err != nil {
			return intake.Refused("1384", "invtNo=%s line %d: %v; returns are counted in thousandths of a unit", inv.InvtNo, l.Gnum, err), nil
		}
		declared[l.Gnum] = m
	}
	taken, err := returnedQty(ctx, tx, inv.ID, "applied", "arrived")
	if err != nil {
		return intake.Result{}, err
	}
	var lines []ReturnLine
	seen := map[int]bool{}
	for i, rl := range r.InvtRefundList {
		gnum := 0
		fmt.Sscan(rl.Gnum, &gnum)
		var line *clearance.InventoryLine
		for j := range d.Lines {
			if d.Lines[j].Gnum == gnum {
				line = &d.Lines[j]
			}
		}
		if line == nil || seen[gnum] {
			return intake.Refused("1384", "InvtRefundList[%d].gnum=%s is not a line of invtNo=%s (or is listed twice)", i+1, rl.Gnum, inv.InvtNo), nil
		}
		seen[gnum] = true
		if rl.Gcode != line.Gcode {
			return intake.Refused("1384", "InvtRefundList[%d].gcode=%s, the inventory's line %d has gcode=%s", i+1, rl.Gcode, gnum, line.Gcode), nil
		}
		q, err := ParseQty("qty", rl.Qty)
		if err != nil {
			return intake.Refused("1384", "InvtRefundList[%d].qty=%s: %v", i+1, rl.Qty, err), nil
		}
		all := declared[gnum]
		if taken[gnum]+q > all {
			return intake.Refused("1384", "InvtRefundList[%d].qty=%s: line %d declared %s, already returned or under return %s",
				i+1, rl.Qty, gnum, Qty(all), Qty(taken[gnum])), nil
		}
		lines = append(lines, ReturnLine{Gnum: gnum, Qty: Qty(q), Milli: q})
	}
	lj, err := json.Marshal(lines)
	if err != nil {
		return intake.Result{}, fmt.Errorf("encode lines of return %s: %w", h.CopNo, err)
	}
	if err := tx.InsertBondedReturn(ctx, &store.BondedReturn{ID: newID(), InventoryID: inv.ID, InvtNo: inv.InvtNo, AgentCode: sender, CopNo: h.CopNo,
		PreNo: preNo, Lines: lj, State: "applied", Reason: h.Reason, AppliedAt: now}); err != nil {
		return intake.Result{}, err
	}
	by := released.Add(days(s.Params.ReturnArriveDays))
	return intake.Result{Status: "120", Finding: clearance.Finding{Code: "1800",
		Detail: fmt.Sprintf("return of %d line(s) accepted; the goods must arrive back in the zone by %s", len(lines), by.In(cst).Format("2006-01-02 15:04"))}}, nil
}

// returnedQty sums, per gnum, the quantities of an inventory's returns in the given states.
func returnedQty(ctx context.Context, tx *store.Tx, invID string, states ...string) (map[int]int64, error) {
	stored, err := tx.BondedReturnLines(ctx, invID, states...)
	if err != nil {
		return nil, err
	}
	out := map[int]int64{}
	for _, lj := range stored {
		var ls []ReturnLine
		if err := json.Unmarshal(lj, &ls); err != nil {
			return nil, fmt.Errorf("decode stored lines of a return of inventory %s: %w", invID, err)
		}
		for _, l := range ls {
			out[l.Gnum] += l.Milli
		}
	}
	return out, nil
}

// Return is a return as recorded.
type Return struct {
	ID          string       `json:"id"`
	InvtNo      string       `json:"invtNo"`
	AgentCode   string       `json:"agentCode"`
	CopNo       string       `json:"copNo"`
	Lines       []ReturnLine `json:"lines"`
	State       string       `json:"state"` // applied, arrived, late, expired
	Reason      string       `json:"reason,omitempty"`
	AppliedAt   time.Time    `json:"appliedAt"`
	ArriveBy    time.Time    `json:"arriveBy"`
	ArrivedAt   *time.Time   `json:"arrivedAt,omitempty"`
	TaxRefunded money.Amount `json:"taxRefunded"`
	QuotaFreed  money.Amount `json:"quotaRestored"`
	inventoryID string
	preNo       string
}

// returnOf is a stored return as shown: its lines decoded, times in China
// time, and the deadline for its goods counted from the inventory's release.
func (s *Service) returnOf(sr *store.BondedReturn) (*Return, error) {
	r := &Return{ID: sr.ID, InvtNo: sr.InvtNo, AgentCode: sr.AgentCode, CopNo: sr.CopNo, State: sr.State, Reason: sr.Reason,
		AppliedAt: sr.AppliedAt.In(cst), ArriveBy: sr.InventoryReleasedAt.Add(days(s.Params.ReturnArriveDays)).In(cst),
		TaxRefunded: money.FromFen(sr.RefundFen), QuotaFreed: money.FromFen(sr.QuotaFen), inventoryID: sr.InventoryID, preNo: sr.PreNo}
	if err := json.Unmarshal(sr.Lines, &r.Lines); err != nil {
		return nil, fmt.Errorf("decode stored lines of return %s: %w", r.ID, err)
	}
	for i := range r.Lines {
		r.Lines[i].Qty = Qty(r.Lines[i].Milli)
	}
	if sr.ArrivedAt != nil {
		t := sr.ArrivedAt.In(cst)
		r.ArrivedAt = &t
	}
	return r, nil
}

// Returns lists the returns of an inventory (by invtNo), or of a declarer.
func (s *Service) Returns(ctx context.Context, invtNo, agentCode string) (_ []Return, err error) {
	defer errs.Wrap(&err, "bonded.Returns(%q, %q)", invtNo, agentCode)
	stored, err := s.DB.BondedReturns(ctx, invtNo, agentCode, 1000)
	if err != nil {
		return nil, err
	}
	out := make([]Return, 0, len(stored))
	for i := range stored {
		r, err := s.returnOf(&stored[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, nil
}

// ReturnByID reads one return.
func (s *Service) ReturnByID(ctx context.Context, id string) (_ *Return, err error) {
	defer errs.Wrap(&err, "bonded.ReturnByID(%q)", id)
	sr, err := s.DB.BondedReturn(ctx, id)
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.New(errs.NotFound, "return_not_found", "id", "no return %s", id)
	}
	if err != nil {
		return nil, err
	}
	return s.returnOf(sr)
}

// Arrive records that a return's goods are back in the zone (by the zone
// operator) and makes the restorations: the tax of the returned lines is not
// levied (bill line reduced or removed, guarantee credited), the buyer's quota
// and the account-book stock come back. After return_arrive_days the return
// is refused instead, and the answer is a return_late error.
func (s *Service) Arrive(ctx context.Context, id, by string) (_ *Return, err error) {
	defer errs.Wrap(&err, "bonded.Arrive(%q, %q)", id, by)
	now := s.Now()
	var late error
	err = s.Batch.Do(ctx, func(tx *store.Tx) error {
		late = nil
		sr, err := tx.BondedReturn(ctx, id)
		if errs.KindOf(err) == errs.NotFound {
			return errs.New(errs.NotFound, "return_not_found", "id", "no return %s", id)
		}
		if err != nil {
			return err
		}
		r, err := s.returnOf(sr)
		if err != nil {
			return err
		}
		if r.State != "applied" {
			return errs.New(errs.Conflict, "return_closed", "id", "return %s is %s already", id, r.State)
		}
		inv, err := tx.InventoryByID(ctx, r.inventoryID)
		if err != nil {
			return err
		}
		if by != "admin" {
			k, err := keeper(ctx, tx, inv)
			if err != nil {
				return err
			}
			if by != k {
				return errs.New(errs.Forbidden, "not_your_zone", "id", "the arrival of return %s is recorded by the zone operator of invtNo %s", id, inv.InvtNo)
			}
		}
		if now.After(r.ArriveBy) {
			reason := fmt.Sprintf("arrived %s, after the deadline %s (%d days after release)", now.In(cst).Format("2006-01-02"), r.ArriveBy.Format("2006-01-02"), s.Params.ReturnArriveDays)
			if err := tx.RefuseLateBondedReturn(ctx, id, reason, now); err != nil {
				return err
			}
			late = errs.New(errs.Conflict, "return_late", "id", "return %s refused: %s", id, reason)
			return returnReceipt(ctx, tx, inv, r, "100", clearance.Finding{Code: "1385", Detail: reason}, now)
		}
		return s.restoreReturn(ctx, tx, inv, r, now)
	})
	if err != nil {
		return nil, err
	}
	if late != nil {
		return nil, late
	}
	return s.ReturnByID(ctx, id)
}

func (s *Service) restoreReturn(ctx context.Context, tx *store.Tx, inv *store.Inventory, r *Return, now time.Time) error {
	var d clearance.Inventory
	if err := json.Unmarshal(inv.Data, &d); err != nil {
		return fmt.Errorf("decode stored inventory %s: %w", inv.ID, err)
	}
	before, err := returnedQty(ctx, tx, inv.ID, "arrived")
	if err != nil {
		return err
	}
	this := map[int]int64{}
	for _, l := range r.Lines {
		this[l.Gnum] += l.Milli
	}
	// Per-line shares of the dutiable value and taxes: from the tax line when
	// the inventory was guaranteed, else spread the same way now.
	var lines []taxLine
	tax, err := tx.TaxLine(ctx, inv.ID)
	if err != nil {
		return err
	}
	if tax != nil {
		if err := json.Unmarshal(tax.Lines, &lines); err != nil {
			return fmt.Errorf("decode stored tax lines of inventory %s: %w", inv.ID, err)
		}
	} else {
		var refused *engine.Outcome
		if lines, refused, err = splitTax(inv, &d); err != nil {
			return err
		}
		if refused != nil { // a line of more than three decimals, released unguaranteed
			return fmt.Errorf("spread the tax of inventory %s over its lines: %s", inv.ID, refused.Finding.Detail)
		}
	}
	var quota, duty, ct, vat int64
	full := true
	for i := range lines {
		l := &lines[i]
		q := this[l.Gnum]
		quota += share(l.Dutiable, before[l.Gnum], q, l.Qty)
		duty += share(l.Duty, before[l.Gnum], q, l.Qty)
		ct += share(l.CT, before[l.Gnum], q, l.Qty)
		vat += share(l.VAT, before[l.Gnum], q, l.Qty)
		l.Returned = before[l.Gnum] + q
		if l.Returned < l.Qty {
			full = false
		}
	}
	refund := duty + ct + vat
	if full {
		if err := tx.SetQuotaState(ctx, inv.ID, "restored", now); err != nil {
			return err
		}
	} else if quota > 0 {
		if err := tx.RestoreQuotaPart(ctx, inv.ID, quota); err != nil {
			return err
		}
	}
	if err := giveBack(ctx, tx, inv.ID, inv.InvtNo, this, "return "+r.CopNo, now); err != nil {
		return err
	}
	if tax != nil && tax.State == "open" {
		if err := credit(ctx, tx, tax.AssureCode, refund, inv.ID, inv.InvtNo, "returned: "+r.CopNo, now); err != nil {
			return err
		}
		newState := "open"
		if full {
			newState = "returned"
		}
		nl, err := json.Marshal(lines)
		if err != nil {
			return fmt.Errorf("encode tax lines of inventory %s: %w", inv.ID, err)
		}
		if err := tx.ReduceTaxLine(ctx, inv.ID, store.TaxReduction{DutyFen: duty, CTFen: ct, VATFen: vat, TaxFen: refund}, nl, newState, now); err != nil {
			return err
		}
	} else {
		refund = 0
	}
	if err := tx.ArriveBondedReturn(ctx, r.ID, now, refund, quota); err != nil {
		return err
	}
	if err := tx.AddEvent(ctx, inv.ID, now, inv.Status, "2711", fmt.Sprintf("return %s arrived: tax %s not levied", r.CopNo, money.FromFen(refund)), "zone"); err != nil {
		return err
	}
	return returnReceipt(ctx, tx, inv, r, "399", clearance.Finding{Code: "2711", Detail: fmt.Sprintf("tax %s not levied, quota %s restored", money.FromFen(refund), money.FromFen(quota))}, now)
}

// returnReceipt puts a return's outcome in its declarer's feed (CEB626).
func returnReceipt(ctx context.Context, tx *store.Tx, inv *store.Inventory, r *Return, status string, f clearance.Finding, now time.Time) error {
	keys := ceb.Keys{"agentCode": r.AgentCode, "ebpCode": inv.EbpCode, "ebcCode": inv.EbcCode, "copNo": r.CopNo, "preNo": r.preNo, "invtNo": inv.InvtNo}
	xml, err := receipt.One("CEB626Message", keys, receipt.Status{ReturnStatus: status, ReturnInfo: f.Info()}, now)
	if err != nil {
		return err
	}
	return tx.AddReceipt(ctx, &store.Receipt{EnterpriseCode: r.AgentCode, MessageType: "CEB626Message", CopNo: r.CopNo, OrderNo: inv.OrderNo,
		ReturnStatus: status, ReturnInfo: f.Info(), XML: string(xml), CreatedAt: now})
}

// expireReturns refuses the returns whose goods did not arrive in time.
func (s *Service) expireReturns(ctx context.Context, tx *store.Tx, now time.Time) (int, error) {
	stored, err := tx.ExpiringBondedReturns(ctx, now.Add(-days(s.Params.ReturnArriveDays)))
	if err != nil {
		return 0, err
	}
	late := make([]*Return, 0, len(stored))
	for i := range stored {
		r, err := s.returnOf(&stored[i])
		if err != nil {
			return 0, err
		}
		late = append(late, r)
	}
	for _, r := range late {
		reason := fmt.Sprintf("the goods did not arrive by %s (%d days after release)", r.ArriveBy.Format("2006-01-02 15:04"), s.Params.ReturnArriveDays)
		if err := tx.ExpireBondedReturn(ctx, r.ID, reason); err != nil {
			return 0, err
		}
		inv, err := tx.InventoryByID(ctx, r.inventoryID)
		if err != nil {
			return 0, err
		}
		if err := returnReceipt(ctx, tx, inv, r, "100", clearance.Finding{Code: "1385", Detail: reason}, now); err != nil {
			return 0, err
		}
	}
	return len(late), nil
}

// preNo gives a cancel (B…) or return (T…) document the platform's 18-character
// pre-entry number its receipt carries, unless it declared a valid one. The
// number is drawn in the transaction each time, so a retried transaction
// never reuses one drawn by a rolled-back attempt.
func preNo(ctx context.Context, tx *store.Tx, keys ceb.Keys, declared, letter string, now time.Time) error {
	if len(declared) == 18 {
		keys["preNo"] = declared
		return nil
	}
	serial, err := tx.NextSerial(ctx)
	if err != nil {
		return err
	}
	keys["preNo"] = fmt.Sprintf("%s%s%09d", letter, now.In(cst).Format("20060102"), serial%1_000_000_000)
	return nil
}

// keeper is the zone operator that holds an inventory's goods: the operator of
// the book it names, or the areaCode the declarer wrote when it names no book
// ("" for a book that is not on record). It records the arrival of their
// returns and reads those returns (rules §12).
func keeper(ctx context.Context, q querier, inv *store.Inventory) (string, error) {
	var d clearance.Inventory
	if err := json.Unmarshal(inv.Data, &d); err != nil {
		return "", fmt.Errorf("decode stored inventory %s: %w", inv.ID, err)
	}
	if d.EmsNo == "" {
		return d.AreaCode, nil
	}
	op, err := operatorOf(ctx, q, d.EmsNo)
	if err != nil && errs.KindOf(err) != errs.NotFound {
		return "", err
	}
	return op, nil
}

// HeldBy tells whether zone holds the goods of return r: only that zone
// operator, besides the declarer and the administrator, reads it.
func (s *Service) HeldBy(ctx context.Context, r *Return, zone string) (_ bool, err error) {
	defer errs.Wrap(&err, "bonded.HeldBy(%q, %q)", r.ID, zone)
	inv, err := s.DB.Inventory(ctx, r.inventoryID)
	if err != nil {
		return false, fmt.Errorf("inventory of return %s: %w", r.ID, err)
	}
	k, err := keeper(ctx, s.DB, inv)
	return err == nil && k == zone, err
}
