package bonded

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/engine"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// anyone is a registry where every code is a registered guarantor and zone operator.
type anyone struct{}

func (anyone) Get(_ context.Context, code string) (*enterprise.Enterprise, error) {
	return &enterprise.Enterprise{Code: code, Roles: []enterprise.Role{enterprise.RoleGuarantor, enterprise.RoleArea}, CreditClass: enterprise.CreditGeneral}, nil
}

type filedAll struct{}

func (filedAll) ItemRecordNo(_, _ string) (string, bool) { return "", true }

// model is what the book, the quota and the guarantee must hold.
type model struct {
	in, out, returned map[string]int64 // per item, milli
	invs              []*modelInv
}

type modelInv struct {
	id, invtNo, item string
	qty              int64 // milli
	dutiable, tax    int64 // fen
	status           string
	returned         int64 // milli, arrived
	returning        bool
}

// For any sequence of entries, acceptances (reserve), releases, cancels,
// returns and billing runs: stock = in − out + returned ≥ reserved ≥ 0; the
// buyer's used quota = Σ released, not returned; the guarantee balance =
// lodged − debits + credits; each released inventory is billed at most once
// and every bill's total is the sum of its lines.
func TestBondedInvariants(t *testing.T) {
	storetest.Engines(t, testInvariants)
}

