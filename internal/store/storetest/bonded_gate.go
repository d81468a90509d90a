package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("BondedGate", runBondedGate) }

// The gate (卡口) of a bonded zone (package bonded): which inventory a
// parcel names, and the exits and checks of vehicles.
func runBondedGate(t *testing.T, open Opener) {
	t.Run("Parcels", func(t *testing.T) { testGateParcels(t, open(t)) })
	t.Run("ExitsAndChecks", func(t *testing.T) { testGateExitsAndChecks(t, open(t)) })
}

// gateInventory stores inventory id of waybill logisticsNo, created age
// minutes before ledgerT0, with a hold on book emsNo unless emsNo is "".
func gateInventory(t *testing.T, db *store.DB, id, logisticsNo, invtNo, status string, age int, emsNo string) {
	t.Helper()
	ctx := context.Background()
	when := ledgerT0.Add(-time.Duration(age) * time.Minute)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertInventory(ctx, &store.Inventory{ID: id, AgentCode: "AGENT00001", CopNo: "COP-" + id, LogisticsCode: "LOG0000001",
			LogisticsNo: logisticsNo, InvtNo: invtNo, TradeMode: "1210", Status: status, WaitUntil: when, CreatedAt: when, UpdatedAt: when}); err != nil {
			return err
		}
		if emsNo == "" {
			return nil
		}
		return tx.PutBondedHold(ctx, &store.BondedHold{InventoryID: id, Gnum: 1, EmsNo: emsNo, ItemRecordNo: "A1", QtyMilli: 1000, State: "out", UpdatedAt: when})
	})
	if err != nil {
		t.Fatalf("store inventory %s: %v", id, err)
	}
}

func testGateParcels(t *testing.T, db *store.DB) {
	ctx := context.Background()
	ledgerBook(t, db, "T5000W000001", "ZONE000001", "EBC0000001", 0, "A1")
	ledgerBook(t, db, "T5000W000002", "ZONE000002", "EBC0000001", 0, "A1")
	gateInventory(t, db, "old", "WB1", "INVT1", "800", 30, "T5000W000001")
	gateInventory(t, db, "new", "WB1", "INVT2", "300", 10, "T5000W000001")
	gateInventory(t, db, "rejected", "WB1", "", "100", 1, "T5000W000001") // a rejection is no live inventory
	gateInventory(t, db, "other", "WB2", "INVT3", "800", 5, "T5000W000002")
	gateInventory(t, db, "nobook", "WB3", "INVT4", "800", 5, "")
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, c := range []struct{ parcel, zone, want string }{
			{"WB1", "ZONE000001", "new 300 INVT2"}, // the newest live one
			{"INVT1", "ZONE000001", "old 800 INVT1"},
			{"WB1", "", "new 300 INVT2"},
			{"WB2", "ZONE000001", ""}, // another zone's parcel
			{"WB2", "ZONE000002", "other 800 INVT3"},
			{"INVT3", "", "other 800 INVT3"},
			{"WB3", "ZONE000001", ""}, // holds nothing of any book
			{"WB3", "", "nobook 800 INVT4"},
			{"WB9", "", ""},
		} {
			p, err := tx.GateParcel(ctx, c.parcel, c.zone)
			if err != nil {
				return err
			}
			got := ""
			if p != nil {
				got = p.InventoryID + " " + p.Status + " " + p.InvtNo
			}
			if got != c.want {
				t.Errorf("parcel %s at zone %q: %q, want %q", c.parcel, c.zone, got, c.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testGateExitsAndChecks(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := ledgerT0.Add(time.Hour)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if e, err := tx.GateExit(ctx, "INV1"); err != nil || e != nil {
			t.Errorf("exit of an inventory still in the zone: %+v %v", e, err)
		}
		if err := tx.InsertGateExit(ctx, &store.GateExit{InventoryID: "INV1", ExitID: "CHK1", At: at}); err != nil {
			return err
		}
		e, err := tx.GateExit(ctx, "INV1")
		if err != nil || e == nil || e.InventoryID != "INV1" || e.ExitID != "CHK1" || !e.At.Equal(at) {
			t.Errorf("exit read back: %+v %v", e, err)
		}
		return tx.InsertGateCheck(ctx, &store.GateCheck{ID: "CHK1", OperatorCode: "ZONE000001", VehicleNo: "渝A12345", Passed: true,
			Parcels: `[{"parcel":"WB1","pass":true}]`, At: at})
	})
	if err != nil {
		t.Fatal(err)
	}
	// A parcel leaves once.
	err = db.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertGateExit(ctx, &store.GateExit{InventoryID: "INV1", ExitID: "CHK2", At: at})
	})
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("second exit: %v, want a conflict", err)
	}
	var op, vehicle, parcels string
	var passed bool
	var when store.Time
	err = db.QueryRow(ctx, `SELECT operator_code, vehicle_no, passed, parcels, at FROM gate_checks WHERE id = $1`, "CHK1").Scan(&op, &vehicle, &passed, &parcels, &when)
	if err != nil || op != "ZONE000001" || vehicle != "渝A12345" || !passed || parcels != `[{"parcel":"WB1","pass":true}]` || !when.Equal(at) {
		t.Errorf("check read back: %s %s %v %s %v %v", op, vehicle, passed, parcels, when, err)
	}
}
