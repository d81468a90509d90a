package storetest

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("Export", runExport) }

// The export tables (package export): declared documents, export
// inventories with their lines, summary declarations, returns, overseas
// warehouses and 无票免税 registrations.
func runExport(t *testing.T, open Opener) {
	t.Run("Documents", func(t *testing.T) { testExportDocs(t, open(t)) })
	t.Run("InventoryRoundTripAndLookups", func(t *testing.T) { testExportInventoryLookups(t, open(t)) })
	t.Run("InventoryStates", func(t *testing.T) { testExportInventoryStates(t, open(t)) })
	t.Run("WaitingReleasedHeldAndForex", func(t *testing.T) { testExportInventoryLists(t, open(t)) })
	t.Run("Summaries", func(t *testing.T) { testExportSummaries(t, open(t)) })
	t.Run("Returns", func(t *testing.T) { testExportReturns(t, open(t)) })
	t.Run("WarehousesAndNoInvoice", func(t *testing.T) { testExportFilings(t, open(t)) })
}

var exportT0 = time.Date(2026, 11, 3, 9, 30, 0, 250000000, time.UTC)

func inTx(t *testing.T, db *store.DB, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx *store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

func testExportDocs(t *testing.T, db *store.DB) {
	d := &store.ExportDoc{Kind: "order", K1: "EBP1", K2: "O1", EbcCode: "EBC1", AmountFen: 15500, Currency: "142", Data: `{"a":1}`,
		Sender: "EBP1", At: exportT0.In(shanghai), CreatedAt: exportT0}
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if _, _, found, err := tx.ExportDoc(ctx, "order", "EBP1", "O1"); err != nil || found {
			t.Errorf("before: found %v %v", found, err)
		}
		if err := tx.InsertExportDoc(ctx, d); err != nil {
			return err
		}
		if data, sender, found, err := tx.ExportDoc(ctx, "order", "EBP1", "O1"); err != nil || !found || data != `{"a":1}` || sender != "EBP1" {
			t.Errorf("read back: %q %q %v %v", data, sender, found, err)
		}
		// Another kind under the same keys is another document.
		if _, _, found, err := tx.ExportDoc(ctx, "receipt", "EBP1", "O1"); err != nil || found {
			t.Errorf("other kind: %v %v", found, err)
		}
		return nil
	})
	err := db.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertExportDoc(context.Background(), d) })
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("same document twice: %v, want a conflict", err)
	}
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.DeleteExportDoc(ctx, "order", "EBP1", "O1"); err != nil {
			return err
		}
		if _, _, found, err := tx.ExportDoc(ctx, "order", "EBP1", "O1"); err != nil || found {
			t.Errorf("after delete: %v %v", found, err)
		}
		return tx.DeleteExportDoc(ctx, "order", "EBP1", "O1") // nothing left: no error
	})
}

func exportInventory(id, copNo, invtNo string, declared time.Time) *store.ExportInventory {
	return &store.ExportInventory{ID: id, AgentCode: "AG1", CopNo: copNo, PreNo: "E" + copNo, InvtNo: invtNo, EbpCode: "EBP1", OrderNo: "O-" + copNo,
		EbcCode: "EBC1", OwnerCode: "OWN1", LogisticsCode: "LOG1", LogisticsNo: "W-" + copNo, TradeMode: "9610", StatisticsFlag: "B",
		CustomsCode: "8012", PortCode: "8013", TrafMode: "4", Country: "502", Currency: "142", TotalFen: 15500, Status: "120", ReasonCode: "1800",
		Sender: "AG1", Data: `{"InventoryHead":{"copNo":"` + copNo + `"}}`, DeclaredAt: declared, UpdatedAt: declared}
}

var exportLines = []store.ExportLine{
	{Gnum: 1, ItemNo: "I1", ItemName: "棉T恤", Gcode: "6109100010", Unit: "011", Currency: "142", Qty: "2.5", TotalFen: 10000},
	{Gnum: 2, ItemNo: "I2", ItemName: "帽子", Gcode: "6505009000", Unit: "011", Currency: "142", Qty: "1", TotalFen: 5500},
}

