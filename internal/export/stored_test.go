package export

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/intake"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

var storedT0 = time.Date(2026, 11, 20, 9, 0, 0, 0, cst)

func storedService(db *store.DB) *Service {
	return &Service{DB: db, Now: func() time.Time { return storedT0 }, Params: Params{ReturnMonths: 6,
		ReturnPolicyFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, cst), ReturnPolicyUntil: time.Date(2027, 12, 31, 0, 0, 0, 0, cst)}}
}

// retailExport is a 9610 export of one line, 2 × 5.00 CNY, with freight 1.00.
func retailExport() ceb.ExportInventory {
	return ceb.ExportInventory{
		InventoryHead: ceb.ExportInventoryHead{AgentCode: "AGENT00001", CopNo: "COP1", InvtNo: "80102026E000000001", EbpCode: "EBP0000001",
			OrderNo: "ORD1", EbcCode: "EBC0000001", LogisticsCode: "LOG0000001", LogisticsNo: "WB1", IeFlag: "E", TradeMode: ModeRetail,
			StatisticsFlag: "B", Country: "502", Freight: "1"},
		InventoryList: []ceb.ExportInventoryList{{ItemNo: "I1", Gcode: "6109100010", Currency: "142", Qty: "2", Price: "5", TotalPrice: "10"}},
	}
}

// putDocs stores the order, receipt of payment and waybill of retailExport,
// the receipt's charge as given.
func putDocs(t *testing.T, db *store.DB, charge string) {
	t.Helper()
	order := ceb.ExportOrder{OrderHead: ceb.ExportOrderHead{OrderNo: "ORD1", EbpCode: "EBP0000001", EbcCode: "EBC0000001", GoodsValue: "10", Freight: "0", Currency: "142"},
		OrderList: []ceb.ExportOrderList{{ItemNo: "I1", Currency: "142", Qty: "2", Price: "5", TotalPrice: "10"}}}
	rcpt := ceb.Receipts{EbpCode: "EBP0000001", EbcCode: "EBC0000001", OrderNo: "ORD1", PayCode: "PAY0000001", Charge: charge, Currency: "142"}
	wb := ceb.ExportLogistics{LogisticsCode: "LOG0000001", LogisticsNo: "WB1", EbcCode: "EBC0000001"}
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		for _, d := range []struct {
			kind, k1, k2 string
			v            any
		}{{"order", "EBP0000001", "ORD1", order}, {"receipt", "EBP0000001", "ORD1", rcpt}, {"waybill", "LOG0000001", "WB1", wb}} {
			js, err := json.Marshal(d.v)
			if err != nil {
				return err
			}
			if err := tx.InsertExportDoc(context.Background(), &store.ExportDoc{Kind: d.kind, K1: d.k1, K2: d.k2, EbcCode: "EBC0000001",
				Currency: "142", Data: string(js), Sender: "EBC0000001", At: storedT0, CreatedAt: storedT0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A receipt of payment was refused at intake unless its charge parsed, so one
// stored that no longer parses is a damaged row: an internal error naming the
// receipt and the field, not a finding blaming the declarer (nor a charge of 0).
func TestDamagedStoredChargeIsAnError(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		putDocs(t, db, "ten yuan")
		s := storedService(db)
		inv := &inventory{Doc: retailExport()}
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			f, err := s.check(context.Background(), tx, inv)
			if err == nil {
				t.Errorf("a damaged charge judged as %+v", f)
			}
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "receipt EBP0000001/ORD1") || !strings.Contains(err.Error(), "Receipts.charge") {
			t.Errorf("got %v, want an error naming the receipt and Receipts.charge", err)
		}
		if errs.KindOf(err) != errs.Internal {
			t.Errorf("kind %s: a damaged row is not the sender's input to fix", errs.KindOf(err))
		}
	})
}

// The inventory's own quantity and price are judged when it is matched: one
// the schema lets through ("+2") but that is no decimal number here is a
// finding naming the field, not a mismatch with the order's 2.
func TestInventoryQtyNotADecimalIsNamed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		putDocs(t, db, "10")
		s := storedService(db)
		inv := &inventory{Doc: retailExport()}
		inv.Doc.InventoryList[0].Qty = "+2"
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			f, err := s.check(context.Background(), tx, inv)
			if err != nil {
				return err
			}
			if f.Code != "1404" || !strings.Contains(f.Detail, `InventoryList[1].qty="+2" is not a decimal number`) {
				t.Errorf("finding %+v, want 1404 naming InventoryList[1].qty", f)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// putReleased stores d as a released export inventory.
func putReleased(t *testing.T, db *store.DB, d ceb.ExportInventory) {
	t.Helper()
	js, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	h := d.InventoryHead
	released := storedT0.Add(-24 * time.Hour)
	err = db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.InsertExportInventory(context.Background(), &store.ExportInventory{ID: "inv-1", AgentCode: h.AgentCode, CopNo: h.CopNo,
			PreNo: "E20261119000000001", InvtNo: h.InvtNo, EbpCode: h.EbpCode, OrderNo: h.OrderNo, EbcCode: h.EbcCode, LogisticsCode: h.LogisticsCode,
			LogisticsNo: h.LogisticsNo, TradeMode: h.TradeMode, StatisticsFlag: h.StatisticsFlag, Country: h.Country, Currency: "142", TotalFen: 1000,
			Matched: true, Status: "800", ReasonCode: "2600", Sender: h.AgentCode, Data: string(js), DeclaredAt: released, ReleasedAt: &released,
			UpdatedAt: released}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Settlement counts the declared freight as due: a freight that does not
// parse ("5.", which the schema lets through) fails the report naming the
// inventory, instead of counting nothing.
func TestForexFreightThatDoesNotParse(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		d := retailExport()
		d.InventoryHead.Freight = "5."
		putReleased(t, db, d)
		rows, err := storedService(db).Forex(context.Background(), "")
		if err == nil || !strings.Contains(err.Error(), "AGENT00001/COP1") || !strings.Contains(err.Error(), "InventoryHead.freight") {
			t.Errorf("got %+v, %v; want an error naming the inventory and its freight", rows, err)
		}
	})
}

// A return's exempt value is the original line's price × the quantity
// returned: a price that does not parse (a 9810 export is never matched
// against an order) is an error naming the inventory and the line, not an
// exemption of 0.00.
func TestReturnOfLineWhosePriceDoesNotParse(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		d := retailExport()
		d.InventoryHead.TradeMode = ModeWarehouse
		d.InventoryList[0].Price = "5."
		putReleased(t, db, d)
		s := storedService(db)
		r := ceb.ExportInvtRefund{InvtRefundHead: ceb.ExportInvtRefundHead{AppType: "1", EbcCode: "EBC0000001", CoElNo: "RET1", InvtNo: d.InventoryHead.InvtNo},
			InvtRefundList: []ceb.ExportInvtRefundList{{Gnum: "1", Gcode: "6109100010", Qty: "1"}}}
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			res, err := s.applyReturn(context.Background(), tx, r, "R20261120000000001", storedT0)
			if err == nil {
				t.Errorf("return accepted as %+v", res)
			}
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "80102026E000000001") || !strings.Contains(err.Error(), "InventoryList[1].price") {
			t.Errorf("got %v, want an error naming the inventory and InventoryList[1].price", err)
		}
	})
}

