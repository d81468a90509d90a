package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("SortingLines", runSortingLines) }

// The joint-inspection tables of the console: sorting lines, their scanners
// and the parcels seen there with both sides' marks and findings.
func runSortingLines(t *testing.T, open Opener) {
	t.Run("LinesAndScanners", func(t *testing.T) { testSortingLines(t, open(t)) })
	t.Run("ParcelMarksFindingsOutcome", func(t *testing.T) { testLineParcels(t, open(t)) })
	t.Run("InventoryOfWaybillAndRiskHits", func(t *testing.T) { testLineInventoryLookups(t, open(t)) })
	t.Run("ParcelsToScan", func(t *testing.T) { testParcelsToScan(t, open(t)) })
}

var lineT0 = time.Date(2026, 11, 27, 10, 0, 0, 750000000, time.UTC)

func addLine(t *testing.T, db *store.DB, id, name string) {
	t.Helper()
	l := &store.SortingLine{ID: id, Name: name, Warehouse: "西永综保区 W1", CreatedAt: lineT0}
	if err := db.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertSortingLine(context.Background(), l) }); err != nil {
		t.Fatal(err)
	}
}

func testSortingLines(t *testing.T, db *store.DB) {
	ctx := context.Background()
	addLine(t, db, "line_b", "B线")
	addLine(t, db, "line_a", "A线")
	l, err := db.SortingLine(ctx, "line_b")
	if err != nil || l.Name != "B线" || l.Warehouse != "西永综保区 W1" || !l.CreatedAt.Equal(lineT0) {
		t.Errorf("read back: %+v %v", l, err)
	}
	if _, err := db.SortingLine(ctx, "line_x"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("missing line: %v, want not found", err)
	}
	lines, err := db.SortingLines(ctx)
	if err != nil || len(lines) != 2 || lines[0].ID != "line_a" || lines[1].ID != "line_b" {
		t.Errorf("lines by name: %+v %v", lines, err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertLineScanner(ctx, "scn_1", "line_a", "入口", "token-hash-1", lineT0)
	})
	if err != nil {
		t.Fatal(err)
	}
	if id, line, err := db.LineScannerByTokenHash(ctx, "token-hash-1"); err != nil || id != "scn_1" || line != "line_a" {
		t.Errorf("scanner by token: %q %q %v", id, line, err)
	}
	if _, _, err := db.LineScannerByTokenHash(ctx, "token-hash-9"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("unknown token: %v, want not found", err)
	}
}

func scanLineParcel(t *testing.T, db *store.DB, id, no string, at time.Time, divert, customsMark string) {
	t.Helper()
	p := &store.LineParcel{ID: id, LineID: "line_a", LogisticsNo: no, InventoryID: "inv-" + no, ImageRef: "img/" + no + ".jpg",
		ScannedAt: at, Divert: divert, CustomsMark: customsMark}
	if err := db.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertLineParcel(context.Background(), p, "scn_1") }); err != nil {
		t.Fatal(err)
	}
}

