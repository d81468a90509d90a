// Package engine runs the clearance state machine, 7 × 24: it takes the
// inventories that need judging (woken by intake, or found pending in the
// database after a restart), judges them with package clearance, reserves the
// buyer's quota atomically and records the decision, its event and its
// receipt in one transaction. Inventories still missing documents wait; those
// that wait too long are rejected by a sweeper.
package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/cbec-platform/cbec/internal/errs"
	"log/slog"
	"sync"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/receipt"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/tracing"
)

// cst is China Standard Time: the quota year is the calendar year in China.
var cst = time.FixedZone("CST", 8*3600)

// Engine judges pending inventories.
type Engine struct {
	DB      *store.DB
	Batch   *store.Batcher
	Rules   *clearance.Rules
	Ref     clearance.Reference
	Parties *enterprise.Cache
	Now     func() time.Time
	Log     *slog.Logger
	Workers int           // goroutines judging in parallel
	Sweep   time.Duration // how often the database is scanned for pending and overdue inventories
	// Checks run on passed inventories before the limits are reserved, in order.
	Checks []Check
	// Effects run in the transaction of every status change, in order.
	Effects []Effect
	// DirectConnect reports whether a platform's verified identities are
	// trusted (rules §5); package risk keeps the flag. Nil trusts none.
	DirectConnect func(*enterprise.Enterprise) bool
	// RefreshProducts reloads the product filings unless that began after
	// missedAt (package refdata); nil never reloads.
	RefreshProducts func(ctx context.Context, missedAt time.Time) error

	queue chan string
}

// batchSize bounds the inventories judged and written together.
const batchSize = 64

// Wake queues inventories for judging. It never blocks: when the queue is full
// the ids stay flagged pending in the database and the sweeper finds them.
func (e *Engine) Wake(ids []string) {
	for _, id := range ids {
		select {
		case e.queue <- id:
		default:
			return
		}
	}
}

// Init prepares the queue; call it before Wake or Run.
func (e *Engine) Init() {
	e.queue = make(chan string, 65536)
	if e.Workers < 1 {
		e.Workers = 2
	}
	if e.Sweep <= 0 {
		e.Sweep = time.Second
	}
}

// Run judges the inventories this node's queue receives until ctx is done.
// RunSweep runs beside it, on one node of a deployment.
func (e *Engine) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range e.Workers {
		wg.Go(func() { e.work(ctx) })
	}
	wg.Wait()
}

func (e *Engine) work(ctx context.Context) {
	ids := make([]string, 0, batchSize)
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-e.queue:
			ids = append(ids[:0], id)
		}
	fill:
		for len(ids) < batchSize {
			select {
			case id := <-e.queue:
				ids = append(ids, id)
			default:
				break fill
			}
		}
		if err := e.Judge(ctx, ids); err != nil && ctx.Err() == nil {
			e.Log.Error("judging inventories failed; they stay pending and are retried", "count", len(ids), "error", err)
		}
	}
}

