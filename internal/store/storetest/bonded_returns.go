package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("BondedReturns", runBondedReturns) }

// Returns (CEB625) and cancels (CEB623) of released bonded inventories
// (package bonded), the inventory they name by invtNo, and the part of the
// quota a partial return gives back.
func runBondedReturns(t *testing.T, open Opener) {
	t.Run("ReturnRoundTripAndStates", func(t *testing.T) { testBondedReturnRoundTrip(t, open(t)) })
	t.Run("ReturnLists", func(t *testing.T) { testBondedReturnLists(t, open(t)) })
	t.Run("ReturnLinesAndCounts", func(t *testing.T) { testBondedReturnLines(t, open(t)) })
	t.Run("CancelAndInventoryByInvtNo", func(t *testing.T) { testBondedCancel(t, open(t)) })
	t.Run("QuotaPart", func(t *testing.T) { testRestoreQuotaPart(t, open(t)) })
}

var returnT0 = time.Date(2026, 11, 20, 9, 0, 0, 500000000, shanghai)

// releasedInventory stores a released inventory with customs number invtNo;
// a nil released leaves it without a release time.
func releasedInventory(t *testing.T, db *store.DB, id, invtNo string, released *time.Time) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.InsertInventory(context.Background(), &store.Inventory{ID: id, AgentCode: "AGT0000001", CopNo: "COP-" + id, OrderNo: "ORD-" + id,
			InvtNo: invtNo, Status: "800", CreatedAt: returnT0.Add(-48 * time.Hour), UpdatedAt: returnT0.Add(-24 * time.Hour), ReleasedAt: released})
	})
	if err != nil {
		t.Fatalf("inventory %s: %v", id, err)
	}
}

