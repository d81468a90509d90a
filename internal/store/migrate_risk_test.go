package store_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// Migration 00190 moves the marks of the inventories counted in the risk
// history counters from risk_counted into their rows: counted before the
// migration stays counted, with its time, and its Down section moves them back.
func TestRiskCountedMovesIntoTheInventoryRow(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := open(t)
		t0 := time.Date(2026, 12, 1, 8, 0, 0, 123456000, time.UTC)
		for _, id := range []string{"inv1", "inv2", "inv3"} {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				return tx.InsertInventory(ctx, &store.Inventory{ID: id, AgentCode: "AGENT00001", CopNo: "C-" + id, Status: "800",
					WaitUntil: t0, CreatedAt: t0, UpdatedAt: t0})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := db.MigrateDownTo(ctx, 180); err != nil {
			t.Fatal(err)
		}
		// Counted as before the migration: inv1 and inv2, not inv3.
		counted := map[string]time.Time{"inv1": t0.Add(time.Minute), "inv2": t0.Add(2 * time.Hour)}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for id, at := range counted {
				if _, err := tx.Exec(ctx, `INSERT INTO risk_counted (inventory_id, at) VALUES ($1, $2)`, id, at); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"inv1", "inv2", "inv3"} {
			v, err := db.Inventory(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want, ok := counted[id]
			if got := v.RiskCountedAt; (got != nil) != ok || (ok && !got.Equal(want)) {
				t.Errorf("%s counted at %v, want %v (%v)", id, got, want, ok)
			}
		}
		if err := db.MigrateDownTo(ctx, 180); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM risk_counted WHERE (inventory_id = 'inv1' AND at = $1) OR (inventory_id = 'inv2' AND at = $2)`,
			counted["inv1"], counted["inv2"]).Scan(&n); err != nil || n != 2 {
			t.Errorf("after Down: %d marks %v, want 2", n, err)
		}
	})
}
