package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("RowCache", runRowCache) }

// The engine reads what it judges with DB.InventoryToJudge and
// DB.DocumentsToJudge, which on SQLite take the rows just written from the
// store's cache: these tests fail if a cached row outlives a write of it.
func runRowCache(t *testing.T, open Opener) {
	t.Run("AWriteOutdatesTheCachedRow", func(t *testing.T) { testWriteOutdatesCache(t, open(t)) })
	t.Run("RollbackLeavesNothing", func(t *testing.T) { testRollbackLeavesNothing(t, open(t)) })
	t.Run("ReadersNeverGoBack", func(t *testing.T) { testReadersNeverGoBack(t, open(t)) })
	t.Run("TheWriterReadsTheStoredRow", func(t *testing.T) { testWriterReadsStoredRow(t, open(t)) })
}

// numbered is what the tests' documents and inventories are the JSON of.
type numbered struct {
	N int `json:"n"`
}

var cacheT0 = time.Date(2026, 12, 6, 12, 0, 0, 123456789, shanghai)

func numberedJSON(n int) []byte {
	b, _ := json.Marshal(numbered{n}) // an int: cannot fail
	return b
}

// numberedDoc is a document as intake writes it: its JSON and the value it was made from.
func numberedDoc(kind, k1, k2 string, n int) *store.Document {
	return &store.Document{Kind: kind, K1: k1, K2: k2, OrderNo: k2, Sender: "EBP0000001", AppType: "1", Data: numberedJSON(n),
		Value: &numbered{n}, CreatedAt: cacheT0, UpdatedAt: cacheT0}
}

// numberedDocs are an order's three documents, numbered n.
func numberedDocs(orderNo string, n int) []*store.Document {
	return []*store.Document{numberedDoc("order", "EBP0000001", orderNo, n), numberedDoc("payment", "EBP0000001", orderNo, n),
		numberedDoc("waybill", "LOG0000001", "W-"+orderNo, n)}
}

// numberedInventory is an inventory of orderNo as intake writes it: waiting to be judged.
func numberedInventory(id, orderNo string, n int) *store.Inventory {
	return &store.Inventory{ID: id, AgentCode: "AGENT00001", CopNo: "C-" + id, EbpCode: "EBP0000001", OrderNo: orderNo,
		LogisticsCode: "LOG0000001", LogisticsNo: "W-" + orderNo, Status: "120", Pending: true, Data: numberedJSON(n), Value: &numbered{n},
		WaitUntil: cacheT0.Add(time.Hour), CreatedAt: cacheT0, UpdatedAt: cacheT0}
}

