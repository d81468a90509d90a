package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("WakeUps", runWakeUps) }

func runWakeUps(t *testing.T, open Opener) {
	t.Run("FindWaitingInventories", func(t *testing.T) { testFindWaiting(t, open(t)) })
	t.Run("UndoneWritesKeepOrDropTheKey", func(t *testing.T) { testUndoneWrites(t, open(t)) })
	t.Run("SeveralKeysInOneStatement", func(t *testing.T) { testWakeSeveral(t, open(t)) })
}

// wakeUp is a document's wake-up (Tx.MarkWaiting) in its own transaction:
// the inventories it flagged and the statements it ran.
type wakeUp struct {
	t  *testing.T
	db *store.DB
}

func (w wakeUp) in(tx *store.Tx, byOrder bool, k1, k2 string) (ids []string, statements int64) {
	w.t.Helper()
	before := w.db.WriterStats().Statements
	ids, err := tx.MarkWaiting(context.Background(), byOrder, k1, k2)
	if err != nil {
		w.t.Fatalf("wake %s/%s: %v", k1, k2, err)
	}
	slices.Sort(ids)
	return ids, w.db.WriterStats().Statements - before
}

func (w wakeUp) alone(byOrder bool, k1, k2 string) (ids []string, statements int64) {
	w.t.Helper()
	if err := w.db.InTx(context.Background(), func(tx *store.Tx) error {
		ids, statements = w.in(tx, byOrder, k1, k2)
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	return ids, statements
}

// expect checks a wake-up's inventories and, for one that finds none, that
// SQLite ran no statement for it (one process owns its inventories and knows
// that no inventory waits on the key) while PostgreSQL asked the database.
func (w wakeUp) expect(what string, ids []string, statements int64, want ...string) {
	w.t.Helper()
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		w.t.Errorf("%s: woke %v, want %v", what, ids, want)
	}
	wantStatements := int64(1)
	if len(want) == 0 && w.db.Engine == store.SQLite {
		wantStatements = 0
	}
	if statements != wantStatements {
		w.t.Errorf("%s: %d statements, want %d", what, statements, wantStatements)
	}
}

func waitingInventory(id, orderNo, logisticsNo string) *store.Inventory {
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, shanghai)
	return &store.Inventory{ID: id, AgentCode: "AGENT00001", CopNo: "C-" + id, EbpCode: "EBP0000001", OrderNo: orderNo,
		LogisticsCode: "LOG0000001", LogisticsNo: logisticsNo, Status: "120", WaitUntil: at.Add(time.Hour), CreatedAt: at, UpdatedAt: at}
}

// A wake-up finds the inventories in status 120 on its order or waybill,
// whether stored in the same transaction or an earlier one, after their
// waybill changed, and while another inventory on the same waybill is
// decided; once they are decided it finds none (on SQLite without a
// statement), nor for a document whose inventory has not come yet.
func testFindWaiting(t *testing.T, db *store.DB) {
	ctx := context.Background()
	w := wakeUp{t, db}
	ids, n := w.alone(true, "EBP0000001", "O1")
	w.expect("order before its inventory", ids, n)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertInventory(ctx, waitingInventory("i1", "O1", "W1")); err != nil {
			return err
		}
		ids, n := w.in(tx, true, "EBP0000001", "O1")
		w.expect("order in the inventory's transaction", ids, n, "i1")
		ids, n = w.in(tx, false, "LOG0000001", "W1")
		w.expect("waybill in the inventory's transaction", ids, n, "i1")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ids, n = w.alone(true, "EBP0000001", "O1")
	w.expect("order after the inventory's transaction", ids, n, "i1")
	ids, n = w.alone(false, "LOG0000001", "W1")
	w.expect("waybill after the inventory's transaction", ids, n, "i1")

	// Modified onto another waybill (appType 2): the new one wakes it, the old one nothing.
	err = db.InTx(ctx, func(tx *store.Tx) error {
		v, err := tx.InventoryByID(ctx, "i1")
		if err != nil {
			return err
		}
		v.LogisticsNo = "W2"
		return tx.UpdateInventory(ctx, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	ids, n = w.alone(false, "LOG0000001", "W2")
	w.expect("the new waybill", ids, n, "i1")
	ids, n = w.alone(false, "LOG0000001", "W1")
	w.expect("the waybill it left", ids, n)

	// Two inventories on one waybill: deciding one leaves the other woken by it.
	err = db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertInventory(ctx, waitingInventory("i2", "O2", "W2")) })
	if err != nil {
		t.Fatal(err)
	}
	decide(t, db, "i1", "800")
	ids, n = w.alone(false, "LOG0000001", "W2")
	w.expect("the shared waybill, one inventory decided", ids, n, "i2")
	ids, n = w.alone(true, "EBP0000001", "O1")
	w.expect("the decided inventory's order", ids, n)
	decide(t, db, "i2", "800")
	ids, n = w.alone(false, "LOG0000001", "W2")
	w.expect("the shared waybill, both decided", ids, n)
}

// decide writes status on the inventory in a transaction of its own.
func decide(t *testing.T, db *store.DB, id, status string) {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		v, err := tx.InventoryByID(ctx, id)
		if err != nil {
			return err
		}
		v.Status = status
		return tx.UpdateInventory(ctx, v)
	})
	if err != nil {
		t.Fatalf("decide %s: %v", id, err)
	}
}

