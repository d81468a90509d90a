package risk

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/engine"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// An inventory is counted once, however often it is judged: a judgement
// rolled back counts nothing, the first one that commits counts it and marks
// its row, a second one (a rejected inventory changed by its declarer)
// adds nothing; a rule sees the counters of the one count.
func TestSecondJudgementCountsNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		_, sub := testSubject()
		s := &Service{DB: db, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if err := s.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		// A rule reads the counters: they are read after the inventory's own count.
		expr, action := "orders_per_address_today > 1", ActionReview
		r, err := s.CreateRule(ctx, RuleInput{Name: ptr("twice"), Expr: &expr, Action: &action, Author: "张警官"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetRuleState(ctx, r.ID, "active", "张警官"); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertInventory(ctx, &store.Inventory{ID: "i1", AgentCode: sub.doc.AgentCode, CopNo: sub.doc.CopNo, EbcCode: sub.doc.EbcCode,
				Status: "120", Pending: true, DutiableFen: sub.inv.DutiableFen, WaitUntil: now, CreatedAt: now, UpdatedAt: now})
		})
		if err != nil {
			t.Fatal(err)
		}
		undo := errors.New("undone")
		// judge runs the check as the engine does: on the row as read, then
		// the decision's update of the row, or a rollback when fail is set.
		judge := func(at time.Time, fail bool) *engine.Outcome {
			t.Helper()
			var out *engine.Outcome
			err := db.InTx(ctx, func(tx *store.Tx) error {
				inv, err := tx.InventoryByID(ctx, "i1")
				if err != nil {
					return err
				}
				if out, err = (Check{S: s}).Check(ctx, tx, &engine.Decision{Inventory: inv, Doc: sub.doc, Case: sub.c, Now: at}); err != nil {
					return err
				}
				if fail {
					return undo
				}
				inv.Status = "100"
				return tx.UpdateInventory(ctx, inv)
			})
			if err != nil && !(fail && errors.Is(err, undo)) {
				t.Fatal(err)
			}
			return out
		}
		counts := func(want int64, wantAt *time.Time) {
			t.Helper()
			c, err := db.RiskCounts(ctx, countKeys(&subject{doc: sub.doc, c: sub.c, now: now}))
			if err != nil {
				t.Fatal(err)
			}
			inv, err := db.Inventory(ctx, "i1")
			if err != nil {
				t.Fatal(err)
			}
			got := inv.RiskCountedAt
			if c.AddrToday != want || c.BuyerPeriodFen != want*sub.inv.DutiableFen || (got == nil) != (wantAt == nil) || (got != nil && !got.Equal(*wantAt)) {
				t.Errorf("counted %d (%d fen), marked %v; want %d, marked %v", c.AddrToday, c.BuyerPeriodFen, got, want, wantAt)
			}
		}
		judge(now, true)
		counts(0, nil)
		if o := judge(now, false); o != nil {
			t.Errorf("first judgement: %+v", o)
		}
		counts(1, &now)
		later := now.Add(time.Hour)
		if o := judge(later, false); o != nil {
			t.Errorf("second judgement: the rule saw the inventory counted twice: %+v", o)
		}
		counts(1, &now)
	})
}