func testBondedReturnRoundTrip(t *testing.T, db *store.DB) {
	ctx := context.Background()
	released := returnT0.Add(-24 * time.Hour)
	releasedInventory(t, db, "inv1", "INVT1", &released)
	r := &store.BondedReturn{ID: "R1", InventoryID: "inv1", InvtNo: "INVT1", AgentCode: "AGT0000001", CopNo: "RET1", PreNo: "T20261120000000001",
		Lines: []byte(`[{"gnum":1,"qty":"1.500","milli":1500}]`), State: "applied", Reason: "尺码不合适", AppliedAt: returnT0}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if state, err := tx.BondedReturnState(ctx, "AGT0000001", "RET1"); err != nil || state != "" {
			t.Errorf("state before the return: %q %v", state, err)
		}
		return tx.InsertBondedReturn(ctx, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.BondedReturn(ctx, "R1")
	if err != nil || got.InventoryID != "inv1" || got.InvtNo != "INVT1" || got.AgentCode != "AGT0000001" || got.CopNo != "RET1" ||
		got.PreNo != "T20261120000000001" || string(got.Lines) != string(r.Lines) || got.State != "applied" || got.Reason != "尺码不合适" ||
		!got.AppliedAt.Equal(returnT0) || got.ArrivedAt != nil || got.RefundFen != 0 || got.QuotaFen != 0 || !got.InventoryReleasedAt.Equal(released) {
		t.Fatalf("read back: %+v %v", got, err)
	}
	if _, err := db.BondedReturn(ctx, "R9"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("missing return: %v, want not found", err)
	}
	// The same copNo of the same declarer: a conflict.
	err = db.InTx(ctx, func(tx *store.Tx) error {
		again := *r
		again.ID = "R2"
		return tx.InsertBondedReturn(ctx, &again)
	})
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("copNo twice: %v, want a conflict", err)
	}
	arrived := returnT0.Add(3 * 24 * time.Hour)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if state, err := tx.BondedReturnState(ctx, "AGT0000001", "RET1"); err != nil || state != "applied" {
			t.Errorf("state: %q %v", state, err)
		}
		if _, err := tx.BondedReturn(ctx, "R9"); errs.KindOf(err) != errs.NotFound {
			t.Errorf("missing return in the transaction: %v, want not found", err)
		}
		return tx.ArriveBondedReturn(ctx, "R1", arrived, 1234, 5678)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		got, err := tx.BondedReturn(ctx, "R1")
		if err != nil || got.State != "arrived" || got.ArrivedAt == nil || !got.ArrivedAt.Equal(arrived) || got.RefundFen != 1234 ||
			got.QuotaFen != 5678 || got.Reason != "尺码不合适" {
			t.Errorf("arrived: %+v %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Late and expired returns keep why.
	releasedInventory(t, db, "inv2", "INVT2", &released)
	applyReturn(t, db, "R3", "inv2", "applied", returnT0)
	applyReturn(t, db, "R4", "inv2", "applied", returnT0)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.RefuseLateBondedReturn(ctx, "R3", "arrived after the deadline", arrived); err != nil {
			return err
		}
		return tx.ExpireBondedReturn(ctx, "R4", "did not arrive")
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.BondedReturn(ctx, "R3"); err != nil || got.State != "late" || got.Reason != "arrived after the deadline" ||
		got.ArrivedAt == nil || !got.ArrivedAt.Equal(arrived) {
		t.Errorf("late: %+v %v", got, err)
	}
	if got, err := db.BondedReturn(ctx, "R4"); err != nil || got.State != "expired" || got.Reason != "did not arrive" || got.ArrivedAt != nil {
		t.Errorf("expired: %+v %v", got, err)
	}
}

func testBondedReturnLists(t *testing.T, db *store.DB) {
	ctx := context.Background()
	early, late := returnT0.Add(-50*24*time.Hour), returnT0.Add(-10*24*time.Hour)
	releasedInventory(t, db, "inv-early", "INVTE", &early)
	releasedInventory(t, db, "inv-late", "INVTL", &late)
	releasedInventory(t, db, "inv-none", "INVTN", nil)
	applyReturn(t, db, "R1", "inv-early", "applied", returnT0)
	applyReturn(t, db, "R2", "inv-late", "applied", returnT0.Add(time.Hour))
	applyReturn(t, db, "R3", "inv-early", "arrived", returnT0.Add(2*time.Hour))
	applyReturn(t, db, "R4", "inv-none", "applied", returnT0.Add(3*time.Hour))
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertBondedReturn(ctx, &store.BondedReturn{ID: "R5", InventoryID: "inv-late", InvtNo: "INVT-inv-late", AgentCode: "AGT0000002",
			CopNo: "RET-R5", Lines: []byte(`[]`), State: "applied", AppliedAt: returnT0.Add(4 * time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		invtNo, agent string
		limit         int
		want          []string
	}{
		{"", "", 100, []string{"R5", "R4", "R3", "R2", "R1"}},
		{"INVT-inv-early", "", 100, []string{"R3", "R1"}},
		{"", "AGT0000002", 100, []string{"R5"}},
		{"INVT-inv-late", "AGT0000001", 100, []string{"R2"}},
		{"", "", 2, []string{"R5", "R4"}},
		{"INVT9", "", 100, nil},
	} {
		got, err := db.BondedReturns(ctx, c.invtNo, c.agent, c.limit)
		if err != nil || got == nil || !slices.Equal(pluck(got, func(r store.BondedReturn) string { return r.ID }), c.want) {
			t.Errorf("returns of %q %q: %v %v, want %v", c.invtNo, c.agent, pluck(got, func(r store.BondedReturn) string { return r.ID }), err, c.want)
		}
	}
	if got, err := db.BondedReturn(ctx, "R4"); err != nil || !got.InventoryReleasedAt.IsZero() {
		t.Errorf("a return of an inventory without a release time: %+v %v", got, err)
	}
	// Waiting for goods, of an inventory released before the cutoff: R1 only (R3 arrived, R2 released later).
	err = db.InTx(ctx, func(tx *store.Tx) error {
		got, err := tx.ExpiringBondedReturns(ctx, returnT0.Add(-45*24*time.Hour))
		if err != nil || !slices.Equal(pluck(got, func(r store.BondedReturn) string { return r.ID }), []string{"R1"}) || !got[0].InventoryReleasedAt.Equal(early) {
			t.Errorf("expiring: %v %v", pluck(got, func(r store.BondedReturn) string { return r.ID }), err)
		}
		got, err = tx.ExpiringBondedReturns(ctx, early)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("expiring before the first release: %v %v", pluck(got, func(r store.BondedReturn) string { return r.ID }), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testBondedReturnLines(t *testing.T, db *store.DB) {
	ctx := context.Background()
	released := returnT0.Add(-24 * time.Hour)
	releasedInventory(t, db, "inv1", "INVT1", &released)
	for _, r := range []struct{ id, state, lines string }{
		{"R1", "applied", `[{"gnum":1,"milli":1}]`}, {"R2", "arrived", `[{"gnum":1,"milli":2}]`},
		{"R3", "late", `[{"gnum":1,"milli":4}]`}, {"R4", "arrived", `[{"gnum":2,"milli":8}]`},
	} {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertBondedReturn(ctx, &store.BondedReturn{ID: r.id, InventoryID: "inv1", InvtNo: "INVT1", AgentCode: "AGT0000001",
				CopNo: "RET-" + r.id, Lines: []byte(r.lines), State: r.state, AppliedAt: returnT0})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, c := range []struct {
			states []string
			want   []string
		}{
			{[]string{"applied", "arrived"}, []string{`[{"gnum":1,"milli":1}]`, `[{"gnum":1,"milli":2}]`, `[{"gnum":2,"milli":8}]`}},
			{[]string{"arrived"}, []string{`[{"gnum":1,"milli":2}]`, `[{"gnum":2,"milli":8}]`}},
			{[]string{"expired"}, nil},
		} {
			got, err := tx.BondedReturnLines(ctx, "inv1", c.states...)
			var texts []string
			for _, l := range got {
				texts = append(texts, string(l))
			}
			slices.Sort(texts)
			if err != nil || !slices.Equal(texts, c.want) {
				t.Errorf("lines in %v: %v %v, want %v", c.states, texts, err, c.want)
			}
			if n, err := tx.CountBondedReturns(ctx, "inv1", c.states...); err != nil || n != len(c.want) {
				t.Errorf("count in %v: %d %v, want %d", c.states, n, err, len(c.want))
			}
		}
		if n, err := tx.CountBondedReturns(ctx, "inv9", "applied", "arrived"); err != nil || n != 0 {
			t.Errorf("count of another inventory: %d %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testBondedCancel(t *testing.T, db *store.DB) {
	ctx := context.Background()
	released := returnT0.Add(-24 * time.Hour)
	releasedInventory(t, db, "inv1", "INVT1", &released)
	releasedInventory(t, db, "inv-blank", "", nil)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		v, err := tx.InventoryByInvtNo(ctx, "INVT1")
		if err != nil || v == nil || v.ID != "inv1" || v.CopNo != "COP-inv1" || v.ReleasedAt == nil || !v.ReleasedAt.Equal(released) {
			t.Errorf("by invtNo: %+v %v", v, err)
		}
		// No number names no inventory, not one still without its number.
		for _, no := range []string{"INVT9", ""} {
			if v, err := tx.InventoryByInvtNo(ctx, no); v != nil || err != nil {
				t.Errorf("invtNo %q: %+v %v, want none", no, v, err)
			}
		}
		return tx.InsertBondedCancel(ctx, &store.BondedCancel{InventoryID: "inv1", AgentCode: "AGT0000001", CopNo: "COP-inv1", FromStatus: "800",
			Reason: "买家取消", At: returnT0})
	})
	if err != nil {
		t.Fatal(err)
	}
	var reason, from string
	var at store.Time
	err = db.QueryRow(ctx, `SELECT reason, from_status, at FROM bonded_cancels WHERE inventory_id = $1`, "inv1").Scan(&reason, &from, &at)
	if err != nil || reason != "买家取消" || from != "800" || !at.Equal(returnT0) {
		t.Errorf("cancel read back: %q %q %v %v", reason, from, at, err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertBondedCancel(ctx, &store.BondedCancel{InventoryID: "inv1", AgentCode: "AGT0000001", CopNo: "COP-inv1", FromStatus: "120", At: returnT0})
	})
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("a second cancel: %v, want a conflict", err)
	}
}

func testRestoreQuotaPart(t *testing.T, db *store.DB) {
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, id := range []string{"inv-rel", "inv-res"} {
			if short, err := tx.ReserveQuota(ctx, id, "buyer-1", "name", 2026, 10000, 2600000, nil, "reserved", returnT0); err != nil || short.Exceeded {
				t.Fatalf("reserve %s: %+v %v", id, short, err)
			}
		}
		if err := tx.SetQuotaState(ctx, "inv-rel", "released", returnT0); err != nil {
			return err
		}
		if err := tx.RestoreQuotaPart(ctx, "inv-rel", 2500); err != nil {
			return err
		}
		// Only a released entry gives back part; a reserved one or none changes nothing.
		if err := tx.RestoreQuotaPart(ctx, "inv-res", 1000); err != nil {
			return err
		}
		return tx.RestoreQuotaPart(ctx, "inv-none", 1000)
	})
	if err != nil {
		t.Fatal(err)
	}
	if used, err := db.QuotaUsed(ctx, "buyer-1", "name", 2026); err != nil || used != 17500 {
		t.Errorf("used after a part given back: %d %v, want 17500", used, err)
	}
	// Restoring the rest gives back what is left of the entry, not its first amount.
	err = db.InTx(ctx, func(tx *store.Tx) error { return tx.SetQuotaState(ctx, "inv-rel", "restored", returnT0) })
	if err != nil {
		t.Fatal(err)
	}
	if used, err := db.QuotaUsed(ctx, "buyer-1", "name", 2026); err != nil || used != 10000 {
		t.Errorf("used after the entry was restored: %d %v, want 10000", used, err)
	}
}
