package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// Migration 00200 splits the pieces' rows into their lines' facts and the
// pieces: every code released before reads as it did, with its own state,
// and its Down section gives back the rows as they were.
func TestTraceCodesMoveToLines(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := open(t)
		if err := db.MigrateDownTo(ctx, 190); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 12, 1, 8, 0, 0, 123456000, time.UTC)
		var codes []store.TraceCode
		for inv := range 2 {
			for gnum := 1; gnum <= 2; gnum++ {
				for piece := 1; piece <= 2; piece++ {
					codes = append(codes, store.TraceCode{Code: fmt.Sprintf("M%d%d%d", inv, gnum, piece), InventoryID: fmt.Sprintf("inv%d", inv),
						Gnum: gnum, Piece: piece, EbcCode: "1105910159", ItemNo: fmt.Sprintf("ITEM-%d", gnum), GTIN: fmt.Sprintf("400638133393%d", gnum),
						Batch: fmt.Sprintf("B%d%d", inv, gnum), ProducedOn: "2026-10-0" + fmt.Sprint(gnum), Name: "奶粉", Brand: "示例牌",
						OriginCountry: "502", HSCode: "1901101000", CustomsCode: "8010", PortCode: "8010", Inspected: inv == 1,
						State: []string{"released", "exited"}[piece-1], ReleasedAt: at.Add(time.Duration(inv) * time.Hour)})
				}
			}
		}
		const oldColumns = `code, inventory_id, gnum, piece, ebc_code, item_no, gtin, batch, produced_on, name, brand,
			origin_country, hs_code, customs_code, port_code, inspected, state, released_at`
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, c := range codes {
				_, err := tx.Exec(ctx, `INSERT INTO trace_codes (`+oldColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`,
					c.Code, c.InventoryID, c.Gnum, c.Piece, c.EbcCode, c.ItemNo, c.GTIN, c.Batch, c.ProducedOn, c.Name, c.Brand,
					c.OriginCountry, c.HSCode, c.CustomsCode, c.PortCode, c.Inspected, c.State, c.ReleasedAt)
				if err != nil {
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
		for _, want := range codes {
			got, err := db.TraceCode(ctx, want.Code)
			if err != nil || got == nil || !got.ReleasedAt.Equal(want.ReleasedAt) {
				t.Fatalf("%s after Up: %+v %v", want.Code, got, err)
			}
			got.ReleasedAt = want.ReleasedAt
			if *got != want {
				t.Errorf("%s after Up:\n got %+v\nwant %+v", want.Code, *got, want)
			}
		}
		var lines int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM trace_lines`).Scan(&lines); err != nil || lines != 4 {
			t.Errorf("%d lines %v, want 4", lines, err)
		}
		if err := db.MigrateDownTo(ctx, 190); err != nil {
			t.Fatal(err)
		}
		for _, want := range codes {
			got := want
			var at store.Time
			err := db.QueryRow(ctx, `SELECT `+oldColumns+` FROM trace_codes WHERE code = $1`, want.Code).Scan(&got.Code, &got.InventoryID,
				&got.Gnum, &got.Piece, &got.EbcCode, &got.ItemNo, &got.GTIN, &got.Batch, &got.ProducedOn, &got.Name, &got.Brand,
				&got.OriginCountry, &got.HSCode, &got.CustomsCode, &got.PortCode, &got.Inspected, &got.State, &at)
			if err != nil || !at.Time.Equal(want.ReleasedAt) || got != want {
				t.Errorf("%s after Down:\n got %+v at %v (%v)\nwant %+v", want.Code, got, at.Time, err, want)
			}
		}
	})
}