func addExportInventory(t *testing.T, db *store.DB, v *store.ExportInventory, lines ...store.ExportLine) {
	t.Helper()
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.InsertExportInventory(ctx, v, lines) })
}

func testExportInventoryLookups(t *testing.T, db *store.DB) {
	ctx := context.Background()
	want := exportInventory("X1", "C1", "80122026E000000001", exportT0.In(shanghai))
	addExportInventory(t, db, want, exportLines...)
	newer := exportInventory("X2", "C1", "80122026E000000002", exportT0.Add(time.Hour))
	newer.AgentCode = "AG2" // the same copNo of another agent
	addExportInventory(t, db, newer)
	same := func(what string, got *store.ExportInventory, err error, id string) {
		t.Helper()
		if err != nil || got == nil || got.ID != id {
			t.Errorf("%s: %+v %v, want %s", what, got, err, id)
		}
	}
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		got, err := tx.ExportInventory(ctx, "X1")
		if err != nil || got == nil {
			t.Fatalf("read back: %v", err)
		}
		w := *want
		w.DeclaredAt, w.UpdatedAt = want.DeclaredAt.UTC(), want.UpdatedAt.UTC()
		if !got.DeclaredAt.Equal(want.DeclaredAt) || got.ReleasedAt != nil || got.ClosedAt != nil {
			t.Errorf("times: %+v", got)
		}
		got.DeclaredAt, got.UpdatedAt = w.DeclaredAt, w.UpdatedAt
		if *got != w {
			t.Errorf("read back:\n%+v\nwant\n%+v", *got, w)
		}
		g, err := tx.ExportInventoryByCopNo(ctx, "AG2", "C1")
		same("by agent and copNo", g, err, "X2")
		g, err = tx.ExportInventoryByInvtNo(ctx, "80122026E000000001")
		same("by invtNo", g, err, "X1")
		g, err = tx.ExportInventoryByNumber(ctx, "80122026E000000002")
		same("by number (invtNo)", g, err, "X2")
		g, err = tx.WaitingExportInventory(ctx, "X1")
		same("waiting", g, err, "X1")
		g, err = tx.LiveExportInventoryOfWaybill(ctx, "LOG1", "W-C1")
		if err != nil || g == nil {
			t.Errorf("live of waybill: %+v %v", g, err)
		}
		// Not matched yet: no inventory waits for this waybill's arrival.
		if g, err := tx.MatchedExportInventory(ctx, "LOG1", "W-C1"); err != nil || g != nil {
			t.Errorf("matched before judging: %+v %v", g, err)
		}
		for what, f := range map[string]func() (*store.ExportInventory, error){
			"id":     func() (*store.ExportInventory, error) { return tx.ExportInventory(ctx, "nope") },
			"copNo":  func() (*store.ExportInventory, error) { return tx.ExportInventoryByCopNo(ctx, "AG1", "nope") },
			"invtNo": func() (*store.ExportInventory, error) { return tx.ExportInventoryByInvtNo(ctx, "nope") },
			"number": func() (*store.ExportInventory, error) { return tx.ExportInventoryByNumber(ctx, "nope") },
			"live":   func() (*store.ExportInventory, error) { return tx.LiveExportInventoryOfWaybill(ctx, "LOG1", "nope") },
		} {
			if g, err := f(); err != nil || g != nil {
				t.Errorf("missing by %s: %+v %v, want nil", what, g, err)
			}
		}
		return nil
	})
	// By copNo the newest of both agents' inventories.
	g, err := db.LatestExportInventory(ctx, "C1")
	same("latest by copNo", g, err, "X2")
	g, err = db.LatestExportInventory(ctx, "80122026E000000001")
	same("latest by invtNo", g, err, "X1")
	if g, err := db.LatestExportInventory(ctx, "nope"); err != nil || g != nil {
		t.Errorf("latest of nothing: %+v %v", g, err)
	}
	// A repeated invtNo or agent/copNo conflicts.
	err = db.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertExportInventory(ctx, exportInventory("X3", "C9", "80122026E000000001", exportT0), nil)
	})
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("repeated invtNo: %v, want a conflict", err)
	}
	// Deleting takes the lines too: the same lines can be stored again.
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.DeleteExportInventory(ctx, "X1"); err != nil {
			return err
		}
		if g, err := tx.ExportInventory(ctx, "X1"); err != nil || g != nil {
			t.Errorf("after delete: %+v %v", g, err)
		}
		return tx.InsertExportInventory(ctx, want, exportLines)
	})
}