func testInvariants(t *testing.T, open storetest.Opener) {
	db := open(t)
	ctx := context.Background()
	var clock atomic.Int64
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, cst).UnixNano()
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	batch := db.NewBatcher(1, 16)
	t.Cleanup(batch.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &Service{DB: db, Batch: batch, Parties: anyone{}, Products: filedAll{}, Now: now, Log: log,
		Params: Params{ReturnApplyDays: 30, ReturnArriveDays: 45, BillAfterDays: 30, BillDueDays: 45, TallyDeadline: 72 * time.Hour, GuaranteeModes: []string{"1210"}}}
	eng := &engine.Engine{DB: db, Batch: batch, Now: now, Log: log, Effects: s.Effects()}
	run := 0
	rapid.Check(t, func(rt *rapid.T) {
		run++
		clock.Store(start)
		ems, guar, buyer := fmt.Sprintf("EMS%04d", run), fmt.Sprintf("G%04d", run), fmt.Sprintf("buyer%04d", run)
		must := func(err error) {
			if err != nil {
				rt.Fatalf("%v", err)
			}
		}
		_, err := s.CreateBook(ctx, ems, "Z1", "book")
		must(err)
		items := []string{"A", "B"}
		_, err = s.AddItems(ctx, ems, []NewItem{{ItemRecordNo: "A", EbcCode: "E", ItemNo: "a", Name: "a"}, {ItemRecordNo: "B", EbcCode: "E", ItemNo: "b", Name: "b"}})
		must(err)
		lodged := rapid.Int64Range(0, 20000).Draw(rt, "lodged")
		if lodged > 0 {
			_, err = s.Lodge(ctx, Lodgement{AssureCode: guar, Amount: money.FromFen(lodged).String(), Reference: "BG"})
			must(err)
		}
		m := &model{in: map[string]int64{}, out: map[string]int64{}, returned: map[string]int64{}}
		steps := rapid.IntRange(1, 30).Draw(rt, "steps")
		for i := 0; i < steps; i++ {
			switch op := rapid.IntRange(0, 6).Draw(rt, "op"); op {
			case 0: // zone entry
				item := rapid.SampledFrom(items).Draw(rt, "item")
				q := rapid.Int64Range(1, 5).Draw(rt, "entryQty") * 1000
				_, err := s.RecordEntries(ctx, "admin", []Entry{{EntryNo: fmt.Sprintf("%s-E%d", ems, i), EmsNo: ems, Source: "json",
					Items: []EntryLine{{ItemRecordNo: item, Qty: Qty(q)}}}})
				must(err)
				m.in[item] += q
			case 1: // a new inventory accepted: reserve, then release or hold
				item := rapid.SampledFrom(items).Draw(rt, "item")
				v := &modelInv{item: item, qty: rapid.Int64Range(1, 4).Draw(rt, "qty") * 1000, dutiable: rapid.Int64Range(100, 50000).Draw(rt, "value")}
				v.tax = v.dutiable * 91 / 1000
				hold := rapid.Bool().Draw(rt, "hold")
				must(accept(ctx, s, eng, ems, guar, buyer, v, hold, now()))
				if v.status == "800" {
					m.out[item] += v.qty
				}
				m.invs = append(m.invs, v)
			case 2: // an officer releases a held inventory
				if v := pick(rt, m, "300"); v != nil {
					_, err := eng.Transition(ctx, v.id, "800", clearance.Finding{Code: "2600"}, "officer")
					must(err)
					inv, err := db.Inventory(ctx, v.id)
					must(err)
					v.status = inv.Status
					if v.status == "800" {
						m.out[v.item] += v.qty
					}
				}
			case 3: // cancel
				if len(m.invs) == 0 {
					continue
				}
				v := rapid.SampledFrom(m.invs).Draw(rt, "cancel")
				var res string
				must(batch.Do(ctx, func(tx *store.Tx) error {
					inv, err := tx.InventoryByID(ctx, v.id)
					if err != nil {
						return err
					}
					r, err := s.cancel(ctx, tx, inv, "agent", "changed mind", now())
					res = r.Status
					return err
				}))
				if res == "399" {
					if v.status == "800" {
						m.returned[v.item] += v.qty
					}
					v.status = "899"
				}
			case 4: // apply for a return, and maybe the goods arrive
				v := pick(rt, m, "800")
				if v == nil || v.returning || v.returned == v.qty {
					continue
				}
				q := rapid.Int64Range(1, (v.qty-v.returned)/1000).Draw(rt, "retQty") * 1000
				var res string
				must(batch.Do(ctx, func(tx *store.Tx) error {
					r, err := s.applyReturn(ctx, tx, refund(v, fmt.Sprintf("R%d", i), q), "AG", "T00000000000000000", now())
					res = r.Status
					return err
				}))
				if res != "120" {
					continue
				}
				v.returning = true
				if rapid.Bool().Draw(rt, "arrives") {
					rs, err := s.Returns(ctx, v.invtNo, "")
					must(err)
					id := ""
					for _, r := range rs {
						if r.State == "applied" {
							id = r.ID
						}
					}
					if _, err := s.Arrive(ctx, id, "admin"); err == nil {
						v.returned += q
						m.returned[v.item] += q
						v.returning = false
					} else if !isLate(err) {
						rt.Fatalf("arrive: %v", err)
					} else {
						v.returning = false
					}
				}
			case 5: // time passes
				clock.Add(int64(rapid.IntRange(1, 20).Draw(rt, "days")) * int64(24*time.Hour))
			case 6: // billing run
				_, err := s.RunBilling(ctx)
				must(err)
			}
			check(rt, ctx, s, m, ems, guar, buyer, lodged)
		}
		clock.Add(int64(60 * 24 * time.Hour))
		_, err = s.RunBilling(ctx)
		must(err)
		again, err := s.RunBilling(ctx)
		must(err)
		if len(again.Bills) != 0 {
			rt.Fatalf("a second run issued bills %v", again.Bills)
		}
		check(rt, ctx, s, m, ems, guar, buyer, lodged)
		// Each released, not cancelled inventory is billed exactly once (unless fully returned).
		for _, v := range m.invs {
			var state, billNo string
			err := db.QueryRow(ctx, `SELECT state, bill_no FROM tax_lines WHERE inventory_id = $1`, v.id).Scan(&state, &billNo)
			switch {
			case v.status == "800" && v.returned < v.qty && (err != nil || billNo == ""):
				rt.Fatalf("released inventory %s not billed (state %s, %v)", v.invtNo, state, err)
			case v.status != "800" && billNo != "":
				rt.Fatalf("inventory %s in status %s is on bill %s", v.invtNo, v.status, billNo)
			}
		}
		var bad int
		must(db.QueryRow(ctx, `SELECT COUNT(*) FROM tax_bills b WHERE b.assure_code = $1 AND b.total_fen <>
			(SELECT COALESCE(SUM(t.tax_fen), 0) FROM tax_lines t WHERE t.bill_no = b.bill_no)`, guar).Scan(&bad))
		if bad != 0 {
			rt.Fatalf("%d bills whose total is not the sum of their lines", bad)
		}
	})
}

func isLate(err error) bool {
	e, ok := errs.As(err)
	return ok && e.Code == "return_late"
}

var serial atomic.Int64

