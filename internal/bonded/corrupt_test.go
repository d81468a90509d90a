package bonded

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// A return whose stored lines cannot be decoded is an error naming the
// inventory, not "nothing returned yet": counting it as nothing would let the
// same goods be returned, and their tax refunded, twice.
func TestCorruptStoredReturnIsAnError(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		now := time.Date(2026, 11, 20, 9, 0, 0, 0, cst)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertBondedReturn(ctx, &store.BondedReturn{ID: "R1", InventoryID: "INV1", AgentCode: "1105910159", CopNo: "COP1",
				PreNo: "PRE1", InvtNo: "INVT1", Lines: []byte(`[{"gnum":1,"milli":`), State: "applied", Reason: "broken", AppliedAt: now})
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			taken, err := returnedQty(ctx, tx, "INV1", "applied", "arrived")
			if err == nil {
				t.Errorf("corrupt lines read as %v", taken)
			}
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "decode stored lines of a return of inventory INV1") {
			t.Errorf("got %v, want the decode error naming the inventory", err)
		}
	})
}
