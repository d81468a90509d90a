package store_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// On PostgreSQL a node reads for judging what another node wrote after it:
// an order this node wrote, then replaced (appType 2) by another node, is
// read as replaced, never as this node wrote it (there is no row cache on
// PostgreSQL; see rowCache).
func TestJudgedRowsSeeOtherNodesWrites(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.PostgresDSN(t)
	open := func() *store.DB {
		db, err := store.Open(ctx, dsn, "", store.Options{MaxConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			t.Fatal(err)
		}
		return db
	}
	this, other := open(), open()
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	order := func(data string) *store.Document {
		return &store.Document{Kind: "order", K1: "EBP0000001", K2: "O1", OrderNo: "O1", Sender: "EBP0000001", AppType: "1",
			Data: []byte(data), Value: &data, CreatedAt: at, UpdatedAt: at}
	}
	put := func(db *store.DB, docs ...*store.Document) {
		t.Helper()
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, d := range docs {
				if err := tx.PutDocument(ctx, d); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	payment, waybill := order(`{"payment":1}`), order(`{"waybill":1}`)
	payment.Kind, waybill.Kind, waybill.K1, waybill.K2 = "payment", "waybill", "LOG0000001", "W1"
	put(this, order(`{"order":1}`), payment, waybill)
	put(other, order(`{"order":2}`))
	o, _, _, err := this.DocumentsToJudge(ctx, "EBP0000001", "O1", "LOG0000001", "W1")
	if err != nil {
		t.Fatal(err)
	}
	if string(o.Data) != `{"order":2}` || o.Value != nil {
		t.Errorf("order read for judging: %s (value %v), want the other node's {\"order\":2} read from the database", o.Data, o.Value)
	}
}
