package bonded

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/intake"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

func decimal(t *testing.T, s string) money.Decimal {
	t.Helper()
	d, err := money.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// An inventory line may declare five decimals; the tax lines count returns
// in thousandths. A quantity they cannot hold refuses the inventory (1375),
// naming the line, rather than making a line of quantity 0 (whose returns
// would give back nothing).
func TestSplitTaxQtyNotInThousandths(t *testing.T) {
	inv := &store.Inventory{ID: "inv-1", CopNo: "COP1", DutiableFen: 2000, DutyFen: 0, CTFen: 0, VATFen: 182}
	doc := &clearance.Inventory{CopNo: "COP1", TradeMode: "9610", Lines: []clearance.InventoryLine{
		{Gnum: 1, Gcode: "1901101000", Qty: decimal(t, "1"), TotalPrice: decimal(t, "10")},
		{Gnum: 2, Gcode: "1901101000", Qty: decimal(t, "1.2345"), TotalPrice: decimal(t, "10")}}}
	lines, refused, err := splitTax(inv, doc)
	if err != nil || lines != nil || refused == nil || refused.Status != "100" || refused.Finding.Code != "1375" ||
		!strings.Contains(refused.Finding.Detail, "InventoryList[2].qty=1.2345") {
		t.Errorf("got %+v, %+v, %v; want a refusal 1375 naming line 2's qty", lines, refused, err)
	}
}

// A return is counted in thousandths, and its arrival gives back the tax and
// quota of every line by that count: an inventory with a line of more
// decimals (9610 may declare five) is refused, naming that line, instead of
// the line counting as 0 (returning line 1 would then read as a full return).
func TestReturnOfInventoryWithQtyNotInThousandths(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		now := time.Date(2026, 11, 20, 9, 0, 0, 0, cst)
		released := now.Add(-24 * time.Hour)
		s := &Service{DB: db, Parties: anyone{}, Products: filedAll{}, Now: func() time.Time { return now },
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Params: Params{ReturnApplyDays: 30, ReturnArriveDays: 45}}
		doc := &clearance.Inventory{CopNo: "COP1", OrderNo: "ORD1", EbpCode: "P", EbcCode: "E", AgentCode: "AG", TradeMode: "9610",
			Lines: []clearance.InventoryLine{{Gnum: 1, Gcode: "1901101000", Qty: decimal(t, "1"), TotalPrice: decimal(t, "10")},
				{Gnum: 2, Gcode: "1901101000", Qty: decimal(t, "1.2345"), TotalPrice: decimal(t, "10")}}}
		data, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		r := &ceb.InvtRefund{InvtRefundHead: ceb.InvtRefundHead{AppType: "1", OrderNo: "ORD1", CopNo: "RET1", InvtNo: "80102026I000000001", AgentCode: "AG", EbcCode: "E"},
			InvtRefundList: []ceb.InvtRefundList{{Gnum: "1", Gcode: "1901101000", Qty: "1"}}}
		var res intake.Result
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertInventory(ctx, &store.Inventory{ID: "inv-1", AgentCode: "AG", CopNo: "COP1", EbpCode: "P", OrderNo: "ORD1", EbcCode: "E",
				TradeMode: "9610", Sender: "AG", PreNo: "B20261119000000001", InvtNo: "80102026I000000001", Status: "800", ReasonCode: "2600",
				DutiableFen: 2000, VATFen: 182, Tax: 182, WaitUntil: released, Data: data, CreatedAt: released, UpdatedAt: released, ReleasedAt: &released}); err != nil {
				return err
			}
			res, err = s.applyReturn(ctx, tx, r, "AG", "T20261120000000001", now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != "100" || res.Finding.Code != "1384" || !strings.Contains(res.Finding.Detail, "line 2") || !strings.Contains(res.Finding.Detail, "1.2345") {
			t.Errorf("got %+v, want 1384 naming line 2 and its qty", res)
		}
	})
}

// A tally's lines are checked when it is recorded, so stored lines that no
// longer parse are a damaged row: declaring the entry fails naming the tally,
// instead of recording a difference against a tallied 0.
func TestDamagedStoredTallyIsAnError(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		batch := db.NewBatcher(1, 4)
		t.Cleanup(batch.Close)
		now := time.Date(2026, 11, 20, 9, 0, 0, 0, cst)
		s := &Service{DB: db, Batch: batch, Parties: anyone{}, Products: filedAll{}, Now: func() time.Time { return now },
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Params: Params{TallyDeadline: 72 * time.Hour}}
		if _, err := s.CreateBook(ctx, "EMS1", "Z1", "book"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddItems(ctx, "EMS1", []NewItem{{ItemRecordNo: "A", ItemNo: "a", Name: "甲"}}); err != nil {
			t.Fatal(err)
		}
		op := &enterprise.Enterprise{Code: "Z1", Roles: []enterprise.Role{enterprise.RoleArea}, CreditClass: enterprise.CreditGeneral}
		if _, err := s.RecordTally(ctx, op, Tally{TallyNo: "T1", EmsNo: "EMS1", Items: []EntryLine{{ItemRecordNo: "A", Qty: "10"}}}); err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE bonded_tallies SET items = '[{"itemRecordNo":"A","qty":"ten"}]' WHERE tally_no = 'T1'`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		got, err := s.RecordEntries(ctx, "Z1", []Entry{{EntryNo: "E1", EmsNo: "EMS1", Source: "json", TallyNo: "T1", Items: []EntryLine{{ItemRecordNo: "A", Qty: "10"}}}})
		if err == nil || !strings.Contains(err.Error(), "tally T1") {
			t.Errorf("got %+v, %v; want an error naming tally T1", got, err)
		}
		if errs.KindOf(err) != errs.Internal {
			t.Errorf("kind %s: the operator cannot mend a stored tally", errs.KindOf(err))
		}
	})
}
