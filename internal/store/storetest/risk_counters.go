package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("RiskCounters", runRiskCounters) }

func runRiskCounters(t *testing.T, open Opener) {
	t.Run("Counters", func(t *testing.T) { testRiskCounters(t, open(t)) })
	t.Run("CountedInTheInventoryRow", func(t *testing.T) { testRiskCountedAt(t, open(t)) })
	t.Run("FirstSeenKnown", func(t *testing.T) { testFirstSeenKnown(t, open(t)) })
}

// The history counters of package risk, per key and day, read over a day or
// a period in and out of a transaction.
func testRiskCounters(t *testing.T, db *store.DB) {
	ctx := context.Background()
	// Two inventories on the 26th, one on the 27th.
	for _, c := range []struct {
		day, addr, phone, ebc string
		fen                   int64
		at                    time.Time
	}{
		{day: "2026-11-26", addr: "a1", phone: "p1", fen: 10000, at: riskT0.Add(-24 * time.Hour), ebc: "EBC1"},
		{day: "2026-11-26", addr: "a1", phone: "", fen: 20000, at: riskT0.Add(-22 * time.Hour), ebc: "EBC1"},
		{day: "2026-11-27", addr: "a1", phone: "p1", fen: 40000, at: riskT0, ebc: "EBC1"},
	} {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			// A counter without a key is left out.
			if err := tx.AddRiskCounters(ctx, c.day, []store.RiskCounter{{Kind: "addr", Key: c.addr}, {Kind: "phone", Key: c.phone},
				{Kind: "buyer", Key: "b1", Fen: c.fen}}); err != nil {
				return err
			}
			return tx.MarkRiskFirstSeen(ctx, c.ebc, c.at)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.AddRiskCounters(ctx, "2026-11-27", []store.RiskCounter{{Kind: "addr"}})
	}); err != nil {
		t.Errorf("no counter with a key: %v", err)
	}
	k := store.RiskCountKeys{Addr: "a1", Phone: "p1", Buyer: "b1", EbcCode: "EBC1", Day: "2026-11-27", From: "2026-10-29"}
	want := store.RiskCounts{AddrToday: 1, PhoneToday: 1, PhonePeriod: 2, BuyerPeriodFen: 70000}
	check := func(what string, got store.RiskCounts, err error, want store.RiskCounts, first *time.Time) {
		t.Helper()
		if err != nil || got.AddrToday != want.AddrToday || got.PhoneToday != want.PhoneToday || got.PhonePeriod != want.PhonePeriod ||
			got.BuyerPeriodFen != want.BuyerPeriodFen || (first == nil) != (got.EbcFirstSeen == nil) || (first != nil && !got.EbcFirstSeen.Equal(*first)) {
			t.Errorf("%s: %+v %v, want %+v first seen %v", what, got, err, want, first)
		}
	}
	firstSeen := riskT0.Add(-24 * time.Hour)
	got, err := db.RiskCounts(ctx, k)
	check("read pool", got, err, want, &firstSeen)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		got, err := tx.RiskCounts(ctx, k)
		check("transaction", got, err, want, &firstSeen)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A period that leaves out the 26th; keys never counted; an enterprise never seen.
	got, err = db.RiskCounts(ctx, store.RiskCountKeys{Addr: "a1", Phone: "p1", Buyer: "b1", EbcCode: "EBC1", Day: "2026-11-27", From: "2026-11-27"})
	check("one day", got, err, store.RiskCounts{AddrToday: 1, PhoneToday: 1, PhonePeriod: 1, BuyerPeriodFen: 40000}, &firstSeen)
	got, err = db.RiskCounts(ctx, store.RiskCountKeys{Addr: "x", Phone: "x", Buyer: "x", EbcCode: "x", Day: "2026-11-27", From: "2026-10-29"})
	check("unknown keys", got, err, store.RiskCounts{}, nil)
}

