package engine

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// A document that arrives while a batch of inventories is judged wakes one
// of them again (its version moves on). The batch's transaction drops that
// decision before writing anything for it and commits the others: nothing
// is rolled back, and the woken inventory is left pending for its new
// judgement.
func TestChangedInventoryLeavesTheBatchAlone(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := open(t)
		batch := db.NewBatcher(1, 64)
		t.Cleanup(batch.Close)
		now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.FixedZone("CST", 8*3600))
		e := &Engine{DB: db, Batch: batch, Now: func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

		for _, id := range []string{"woken", "kept"} {
			storeWaiting(t, db, id, now)
		}
		var ds []*decision
		for _, id := range []string{"woken", "kept"} {
			d, err := e.prepare(ctx, id, now)
			if err != nil || d == nil || d.waiting == "" {
				t.Fatalf("prepare %s: %+v, %v; want a decision to wait", id, d, err)
			}
			ds = append(ds, d)
		}
		// The order of "woken" arrives between reading and writing.
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			ids, err := tx.MarkWaiting(ctx, true, "EBP0000001", "ORD-woken")
			if err == nil && len(ids) != 1 {
				t.Errorf("the order woke %v, want [woken]", ids)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}

		before := db.WriterStats()
		if err := e.commit(ctx, ds, now); err != nil {
			t.Fatal(err)
		}
		after := db.WriterStats()
		if n := after.RolledBack - before.RolledBack; n != 0 {
			t.Errorf("%d transactions rolled back, want none", n)
		}
		if n := after.Transactions - before.Transactions; n != 1 {
			t.Errorf("%d transactions, want 1", n)
		}
		// Each was written once since it was read: "kept" by its decision,
		// "woken" by the wake-up alone.
		kept := readInventory(t, db, "kept")
		if want := ds[1].read.Version + 1; kept.ReasonCode != "1801" || kept.Pending || kept.Version != want {
			t.Errorf("kept: reason %q, pending %v, version %d; want told it waits (1801), not pending, version %d", kept.ReasonCode, kept.Pending, kept.Version, want)
		}
		woken := readInventory(t, db, "woken")
		if want := ds[0].read.Version + 1; woken.ReasonCode != "" || !woken.Pending || woken.Version != want {
			t.Errorf("woken: reason %q, pending %v, version %d; want untouched by the batch: pending, version %d (the wake-up's)", woken.ReasonCode, woken.Pending, woken.Version, want)
		}
	})
}

// storeWaiting stores an inventory that waits for its documents (status
// 120) and is pending judgement, on order and waybill ORD-<id>, WB-<id>.
func storeWaiting(t *testing.T, db *store.DB, id string, now time.Time) {
	t.Helper()
	doc := &clearance.Inventory{AgentCode: "AGENT00001", CopNo: "C-" + id, EbpCode: "EBP0000001", OrderNo: "ORD-" + id,
		LogisticsCode: "LOG0000001", LogisticsNo: "WB-" + id}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	inv := &store.Inventory{ID: id, AgentCode: doc.AgentCode, CopNo: doc.CopNo, EbpCode: doc.EbpCode, OrderNo: doc.OrderNo,
		LogisticsCode: doc.LogisticsCode, LogisticsNo: doc.LogisticsNo, Status: "120", Pending: true, Data: data,
		WaitUntil: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now}
	if err := db.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertInventory(context.Background(), inv) }); err != nil {
		t.Fatalf("store %s: %v", id, err)
	}
}

func readInventory(t *testing.T, db *store.DB, id string) *store.Inventory {
	t.Helper()
	var inv *store.Inventory
	if err := db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		inv, err = tx.InventoryByID(context.Background(), id)
		return err
	}); err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	return inv
}

// The sweep queues what has been left pending for a sweep interval, not the
// inventories just written, which the queue their writer woke holds: queued
// twice, they were judged twice.
func TestSweepLeavesTheJustWrittenToTheirQueue(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.FixedZone("CST", 8*3600))
		e := &Engine{DB: db, Now: func() time.Time { return now }, Sweep: time.Second, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		e.Init()
		storeWaiting(t, db, "left", now.Add(-2*time.Second))
		storeWaiting(t, db, "fresh", now.Add(-100*time.Millisecond))
		e.sweep(context.Background())
		var queued []string
		for len(e.queue) > 0 {
			queued = append(queued, <-e.queue)
		}
		if len(queued) != 1 || queued[0] != "left" {
			t.Errorf("the sweep queued %v, want [left]", queued)
		}
	})
}