// putAll writes documents in tx.
func putAll(ctx context.Context, tx *store.Tx, docs []*store.Document) error {
	for _, d := range docs {
		if err := tx.PutDocument(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// rowNumber is the number a row read for judging holds: its Value when the
// cache gave it (which must agree with its Data), else its Data decoded.
func rowNumber(t *testing.T, what string, data []byte, value any) (n int, cached bool) {
	t.Helper()
	var fromData numbered
	if err := json.Unmarshal(data, &fromData); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if value == nil {
		return fromData.N, false
	}
	v, ok := value.(*numbered)
	if !ok || v.N != fromData.N {
		t.Fatalf("%s: value %#v, data %s", what, value, data)
	}
	return v.N, true
}

// judged reads what the engine judges of an inventory: its number, version
// and status, and its documents' numbers (-1 for a missing one), and
// whether each came from the cache.
type judged struct {
	inv, order, payment, waybill int
	version                      int64
	status                       string
	cached                       [4]bool
}

func readJudged(t *testing.T, db *store.DB, id string) (judged, error) {
	t.Helper()
	ctx := context.Background()
	v, err := db.InventoryToJudge(ctx, id)
	if err != nil {
		return judged{}, err
	}
	j := judged{version: v.Version, status: v.Status}
	j.inv, j.cached[0] = rowNumber(t, "inventory "+id, v.Data, v.Value)
	o, p, w, err := db.DocumentsToJudge(ctx, v.EbpCode, v.OrderNo, v.LogisticsCode, v.LogisticsNo)
	if err != nil {
		return judged{}, err
	}
	numbers := []*int{&j.order, &j.payment, &j.waybill}
	for i, d := range []*store.Document{o, p, w} {
		if d == nil {
			*numbers[i] = -1
			continue
		}
		*numbers[i], j.cached[i+1] = rowNumber(t, d.Kind+" of "+id, d.Data, d.Value)
	}
	return j, nil
}

func mustJudged(t *testing.T, db *store.DB, id string) judged {
	t.Helper()
	j, err := readJudged(t, db, id)
	if err != nil {
		t.Fatalf("read %s for judging: %v", id, err)
	}
	return j
}

// onSQLite is want on SQLite, which keeps the cache, and false on PostgreSQL, which does not.
func onSQLite(db *store.DB, want ...bool) [4]bool {
	var out [4]bool
	if db.Engine == store.SQLite {
		copy(out[:], want)
	}
	return out
}

// Every write of a cached row outdates it: a document replaced (appType 2)
// after its inventory was cached, an inventory woken by a document
// (MarkWaiting), modified (appType 2) or decided; also when the second write
// is in the same transaction as the first, whose value must then never be
// filled in. What the writer gave is read back from the cache on SQLite.
func testWriteOutdatesCache(t *testing.T, db *store.DB) {
	ctx := context.Background()
	inTx := func(fn func(tx *store.Tx) error) {
		t.Helper()
		if err := db.InTx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, got, want judged) {
		t.Helper()
		if got != want {
			t.Errorf("%s: read %+v, want %+v", what, got, want)
		}
	}
	// Declared, then its order replaced, which wakes it.
	inTx(func(tx *store.Tx) error {
		if err := putAll(ctx, tx, numberedDocs("O1", 1)); err != nil {
			return err
		}
		return tx.InsertInventory(ctx, numberedInventory("i1", "O1", 1))
	})
	inTx(func(tx *store.Tx) error {
		if err := tx.PutDocument(ctx, numberedDoc("order", "EBP0000001", "O1", 2)); err != nil {
			return err
		}
		_, err := tx.MarkWaiting(ctx, true, "EBP0000001", "O1")
		return err
	})
	check("order replaced", mustJudged(t, db, "i1"), judged{inv: 1, order: 2, payment: 1, waybill: 1, version: 1, status: "120",
		cached: onSQLite(db, false, true, true, true)})

	// Both writes in one transaction: the later one is what is read.
	inTx(func(tx *store.Tx) error {
		if err := putAll(ctx, tx, numberedDocs("O2", 1)); err != nil {
			return err
		}
		if err := tx.InsertInventory(ctx, numberedInventory("i2", "O2", 1)); err != nil {
			return err
		}
		if err := tx.PutDocument(ctx, numberedDoc("waybill", "LOG0000001", "W-O2", 2)); err != nil {
			return err
		}
		_, err := tx.MarkWaiting(ctx, false, "LOG0000001", "W-O2")
		return err
	})
	check("written twice in one transaction", mustJudged(t, db, "i2"), judged{inv: 1, order: 1, payment: 1, waybill: 2, version: 1, status: "120",
		cached: onSQLite(db, false, true, true, true)})

	// Modified (appType 2) after it was cached.
	inTx(func(tx *store.Tx) error {
		if err := putAll(ctx, tx, numberedDocs("O3", 1)); err != nil {
			return err
		}
		return tx.InsertInventory(ctx, numberedInventory("i3", "O3", 1))
	})
	inTx(func(tx *store.Tx) error {
		v, err := tx.InventoryByID(ctx, "i3")
		if err != nil {
			return err
		}
		v.Data, v.Value = numberedJSON(2), &numbered{2}
		return tx.UpdateInventory(ctx, v)
	})
	check("inventory modified", mustJudged(t, db, "i3"), judged{inv: 2, order: 1, payment: 1, waybill: 1, version: 1, status: "120",
		cached: onSQLite(db, true, true, true, true)})
	// Taken by that read: the next one reads the same rows from the database.
	check("read again", mustJudged(t, db, "i3"), judged{inv: 2, order: 1, payment: 1, waybill: 1, version: 1, status: "120"})

	// Decided after it was cached; an event added.
	inTx(func(tx *store.Tx) error {
		return tx.InsertInventory(ctx, numberedInventory("i4", "O4", 1))
	})
	inTx(func(tx *store.Tx) error {
		v, err := tx.InventoryByID(ctx, "i4")
		if err != nil {
			return err
		}
		v.Status, v.Pending = "800", false
		return tx.UpdateInventory(ctx, v)
	})
	check("inventory decided", mustJudged(t, db, "i4"), judged{inv: 1, order: -1, payment: -1, waybill: -1, version: 1, status: "800"})
}

// A rolled-back write, with its transaction or its savepoint, leaves no
// entry: the rows read are the committed ones, and a row it inserted is not
// there.
func testRollbackLeavesNothing(t *testing.T, db *store.DB) {
	ctx := context.Background()
	undo := errors.New("undo")
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := putAll(ctx, tx, numberedDocs("O1", 1)); err != nil {
			return err
		}
		return tx.InsertInventory(ctx, numberedInventory("i1", "O1", 1))
	}); err != nil {
		t.Fatal(err)
	}
	rewrite := func(tx *store.Tx, n int, newID string) error {
		if err := putAll(ctx, tx, numberedDocs("O1", n)); err != nil {
			return err
		}
		v, err := tx.InventoryByID(ctx, "i1")
		if err != nil {
			return err
		}
		v.Data, v.Value = numberedJSON(n), &numbered{n}
		if err := tx.UpdateInventory(ctx, v); err != nil {
			return err
		}
		if err := tx.InsertInventory(ctx, numberedInventory(newID, "O-"+newID, n)); err != nil {
			return err
		}
		return undo
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return rewrite(tx, 2, "i2") }); !errors.Is(err, undo) {
		t.Fatalf("rolled-back transaction: %v", err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Savepoint(ctx, "rewrite", func() error { return rewrite(tx, 3, "i3") }); !errors.Is(err, undo) {
			return fmt.Errorf("savepoint: %w", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := judged{inv: 1, order: 1, payment: 1, waybill: 1, version: 0, status: "120"}
	if got := mustJudged(t, db, "i1"); got != want {
		t.Errorf("after the rollbacks: read %+v, want %+v", got, want)
	}
	for _, id := range []string{"i2", "i3"} {
		if _, err := readJudged(t, db, id); errs.KindOf(err) != errs.NotFound {
			t.Errorf("inventory %s of a rolled-back write: %v, want not found", id, err)
		}
	}
}

// Readers running beside a writer never read a row older than the one
// committed before their read began (run it with -race).
func testReadersNeverGoBack(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := putAll(ctx, tx, numberedDocs("O1", 0)); err != nil {
			return err
		}
		return tx.InsertInventory(ctx, numberedInventory("i1", "O1", 0))
	}); err != nil {
		t.Fatal(err)
	}
	const writes = 150
	var committed atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for n := 1; n <= writes; n++ {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				if err := putAll(ctx, tx, numberedDocs("O1", n)); err != nil {
					return err
				}
				v, err := tx.InventoryByID(ctx, "i1")
				if err != nil {
					return err
				}
				v.Data, v.Value = numberedJSON(n), &numbered{n}
				return tx.UpdateInventory(ctx, v)
			})
			if err != nil {
				t.Errorf("write %d: %v", n, err)
				return
			}
			committed.Store(int64(n))
		}
	})
	for range 3 {
		wg.Go(func() {
			for {
				low := int(committed.Load())
				j, err := readJudged(t, db, "i1")
				if err != nil {
					t.Errorf("read: %v", err)
					return
				}
				for i, n := range []int{j.inv, j.order, j.payment, j.waybill} {
					if n < low {
						t.Errorf("row %d (inventory, order, payment, waybill) read %d after %d was committed (cached %v)", i, n, low, j.cached[i])
						return
					}
				}
				if j.version < int64(low) {
					t.Errorf("inventory version %d after %d updates were committed", j.version, low)
					return
				}
				if low == writes {
					return
				}
			}
		})
	}
	wg.Wait()
}

