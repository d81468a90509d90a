package storetest

import (
	"context"
	"testing"

	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("CommitRows", runCommitRows) }

// An item's stock and a guarantor's balance as a keyed batch changes them:
// on PostgreSQL at commit, decided on the rows as read plus what the
// transaction has already left for the commit; on SQLite at once. Either
// way, a job sees the same answers as if each change were made at once.
func runCommitRows(t *testing.T, open Opener) {
	t.Run("ReserveInABatch", func(t *testing.T) { testReserveInABatch(t, open(t)) })
	t.Run("DebitInABatch", func(t *testing.T) { testDebitInABatch(t, open(t)) })
	t.Run("LinesAllOrNone", func(t *testing.T) { testLinesAllOrNone(t, open(t)) })
}

func testReserveInABatch(t *testing.T, db *store.DB) {
	ctx := context.Background()
	ledgerBook(t, db, "T5000W000001", "ZONE000001", "EBC0000001", 5000, "A1")
	b := db.NewBatcher(1, 8)
	defer b.Close()
	keys := []string{store.BondedItemRow("T5000W000001", "A1"), store.BondedItemRow("T5000W000001", "C3")}
	err := b.DoKeys(ctx, keys, func(tx *store.Tx) error {
		for _, c := range []struct {
			item, ebc string
			qty       int64
			want      bool
		}{
			{"A1", "EBC0000001", 3000, true},
			{"A1", "EBC0000001", 2001, false}, // 2000 left of what this job has not reserved
			{"A1", "EBC0000002", 1000, false}, // another enterprise's item
			{"C3", "EBC0000001", 1000, false}, // no such item
			{"A1", "EBC0000001", 2000, true},
			{"A1", "EBC0000001", 1, false}, // all of it reserved
		} {
			got, err := ReserveOne(ctx, tx, "T5000W000001", c.item, c.ebc, c.qty)
			if err != nil {
				return err
			}
			if got != c.want {
				t.Errorf("reserve %d of %s for %s: %v, want %v", c.qty, c.item, c.ebc, got, c.want)
			}
		}
		// What is read of the item plus what the job left for the commit is the stock as it will be.
		it, err := tx.BondedItem(ctx, "T5000W000001", "A1")
		if err != nil {
			return err
		}
		if free := it.OnHandMilli - it.ReservedMilli + tx.PendingStock("T5000W000001", "A1"); free != 0 {
			t.Errorf("A1 free after reserving all of it: %d, want 0", free)
		}
		// Given back, then taken out at release: 1000 of it is free again.
		if err := tx.UnreserveBondedStock(ctx, "T5000W000001", "A1", 3000); err != nil {
			return err
		}
		moved, err := tx.MoveBondedStock(ctx, &store.BondedMove{EmsNo: "T5000W000001", ItemRecordNo: "A1", Kind: "out", QtyMilli: -2000, Ref: "r", At: ledgerT0})
		if err != nil || !moved {
			t.Errorf("take 2000 out: %v %v", moved, err)
		}
		for _, c := range []struct {
			qty  int64
			want bool
		}{{1001, false}, {1000, true}} {
			if got, err := ReserveOne(ctx, tx, "T5000W000001", "A1", "EBC0000001", c.qty); err != nil || got != c.want {
				t.Errorf("reserve %d after giving 3000 back and taking 2000 out: %v %v, want %v", c.qty, got, err, c.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 5000 on hand, 2000 taken out: 3000; reserved 3000 + 2000 − 3000 + 1000.
	items, err := db.BondedItems(ctx, "T5000W000001")
	if err != nil || len(items) != 1 || items[0].OnHandMilli != 3000 || items[0].ReservedMilli != 3000 {
		t.Errorf("after the batch: %+v %v, want 3000 on hand and 3000 reserved", items, err)
	}
	moves, err := db.BondedMoves(ctx, store.BondedMoveFilter{EmsNo: "T5000W000001"})
	if err != nil || len(moves) != 1 || moves[0].QtyMilli != -2000 {
		t.Errorf("movements: %+v %v, want the one out of 2000", moves, err)
	}
}

func testDebitInABatch(t *testing.T, db *store.DB) {
	ctx := context.Background()
	guaranteeLodge(t, db, "G1", "ASSURE0001", 10000, ledgerT0)
	b := db.NewBatcher(1, 8)
	defer b.Close()
	err := b.DoKeys(ctx, []string{store.GuaranteeRow("ASSURE0001"), store.GuaranteeRow("NOBODY0001")}, func(tx *store.Tx) error {
		for _, c := range []struct {
			code   string
			amount int64
			want   bool
		}{
			{"ASSURE0001", 6000, true},
			{"ASSURE0001", 4001, false}, // 4000 left of what this job has not debited
			{"NOBODY0001", 1, false},    // no account
			{"ASSURE0001", 4000, true},
			{"ASSURE0001", 1, false},
		} {
			got, err := tx.DebitGuarantee(ctx, c.code, c.amount, ledgerT0)
			if err != nil {
				return err
			}
			if got != c.want {
				t.Errorf("debit %d of %s: %v, want %v", c.amount, c.code, got, c.want)
			}
			if got {
				if err := tx.RecordGuaranteeChange(ctx, &store.GuaranteeChange{AssureCode: c.code, Kind: "debit", AmountFen: c.amount,
					InventoryID: "INV", Ref: "r", At: ledgerT0}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := db.GuaranteeAccount(ctx, "ASSURE0001")
	if err != nil || acc.BalanceFen != 0 || acc.DebitedFen != 10000 {
		t.Errorf("account after the batch: %+v %v, want balance 0 and 10000 debited", acc, err)
	}
	// Each change is recorded with the balance it left, in order.
	hs, err := db.GuaranteeHistory(ctx, "ASSURE0001")
	if err != nil || len(hs) != 2 {
		t.Fatalf("history: %+v %v, want the two debits", hs, err)
	}
	for i, want := range []int64{4000, 0} {
		if hs[i].BalanceFen != want {
			t.Errorf("history line %d (%s %d): balance %d, want %d", i, hs[i].Kind, hs[i].AmountFen, hs[i].BalanceFen, want)
		}
	}
}

// An inventory's lines are reserved all or none, in a keyed batch and in a
// plain transaction alike, and the refusal names the first line that
// cannot be reserved.
func testLinesAllOrNone(t *testing.T, db *store.DB) {
	ctx := context.Background()
	b := db.NewBatcher(1, 8)
	defer b.Close()
	for _, way := range []struct {
		name, emsNo string
		run         func(emsNo string, fn func(*store.Tx) error) error
	}{
		{"keyed batch", "T5000W000001", func(emsNo string, fn func(*store.Tx) error) error {
			return b.DoKeys(ctx, []string{store.BondedItemRow(emsNo, "A1"), store.BondedItemRow(emsNo, "B2")}, fn)
		}},
		{"transaction", "T5000W000002", func(_ string, fn func(*store.Tx) error) error { return db.InTx(ctx, fn) }},
	} {
		ledgerBook(t, db, way.emsNo, "ZONE000001", "EBC0000001", 3000, "A1", "B2")
		for _, c := range []struct {
			wants   []store.StockWant
			refused int
		}{
			{[]store.StockWant{{Item: "A1", Qty: 1000}, {Item: "B2", Qty: 3001}}, 1},                          // B2 has 3000
			{[]store.StockWant{{Item: "A1", Qty: 2000}, {Item: "A1", Qty: 1001}}, 1},                          // twice the same item: 3000 in all
			{[]store.StockWant{{Item: "A1", Qty: 1000}, {Item: "C3", Qty: 1}}, 1},                             // no such item
			{[]store.StockWant{{Item: "A1", Qty: 1000}, {Item: "A1", Qty: 2000}, {Item: "B2", Qty: 500}}, -1}, // all of them
			{[]store.StockWant{{Item: "B2", Qty: 1}, {Item: "A1", Qty: 1}}, 1},                                // A1 is all reserved
		} {
			err := way.run(way.emsNo, func(tx *store.Tx) error {
				got, err := tx.ReserveBondedLines(ctx, way.emsNo, "EBC0000001", c.wants)
				if err == nil && got != c.refused {
					t.Errorf("%s: reserve %+v: refused line %d, want %d", way.name, c.wants, got, c.refused)
				}
				return err
			})
			if err != nil {
				t.Fatalf("%s: %v", way.name, err)
			}
		}
		// Another enterprise's item refuses the first line.
		err := way.run(way.emsNo, func(tx *store.Tx) error {
			got, err := tx.ReserveBondedLines(ctx, way.emsNo, "EBC0000002", []store.StockWant{{Item: "B2", Qty: 1}})
			if err == nil && got != 0 {
				t.Errorf("%s: another enterprise reserves B2: refused line %d, want 0", way.name, got)
			}
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", way.name, err)
		}
		// Only the fourth case reserved.
		items, err := db.BondedItems(ctx, way.emsNo)
		if err != nil || len(items) != 2 || items[0].ReservedMilli != 3000 || items[1].ReservedMilli != 500 {
			t.Errorf("%s: reserved after the refusals: %+v %v, want A1 3000 and B2 500", way.name, items, err)
		}
	}
}

// ReserveOne reserves qty of one item (Tx.ReserveBondedLines with one
// want) and tells whether it did.
func ReserveOne(ctx context.Context, tx *store.Tx, emsNo, item, ebcCode string, qty int64) (bool, error) {
	refused, err := tx.ReserveBondedLines(ctx, emsNo, ebcCode, []store.StockWant{{Item: item, Qty: qty}})
	return refused < 0, err
}