// RunSweep finds pending inventories the queues missed (after a restart or
// an overflow) and rejects those that waited too long for their documents,
// until ctx is done. Of several nodes on one database only the leader runs
// it, so two nodes do not sweep the same inventories into their queues.
func (e *Engine) RunSweep(ctx context.Context) {
	t := time.NewTicker(e.Sweep)
	defer t.Stop()
	for {
		e.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweep queues the inventories left pending for a sweep interval or more
// and judges the overdue ones. An inventory written since is left to the
// queue its writer woke: under load the queues hold hundreds of them, and
// queued twice each would be judged twice, once for nothing.
func (e *Engine) sweep(ctx context.Context) {
	now := e.Now()
	if ids, err := e.DB.PendingInventories(ctx, now.Add(-e.Sweep), 4*batchSize); err == nil {
		e.Wake(ids)
	} else if ctx.Err() == nil {
		e.Log.Warn("scan for pending inventories failed", "error", err)
	}
	if ids, err := e.DB.OverdueInventories(ctx, now, 4*batchSize); err == nil && len(ids) > 0 {
		if err := e.Judge(ctx, ids); err != nil && ctx.Err() == nil {
			e.Log.Warn("rejecting overdue inventories failed", "error", err)
		}
	}
}

// decision is the result of judging one inventory, ready to be written.
type decision struct {
	inv     *store.Inventory
	read    store.Inventory // inv as read: recording changes inv, and a rerun starts again from this
	doc     *clearance.Inventory
	c       *clearance.Case
	verdict clearance.Verdict
	waiting string // missing documents, when the inventory must wait
	expired bool   // waited past its deadline
	class   enterprise.CreditClass
	// abnormal: the seller is on the abnormal operations list (its rate is the dishonest one).
	abnormal bool
}

// Judge judges the given inventories and records the decisions.
func (e *Engine) Judge(ctx context.Context, ids []string) (err error) {
	defer errs.Wrap(&err, "engine.Judge(%d inventories)", len(ids))
	ctx, span := tracing.Follow(ctx, "engine.Judge", ids) // in the trace of the message that woke them
	defer func() { tracing.End(span, err) }()
	now := e.Now()
	var ds []*decision
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		d, err := e.prepare(ctx, id, now)
		if err != nil {
			return err
		}
		if d != nil {
			ds = append(ds, d)
		}
	}
	return e.commit(ctx, ds, now)
}

// commit writes the decisions in one transaction of the batcher.
func (e *Engine) commit(ctx context.Context, ds []*decision, now time.Time) error {
	if len(ds) == 0 {
		return nil
	}
	var keys []string
	for _, d := range ds {
		d.read = *d.inv
		if e.Batch.NamesRows() { // SQLite's one writer needs no names
			keys = append(keys, e.locks(d, now)...)
		}
	}
	// A decision whose inventory changed since it was read (a document that
	// arrived meanwhile woke it again) is left out: the wake-up judges it
	// anew. The versions are read first, once the hot rows are locked, so
	// that such a decision is dropped before anything is written for it;
	// found only at its own update (ErrStale), it would undo the whole
	// transaction, the others' decisions with it. That is still the guard
	// for a change the locks do not cover, and the others are then written
	// again without it.
	stale := make([]bool, len(ds))
	for {
		err := e.Batch.DoFirst(ctx, keys, func(tx *store.Tx) error {
			if err := e.dropChanged(ctx, tx, ds, stale); err != nil {
				return err
			}
			for i, d := range ds {
				if stale[i] {
					continue
				}
				// The batcher may run this again after a rollback: a field set by
				// the rolled-back attempt (a release time, a reason) must not
				// survive into a different decision.
				*d.inv = d.read
				err := e.record(ctx, tx, d, now)
				if errors.Is(err, store.ErrStale) {
					stale[i] = true
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if !errors.Is(err, store.ErrStale) {
			return err
		}
	}
}

// dropChanged marks stale the decisions whose inventory's stored version is
// no longer the one read (or whose row is gone).
func (e *Engine) dropChanged(ctx context.Context, tx *store.Tx, ds []*decision, stale []bool) error {
	ids := make([]string, 0, len(ds))
	for i, d := range ds {
		if !stale[i] {
			ids = append(ids, d.read.ID)
		}
	}
	versions, err := tx.InventoryVersions(ctx, ids)
	if err != nil {
		return err
	}
	for i, d := range ds {
		if v, ok := versions[d.read.ID]; !ok || v != d.read.Version {
			stale[i] = true
		}
	}
	return nil
}

// locks names the hot rows recording d may write (store.Batcher.DoKeys): its
// order's and waybill's rows, and for a complete
// inventory not rejected outright its buyer's quota and what the checks and
// effects name.
func (e *Engine) locks(d *decision, now time.Time) []string {
	inv := d.inv
	keys := []string{store.OrderRows(inv.EbpCode, inv.OrderNo), store.WaybillRows(inv.LogisticsCode, inv.LogisticsNo)}
	if d.waiting != "" || d.verdict.Reject != nil {
		return keys
	}
	keys = append(keys, store.QuotaRows(inv.BuyerKey))
	dec := &Decision{Inventory: inv, Doc: d.doc, Case: d.c, Verdict: d.verdict, Class: d.class, Now: now}
	for _, c := range e.Checks {
		if l, ok := c.(Locker); ok {
			keys = append(keys, l.Locks(dec)...)
		}
	}
	for _, f := range e.Effects {
		if l, ok := f.(Locker); ok {
			keys = append(keys, l.Locks(dec)...)
		}
	}
	return keys
}

// prepare reads an inventory and its documents and judges it; nil when there
// is nothing to do. What intake has just written comes from the store's
// cache, decoded, instead of being read back (DB.InventoryToJudge).
func (e *Engine) prepare(ctx context.Context, id string, now time.Time) (*decision, error) {
	inv, err := e.DB.InventoryToJudge(ctx, id)
	if err != nil {
		return nil, err
	}
	if inv.Status != "120" || (!inv.Pending && now.Before(inv.WaitUntil)) {
		return nil, nil
	}
	doc, err := decodeInventory(inv)
	if err != nil {
		return nil, err
	}
	c := &clearance.Case{Inventory: doc, Parties: map[string]*enterprise.Enterprise{}}
	od, pd, wd, err := e.DB.DocumentsToJudge(ctx, inv.EbpCode, inv.OrderNo, inv.LogisticsCode, inv.LogisticsNo)
	if err != nil {
		return nil, err
	}
	if c.Order, err = decode[clearance.Order](od); err != nil {
		return nil, err
	}
	if c.Payment, err = decode[clearance.Payment](pd); err != nil {
		return nil, err
	}
	if c.Waybill, err = decode[clearance.Waybill](wd); err != nil {
		return nil, err
	}
	d := &decision{inv: inv, doc: doc, c: c}
	if !c.Complete() {
		d.waiting, d.expired = c.Missing(), !now.Before(inv.WaitUntil)
		return d, nil
	}
	for _, code := range []string{doc.EbpCode, doc.EbcCode, doc.LogisticsCode, doc.AgentCode, doc.AssureCode, doc.AreaCode} {
		if code == "" {
			continue
		}
		p, err := e.Parties.Get(ctx, code)
		if err != nil {
			return nil, err
		}
		if p != nil {
			c.Parties[code] = p
		}
	}
	platform := c.Parties[doc.EbpCode]
	direct := platform != nil && e.DirectConnect != nil && e.DirectConnect(platform)
	judged := time.Now()
	d.verdict = e.Rules.Judge(c, e.Ref, direct)
	if r := d.verdict.Reject; r != nil && r.Code == "1350" && e.RefreshProducts != nil {
		// The filing may have been stored through another node since this
		// node last loaded the filings: look again before rejecting.
		if err := e.RefreshProducts(ctx, judged); err != nil {
			return nil, err
		}
		d.verdict = e.Rules.Judge(c, e.Ref, direct)
	}
	if seller := c.Parties[doc.EbcCode]; seller != nil {
		d.class, d.abnormal = seller.CreditClass, seller.AbnormalList
	}
	return d, nil
}

// decodeInventory returns the declared inventory of a stored one.
func decodeInventory(inv *store.Inventory) (*clearance.Inventory, error) {
	return decode[clearance.Inventory](&store.Document{Kind: "inventory", K1: inv.AgentCode, K2: inv.CopNo, Data: inv.Data, Value: inv.Value})
}

// decode returns the document's value: the one its writer gave (Value), or
// else its JSON decoded; nil when there is no document.
func decode[T any](d *store.Document) (*T, error) {
	if d == nil {
		return nil, nil
	}
	if v, ok := d.Value.(*T); ok {
		return v, nil
	}
	v := new(T)
	if err := json.Unmarshal(d.Data, v); err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", d.Kind, d.K1, d.K2, err)
	}
	return v, nil
}

// record writes one decision: state, event, receipt, and the quota.
func (e *Engine) record(ctx context.Context, tx *store.Tx, d *decision, now time.Time) error {
	inv := d.inv
	inv.Pending, inv.UpdatedAt = false, now
	var o Outcome
	switch {
	case d.waiting != "" && d.expired:
		o = Outcome{Status: "100", Finding: clearance.Finding{Code: "1301", Detail: "missing " + d.waiting}}
	case d.waiting != "":
		if inv.ReasonCode == "1801" {
			return tx.UpdateInventory(ctx, inv) // already told; just wait
		}
		o = Outcome{Status: "120", Finding: clearance.Finding{Code: "1801", Detail: "missing " + d.waiting}}
	case d.verdict.Reject != nil:
		o = Outcome{Status: "100", Finding: *d.verdict.Reject}
	default:
		var err error
		if o, err = e.decide(ctx, tx, d, now); err != nil {
			return err
		}
	}
	return e.write(ctx, tx, inv, d.doc, o, "system", now)
}

// write stores a new status with its event and its receipt.
func (e *Engine) write(ctx context.Context, tx *store.Tx, inv *store.Inventory, doc *clearance.Inventory, o Outcome, actor string, now time.Time) error {
	inv.Status, inv.ReasonCode, inv.ReasonInfo, inv.UpdatedAt = o.Status, o.Finding.Code, o.Finding.Info(), now
	if o.Status == "800" && inv.ReleasedAt == nil {
		inv.ReleasedAt = &now
	}
	inv.Event = &store.Event{At: now, Status: inv.Status, Code: o.Finding.Code, Info: o.Finding.Detail, Actor: actor}
	if err := tx.UpdateInventory(ctx, inv); err != nil {
		return err
	}
	return StatusReceipt(ctx, tx, inv, doc.CustomsCode, now)
}

// decide runs the checks, reserves the buyer's limits, chooses 300, 500 or
// 800 for a passed inventory, and applies the effects of that status.
func (e *Engine) decide(ctx context.Context, tx *store.Tx, d *decision, now time.Time) (Outcome, error) {
	inv, v := d.inv, d.verdict
	inv.DutiableFen, inv.DutyFen, inv.CTFen, inv.VATFen, inv.Tax = v.Dutiable.Fen(), v.Taxes.Duty.Fen(), v.Taxes.CT.Fen(), v.Taxes.VAT.Fen(), v.Taxes.Total.Fen()
	inv.Regime = v.Regime.String()
	dec := &Decision{Inventory: inv, Doc: d.doc, Case: d.c, Verdict: v, Class: d.class, Now: now}
	var checked *Outcome
	for _, c := range e.Checks {
		o, err := c.Check(ctx, tx, dec)
		if err != nil {
			return Outcome{}, err
		}
		if o != nil && (o.Status == "100" || checked == nil) {
			checked = o
		}
		if checked != nil && checked.Status == "100" {
			return *checked, nil
		}
	}
	o := Outcome{Status: "800", Finding: clearance.Finding{Code: "2600", Detail: v.Describe()}}
	switch draw := clearance.Draw(inv.Seed); {
	case checked != nil:
		o = *checked
	case v.Hold != nil:
		o = Outcome{Status: "300", Finding: *v.Hold}
	case e.Rules.Selected(d.class, d.abnormal, draw):
		o = Outcome{Status: "500", Finding: clearance.Finding{Code: "2500", Detail: fmt.Sprintf("%s, draw %s; %s", selectedBasis(d.class, d.abnormal), draw, v.Describe())}}
	}
	caps := make([]store.CapUse, len(v.Caps))
	for i, c := range v.Caps {
		caps[i] = store.CapUse{HSCode: c.HSCode, Milli: milli(c.Qty), LimitMilli: milli(c.Cap.Amount)}
	}
	// A parcel about to be released counts for good at once: its entry is
	// written released, not reserved and then updated (one statement less
	// per release); settle corrects it if an effect refuses the release.
	counted := "reserved"
	if o.Status == "800" {
		counted = "released"
	}
	short, err := tx.ReserveQuota(ctx, inv.ID, inv.BuyerKey, d.doc.BuyerName.Hash, now.In(cst).Year(),
		v.Dutiable.Fen(), e.Rules.AnnualLimit.Fen(), caps, counted, now)
	if err != nil {
		return Outcome{}, err
	}
	if short.Exceeded {
		if short.Cap != nil {
			return reject("1315", "gcode %s: used %s + this %s > cap %s",
				short.Cap.HSCode, fromMilli(short.CapUsed), fromMilli(short.Cap.Milli), fromMilli(short.Cap.LimitMilli)), nil
		}
		return reject("1313", "used %s + this %s > limit %s", money.FromFen(short.UsedFen), v.Dutiable, e.Rules.AnnualLimit), nil
	}
	return e.settle(ctx, tx, dec, "120", o, counted)
}

// selectedBasis names what set the rate of a random selection, for its receipt.
func selectedBasis(class enterprise.CreditClass, abnormal bool) string {
	if abnormal {
		return fmt.Sprintf("credit class %s, abnormal operations list", class)
	}
	return fmt.Sprintf("credit class %s", class)
}

// settle applies the effects of a status change inside its transaction and
// keeps the buyer's quota in step: released counts for good, rejected gives it
// back. An effect may refuse the change (no stock: 100); then that is recorded.
// counted is the state the buyer's quota entry was written in by this
// transaction ("" when none was written).
func (e *Engine) settle(ctx context.Context, tx *store.Tx, d *Decision, from string, o Outcome, counted string) (Outcome, error) {
	for _, eff := range e.Effects {
		got, err := eff.Apply(ctx, tx, d, from, o.Status)
		if err != nil {
			return Outcome{}, err
		}
		if got != nil && got.Status != o.Status {
			o = *got
			if o.Status == "100" {
				break
			}
		}
	}
	// A detained parcel (501–599) keeps its reservation: detention is not the
	// end, and an officer may still release it; only a rejection gives it back.
	switch {
	case o.Status == "800":
		if counted == "released" {
			return o, nil
		}
		return o, tx.SetQuotaState(ctx, d.Inventory.ID, "released", d.Now)
	case o.Status == "100":
		return o, tx.SetQuotaState(ctx, d.Inventory.ID, "restored", d.Now)
	case counted == "released":
		// An effect held what was to be released: its count is not final yet.
		return o, tx.SetQuotaState(ctx, d.Inventory.ID, "reserved", d.Now)
	}
	return o, nil
}

// Detained reports whether a status is one of the detentions 501–599.
func Detained(status string) bool { return len(status) == 3 && status[0] == '5' && status != "500" }

func reject(code, format string, args ...any) Outcome {
	return Outcome{Status: "100", Finding: clearance.Finding{Code: code, Detail: fmt.Sprintf(format, args...)}}
}

// StatusReceipt puts an inventory's current status in its declarer's feed
// (CEB622), packed: its text is written when the feed is read, not on the
// writer. It is the one place that builds that receipt: the engine calls it
// for every status it writes, and so do changes made outside the engine (a
// bonded cancellation), so both write the same document.
func StatusReceipt(ctx context.Context, tx *store.Tx, inv *store.Inventory, customsCode string, now time.Time) (err error) {
	defer errs.Wrap(&err, "engine.StatusReceipt(%s)", inv.ID)
	keys := ceb.Keys{"customsCode": customsCode, "ebpCode": inv.EbpCode, "ebcCode": inv.EbcCode, "agentCode": inv.AgentCode,
		"copNo": inv.CopNo, "preNo": inv.PreNo, "invtNo": inv.InvtNo}
	packed, err := receipt.NewPacked("CEB622Message", keys)
	if err != nil {
		return err
	}
	return tx.AddReceipt(ctx, &store.Receipt{EnterpriseCode: inv.Sender, MessageType: "CEB622Message", CopNo: inv.CopNo, OrderNo: inv.OrderNo,
		ReturnStatus: inv.Status, ReturnInfo: inv.ReasonInfo, Packed: packed, CreatedAt: now})
}

// milli expresses a quantity in thousandths, rounded half-up, so caps add as integers.
func milli(q money.Decimal) int64 {
	// RoundHalfUp rounds to a money step; a step of 1.00 on q × 1000 gives whole thousandths.
	a, err := q.Mul(money.DecimalFromInt(1000))
	if err != nil {
		return 0
	}
	r, err := a.RoundHalfUp(money.FromFen(100))
	if err != nil {
		return 0
	}
	return r.Fen() / 100
}

func fromMilli(n int64) string { return money.NewDecimal(n, -3).String() }