// The writer's own reads of documents (Tx.Document, Tx.Documents) give the
// stored row: on SQLite, from the cache with no statement while it holds
// the committed row, and from the database once this transaction or a
// rolled-back one wrote the document again. They leave the cached row to the
// engine, and give it without the Value the engine takes.
func testWriterReadsStoredRow(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx *store.Tx) error { return putAll(ctx, tx, numberedDocs("O1", 1)) }); err != nil {
		t.Fatal(err)
	}
	stored, _, _, err := db.DocumentsFor(ctx, "EBP0000001", "O1", "LOG0000001", "W-O1")
	if err != nil {
		t.Fatal(err)
	}
	// read reads the order in tx both ways and checks them against the stored
	// row numbered n; it returns the statements the two reads ran.
	read := func(tx *store.Tx, n int) int64 {
		t.Helper()
		before := db.WriterStats().Statements
		one, err := tx.Document(ctx, "order", "EBP0000001", "O1")
		if err != nil {
			t.Fatal(err)
		}
		keys := []store.WaitKey{{K1: "EBP0000001", K2: "O1"}, {K1: "EBP0000001", K2: "O-none"}}
		many, err := tx.Documents(ctx, "order", keys[:1])
		if err != nil {
			t.Fatal(err)
		}
		ran := db.WriterStats().Statements - before
		// A key with no document is read, and left out.
		if both, err := tx.Documents(ctx, "order", keys); err != nil {
			t.Fatal(err)
		} else if _, ok := both[keys[1]]; ok || len(both) != 1 || string(both[keys[0]].Data) != string(many[keys[0]].Data) {
			t.Errorf("Documents of a stored and a missing key gave %d documents, want the one stored", len(both))
		}
		for what, d := range map[string]*store.Document{"Document": one, "Documents": many[keys[0]]} {
			if d == nil {
				t.Fatalf("%s: no order", what)
			}
			if got, _ := rowNumber(t, what, d.Data, nil); got != n || d.Value != nil {
				t.Errorf("%s: order %d (value %v), want %d without a value", what, got, d.Value, n)
			}
			if n == 1 && (d.Kind != stored.Kind || d.K1 != stored.K1 || d.K2 != stored.K2 || d.OrderNo != stored.OrderNo ||
				d.Sender != stored.Sender || d.AppType != stored.AppType || d.Deleted != stored.Deleted || d.ContentHash != stored.ContentHash ||
				string(d.Data) != string(stored.Data) || d.MessageID != stored.MessageID ||
				!d.CreatedAt.Equal(stored.CreatedAt) || !d.UpdatedAt.Equal(stored.UpdatedAt)) {
				t.Errorf("%s: %+v, want the stored row %+v", what, d, stored)
			}
		}
		return ran
	}
	onSQLite := db.Engine == store.SQLite
	inTx := func(fn func(tx *store.Tx) error) error { return db.InTx(ctx, fn) }
	if err := inTx(func(tx *store.Tx) error {
		if ran := read(tx, 1); (ran == 0) != onSQLite {
			t.Errorf("reads of the committed order ran %d statements; on SQLite none, on PostgreSQL some", ran)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The engine still takes the three from the cache.
	if o, p, w, err := db.DocumentsToJudge(ctx, "EBP0000001", "O1", "LOG0000001", "W-O1"); err != nil {
		t.Fatal(err)
	} else if (o.Value != nil) != onSQLite || (p.Value != nil) != onSQLite || (w.Value != nil) != onSQLite {
		t.Errorf("documents taken for judging with values %v, %v and %v; on SQLite from the cache", o.Value, p.Value, w.Value)
	}
	if err := inTx(func(tx *store.Tx) error { return tx.PutDocument(ctx, numberedDoc("order", "EBP0000001", "O1", 2)) }); err != nil {
		t.Fatal(err)
	}
	undo := errors.New("undo")
	if err := inTx(func(tx *store.Tx) error {
		if ran := read(tx, 2); (ran == 0) != onSQLite {
			t.Errorf("reads of the order replaced and committed ran %d statements; on SQLite none, on PostgreSQL some", ran)
		}
		if err := tx.PutDocument(ctx, numberedDoc("order", "EBP0000001", "O1", 3)); err != nil {
			return err
		}
		if ran := read(tx, 3); ran == 0 {
			t.Error("reads of the order written in this transaction ran no statement")
		}
		return undo
	}); !errors.Is(err, undo) {
		t.Fatalf("rolled-back transaction: %v", err)
	}
	if err := inTx(func(tx *store.Tx) error {
		if ran := read(tx, 2); ran == 0 {
			t.Error("reads after a rolled-back write ran no statement")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