func testLineParcels(t *testing.T, db *store.DB) {
	ctx := context.Background()
	scanLineParcel(t, db, "pcl_1", "W1", lineT0, "pass", "")
	scanLineParcel(t, db, "pcl_2", "W2", lineT0.Add(time.Second), "inspect", "selected for inspection (500)")
	p, err := db.LineParcel(ctx, "pcl_2")
	if err != nil || p.LineID != "line_a" || p.LogisticsNo != "W2" || p.InventoryID != "inv-W2" || p.ImageRef != "img/W2.jpg" ||
		!p.ScannedAt.Equal(lineT0.Add(time.Second)) || p.Divert != "inspect" || p.CustomsMark != "selected for inspection (500)" ||
		p.InspectionMark != "" || p.CustomsFinding != "" || p.InspectionFinding != "" || p.Outcome != "" {
		t.Fatalf("read back: %+v %v", p, err)
	}
	if _, err := db.LineParcel(ctx, "pcl_9"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("missing parcel: %v, want not found", err)
	}
	list, err := db.LineParcels(ctx, "line_a", 10)
	if err != nil || len(list) != 2 || list[0].ID != "pcl_2" || list[1].ID != "pcl_1" {
		t.Errorf("parcels newest first: %+v %v", list, err)
	}
	if list, err := db.LineParcels(ctx, "line_a", 1); err != nil || len(list) != 1 || list[0].ID != "pcl_2" {
		t.Errorf("limited: %+v %v", list, err)
	}
	if list, err := db.LineParcels(ctx, "line_b", 10); err != nil || len(list) != 0 {
		t.Errorf("another line's parcels: %+v %v", list, err)
	}

	at := lineT0.Add(time.Minute)
	// change runs one update and reports whether it changed the parcel.
	change := func(f func(tx *store.Tx) (bool, error)) bool {
		t.Helper()
		var changed bool
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) { changed, err = f(tx); return err }); err != nil {
			t.Fatal(err)
		}
		return changed
	}
	if !change(func(tx *store.Tx) (bool, error) {
		return tx.MarkLineParcel(ctx, "pcl_1", "inspection", "zhao: 包装破损", at)
	}) {
		t.Fatal("mark of an undecided parcel did not happen")
	}
	if p, _ := db.LineParcel(ctx, "pcl_1"); p.InspectionMark != "zhao: 包装破损" || p.CustomsMark != "" || p.Divert != "inspect" {
		t.Errorf("after the inspection mark: %+v", p)
	}
	customs := `{"result":"release","note":"","by":"li.na"}`
	if !change(func(tx *store.Tx) (bool, error) { return tx.SetLineParcelFinding(ctx, "pcl_2", "customs", customs, at) }) {
		t.Fatal("first finding of a side not stored")
	}
	if change(func(tx *store.Tx) (bool, error) {
		return tx.SetLineParcelFinding(ctx, "pcl_2", "customs", `{"result":"return"}`, at)
	}) {
		t.Error("a second finding of the same side replaced the first")
	}
	if p, _ := db.LineParcel(ctx, "pcl_2"); p.CustomsFinding != customs || p.InspectionFinding != "" {
		t.Errorf("after the customs finding: %+v", p)
	}
	// Reopening needs the finding as read; a stale one changes nothing.
	if change(func(tx *store.Tx) (bool, error) {
		return tx.ClearLineParcelFinding(ctx, "pcl_2", "customs", `{"result":"return"}`, at)
	}) {
		t.Error("a finding other than the stored one was cleared")
	}
	if !change(func(tx *store.Tx) (bool, error) {
		return tx.ClearLineParcelFinding(ctx, "pcl_2", "customs", customs, at)
	}) {
		t.Error("the stored finding was not cleared")
	}
	if !change(func(tx *store.Tx) (bool, error) {
		return tx.SetLineParcelFinding(ctx, "pcl_2", "inspection", customs, at)
	}) {
		t.Fatal("the inspection side's finding not stored")
	}
	if p, _ := db.LineParcel(ctx, "pcl_2"); p.CustomsFinding != "" || p.InspectionFinding != customs {
		t.Errorf("after reopening: %+v", p)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetLineParcelOutcome(ctx, "pcl_2", "800", at) }); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetLineParcelOutcome(ctx, "pcl_2", "100", at) }); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.LineParcel(ctx, "pcl_2"); p.Outcome != "800" {
		t.Errorf("outcome %q, want the first one, 800", p.Outcome)
	}
	// A decided parcel takes no mark, finding or reopening.
	for name, f := range map[string]func(tx *store.Tx) (bool, error){
		"mark":    func(tx *store.Tx) (bool, error) { return tx.MarkLineParcel(ctx, "pcl_2", "customs", "late", at) },
		"finding": func(tx *store.Tx) (bool, error) { return tx.SetLineParcelFinding(ctx, "pcl_2", "customs", customs, at) },
		"reopen": func(tx *store.Tx) (bool, error) {
			return tx.ClearLineParcelFinding(ctx, "pcl_2", "inspection", customs, at)
		},
	} {
		if change(f) {
			t.Errorf("%s of a decided parcel happened", name)
		}
	}
	// Only the two sides name a column.
	err = db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.MarkLineParcel(ctx, "pcl_1", "customs_mark = 'x', outcome", "x", at)
		return err
	})
	if err == nil {
		t.Error("an unknown side was accepted")
	}
}

