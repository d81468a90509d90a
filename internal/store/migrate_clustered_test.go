package store_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// Migration 00220 rebuilds the risk counters and the quota rows clustered on
// their keys (SQLite; nothing on PostgreSQL): counters and quota written
// before it read and count on as before, and its Down section gives the rows
// back as they were.
func TestShortRowsKeepTheirValuesWhenClustered(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := open(t)
		if err := db.MigrateDownTo(ctx, 200); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 12, 1, 8, 0, 0, 123456000, time.UTC)
		keys := store.RiskCountKeys{Addr: "addr-hash", Phone: "phone-hash", Buyer: "buyer-hash", Day: "2026-12-01", From: "2026-11-02"}
		count := func(inventoryID string, fen int64) {
			t.Helper()
			err := db.InTx(ctx, func(tx *store.Tx) error {
				err := tx.AddRiskCounters(ctx, keys.Day, []store.RiskCounter{{Kind: "addr", Key: keys.Addr}, {Kind: "phone", Key: keys.Phone},
					{Kind: "buyer", Key: keys.Buyer, Fen: fen}})
				if err != nil {
					return err
				}
				short, err := tx.ReserveQuota(ctx, inventoryID, "buyer-key", "name-hash", 2026, fen, 2_600_000, nil, "reserved", now)
				if err == nil && short.Exceeded {
					t.Errorf("%s over the quota: %+v", inventoryID, short)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		check := func(stage string, n, fen int64) {
			t.Helper()
			c, err := db.RiskCounts(ctx, keys)
			if err != nil {
				t.Fatal(err)
			}
			if c.AddrToday != n || c.PhoneToday != n || c.PhonePeriod != n || c.BuyerPeriodFen != fen {
				t.Errorf("%s: counters %+v, want %d inventories and %d fen", stage, c, n, fen)
			}
			used, err := db.QuotaUsed(ctx, "buyer-key", "name-hash", 2026)
			if err != nil || used != fen {
				t.Errorf("%s: quota used %d (%v), want %d", stage, used, err, fen)
			}
		}
		count("inv1", 10_000)
		count("inv2", 25_050)
		if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		check("after Up", 2, 35_050)
		// Its quota entry says inv2 was counted before the migration: not
		// again. (Its risk counters are the engine's to skip.)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ReserveQuota(ctx, "inv2", "buyer-key", "name-hash", 2026, 25_050, 2_600_000, nil, "reserved", now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		count("inv3", 1)
		check("counted after Up", 3, 35_051)
		if err := db.MigrateDownTo(ctx, 200); err != nil {
			t.Fatal(err)
		}
		check("after Down", 3, 35_051)
		var entries, fen int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*), SUM(amount_fen) FROM quota_entries WHERE state = 'reserved'`).Scan(&entries, &fen); err != nil ||
			entries != 3 || fen != 35_051 {
			t.Errorf("after Down: %d quota entries of %d fen (%v), want 3 of 35051", entries, fen, err)
		}
	})
}
