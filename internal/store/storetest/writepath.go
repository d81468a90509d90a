package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("WritePath", runWritePath) }

func runWritePath(t *testing.T, open Opener) {
	t.Run("InsertDocumentKeepsTheFirst", func(t *testing.T) { testInsertDocument(t, open(t)) })
}

// InsertDocument stores a new document and reports a second one under the
// same kind and keys as not inserted, leaving the first untouched.
func testInsertDocument(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, shanghai)
	doc := func(hash string) *store.Document {
		return &store.Document{Kind: "order", K1: "EBP0000001", K2: "ORDER-1", OrderNo: "ORDER-1", Sender: "EBP0000001",
			AppType: "1", ContentHash: hash, Data: []byte(`{"hash":"` + hash + `"}`), MessageID: "M-" + hash, CreatedAt: at, UpdatedAt: at}
	}
	for i, want := range []bool{true, false} {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			inserted, err := tx.InsertDocument(ctx, doc([]string{"first", "second"}[i]))
			if err == nil && inserted != want {
				t.Errorf("insert %d: inserted = %v, want %v", i+1, inserted, want)
			}
			return err
		})
		if err != nil {
			t.Fatalf("insert %d: %v", i+1, err)
		}
	}
	order, _, _, err := db.DocumentsFor(ctx, "EBP0000001", "ORDER-1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if order == nil || order.ContentHash != "first" || string(order.Data) != `{"hash":"first"}` || order.MessageID != "M-first" {
		t.Errorf("stored order = %+v, want the first one unchanged", order)
	}
}