func testExportInventoryStates(t *testing.T, db *store.DB) {
	addExportInventory(t, db, exportInventory("X1", "C1", "N1", exportT0), exportLines...)
	addExportInventory(t, db, exportInventory("X2", "C2", "N2", exportT0))
	released := exportT0.Add(2 * time.Hour).In(shanghai)
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		// Matched and waiting for the arrival: not released yet.
		if err := tx.JudgeExportInventory(ctx, "X1", store.ExportJudgement{Status: "120", ReasonCode: "1401", ReasonInfo: "matched", Matched: true},
			exportT0.Add(time.Hour), false); err != nil {
			return err
		}
		g, err := tx.MatchedExportInventory(ctx, "LOG1", "W-C1")
		if err != nil || g == nil || g.ID != "X1" || !g.Matched || g.ReasonCode != "1401" || g.ReasonInfo != "matched" || g.ReleasedAt != nil ||
			!g.UpdatedAt.Equal(exportT0.Add(time.Hour)) {
			t.Errorf("matched: %+v %v", g, err)
		}
		if err := tx.JudgeExportInventory(ctx, "X1", store.ExportJudgement{Status: "800", ReasonCode: "2600", ReasonInfo: "arrived", Matched: true},
			released, true); err != nil {
			return err
		}
		g, err = tx.ExportInventory(ctx, "X1")
		if err != nil || g.Status != "800" || g.ReleasedAt == nil || !g.ReleasedAt.Equal(released) || !g.UpdatedAt.Equal(released) {
			t.Errorf("released: %+v %v", g, err)
		}
		if g, err := tx.WaitingExportInventory(ctx, "X1"); err != nil || g != nil {
			t.Errorf("released is not waiting: %+v %v", g, err)
		}
		// Departed: closed at the leave time, updated now.
		leave := released.Add(time.Hour)
		if err := tx.CloseExportInventory(ctx, "X1", "2801", "left", leave, leave.Add(time.Minute)); err != nil {
			return err
		}
		g, err = tx.ExportInventory(ctx, "X1")
		if err != nil || g.Status != "899" || g.ReasonCode != "2801" || g.ClosedAt == nil || !g.ClosedAt.Equal(leave) ||
			!g.UpdatedAt.Equal(leave.Add(time.Minute)) || g.Cancelled || !g.ReleasedAt.Equal(released) {
			t.Errorf("closed: %+v %v", g, err)
		}
		if err := tx.CancelExportInventory(ctx, "X2", "2802", "cancelled", released); err != nil {
			return err
		}
		g, err = tx.ExportInventory(ctx, "X2")
		if err != nil || g.Status != "899" || g.ReasonInfo != "cancelled" || !g.Cancelled || g.ClosedAt == nil || !g.ClosedAt.Equal(released) {
			t.Errorf("cancelled: %+v %v", g, err)
		}
		// Cancelled, it no longer stands for its waybill.
		if g, err := tx.LiveExportInventoryOfWaybill(ctx, "LOG1", "W-C2"); err != nil || g != nil {
			t.Errorf("cancelled is not live: %+v %v", g, err)
		}
		return nil
	})
}