// That an inventory is counted is kept in its row: empty when declared, set
// by an update, and kept by later updates of the row as read.
func testRiskCountedAt(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := riskT0.Add(90 * time.Minute)
	v := &store.Inventory{ID: "inv1", AgentCode: "AGENT00001", CopNo: "C1", Status: "120", WaitUntil: riskT0, CreatedAt: riskT0, UpdatedAt: riskT0}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertInventory(ctx, v) }); err != nil {
		t.Fatal(err)
	}
	read := func(want *time.Time) *store.Inventory {
		t.Helper()
		got, err := db.Inventory(ctx, "inv1")
		if err != nil {
			t.Fatal(err)
		}
		if (got.RiskCountedAt == nil) != (want == nil) || (want != nil && !got.RiskCountedAt.Equal(*want)) {
			t.Fatalf("counted at %v, want %v", got.RiskCountedAt, want)
		}
		return got
	}
	v = read(nil)
	v.Status, v.RiskCountedAt = "300", &at
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateInventory(ctx, v) }); err != nil {
		t.Fatal(err)
	}
	v = read(&at)
	v.Status = "120"
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateInventory(ctx, v) }); err != nil {
		t.Fatal(err)
	}
	read(&at)
}

// An enterprise known to have its first-seen row, from a committed mark or
// from a read, costs no statement; a rolled-back mark or read teaches
// nothing; the first time stays.
func testFirstSeenKnown(t *testing.T, db *store.DB) {
	ctx := context.Background()
	undo := errors.New("roll back")
	// run runs fn in a transaction, rolled back when fail is set, and
	// returns the statements it ran besides begin and commit or rollback.
	run := func(fail bool, fn func(tx *store.Tx) error) int64 {
		t.Helper()
		before := db.WriterStats().Statements
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			if fail {
				return undo
			}
			return nil
		})
		if err != nil && !errors.Is(err, undo) {
			t.Fatal(err)
		}
		return db.WriterStats().Statements - before - 2
	}
	mark := func(code string, at time.Time, fail bool) int64 {
		t.Helper()
		return run(fail, func(tx *store.Tx) error { return tx.MarkRiskFirstSeen(ctx, code, at) })
	}
	// stored writes a row as another node would: this one does not know it.
	stored := func(code string) {
		t.Helper()
		run(false, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO risk_first_seen (enterprise_code, at) VALUES ($1,$2)`, code, riskT0)
			return err
		})
	}
	keys := func(code string) store.RiskCountKeys {
		return store.RiskCountKeys{EbcCode: code, Day: "2026-11-27", From: "2026-11-27"}
	}
	t1, t2 := riskT0, riskT0.Add(time.Hour)
	if n := mark("EBC1", t1.Add(-time.Hour), true); n != 1 {
		t.Errorf("an unknown enterprise: %d statements, want 1", n)
	}
	if n := mark("EBC1", t1, false); n != 1 {
		t.Errorf("after a rolled-back mark: %d statements, want 1", n)
	}
	if n := mark("EBC1", t2, false); n != 0 {
		t.Errorf("a known enterprise: %d statements, want 0", n)
	}
	if c, err := db.RiskCounts(ctx, keys("EBC1")); err != nil || c.EbcFirstSeen == nil || !c.EbcFirstSeen.Equal(t1) {
		t.Errorf("first seen %v %v, want %v", c.EbcFirstSeen, err, t1)
	}
	// Rows of other nodes: learnt from a read of the pool, or of a committed
	// transaction, not of a rolled-back one.
	stored("EBC2")
	stored("EBC3")
	stored("EBC4")
	read := func(tx *store.Tx, code string) error {
		c, err := tx.RiskCounts(ctx, keys(code))
		if err == nil && c.EbcFirstSeen == nil {
			err = fmt.Errorf("%s not seen", code)
		}
		return err
	}
	run(true, func(tx *store.Tx) error { return read(tx, "EBC2") })
	if n := mark("EBC2", t2, false); n != 1 {
		t.Errorf("after a rolled-back read: %d statements, want 1", n)
	}
	if _, err := db.RiskCounts(ctx, keys("EBC3")); err != nil {
		t.Fatal(err)
	}
	run(false, func(tx *store.Tx) error { return read(tx, "EBC4") })
	for _, code := range []string{"EBC3", "EBC4"} {
		if n := mark(code, t2, false); n != 0 {
			t.Errorf("%s after a read: %d statements, want 0", code, n)
		}
	}
}
