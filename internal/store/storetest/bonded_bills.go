package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("BondedBills", runBondedBills) }

// The tax lines of guaranteed bonded inventories and the guarantors' tax
// bills (package bonded): billing, overdue bills, payment and the lists.
func runBondedBills(t *testing.T, open Opener) {
	t.Run("TaxLines", func(t *testing.T) { testTaxLines(t, open(t)) })
	t.Run("IssueAndPay", func(t *testing.T) { testTaxBillIssueAndPay(t, open(t)) })
	t.Run("BillLists", func(t *testing.T) { testTaxBillLists(t, open(t)) })
}

var billT0 = time.Date(2026, 11, 2, 9, 30, 0, 250000000, shanghai)

// addTaxLine stores an open tax line as the guarantee's release effect does.
func addTaxLine(t *testing.T, db *store.DB, invID, code, invtNo string, released time.Time, tax int64) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.InsertTaxLine(context.Background(), &store.TaxLine{InventoryID: invID, AssureCode: code, InvtNo: invtNo, CopNo: "COP-" + invID,
			EbcCode: "EBC0000001", AgentCode: "AGT0000001", CustomsCode: "8012", ReleasedAt: released,
			DutyFen: tax / 4, CTFen: tax / 4, VATFen: tax - tax/2, TaxFen: tax, Lines: []byte(`[{"gnum":1,"qty":2000}]`)})
	})
	if err != nil {
		t.Fatalf("tax line %s: %v", invID, err)
	}
}

// applyReturn stores a return of invID in state.
func applyReturn(t *testing.T, db *store.DB, id, invID, state string, at time.Time) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.InsertBondedReturn(context.Background(), &store.BondedReturn{ID: id, InventoryID: invID, InvtNo: "INVT-" + invID,
			AgentCode: "AGT0000001", CopNo: "RET-" + id, PreNo: "T20261102000000001", Lines: []byte(`[{"gnum":1,"milli":1000}]`),
			State: state, AppliedAt: at})
	})
	if err != nil {
		t.Fatalf("return %s: %v", id, err)
	}
}