func testExportInventoryLists(t *testing.T, db *store.DB) {
	ctx := context.Background()
	for i, id := range []string{"X1", "X2", "X3"} {
		v := exportInventory(id, "C"+id, "N"+id, exportT0)
		v.UpdatedAt = exportT0.Add(time.Duration(3-i) * time.Minute)
		v.OrderNo, v.LogisticsNo = "O1", "W"+id
		addExportInventory(t, db, v, exportLines...)
	}
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		ids, err := tx.WaitingExportInventoriesOfOrder(ctx, "EBP1", "O1")
		slices.Sort(ids)
		if err != nil || !slices.Equal(ids, []string{"X1", "X2", "X3"}) {
			t.Errorf("waiting of order: %v %v", ids, err)
		}
		if ids, err := tx.WaitingExportInventoriesOfWaybill(ctx, "LOG1", "WX2"); err != nil || !slices.Equal(ids, []string{"X2"}) {
			t.Errorf("waiting of waybill: %v %v", ids, err)
		}
		for _, f := range []func() (bool, error){
			func() (bool, error) { return tx.ExportReleasedForOrder(ctx, "EBP1", "O1") },
			func() (bool, error) { return tx.ExportReleasedForWaybill(ctx, "LOG1", "WX1") },
		} {
			if r, err := f(); err != nil || r {
				t.Errorf("released before release: %v %v", r, err)
			}
		}
		// X1 released, X2 held by measure M-7.
		if err := tx.JudgeExportInventory(ctx, "X1", store.ExportJudgement{Status: "800", ReasonCode: "2600", Matched: true},
			exportT0.Add(24*time.Hour), true); err != nil {
			return err
		}
		return tx.JudgeExportInventory(ctx, "X2", store.ExportJudgement{Status: "300", ReasonCode: "2420", ReasonInfo: "measure M-7: hs 6109", Matched: true},
			exportT0.Add(time.Hour), false)
	})
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if r, err := tx.ExportReleasedForOrder(ctx, "EBP1", "O1"); err != nil || !r {
			t.Errorf("order released: %v %v", r, err)
		}
		if r, err := tx.ExportReleasedForWaybill(ctx, "LOG1", "WX1"); err != nil || !r {
			t.Errorf("waybill released: %v %v", r, err)
		}
		if r, err := tx.ExportReleasedForWaybill(ctx, "LOG1", "WX3"); err != nil || r {
			t.Errorf("other waybill released: %v %v", r, err)
		}
		held, err := tx.HeldExportInventories(ctx)
		if err != nil || len(held) != 1 || held[0].ID != "X2" || held[0].ReasonInfo != "measure M-7: hs 6109" || !held[0].Matched {
			t.Errorf("held: %+v %v", held, err)
		}
		return nil
	})
	// Only X3 still waits; by the time it was last updated.
	if ids, err := db.StaleExportInventories(ctx, exportT0.Add(2*time.Minute), 10); err != nil || !slices.Equal(ids, []string{"X3"}) {
		t.Errorf("stale before +2m: %v %v", ids, err)
	}
	if ids, err := db.StaleExportInventories(ctx, exportT0, 10); err != nil || len(ids) != 0 {
		t.Errorf("stale before t0: %v %v", ids, err)
	}
	// Forex: the released X1 with its order's receipt of payment.
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.InsertExportDoc(ctx, &store.ExportDoc{Kind: "receipt", K1: "EBP1", K2: "O1", EbcCode: "EBC1", AmountFen: 12000, Currency: "142",
			Data: "{}", Sender: "PAY1", At: exportT0, CreatedAt: exportT0})
	})
	rows, err := db.ExportForexRows(ctx, "")
	want := store.ExportForexRow{EbcCode: "EBC1", ReleasedAt: exportT0.Add(24 * time.Hour), Country: "502", Currency: "142", TotalFen: 15500,
		Data: `{"InventoryHead":{"copNo":"CX1"}}`, ReceiptFen: 12000, ReceiptCurrency: "142"}
	if err != nil || len(rows) != 1 || !rows[0].ReleasedAt.Equal(want.ReleasedAt) {
		t.Fatalf("forex: %+v %v", rows, err)
	}
	rows[0].ReleasedAt = want.ReleasedAt
	if rows[0] != want {
		t.Errorf("forex row: %+v, want %+v", rows[0], want)
	}
	if rows, err := db.ExportForexRows(ctx, "EBC9"); err != nil || len(rows) != 0 {
		t.Errorf("forex of another consignor: %+v %v", rows, err)
	}
	// Without a receipt: zero and "".
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteExportDoc(ctx, "receipt", "EBP1", "O1") })
	if rows, err := db.ExportForexRows(ctx, "EBC1"); err != nil || len(rows) != 1 || rows[0].ReceiptFen != 0 || rows[0].ReceiptCurrency != "" {
		t.Errorf("forex without receipt: %+v %v", rows, err)
	}
}