func pick(rt *rapid.T, m *model, status string) *modelInv {
	var c []*modelInv
	for _, v := range m.invs {
		if v.status == status {
			c = append(c, v)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return rapid.SampledFrom(c).Draw(rt, "pick"+status)
}

// accept stores an inventory and decides it as the engine does: the quota is
// reserved, then the effects run for 120 → 800 (or 300), and the quota follows.
func accept(ctx context.Context, s *Service, eng *engine.Engine, ems, guar, buyer string, v *modelInv, hold bool, now time.Time) error {
	v.id = newID()
	v.invtNo = fmt.Sprintf("8010%04dI%09d", now.Year(), serial.Add(1))
	doc := &clearance.Inventory{CopNo: "C" + v.invtNo[9:], OrderNo: "O" + v.id, EbpCode: "P", EbcCode: "E", AgentCode: "AG", AssureCode: guar, EmsNo: ems, TradeMode: "1210",
		CustomsCode: "8010", Lines: []clearance.InventoryLine{{Gnum: 1, ItemRecordNo: v.item, Gcode: "1901101000", Qty: money.NewDecimal(v.qty, -3), TotalPrice: money.FromFen(v.dutiable).Decimal()}}}
	data, _ := json.Marshal(doc)
	inv := &store.Inventory{ID: v.id, AgentCode: "AG", CopNo: doc.CopNo, EbpCode: "P", OrderNo: doc.OrderNo, EbcCode: "E", TradeMode: "1210", Sender: "AG",
		PreNo: "B" + v.invtNo[1:], InvtNo: v.invtNo, Status: "120", ReasonCode: "1800", BuyerKey: buyer, DutiableFen: v.dutiable, VATFen: v.tax, Tax: v.tax,
		WaitUntil: now, Data: data, CreatedAt: now, UpdatedAt: now}
	return s.Batch.Do(ctx, func(tx *store.Tx) error {
		if err := tx.InsertInventory(ctx, inv); err != nil {
			return err
		}
		short, err := tx.ReserveQuota(ctx, v.id, buyer, "name", now.Year(), v.dutiable, 1<<40, nil, "reserved", now)
		if err != nil || short.Exceeded {
			return fmt.Errorf("quota: %v %+v", err, short)
		}
		o := engine.Outcome{Status: "800"}
		if hold {
			o.Status = "300"
		}
		d := &engine.Decision{Inventory: inv, Doc: doc, Now: now}
		for _, e := range eng.Effects {
			got, err := e.Apply(ctx, tx, d, "120", o.Status)
			if err != nil {
				return err
			}
			if got != nil && got.Status != o.Status {
				o = *got
				if o.Status == "100" {
					break
				}
			}
		}
		switch o.Status {
		case "800":
			err = tx.SetQuotaState(ctx, v.id, "released", now)
			inv.ReleasedAt = &now
		case "100":
			err = tx.SetQuotaState(ctx, v.id, "restored", now)
		}
		if err != nil {
			return err
		}
		inv.Status, v.status = o.Status, o.Status
		return tx.UpdateInventory(ctx, inv)
	})
}

func refund(v *modelInv, copNo string, q int64) *ceb.InvtRefund {
	return &ceb.InvtRefund{InvtRefundHead: ceb.InvtRefundHead{AppType: "1", OrderNo: "O" + v.id, CopNo: copNo, InvtNo: v.invtNo, AgentCode: "AG", EbcCode: "E"},
		InvtRefundList: []ceb.InvtRefundList{{Gnum: "1", Gcode: "1901101000", Qty: Qty(q)}}}
}

func check(rt *rapid.T, ctx context.Context, s *Service, m *model, ems, guar, buyer string, lodged int64) {
	book, err := s.Book(ctx, ems)
	if err != nil {
		rt.Fatal(err)
	}
	for _, it := range book.Items {
		on, _ := parseMilli("", it.OnHand)
		res, _ := parseMilli("", it.Reserved)
		want := m.in[it.ItemRecordNo] - m.out[it.ItemRecordNo] + m.returned[it.ItemRecordNo]
		if on != want || res < 0 || on < res {
			rt.Fatalf("item %s: onHand %s reserved %s; in − out + returned = %s", it.ItemRecordNo, it.OnHand, it.Reserved, Qty(want))
		}
	}
	var used, want int64
	_ = s.DB.QueryRow(ctx, `SELECT COALESCE(SUM(used_fen), 0) FROM quota_usage WHERE buyer_key = $1`, buyer).Scan(&used)
	for _, v := range m.invs {
		switch v.status {
		case "800":
			if v.returned < v.qty {
				want += v.dutiable - mulDiv(v.dutiable, v.returned, v.qty)
			}
		case "300":
			want += v.dutiable // reserved, not yet released
		}
	}
	if used != want {
		rt.Fatalf("quota used %s, want Σ released (and held) not returned %s", money.FromFen(used), money.FromFen(want))
	}
	if lodged == 0 {
		return
	}
	var bal, debits, credits int64
	if err := s.DB.QueryRow(ctx, `SELECT balance_fen FROM guarantee_accounts WHERE assure_code = $1`, guar).Scan(&bal); err != nil {
		rt.Fatal(err)
	}
	_ = s.DB.QueryRow(ctx, `SELECT COALESCE(SUM(amount_fen), 0) FROM guarantee_history WHERE assure_code = $1 AND kind = 'debit'`, guar).Scan(&debits)
	_ = s.DB.QueryRow(ctx, `SELECT COALESCE(SUM(amount_fen), 0) FROM guarantee_history WHERE assure_code = $1 AND kind = 'credit'`, guar).Scan(&credits)
	if bal != lodged-debits+credits || bal < 0 {
		rt.Fatalf("guarantee balance %s ≠ lodged %s − debits %s + credits %s", money.FromFen(bal), money.FromFen(lodged), money.FromFen(debits), money.FromFen(credits))
	}
}