func testTaxLines(t *testing.T, db *store.DB) {
	ctx := context.Background()
	addTaxLine(t, db, "inv-a2", "GUAR000001", "INVTA2", billT0.Add(time.Hour), 4000)
	addTaxLine(t, db, "inv-a1", "GUAR000001", "INVTA1", billT0, 1001)
	addTaxLine(t, db, "inv-b1", "GUAR000002", "INVTB1", billT0.Add(-time.Hour), 500)
	addTaxLine(t, db, "inv-late", "GUAR000001", "INVTL", billT0.Add(48*time.Hour), 700)
	addTaxLine(t, db, "inv-ret", "GUAR000001", "INVTR", billT0.Add(30*time.Minute), 900)
	applyReturn(t, db, "R1", "inv-ret", "applied", billT0.Add(2*time.Hour))
	// An arrived return does not hold its line back.
	applyReturn(t, db, "R2", "inv-a2", "arrived", billT0.Add(2*time.Hour))

	err := db.InTx(ctx, func(tx *store.Tx) error {
		l, err := tx.TaxLine(ctx, "inv-a1")
		if err != nil || l.AssureCode != "GUAR000001" || l.InvtNo != "INVTA1" || l.CopNo != "COP-inv-a1" || l.EbcCode != "EBC0000001" ||
			l.AgentCode != "AGT0000001" || l.CustomsCode != "8012" || !l.ReleasedAt.Equal(billT0) || !l.UpdatedAt.Equal(billT0) ||
			l.DutyFen != 250 || l.CTFen != 250 || l.VATFen != 501 || l.TaxFen != 1001 || string(l.Lines) != `[{"gnum":1,"qty":2000}]` ||
			l.State != "open" || l.BillNo != "" {
			t.Errorf("tax line: %+v %v", l, err)
		}
		if l, err := tx.TaxLine(ctx, "inv-none"); l != nil || err != nil {
			t.Errorf("an inventory without a tax line: %+v %v", l, err)
		}
		// Released at or before the cutoff, without an applied return; by guarantor, release, inventory.
		got, err := tx.BillableTaxLines(ctx, billT0.Add(time.Hour))
		if want := []string{"inv-a1", "inv-a2", "inv-b1"}; err != nil || !slices.Equal(pluck(got, func(l store.TaxLine) string { return l.InventoryID }), want) {
			t.Errorf("billable: %v %v, want %v", pluck(got, func(l store.TaxLine) string { return l.InventoryID }), err, want)
		}
		if err := tx.BillTaxLine(ctx, "inv-a1", "TB1", billT0.Add(3*time.Hour)); err != nil {
			return err
		}
		// A line no longer open is not billed again.
		if err := tx.BillTaxLine(ctx, "inv-a1", "TB2", billT0.Add(4*time.Hour)); err != nil {
			return err
		}
		if err := tx.CancelTaxLine(ctx, "inv-b1", billT0.Add(3*time.Hour)); err != nil {
			return err
		}
		if err := tx.ReduceTaxLine(ctx, "inv-a2", store.TaxReduction{DutyFen: 100, CTFen: 200, VATFen: 300, TaxFen: 600},
			[]byte(`[{"gnum":1,"qty":2000,"returned":1000}]`), "open", billT0.Add(5*time.Hour)); err != nil {
			return err
		}
		got, err = tx.BillableTaxLines(ctx, billT0.Add(time.Hour))
		if want := []string{"inv-a2"}; err != nil || !slices.Equal(pluck(got, func(l store.TaxLine) string { return l.InventoryID }), want) {
			t.Errorf("billable after billing and cancelling: %v %v, want %v", pluck(got, func(l store.TaxLine) string { return l.InventoryID }), err, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for id, want := range map[string]struct {
			state, bill string
			tax         int64
			updated     time.Time
		}{"inv-a1": {"billed", "TB1", 1001, billT0.Add(3 * time.Hour)}, "inv-b1": {"cancelled", "", 500, billT0.Add(3 * time.Hour)},
			"inv-a2": {"open", "", 3400, billT0.Add(5 * time.Hour)}} {
			l, err := tx.TaxLine(ctx, id)
			if err != nil || l.State != want.state || l.BillNo != want.bill || l.TaxFen != want.tax || !l.UpdatedAt.Equal(want.updated) {
				t.Errorf("%s: %+v %v, want %+v", id, l, err, want)
			}
		}
		l, _ := tx.TaxLine(ctx, "inv-a2")
		if l.DutyFen != 900 || l.CTFen != 800 || l.VATFen != 1700 || string(l.Lines) != `[{"gnum":1,"qty":2000,"returned":1000}]` {
			t.Errorf("reduced line: %+v", l)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The forecast: open lines of one guarantor released before a time, a returning one flagged.
	open, err := db.OpenTaxLines(ctx, "GUAR000001", billT0.Add(2*time.Hour))
	if err != nil || len(open) != 2 || open[0].InventoryID != "inv-ret" || !open[0].Returning || open[1].InventoryID != "inv-a2" ||
		open[1].Returning || open[1].TaxFen != 3400 {
		t.Errorf("open lines: %+v %v", open, err)
	}
	if open, err := db.OpenTaxLines(ctx, "GUAR000001", billT0.Add(30*time.Minute)); err != nil || len(open) != 0 {
		t.Errorf("released before the first: %+v %v", open, err)
	}
}

func testTaxBillIssueAndPay(t *testing.T, db *store.DB) {
	ctx := context.Background()
	addTaxLine(t, db, "inv-2", "GUAR000001", "INVT2", billT0.Add(time.Hour), 300)
	addTaxLine(t, db, "inv-1", "GUAR000001", "INVT1", billT0, 200)
	issued, due := billT0.Add(40*24*time.Hour), billT0.Add(45*24*time.Hour)
	bill := &store.TaxBill{BillNo: "TBGUAR00000120261212001", AssureCode: "GUAR000001", IssuedAt: issued, DueAt: due, TotalFen: 500, LineCount: 2}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if all, today, err := tx.TaxBillCounts(ctx, "GUAR000001", issued.Add(-time.Hour)); err != nil || all != 0 || today != 0 {
			t.Errorf("counts before the first bill: %d %d %v", all, today, err)
		}
		for _, id := range []string{"inv-1", "inv-2"} {
			if err := tx.BillTaxLine(ctx, id, bill.BillNo, issued); err != nil {
				return err
			}
		}
		return tx.IssueTaxBill(ctx, bill)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error { return tx.IssueTaxBill(ctx, bill) })
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("the same bill number twice: %v, want a conflict", err)
	}
	got, err := db.TaxBill(ctx, bill.BillNo)
	if err != nil || got.AssureCode != "GUAR000001" || !got.IssuedAt.Equal(issued) || !got.DueAt.Equal(due) || got.TotalFen != 500 ||
		got.LineCount != 2 || got.Status != "issued" || got.PaidAt != nil || got.PaymentRef != "" {
		t.Fatalf("issued bill: %+v %v", got, err)
	}
	if _, err := db.TaxBill(ctx, "TB-none"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("missing bill: %v, want not found", err)
	}
	lines, err := db.TaxBillLines(ctx, bill.BillNo)
	if want := []string{"inv-1", "inv-2"}; err != nil || !slices.Equal(pluck(lines, func(l store.TaxLine) string { return l.InventoryID }), want) || lines[0].InvtNo != "INVT1" {
		t.Errorf("bill lines: %v %v, want %v", pluck(lines, func(l store.TaxLine) string { return l.InventoryID }), err, want)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		// Counted: one bill in all, one since an hour before its issue, none since after it.
		if all, today, err := tx.TaxBillCounts(ctx, "GUAR000001", issued.Add(-time.Hour)); err != nil || all != 1 || today != 1 {
			t.Errorf("counts: %d %d %v", all, today, err)
		}
		if all, today, err := tx.TaxBillCounts(ctx, "GUAR000001", issued.Add(time.Hour)); err != nil || all != 1 || today != 0 {
			t.Errorf("counts since after the bill: %d %d %v", all, today, err)
		}
		// Overdue only once due has passed, and flagged once.
		if o, err := tx.FlagOverdueTaxBills(ctx, due); err != nil || len(o) != 0 || o == nil {
			t.Errorf("overdue at its due time: %#v %v", o, err)
		}
		if o, err := tx.FlagOverdueTaxBills(ctx, due.Add(time.Second)); err != nil || !slices.Equal(o, []string{bill.BillNo}) {
			t.Errorf("overdue: %v %v", o, err)
		}
		if o, err := tx.FlagOverdueTaxBills(ctx, due.Add(time.Hour)); err != nil || len(o) != 0 {
			t.Errorf("overdue again: %v %v", o, err)
		}
		b, err := tx.TaxBill(ctx, bill.BillNo)
		if err != nil || b.Status != "overdue" {
			t.Errorf("in the transaction: %+v %v", b, err)
		}
		if _, err := tx.TaxBill(ctx, "TB-none"); errs.KindOf(err) != errs.NotFound {
			t.Errorf("missing bill in the transaction: %v, want not found", err)
		}
		if err := tx.PayTaxBill(ctx, bill.BillNo, "缴款书-0042", due.Add(2*time.Hour)); err != nil {
			return err
		}
		ls, err := tx.TaxBillLines(ctx, bill.BillNo)
		if err != nil || len(ls) != 2 || ls[0].State != "paid" || ls[1].State != "paid" || !ls[1].UpdatedAt.Equal(due.Add(2*time.Hour)) {
			t.Errorf("paid lines: %+v %v", ls, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err = db.TaxBill(ctx, bill.BillNo)
	if err != nil || got.Status != "paid" || got.PaidAt == nil || !got.PaidAt.Equal(due.Add(2*time.Hour)) || got.PaymentRef != "缴款书-0042" {
		t.Errorf("paid bill: %+v %v", got, err)
	}
}

func testTaxBillLists(t *testing.T, db *store.DB) {
	ctx := context.Background()
	nov, dec := time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai), time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, b := range []store.TaxBill{
			{BillNo: "TB-A-1", AssureCode: "GUAR00000A", IssuedAt: nov.Add(-time.Second)},
			{BillNo: "TB-A-2", AssureCode: "GUAR00000A", IssuedAt: nov},
			{BillNo: "TB-A-3", AssureCode: "GUAR00000A", IssuedAt: dec.Add(-time.Second)},
			{BillNo: "TB-A-4", AssureCode: "GUAR00000A", IssuedAt: dec},
			{BillNo: "TB-B-1", AssureCode: "GUAR00000B", IssuedAt: nov.Add(time.Hour)},
			{BillNo: "TB-B-2", AssureCode: "GUAR00000B", IssuedAt: nov.Add(time.Hour)},
		} {
			b.DueAt = b.IssuedAt.Add(45 * 24 * time.Hour)
			if err := tx.IssueTaxBill(ctx, &b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    store.TaxBillFilter
		want []string
	}{
		{store.TaxBillFilter{Limit: 100}, []string{"TB-A-4", "TB-A-3", "TB-B-2", "TB-B-1", "TB-A-2", "TB-A-1"}},
		{store.TaxBillFilter{AssureCode: "GUAR00000A", Limit: 100}, []string{"TB-A-4", "TB-A-3", "TB-A-2", "TB-A-1"}},
		{store.TaxBillFilter{IssuedFrom: nov, IssuedTo: dec, Limit: 100}, []string{"TB-A-3", "TB-B-2", "TB-B-1", "TB-A-2"}},
		{store.TaxBillFilter{AssureCode: "GUAR00000A", IssuedFrom: nov, IssuedTo: dec, Limit: 100}, []string{"TB-A-3", "TB-A-2"}},
		{store.TaxBillFilter{AssureCode: "GUAR00000B", Limit: 1}, []string{"TB-B-2"}},
		{store.TaxBillFilter{AssureCode: "GUAR00000C", Limit: 100}, nil},
	} {
		got, err := db.TaxBills(ctx, c.f)
		var nos []string
		for _, b := range got {
			nos = append(nos, b.BillNo)
		}
		if err != nil || got == nil || !slices.Equal(nos, c.want) {
			t.Errorf("%+v: %v %v, want %v", c.f, nos, err, c.want)
		}
	}
}
