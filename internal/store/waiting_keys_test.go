package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// A wake-up finds an inventory stored before the database was opened: on
// SQLite, stored before the data folder was closed and opened again (the
// keys waited on are counted when it opens); on PostgreSQL, stored by
// another node on the same database. A decided inventory is not woken (on
// SQLite without a statement).
func TestWakeUpFindsInventoriesStoredBefore(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	inventory := func(id, status string) *store.Inventory {
		return &store.Inventory{ID: id, AgentCode: "AGENT00001", CopNo: "C-" + id, EbpCode: "EBP0000001", OrderNo: "O-" + id,
			LogisticsCode: "LOG0000001", LogisticsNo: "W-" + id, Status: status, WaitUntil: at.Add(time.Hour), CreatedAt: at, UpdatedAt: at}
	}
	// check stores the inventories with earlier, closes it, and wakes with later's.
	check := func(t *testing.T, earlier *store.DB, later func() *store.DB) {
		if err := earlier.InTx(ctx, func(tx *store.Tx) error {
			for _, v := range []*store.Inventory{inventory("waiting", "120"), inventory("decided", "800")} {
				if err := tx.InsertInventory(ctx, v); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := earlier.Close(); err != nil {
			t.Fatal(err)
		}
		db := later()
		for _, c := range []struct {
			byOrder bool
			k1, k2  string
			want    string
		}{
			{true, "EBP0000001", "O-waiting", "[waiting]"},
			{false, "LOG0000001", "W-waiting", "[waiting]"},
			{true, "EBP0000001", "O-decided", "[]"},
			{false, "LOG0000001", "W-decided", "[]"},
		} {
			var ids []string
			before := db.WriterStats().Statements
			if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				ids, err = tx.MarkWaiting(ctx, c.byOrder, c.k1, c.k2)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			statements := db.WriterStats().Statements - before - 2 // begin and commit
			want := int64(1)
			if c.want == "[]" && db.Engine == store.SQLite {
				want = 0
			}
			if fmt.Sprint(ids) != c.want || statements != want {
				t.Errorf("wake %s/%s: %v with %d statements, want %s with %d", c.k1, c.k2, ids, statements, c.want, want)
			}
		}
	}
	open := func(t *testing.T, dsn, dir string) *store.DB {
		db, err := store.Open(ctx, dsn, dir, store.Options{MaxConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			t.Fatal(err)
		}
		return db
	}
	t.Run("sqlite reopened", func(t *testing.T) {
		dir := t.TempDir()
		check(t, open(t, "", dir), func() *store.DB { return open(t, "", dir) })
	})
	t.Run("postgres another node", func(t *testing.T) {
		dsn := storetest.PostgresDSN(t)
		other := open(t, dsn, "") // running while the first node stores
		check(t, open(t, dsn, ""), func() *store.DB { return other })
	})
}