// A receipt naming an enterprise is refused when the enterprise is under a
// credit sanction. One that is not registered is under none; but a registry
// that does not answer must fail the message, not let the receipt through as
// if nobody were sanctioned.
func TestSanctionCheckWithoutRegistry(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db, gone := open(t), open(t)
		gone.Close()
		payer := &enterprise.Enterprise{Code: "PAY0000001", Roles: []enterprise.Role{enterprise.RolePayment}}
		m := &ceb.CEB403Message{Receipts: []ceb.Receipts{{AppType: "1", EbpCode: "EBP0000001", EbcCode: "EBC0000001", OrderNo: "ORD1",
			PayCode: payer.Code, Charge: "10", Currency: "142", AccountingDate: "20261120090000"}}}
		receive := func(s *Service) (intake.Result, error) {
			docs, _, err := s.receiptDocuments(context.Background(), nil, payer, &ceb.Decoded{Message: m}, storedT0)
			if err != nil {
				t.Fatal(err)
			}
			var res intake.Result
			err = db.InTx(context.Background(), func(tx *store.Tx) error {
				res, err = docs[0].Apply(context.Background(), tx, &intake.Env{Sender: payer, Now: storedT0})
				return err
			})
			return res, err
		}
		s := storedService(db)
		s.Parties = enterprise.NewCache(gone, time.Minute)
		if res, err := receive(s); err == nil {
			t.Errorf("taken as %+v without asking the registry", res)
		} else if !strings.Contains(err.Error(), "credit standing of PAY0000001") {
			t.Errorf("got %v, want an error naming the enterprise whose standing is unknown", err)
		}
		// Nobody registered: nobody sanctioned, the receipt is taken.
		s.Parties = enterprise.NewCache(db, time.Minute)
		if res, err := receive(s); err != nil || res.Status == "100" {
			t.Errorf("unregistered parties: %+v, %v", res, err)
		}
	})
}
