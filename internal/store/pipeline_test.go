package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

func pipelineInventory(id string) *store.Inventory {
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	return &store.Inventory{ID: id, AgentCode: "AGENT00001", CopNo: "C-" + id, EbpCode: "EBP0000001", OrderNo: "O-" + id,
		LogisticsCode: "LOG0000001", LogisticsNo: "W-" + id, Status: "120", WaitUntil: at.Add(time.Hour), CreatedAt: at, UpdatedAt: at}
}

// stored tells whether inventory id is in the database.
func stored(t *testing.T, db *store.DB, id string) bool {
	t.Helper()
	_, err := db.Inventory(context.Background(), id)
	if err != nil && errs.KindOf(err) != errs.NotFound {
		t.Fatal(err)
	}
	return err == nil
}

// A write whose result is not needed (here a new inventory) is queued on
// PostgreSQL and sent with the next statement that returns something. When
// it fails, that statement fails with the queued statement's error, named,
// and the whole transaction is undone, as when it fails at once (SQLite).
func TestQueuedWriteFailureUndoesTheTransaction(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertInventory(ctx, pipelineInventory("i0")) }); err != nil {
			t.Fatal(err)
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertInventory(ctx, pipelineInventory("i1")); err != nil {
				return err
			}
			if err := tx.InsertInventory(ctx, pipelineInventory("i0")); err != nil {
				return err
			}
			_, err := tx.InventoryByID(ctx, "i1")
			return err
		})
		if errs.KindOf(err) != errs.Conflict || !strings.Contains(err.Error(), "store inventory C-i0") {
			t.Fatalf("transaction with a duplicate inventory: %v, want a conflict naming its statement", err)
		}
		if stored(t, db, "i1") {
			t.Error("the inventory stored before the failed one survived the rollback")
		}
	})
}

// On PostgreSQL, statements whose result is not needed travel together:
// BEGIN, the queued writes and COMMIT are one round trip. SQLite runs each
// at once (a call into the process).
func TestQueuedWritesShareARoundTrip(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertInventory(ctx, pipelineInventory("i0")) }); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 12, 6, 13, 0, 0, 0, time.UTC)
		before := db.WriterStats()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, code := range []string{"a", "b", "c", "d"} {
				if err := tx.AddEvent(ctx, "i0", at, "120", code, "", "test"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		after := db.WriterStats()
		want := int64(6) // begin, four events, commit
		if db.Engine == store.Postgres {
			want = 1
		}
		if got := after.RoundTrips - before.RoundTrips; got != want {
			t.Errorf("%d round trips, want %d", got, want)
		}
		if got := after.Statements - before.Statements; got != 6 {
			t.Errorf("%d statements, want 6", got)
		}
		events, err := db.Events(ctx, "i0")
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 4 || events[3].Code != "d" {
			t.Errorf("events %+v, want the four recorded", events)
		}
	})
}

// A queued write of a savepoint's function that fails is the function's
// failure: the savepoint undoes it, reports it by name, and the transaction
// goes on and commits the rest.
func TestQueuedWriteFailureInSavepoint(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertInventory(ctx, pipelineInventory("i0")) }); err != nil {
			t.Fatal(err)
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertInventory(ctx, pipelineInventory("i1")); err != nil {
				return err
			}
			err := tx.Savepoint(ctx, "dup", func() error {
				if err := tx.InsertInventory(ctx, pipelineInventory("i2")); err != nil {
					return err
				}
				return tx.InsertInventory(ctx, pipelineInventory("i0"))
			})
			if errs.KindOf(err) != errs.Conflict || !strings.Contains(err.Error(), "store inventory C-i0") {
				t.Errorf("savepoint with a duplicate inventory: %v, want a conflict naming its statement", err)
			}
			return tx.InsertInventory(ctx, pipelineInventory("i3"))
		})
		if err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]bool{"i1": true, "i2": false, "i3": true} {
			if got := stored(t, db, id); got != want {
				t.Errorf("inventory %s stored: %v, want %v", id, got, want)
			}
		}
	})
}

// In a batch, a queued write fails when it is sent, with a later job's
// statement or the commit; the batcher blames the job that queued it: that
// job gets the error and the others are written, in one transaction more
// (blaming the job whose statement failed would cost three: the others
// together, failing again, then each alone).
func TestBatcherBlamesTheJobThatQueued(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertInventory(ctx, pipelineInventory("i0")) }); err != nil {
			t.Fatal(err)
		}
		b := db.NewBatcher(1, 8)
		defer b.Close()
		before := db.WriterStats().Transactions
		started, release := make(chan struct{}), make(chan struct{})
		go func() { _ = b.Do(ctx, func(*store.Tx) error { close(started); <-release; return nil }) }()
		<-started
		ids := []string{"i1", "i0", "i2"}
		errsOf := make([]error, len(ids))
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() {
				errsOf[i] = b.Do(ctx, func(tx *store.Tx) error {
					if err := tx.InsertInventory(ctx, pipelineInventory(id)); err != nil || i < len(ids)-1 {
						return err
					}
					_, err := tx.InventoryByID(ctx, id) // sends what the jobs queued
					return err
				})
			})
			for b.Queued() < i+1 {
				time.Sleep(time.Millisecond)
			}
		}
		close(release)
		wg.Wait()
		if errs.KindOf(errsOf[1]) != errs.Conflict || !strings.Contains(errsOf[1].Error(), "store inventory C-i0") {
			t.Errorf("job of the duplicate: %v, want a conflict naming its statement", errsOf[1])
		}
		for _, i := range []int{0, 2} {
			if errsOf[i] != nil || !stored(t, db, ids[i]) {
				t.Errorf("job %s: %v, stored %v; want it written", ids[i], errsOf[i], stored(t, db, ids[i]))
			}
		}
		// The blocking job's, the batch's, the two good jobs', the duplicate's.
		if n := db.WriterStats().Transactions - before; n != 4 {
			t.Errorf("%d transactions, want 4", n)
		}
	})
}
