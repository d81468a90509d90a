package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// Tx.Documents looks each key up by the documents' whole primary key, for a
// message's worth of keys: with the keys as an OR, SQLite read every order
// of the kind instead for each message of payments, and a 10-minute run fell
// from 800 to 160 declarations a second within five minutes. SQLite plans
// as it does in production, without statistics. PostgreSQL plans by its
// statistics: a BitmapOr on the key for the OR, a nested loop on the key for
// the list once the table outgrows a few pages (a hash join over a small
// one), so a small table tells nothing of it.
func TestDocumentsLookUpEachKey(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var ds []*store.Document
	for i := range 2000 {
		ds = append(ds, &store.Document{Kind: "order", K1: "EBP0000001", K2: fmt.Sprint("O-", i), Sender: "EBP0000001", AppType: "1",
			Data: []byte(`{}`), CreatedAt: at, UpdatedAt: at})
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.InsertNewDocuments(ctx, ds)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A message's payments: up to 16 a statement.
	var keys []store.WaitKey
	for i := range 16 {
		keys = append(keys, store.WaitKey{K1: "EBP0000001", K2: fmt.Sprint("O-", 100*i+7)})
	}
	query, args := store.DocumentsQuery("order", keys)
	if p := plan(t, db, query, args...); !strings.Contains(p, "(kind=? AND k1=? AND k2=?)") {
		t.Errorf("the plan does not look each key up by the whole primary key:\n%s", p)
	}
	// And it reads them: the 16 asked for.
	if got := storetest.Documents(t, db, "order", keys); len(got) != len(keys) {
		t.Errorf("read %d documents, want %d", len(got), len(keys))
	}
}