func testLineInventoryLookups(t *testing.T, db *store.DB) {
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, v := range []*store.Inventory{
			{ID: "inv-old", CopNo: "C1", LogisticsCode: "LOG0000001", LogisticsNo: "W1", Status: "899", CreatedAt: lineT0, UpdatedAt: lineT0},
			{ID: "inv-new", CopNo: "C2", LogisticsCode: "LOG0000001", LogisticsNo: "W1", Status: "500", CreatedAt: lineT0.Add(time.Hour), UpdatedAt: lineT0},
		} {
			if err := tx.InsertInventory(ctx, v); err != nil {
				return err
			}
		}
		for i, h := range []store.RiskHit{{Kind: "rule", Ref: "R-12", Action: "inspect"}, {Kind: "measure", Ref: "M-3", Action: "review"}} {
			if _, err := tx.Exec(ctx, `INSERT INTO risk_hits (inventory_id, kind, ref, version, action, score, at) VALUES ($1, $2, $3, 1, $4, 10, $5)`,
				"inv-new", h.Kind, h.Ref, h.Action, lineT0.Add(time.Duration(2-i)*time.Minute)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := db.LatestInventoryIDByLogisticsNo(ctx, "W1"); err != nil || id != "inv-new" {
		t.Errorf("newest inventory of a waybill: %q %v", id, err)
	}
	if _, err := db.LatestInventoryIDByLogisticsNo(ctx, "W9"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("waybill without inventory: %v, want not found", err)
	}
	hits, err := db.RiskHits(ctx, "inv-new")
	what := func(h store.RiskHit) string { return h.Kind + " " + h.Ref + " " + h.Action }
	if err != nil || !slices.Equal(pluck(hits, what), []string{"measure M-3 review", "rule R-12 inspect"}) {
		t.Errorf("risk hits in the order they hit: %+v %v", hits, err)
	}
	if hits, err := db.RiskHits(ctx, "inv-old"); err != nil || len(hits) != 0 {
		t.Errorf("no hits: %+v %v", hits, err)
	}
}

func testParcelsToScan(t *testing.T, db *store.DB) {
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i, v := range []struct{ no, status string }{{"W1", "800"}, {"W2", "500"}, {"W3", "899"}, {"W4", "800"}, {"W5", "500"}, {"W6", "120"}} {
			at := lineT0.Add(time.Duration(i) * time.Minute)
			if err := tx.InsertInventory(ctx, &store.Inventory{ID: "inv-" + v.no, CopNo: "C" + v.no, LogisticsCode: "LOG0000001", LogisticsNo: v.no,
				Status: v.status, CreatedAt: at, UpdatedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Selected (500) before released (800), each newest first; the rest left out.
	got, err := db.ParcelsToScan(ctx, 10)
	want := []store.ParcelToScan{{LogisticsNo: "W5", Status: "500"}, {LogisticsNo: "W2", Status: "500"},
		{LogisticsNo: "W4", Status: "800"}, {LogisticsNo: "W1", Status: "800"}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("parcels to scan: %+v %v, want %+v", got, err, want)
	}
	if got, err := db.ParcelsToScan(ctx, 3); err != nil || len(got) != 3 || got[2] != want[2] {
		t.Errorf("limit 3: %+v %v", got, err)
	}
}
