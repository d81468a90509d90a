package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("BondedLedger", runBondedLedger) }

// The account books of bonded import (package bonded): books, their items
// with stock, zone entries and the movements of stock.
func runBondedLedger(t *testing.T, open Opener) {
	t.Run("BooksAndItems", func(t *testing.T) { testBondedBooksAndItems(t, open(t)) })
	t.Run("Entries", func(t *testing.T) { testBondedEntries(t, open(t)) })
	t.Run("Moves", func(t *testing.T) { testBondedMoves(t, open(t)) })
}

var ledgerT0 = time.Date(2026, 11, 20, 9, 30, 0, 250000000, shanghai)

// ledgerBook opens book emsNo of zone operator operator with items of
// e-commerce enterprise ebc, each holding onHand milli-units.
func ledgerBook(t *testing.T, db *store.DB, emsNo, operator, ebc string, onHand int64, items ...string) {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertBondedBook(ctx, &store.BondedBook{EmsNo: emsNo, OperatorCode: operator, Name: "保税仓 " + emsNo, CreatedAt: ledgerT0}); err != nil {
			return err
		}
		for _, it := range items {
			if err := tx.InsertBondedItem(ctx, &store.BondedItem{EmsNo: emsNo, ItemRecordNo: it, EbcCode: ebc, ItemNo: "SKU-" + it,
				Name: "奶粉 " + it, Unit: "122", OnHandMilli: onHand, CreatedAt: ledgerT0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("open book %s: %v", emsNo, err)
	}
}

func testBondedBooksAndItems(t *testing.T, db *store.DB) {
	ctx := context.Background()
	ledgerBook(t, db, "T5000W000001", "ZONE000001", "EBC0000001", 0, "B2", "A1")
	b, err := db.BondedBook(ctx, "T5000W000001")
	if err != nil || b.OperatorCode != "ZONE000001" || b.Name != "保税仓 T5000W000001" || !b.CreatedAt.Equal(ledgerT0) {
		t.Fatalf("book: %+v %v", b, err)
	}
	if _, err := db.BondedBook(ctx, "NONE"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("missing book: %v, want not found", err)
	}
	items, err := db.BondedItems(ctx, "T5000W000001")
	if err != nil || len(items) != 2 || items[0].ItemRecordNo != "A1" || items[1].ItemRecordNo != "B2" {
		t.Fatalf("items: %+v %v", items, err)
	}
	if it := items[0]; it.EmsNo != "T5000W000001" || it.EbcCode != "EBC0000001" || it.ItemNo != "SKU-A1" || it.Name != "奶粉 A1" || it.Unit != "122" ||
		it.OnHandMilli != 0 || it.ReservedMilli != 0 || !it.CreatedAt.Equal(ledgerT0) {
		t.Errorf("item read back: %+v", it)
	}
	if items, err := db.BondedItems(ctx, "NONE"); err != nil || len(items) != 0 {
		t.Errorf("items of a missing book: %+v %v", items, err)
	}
	// A taken book number or item: conflicts.
	err = db.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertBondedBook(ctx, &store.BondedBook{EmsNo: "T5000W000001", OperatorCode: "ZONE000002", Name: "x", CreatedAt: ledgerT0})
	})
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("repeated book: %v, want a conflict", err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertBondedItem(ctx, &store.BondedItem{EmsNo: "T5000W000001", ItemRecordNo: "A1", EbcCode: "EBC0000002", CreatedAt: ledgerT0})
	})
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("repeated item: %v, want a conflict", err)
	}
	for _, c := range []struct {
		ems, item string
		want      bool
	}{{"T5000W000001", "A1", true}, {"T5000W000001", "C3", false}, {"NONE", "A1", false}} {
		if got, err := db.BondedItemExists(ctx, c.ems, c.item); err != nil || got != c.want {
			t.Errorf("item %s/%s exists (read pool): %v %v, want %v", c.ems, c.item, got, err, c.want)
		}
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if got, err := tx.BondedItemExists(ctx, "T5000W000001", "B2"); err != nil || !got {
			t.Errorf("item exists in a transaction: %v %v", got, err)
		}
		if b, err := tx.BondedBook(ctx, "T5000W000001"); err != nil || b.OperatorCode != "ZONE000001" {
			t.Errorf("book in a transaction: %+v %v", b, err)
		}
		if _, err := tx.BondedBook(ctx, "NONE"); errs.KindOf(err) != errs.NotFound {
			t.Errorf("missing book in a transaction: %v, want not found", err)
		}
		it, err := tx.BondedItem(ctx, "T5000W000001", "B2")
		if err != nil || it.ItemNo != "SKU-B2" || it.EbcCode != "EBC0000001" {
			t.Errorf("item in a transaction: %+v %v", it, err)
		}
		if _, err := tx.BondedItem(ctx, "T5000W000001", "C3"); errs.KindOf(err) != errs.NotFound {
			t.Errorf("missing item: %v, want not found", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testBondedEntries(t *testing.T, db *store.DB) {
	ctx := context.Background()
	entry := func(no, operator string) *store.BondedEntry {
		return &store.BondedEntry{EntryNo: no, EmsNo: "T5000W000001", OperatorCode: operator, Source: "CEB711", TallyNo: "TL1",
			Items: `[{"itemRecordNo":"A1","qty":"10"}]`, Differences: `[]`, CreatedAt: ledgerT0}
	}
	insert := func(e *store.BondedEntry) error {
		return db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertBondedEntry(ctx, e) })
	}
	if err := insert(entry("E1", "ZONE000001")); err != nil {
		t.Fatal(err)
	}
	// Entry numbers are each operator's own: another's E1 is no clash, the same operator's is.
	if err := insert(entry("E1", "ZONE000002")); err != nil {
		t.Errorf("another operator's entry of the same number: %v", err)
	}
	if err := insert(entry("E1", "ZONE000001")); errs.KindOf(err) != errs.Conflict {
		t.Errorf("repeated entry: %v, want a conflict", err)
	}
	var source, tally, items, diffs string
	var created store.Time
	err := db.QueryRow(ctx, `SELECT source, tally_no, items, differences, created_at FROM bonded_entries WHERE operator_code = $1 AND entry_no = $2`,
		"ZONE000001", "E1").Scan(&source, &tally, &items, &diffs, &created)
	if err != nil || source != "CEB711" || tally != "TL1" || items != `[{"itemRecordNo":"A1","qty":"10"}]` || diffs != "[]" || !created.Equal(ledgerT0) {
		t.Errorf("entry read back: %s %s %s %s %v %v", source, tally, items, diffs, created, err)
	}
}

func testBondedMoves(t *testing.T, db *store.DB) {
	ctx := context.Background()
	ledgerBook(t, db, "T5000W000001", "ZONE000001", "EBC0000001", 0, "A1", "B2")
	move := func(item, kind string, qty int64, at time.Time) bool {
		t.Helper()
		var moved bool
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			moved, err = tx.MoveBondedStock(ctx, &store.BondedMove{EmsNo: "T5000W000001", ItemRecordNo: item, Kind: kind, QtyMilli: qty,
				Ref: "entry " + kind, Note: "note", At: at})
			return err
		})
		if err != nil {
			t.Fatalf("move %s %d: %v", item, qty, err)
		}
		return moved
	}
	if !move("A1", "in", 10000, ledgerT0) || !move("B2", "in", 4000, ledgerT0.Add(time.Minute)) || !move("A1", "out", -3000, ledgerT0.Add(2*time.Minute)) {
		t.Fatal("a move within stock was refused")
	}
	// Below zero, or for an item the book lacks: refused, nothing recorded.
	if move("A1", "out", -7001, ledgerT0.Add(3*time.Minute)) || move("C3", "in", 1000, ledgerT0.Add(3*time.Minute)) {
		t.Error("a move below zero or of a missing item was made")
	}
	if !move("A1", "adjusted", -5000, ledgerT0.Add(4*time.Minute)) {
		t.Error("an adjustment down to zero was refused")
	}
	items, err := db.BondedItems(ctx, "T5000W000001")
	if err != nil || len(items) != 2 || items[0].OnHandMilli != 2000 || items[0].ReservedMilli != 0 || items[1].OnHandMilli != 4000 {
		t.Fatalf("stock after the moves: %+v %v", items, err)
	}
	all, err := db.BondedMoves(ctx, store.BondedMoveFilter{EmsNo: "T5000W000001"})
	if err != nil || len(all) != 4 {
		t.Fatalf("moves: %+v %v", all, err)
	}
	var got []string
	for _, m := range all {
		got = append(got, fmt.Sprintf("%s %s %d", m.ItemRecordNo, m.Kind, m.QtyMilli))
	}
	if fmt.Sprint(got) != "[A1 in 10000 B2 in 4000 A1 out -3000 A1 adjusted -5000]" {
		t.Errorf("moves in order: %v", got)
	}
	if m := all[2]; m.EmsNo != "T5000W000001" || m.Ref != "entry out" || m.Note != "note" || !m.At.Equal(ledgerT0.Add(2*time.Minute)) || m.ID <= all[1].ID {
		t.Errorf("move read back: %+v", m)
	}
	ofA, err := db.BondedMoves(ctx, store.BondedMoveFilter{EmsNo: "T5000W000001", Item: "A1", After: all[0].ID, Limit: 1})
	if err != nil || len(ofA) != 1 || ofA[0].ID != all[2].ID {
		t.Errorf("moves of A1 after the first, one: %+v %v", ofA, err)
	}
	if none, err := db.BondedMoves(ctx, store.BondedMoveFilter{EmsNo: "OTHER"}); err != nil || len(none) != 0 {
		t.Errorf("moves of another book: %+v %v", none, err)
	}
}