func testExportSummaries(t *testing.T, db *store.DB) {
	ctx := context.Background()
	nov, dec := exportT0, time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	for _, v := range []struct {
		id       string
		released time.Time
		flag     string
	}{{"X1", nov, "B"}, {"X2", nov.Add(time.Hour), "B"}, {"X3", dec, "B"}, {"X4", nov, "A"}} {
		inv := exportInventory(v.id, "C"+v.id, "N"+v.id, exportT0)
		inv.StatisticsFlag = v.flag
		addExportInventory(t, db, inv, exportLines...)
		inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			return tx.JudgeExportInventory(ctx, v.id, store.ExportJudgement{Status: "800", ReasonCode: "2600", Matched: true}, v.released, true)
		})
	}
	times, err := db.UnsummarizedExportReleaseTimes(ctx)
	slices.SortFunc(times, time.Time.Compare)
	if err != nil || len(times) != 3 || !times[0].Equal(nov) || !times[1].Equal(nov.Add(time.Hour)) || !times[2].Equal(dec) {
		t.Errorf("release times: %v %v", times, err)
	}
	novStart, decStart := time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai), time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai)
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		lines, err := tx.UnsummarizedExportLines(ctx, novStart, decStart, "")
		if err != nil || len(lines) != 4 || lines[0].InventoryID != "X1" || lines[0].Gnum != 1 || lines[1].Gnum != 2 || lines[2].InventoryID != "X2" {
			t.Fatalf("November lines: %+v %v", lines, err)
		}
		l := lines[1]
		if l.InvtNo != "NX1" || l.LogisticsNo != "W-CX1" || l.AgentCode != "AG1" || !l.ReleasedAt.Equal(nov) || l.EbcCode != "EBC1" || l.TrafMode != "4" ||
			l.OwnerCode != "OWN1" || l.Country != "502" || l.PortCode != "8013" || l.CustomsCode != "8012" || l.Gcode != "6505009000" || l.Unit != "011" ||
			l.Currency != "142" || l.Qty != "1" || l.TotalFen != 5500 {
			t.Errorf("line: %+v", l)
		}
		if lines, err := tx.UnsummarizedExportLines(ctx, novStart, decStart, "EBC9"); err != nil || len(lines) != 0 {
			t.Errorf("another consignor: %+v %v", lines, err)
		}
		if lines, err := tx.UnsummarizedExportLines(ctx, decStart, decStart.AddDate(0, 1, 0), "EBC1"); err != nil || len(lines) != 2 || lines[0].InventoryID != "X3" {
			t.Errorf("December of EBC1: %+v %v", lines, err)
		}
		if lines, err := tx.UnsummarizedExportLinesOf(ctx, "NX4", "EBC1"); err != nil || len(lines) != 0 {
			t.Errorf("an A list: %+v %v", lines, err)
		}
		lines, err = tx.UnsummarizedExportLinesOf(ctx, "NX1", "EBC1")
		if err != nil || len(lines) != 2 {
			t.Fatalf("lines of NX1: %+v %v", lines, err)
		}
		sum := &store.ExportSummary{SumNo: "S1", Month: "2026-11", EbcCode: "EBC1", AgentCode: "AG1", TrafMode: "4", OwnerCode: "OWN1", Country: "502",
			PortCode: "8013", CustomsCode: "8012", Source: "job", CopNo: "", Lists: 2, Late: true, DueAt: time.Date(2026, 12, 20, 0, 0, 0, 0, shanghai),
			CreatedAt: exportT0.Add(48 * time.Hour), Explanation: "两张清单"}
		sl := []store.ExportSummaryLine{{Gseqno: 1, Gcode: "6109100010", Unit: "011", Currency: "142", Qty: "5", TotalFen: 20000, Lines: 2},
			{Gseqno: 2, Gcode: "6505009000", Unit: "011", Currency: "142", Qty: "2", TotalFen: 11000, Lines: 2}}
		items := []store.ExportSummaryItem{{Gseqno: 1, InventoryID: "X2", Gnum: 1}, {Gseqno: 1, InventoryID: "X1", Gnum: 1},
			{Gseqno: 2, InventoryID: "X1", Gnum: 2}, {Gseqno: 2, InventoryID: "X2", Gnum: 2}}
		if err := tx.InsertExportSummary(ctx, sum, sl, items); err != nil {
			return err
		}
		for _, id := range []string{"X1", "X2"} {
			if ok, err := tx.SummarizeExportInventory(ctx, id, "S1"); err != nil || !ok {
				t.Errorf("summarize %s: %v %v", id, ok, err)
			}
		}
		if ok, err := tx.SummarizeExportInventory(ctx, "X1", "S2"); err != nil || ok {
			t.Errorf("summarized twice: %v %v", ok, err)
		}
		head, lns, its, err := tx.ExportSummary(ctx, "S1")
		if err != nil || !head.DueAt.Equal(sum.DueAt) || !head.CreatedAt.Equal(sum.CreatedAt) {
			t.Fatalf("summary: %+v %v", head, err)
		}
		h := *head
		h.DueAt, h.CreatedAt = sum.DueAt, sum.CreatedAt
		if h != *sum || !slices.Equal(lns, sl) {
			t.Errorf("summary read back: %+v %+v", h, lns)
		}
		wantItems := []store.ExportSummaryItem{{Gseqno: 1, InventoryID: "X1", InvtNo: "NX1", Gnum: 1}, {Gseqno: 1, InventoryID: "X2", InvtNo: "NX2", Gnum: 1},
			{Gseqno: 2, InventoryID: "X1", InvtNo: "NX1", Gnum: 2}, {Gseqno: 2, InventoryID: "X2", InvtNo: "NX2", Gnum: 2}}
		if !slices.Equal(its, wantItems) {
			t.Errorf("items by gseqno, invtNo, gnum: %+v", its)
		}
		if _, _, _, err := tx.ExportSummary(ctx, "nope"); errs.KindOf(err) != errs.NotFound {
			t.Errorf("missing summary: %v, want not found", err)
		}
		// Summarized lists no longer wait.
		if lines, err := tx.UnsummarizedExportLines(ctx, novStart, decStart, "EBC1"); err != nil || len(lines) != 0 {
			t.Errorf("after summary: %+v %v", lines, err)
		}
		totals, err := tx.ExportSummaryListTotals(ctx, "S1")
		if err != nil || !maps.Equal(totals, map[string]int64{"142": 31000}) {
			t.Errorf("list totals: %v %v", totals, err)
		}
		if nos, err := tx.ExportSummaryNos(ctx, "2026-11", ""); err != nil || !slices.Equal(nos, []string{"S1"}) {
			t.Errorf("summaries of November: %v %v", nos, err)
		}
		if nos, err := tx.ExportSummaryNos(ctx, "2026-11", "EBC9"); err != nil || len(nos) != 0 {
			t.Errorf("summaries of another consignor: %v %v", nos, err)
		}
		return nil
	})
	if times, err := db.UnsummarizedExportReleaseTimes(ctx); err != nil || len(times) != 1 || !times[0].Equal(dec) {
		t.Errorf("release times after summary: %v %v", times, err)
	}
	// Refund: X1 departed, X2 not yet: neither line has all its lists gone.
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.CloseExportInventory(ctx, "X1", "2801", "left", nov.Add(72*time.Hour), nov.Add(72*time.Hour))
	})
	rows, err := db.ExportRefundRows(ctx, "2026-11", "")
	if err != nil || len(rows) != 2 || rows[0].SumNo != "S1" || rows[0].Month != "2026-11" || rows[0].EbcCode != "EBC1" || rows[0].OwnerCode != "OWN1" ||
		rows[0].Country != "502" || rows[0].PortCode != "8013" || rows[1].Line.Gseqno != 2 || rows[1].Line.TotalFen != 11000 || rows[1].Line.Lines != 2 ||
		rows[0].OpenLists != 1 || rows[1].OpenLists != 1 {
		t.Errorf("refund rows: %+v %v", rows, err)
	}
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.CloseExportInventory(ctx, "X2", "2801", "left", nov.Add(72*time.Hour), nov.Add(72*time.Hour))
	})
	if rows, err := db.ExportRefundRows(ctx, "2026-11", "EBC1"); err != nil || len(rows) != 2 || rows[0].OpenLists != 0 || rows[1].OpenLists != 0 {
		t.Errorf("refund rows, all departed: %+v %v", rows, err)
	}
	if rows, err := db.ExportRefundRows(ctx, "2026-11", "EBC9"); err != nil || len(rows) != 0 {
		t.Errorf("refund rows of another consignor: %+v %v", rows, err)
	}
}

