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
	a, b := open(), open()
	if err := a.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
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
	dsn := storetest.PostgresDSN(t)
	ctx := context.Background()
	var dbs []*store.DB
	for range 2 {
		db, err := store.Open(ctx, dsn, "", store.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	if err := dbs[0].Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
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