// A decision rolled back, with its transaction or its savepoint, leaves the
// inventory woken by its documents; an inventory whose storing was rolled
// back leaves nothing to wake (on SQLite, not even a statement).
func testUndoneWrites(t *testing.T, db *store.DB) {
	ctx := context.Background()
	w := wakeUp{t, db}
	undo := errors.New("undo")
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertInventory(ctx, waitingInventory("i1", "O1", "W1")) }); err != nil {
		t.Fatal(err)
	}
	decideThenFail := func(tx *store.Tx) error {
		v, err := tx.InventoryByID(ctx, "i1")
		if err != nil {
			return err
		}
		v.Status = "800"
		if err := tx.UpdateInventory(ctx, v); err != nil {
			return err
		}
		return undo
	}
	if err := db.InTx(ctx, decideThenFail); !errors.Is(err, undo) {
		t.Fatalf("rolled-back decision: %v", err)
	}
	ids, n := w.alone(true, "EBP0000001", "O1")
	w.expect("order after a rolled-back decision", ids, n, "i1")
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Savepoint(ctx, "decision", func() error { return decideThenFail(tx) }); !errors.Is(err, undo) {
			return fmt.Errorf("savepoint: %w", err)
		}
		ids, n := w.in(tx, false, "LOG0000001", "W1")
		w.expect("waybill after a rolled-back savepoint, same transaction", ids, n, "i1")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ids, n = w.alone(false, "LOG0000001", "W1")
	w.expect("waybill after a rolled-back savepoint", ids, n, "i1")

	storeThenFail := func(tx *store.Tx) error {
		if err := tx.InsertInventory(ctx, waitingInventory("i2", "O2", "W2")); err != nil {
			return err
		}
		return undo
	}
	if err := db.InTx(ctx, storeThenFail); !errors.Is(err, undo) {
		t.Fatalf("rolled-back inventory: %v", err)
	}
	ids, n = w.alone(true, "EBP0000001", "O2")
	w.expect("order of a rolled-back inventory", ids, n)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Savepoint(ctx, "inventory", func() error { return storeThenFail(tx) }); !errors.Is(err, undo) {
			return fmt.Errorf("savepoint: %w", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ids, n = w.alone(false, "LOG0000001", "W2")
	w.expect("waybill of an inventory in a rolled-back savepoint", ids, n)
}

// The documents of one message wake the inventories waiting on any of their
// keys in one statement; on SQLite the keys no inventory waits on are left
// out, and none at all costs no statement.
func testWakeSeveral(t *testing.T, db *store.DB) {
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, inv := range []*store.Inventory{waitingInventory("i1", "O1", "W1"), waitingInventory("i2", "O2", "W2"), waitingInventory("i3", "O3", "W3")} {
			if err := tx.InsertInventory(ctx, inv); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	decide(t, db, "i3", "800")
	wake := func(byOrder bool, keys ...store.WaitKey) (ids []string, statements int64) {
		t.Helper()
		before := db.WriterStats().Statements
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			ids, err = tx.MarkWaitingAll(ctx, byOrder, keys)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		return ids, db.WriterStats().Statements - before - 2 // begin and commit
	}
	ids, n := wake(true, store.WaitKey{K1: "EBP0000001", K2: "O1"}, store.WaitKey{K1: "EBP0000001", K2: "O9"}, store.WaitKey{K1: "EBP0000001", K2: "O2"},
		store.WaitKey{K1: "EBP0000001", K2: "O3"})
	if fmt.Sprint(ids) != "[i1 i2]" || n != 1 {
		t.Errorf("orders O1, O9, O2, O3: woke %v in %d statements, want [i1 i2] in 1 (i3 is decided)", ids, n)
	}
	ids, n = wake(false, store.WaitKey{K1: "LOG0000001", K2: "W2"})
	if fmt.Sprint(ids) != "[i2]" || n != 1 {
		t.Errorf("waybill W2: woke %v in %d statements, want [i2] in 1", ids, n)
	}
	ids, n = wake(true, store.WaitKey{K1: "EBP0000001", K2: "O8"}, store.WaitKey{K1: "EBP0000001", K2: "O3"})
	want := int64(1)
	if db.Engine == store.SQLite {
		want = 0
	}
	if len(ids) != 0 || n != want {
		t.Errorf("orders nobody waits on: woke %v in %d statements, want none in %d", ids, n, want)
	}
}