func testExportReturns(t *testing.T, db *store.DB) {
	r := &store.ExportReturn{ID: "R1", EbcCode: "EBC1", CopNo: "RC1", PreNo: "R1", InvtNo: "N1", InventoryID: "X1", LogisticsCode: "LOG1",
		LogisticsNo: "W1", State: "applied", Reason: "退货", ExemptFen: 5000, Currency: "142", Lines: `[{"gcode":"6109100010"}]`, AppliedAt: exportT0}
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if ok, err := tx.ExportReturnExists(ctx, "EBC1", "RC1"); err != nil || ok {
			t.Errorf("before: %v %v", ok, err)
		}
		if err := tx.InsertExportReturn(ctx, r); err != nil {
			return err
		}
		r2 := *r
		r2.ID, r2.CopNo, r2.Lines = "R2", "RC2", `[]`
		if err := tx.InsertExportReturn(ctx, &r2); err != nil {
			return err
		}
		if ok, err := tx.ExportReturnExists(ctx, "EBC1", "RC1"); err != nil || !ok {
			t.Errorf("after: %v %v", ok, err)
		}
		lines, err := tx.ExportReturnLines(ctx, "X1")
		slices.Sort(lines)
		if err != nil || !slices.Equal(lines, []string{`[]`, `[{"gcode":"6109100010"}]`}) {
			t.Errorf("lines: %v %v", lines, err)
		}
		if lines, err := tx.ExportReturnLines(ctx, "X9"); err != nil || len(lines) != 0 {
			t.Errorf("lines of another inventory: %v %v", lines, err)
		}
		got, err := tx.ExportReturnByWaybill(ctx, "RC1", "W1")
		if err != nil || !got.AppliedAt.Equal(exportT0) || got.TalliedAt != nil {
			t.Fatalf("by waybill: %+v %v", got, err)
		}
		got.AppliedAt = r.AppliedAt
		if *got != *r {
			t.Errorf("read back: %+v", got)
		}
		if _, err := tx.ExportReturnByWaybill(ctx, "RC1", "W9"); errs.KindOf(err) != errs.NotFound {
			t.Errorf("missing: %v, want not found", err)
		}
		at := exportT0.Add(time.Hour).In(shanghai)
		if err := tx.TallyExportReturn(ctx, "R1", at); err != nil {
			return err
		}
		if got, err := tx.ExportReturnByWaybill(ctx, "RC1", "W1"); err != nil || got.State != "tallied" || got.TalliedAt == nil || !got.TalliedAt.Equal(at) {
			t.Errorf("tallied: %+v %v", got, err)
		}
		return nil
	})
	err := db.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertExportReturn(context.Background(), r) })
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("same return twice: %v, want a conflict", err)
	}
}

