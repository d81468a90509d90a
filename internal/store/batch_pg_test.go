package store_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// Two nodes' batches that write the same two hot rows in opposite orders
// do not deadlock when their jobs name the rows (DoKeys): the one that takes
// the rows' locks second waits for the first to commit. The same jobs naming
// nothing deadlock, and PostgreSQL breaks the tie by failing one of them,
// which its batcher runs again: the case the names are there to avoid.
func TestBatchersCrossedKeysDoNotDeadlock(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	err := a.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO counters (name, value) VALUES ('test_x', 0), ('test_y', 0)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// step writes one row, waits for the other job to have written its
	// first, then writes the second row.
	step := func(first, second string, wrote, other chan struct{}) func(*store.Tx) error {
		return func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE counters SET value = value + 1 WHERE name = $1`, first); err != nil {
				return err
			}
			select {
			case wrote <- struct{}{}:
			default:
			}
			select {
			case <-other:
			case <-time.After(300 * time.Millisecond): // the other job waits for this one's locks
			}
			_, err := tx.Exec(ctx, `UPDATE counters SET value = value + 1 WHERE name = $1`, second)
			return err
		}
	}
	run := func(t *testing.T, named bool) (retries int64) {
		ba, bb := a.NewBatcher(1, 8), b.NewBatcher(1, 8)
		defer ba.Close()
		defer bb.Close()
		before := a.WriterStats().Retries + b.WriterStats().Retries
		keys := func(k ...string) []string {
			if !named {
				return nil
			}
			return k
		}
		x, y := store.HotRow("test", "x"), store.HotRow("test", "y")
		wroteA, wroteB := make(chan struct{}, 1), make(chan struct{}, 1)
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := ba.DoKeys(ctx, keys(x, y), step("test_x", "test_y", wroteA, wroteB)); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if err := bb.DoKeys(ctx, keys(y, x), step("test_y", "test_x", wroteB, wroteA)); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		return a.WriterStats().Retries + b.WriterStats().Retries - before
	}
	if n := run(t, true); n != 0 {
		t.Errorf("named rows: %d batches ran again after a deadlock, want 0", n)
	}
	if n := run(t, false); n == 0 {
		t.Errorf("rows not named: no deadlock; the test no longer shows what naming them prevents")
	}
	var x, y int64
	if err := a.QueryRow(ctx, `SELECT (SELECT value FROM counters WHERE name = 'test_x'), (SELECT value FROM counters WHERE name = 'test_y')`).Scan(&x, &y); err != nil {
		t.Fatal(err)
	}
	if x != 4 || y != 4 {
		t.Errorf("counters %d and %d, want 4 each: every job wrote once", x, y)
	}
}

// Two nodes drawing inventory serials at once never draw the same one.
func TestSerialsUniqueAcrossNodes(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	dbs := []*store.DB{a, b}
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	for i := range 8 {
		db := dbs[i%2]
		wg.Go(func() {
			for range 10 {
				err := db.InTx(ctx, func(tx *store.Tx) error {
					for range 7 {
						n, err := tx.NextSerial(ctx)
						if err != nil {
							return err
						}
						mu.Lock()
						if seen[n] || n <= 0 {
							t.Errorf("serial %d drawn twice or not positive", n)
						}
						seen[n] = true
						mu.Unlock()
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != 8*10*7 {
		t.Errorf("%d serials, want %d", len(seen), 8*10*7)
	}
}

// A keyed batch reads an item's stock without locking it and reserves at
// commit (commit_rows.go). When another node takes the stock meanwhile, the
// reservation breaks the row's CHECK at commit: the batch is undone and
// its job runs again, this time with the row's advisory lock taken first
// and the reservation made at once, which refuses it. Nothing is reserved
// twice, and the job is answered, not failed.
func TestStockTakenMeanwhileRunsTheJobAgainLocked(t *testing.T) {
	ctx := context.Background()
	a, other := twoNodes(t)
	const ems, item, ebc = "T5000W000001", "A1", "EBC0000001"
	err := a.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertBondedBook(ctx, &store.BondedBook{EmsNo: ems, OperatorCode: "ZONE000001", Name: "保税仓", CreatedAt: time.Now()}); err != nil {
			return err
		}
		return tx.InsertBondedItem(ctx, &store.BondedItem{EmsNo: ems, ItemRecordNo: item, EbcCode: ebc, ItemNo: "SKU", Name: "奶粉", Unit: "122",
			OnHandMilli: 3000, CreatedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	// advisoryLocks counts the advisory locks the transaction holds: the
	// writers' gate, and the item's row when it is locked from the start.
	advisoryLocks := func(tx *store.Tx) int {
		var pid int
		if err := tx.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := other.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = $1`, pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	b := a.NewBatcher(1, 8)
	defer b.Close()
	before := a.WriterStats().RolledBack
	var got []bool
	var locks []int
	err = b.DoKeys(ctx, []string{store.BondedItemRow(ems, item)}, func(tx *store.Tx) error {
		ok, err := storetest.ReserveOne(ctx, tx, ems, item, ebc, 2000)
		if err != nil {
			return err
		}
		got = append(got, ok)
		locks = append(locks, advisoryLocks(tx))
		if len(got) == 1 { // another node takes 2000 of the 3000 this job read
			return other.InTx(ctx, func(tx *store.Tx) error {
				if ok, err := storetest.ReserveOne(ctx, tx, ems, item, ebc, 2000); err != nil || !ok {
					t.Errorf("the other node's reservation: %v %v", ok, err)
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the job failed: %v", err)
	}
	if len(got) != 2 || !got[0] || got[1] {
		t.Errorf("reservations seen by the job: %v, want [true false]: read free, then refused when run again", got)
	}
	if len(locks) != 2 || locks[0] != 1 || locks[1] != 2 {
		t.Errorf("advisory locks held: %v, want [1 2]: the gate alone, then the gate and the item's row", locks)
	}
	if n := a.WriterStats().RolledBack - before; n != 1 {
		t.Errorf("%d transactions rolled back, want 1", n)
	}
	var reserved int64
	if err := a.QueryRow(ctx, `SELECT reserved_milli FROM bonded_items WHERE ems_no = $1 AND item_record_no = $2`, ems, item).Scan(&reserved); err != nil {
		t.Fatal(err)
	}
	if reserved != 2000 {
		t.Errorf("reserved %d, want 2000: the other node's alone", reserved)
	}
}

// twoNodes opens two handles on one migrated test database, as two nodes
// of a deployment would.
func twoNodes(t *testing.T) (a, b *store.DB) {
	t.Helper()
	dsn := storetest.PostgresDSN(t)
	ctx := context.Background()
	open := func() *store.DB {
		db, err := store.Open(ctx, dsn, "", store.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b = open(), open()
	if err := a.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return a, b
}
