package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("BondedStock", runBondedStock) }

// The stock inventories hold in account books (package bonded):
// reservations on items and the holds of inventory lines.
func runBondedStock(t *testing.T, open Opener) {
	t.Run("Reserve", func(t *testing.T) { testBondedReserve(t, open(t)) })
	t.Run("Holds", func(t *testing.T) { testBondedHolds(t, open(t)) })
}

func testBondedReserve(t *testing.T, db *store.DB) {
	ctx := context.Background()
	ledgerBook(t, db, "T5000W000001", "ZONE000001", "EBC0000001", 5000, "A1")
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, c := range []struct {
			item, ebc string
			qty       int64
			want      bool
		}{
			{"A1", "EBC0000001", 3000, true},
			{"A1", "EBC0000001", 2001, false}, // 2000 available
			{"A1", "EBC0000002", 1000, false}, // another enterprise's item
			{"C3", "EBC0000001", 1000, false}, // no such item
			{"A1", "EBC0000001", 2000, true},
		} {
			got, err := ReserveOne(ctx, tx, "T5000W000001", c.item, c.ebc, c.qty)
			if err != nil {
				return err
			}
			if got != c.want {
				t.Errorf("reserve %d of %s for %s: %v, want %v", c.qty, c.item, c.ebc, got, c.want)
			}
		}
		it, err := tx.BondedItem(ctx, "T5000W000001", "A1")
		if err != nil || it.OnHandMilli != 5000 || it.ReservedMilli != 5000 {
			t.Errorf("after reserving: %+v %v", it, err)
		}
		if err := tx.UnreserveBondedStock(ctx, "T5000W000001", "A1", 3000); err != nil {
			return err
		}
		it, err = tx.BondedItem(ctx, "T5000W000001", "A1")
		if err != nil || it.OnHandMilli != 5000 || it.ReservedMilli != 2000 {
			t.Errorf("after unreserving: %+v %v", it, err)
		}
		// Reserved stock holds on-hand stock up: it may fall to what is reserved, no lower.
		for _, c := range []struct {
			qty  int64
			want bool
		}{{-3001, false}, {-3000, true}} {
			moved, err := tx.MoveBondedStock(ctx, &store.BondedMove{EmsNo: "T5000W000001", ItemRecordNo: "A1", Kind: "out", QtyMilli: c.qty, Ref: "r", At: ledgerT0})
			if err != nil {
				return err
			}
			if moved != c.want {
				t.Errorf("move %d with 2000 of 5000 reserved: %v, want %v", c.qty, moved, c.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testBondedHolds(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := ledgerT0.Add(time.Hour)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if hs, err := tx.BondedHolds(ctx, "INV1"); err != nil || len(hs) != 0 {
			t.Errorf("holds of an inventory without any: %+v %v", hs, err)
		}
		// Stored out of order: listed by book, item, line.
		for _, h := range []store.BondedHold{
			{InventoryID: "INV1", Gnum: 1, EmsNo: "T5000W000001", ItemRecordNo: "B2", QtyMilli: 1000, State: "reserved", UpdatedAt: ledgerT0},
			{InventoryID: "INV1", Gnum: 3, EmsNo: "T5000W000001", ItemRecordNo: "A1", QtyMilli: 2500, State: "reserved", UpdatedAt: ledgerT0},
			{InventoryID: "INV1", Gnum: 2, EmsNo: "T5000W000001", ItemRecordNo: "A1", QtyMilli: 500, State: "reserved", UpdatedAt: ledgerT0},
			{InventoryID: "INV2", Gnum: 1, EmsNo: "T5000W000001", ItemRecordNo: "A1", QtyMilli: 700, State: "reserved", UpdatedAt: ledgerT0},
		} {
			if err := tx.PutBondedHold(ctx, &h); err != nil {
				return err
			}
		}
		if err := tx.SetBondedHoldState(ctx, "INV1", 2, "out", at); err != nil {
			return err
		}
		if err := tx.AddBondedHoldReturned(ctx, "INV1", 2, 200, at); err != nil {
			return err
		}
		if err := tx.AddBondedHoldReturned(ctx, "INV1", 2, 100, at.Add(time.Minute)); err != nil {
			return err
		}
		if err := tx.SetBondedHoldState(ctx, "INV1", 1, "freed", at); err != nil {
			return err
		}
		hs, err := tx.BondedHolds(ctx, "INV1")
		if err != nil {
			return err
		}
		var got []string
		for _, h := range hs {
			got = append(got, fmt.Sprintf("%s/%d %s %d-%d", h.ItemRecordNo, h.Gnum, h.State, h.QtyMilli, h.ReturnedMilli))
		}
		if fmt.Sprint(got) != "[A1/2 out 500-300 A1/3 reserved 2500-0 B2/1 freed 1000-0]" {
			t.Errorf("holds of INV1: %v", got)
		}
		if h := hs[0]; h.InventoryID != "INV1" || h.EmsNo != "T5000W000001" || !h.UpdatedAt.Equal(at.Add(time.Minute)) {
			t.Errorf("hold read back: %+v", h)
		}
		// Putting a hold again replaces the line's whole hold.
		if err := tx.PutBondedHold(ctx, &store.BondedHold{InventoryID: "INV1", Gnum: 1, EmsNo: "T5000W000002", ItemRecordNo: "C3", QtyMilli: 4000,
			State: "reserved", UpdatedAt: at}); err != nil {
			return err
		}
		hs, err = tx.BondedHolds(ctx, "INV1")
		if err != nil {
			return err
		}
		if len(hs) != 3 {
			return fmt.Errorf("holds after a replacement: %+v", hs)
		}
		if h := hs[2]; h.Gnum != 1 || h.EmsNo != "T5000W000002" || h.ItemRecordNo != "C3" || h.QtyMilli != 4000 || h.ReturnedMilli != 0 ||
			h.State != "reserved" || !h.UpdatedAt.Equal(at) {
			t.Errorf("hold replaced: %+v", hs)
		}
		if hs, err := tx.BondedHolds(ctx, "INV9"); err != nil || len(hs) != 0 {
			t.Errorf("holds of an inventory without any: %+v %v", hs, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