func testExportFilings(t *testing.T, db *store.DB) {
	ctx := context.Background()
	filed := exportT0.In(shanghai)
	for _, w := range []*store.ExportWarehouse{
		{Code: "WH2", EbcCode: "EBC1", Name: "杜伊斯堡仓", Country: "304", Address: "Duisburg", FiledAt: filed},
		{Code: "WH1", EbcCode: "EBC2", Name: "列日仓", Country: "301", Address: "Liège", FiledAt: filed},
	} {
		inTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.InsertExportWarehouse(ctx, w) })
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertExportWarehouse(ctx, &store.ExportWarehouse{Code: "WH1", EbcCode: "EBC1", Country: "502", FiledAt: filed})
	})
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("code filed twice: %v, want a conflict", err)
	}
	all, err := db.ExportWarehouses(ctx, "")
	if err != nil || len(all) != 2 || all[0].Code != "WH1" || all[1].Code != "WH2" || !all[1].FiledAt.Equal(filed) || all[1].Name != "杜伊斯堡仓" ||
		all[1].Country != "304" || all[1].Address != "Duisburg" || all[1].EbcCode != "EBC1" {
		t.Errorf("all warehouses: %+v %v", all, err)
	}
	if one, err := db.ExportWarehouses(ctx, "EBC2"); err != nil || len(one) != 1 || one[0].Code != "WH1" {
		t.Errorf("warehouses of EBC2: %+v %v", one, err)
	}
	inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		for _, c := range []struct {
			ebc, country string
			want         bool
		}{{"EBC1", "304", true}, {"EBC1", "301", false}, {"EBC9", "304", false}} {
			if got, err := tx.HasExportWarehouse(ctx, c.ebc, c.country); err != nil || got != c.want {
				t.Errorf("warehouse of %s in %s: %v %v", c.ebc, c.country, got, err)
			}
		}
		for _, n := range []*store.ExportNoInvoice{
			{ID: "N2", EbcCode: "EBC1", GoodsDate: "2026-11-30", Name: "茶叶", Unit: "035", Qty: "1.5", UnitPriceFen: 2000, AmountFen: 3000, CreatedAt: filed},
			{ID: "N1", EbcCode: "EBC2", GoodsDate: "2026-11-01", Name: "瓷器", Unit: "011", Qty: "2", UnitPriceFen: 1000, AmountFen: 2000, CreatedAt: filed},
			{ID: "N3", EbcCode: "EBC1", GoodsDate: "2026-12-01", Name: "丝绸", Unit: "011", Qty: "1", UnitPriceFen: 100, AmountFen: 100, CreatedAt: filed},
		} {
			if err := tx.InsertExportNoInvoice(ctx, n); err != nil {
				return err
			}
		}
		return nil
	})
	nov, err := db.ExportNoInvoices(ctx, "2026-11-01", "2026-12-01", "")
	if err != nil || len(nov) != 2 || nov[0].ID != "N1" || nov[1].ID != "N2" || !nov[1].CreatedAt.Equal(filed) {
		t.Fatalf("November: %+v %v", nov, err)
	}
	n := nov[1]
	n.CreatedAt = filed
	if n != (store.ExportNoInvoice{ID: "N2", EbcCode: "EBC1", GoodsDate: "2026-11-30", Name: "茶叶", Unit: "035", Qty: "1.5", UnitPriceFen: 2000,
		AmountFen: 3000, CreatedAt: filed}) {
		t.Errorf("read back: %+v", n)
	}
	if one, err := db.ExportNoInvoices(ctx, "2026-11-01", "2026-12-01", "EBC1"); err != nil || len(one) != 1 || one[0].ID != "N2" {
		t.Errorf("November of EBC1: %+v %v", one, err)
	}
}
