package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("Trace", runTrace) }

func runTrace(t *testing.T, open Opener) {
	t.Run("CodesInsertReadAndBatch", func(t *testing.T) { testTraceCodes(t, open(t)) })
	t.Run("RecallMatchesProductBatchAndDates", func(t *testing.T) { testRecallMatch(t, open(t)) })
	t.Run("HoldsNoticesAndLabResults", func(t *testing.T) { testHoldsNoticesLab(t, open(t)) })
}

func traceCode(i int, item, gtin string, at time.Time) store.TraceCode {
	return store.TraceCode{Code: fmt.Sprintf("CODE%014d", i), InventoryID: fmt.Sprintf("inv%d", i/10), Gnum: 1, Piece: i%10 + 1,
		EbcCode: "1105910159", ItemNo: item, GTIN: gtin, Name: "婴儿配方奶粉", Brand: "示例牌", OriginCountry: "502", HSCode: "1901101000",
		CustomsCode: "8010", PortCode: "8010", State: "released", ReleasedAt: at}
}

func testTraceCodes(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 10, 15, 4, 123456000, time.FixedZone("CST", 8*3600))
	var codes []store.TraceCode
	for i := range 75 { // more than two statements' worth
		codes = append(codes, traceCode(i, "MILK-1", "4006381333931", at))
	}
	var n int64
	if err := db.InTx(ctx, func(tx *store.Tx) (err error) { n, err = tx.InsertTraceCodes(ctx, codes); return err }); err != nil || n != 75 {
		t.Fatalf("insert: %d %v", n, err)
	}
	// A code that exists is skipped, and the count says so.
	if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
		n, err = tx.InsertTraceCodes(ctx, []store.TraceCode{codes[3], traceCode(100, "MILK-1", "", at)})
		return err
	}); err != nil || n != 1 {
		t.Fatalf("insert with a duplicate: %d %v", n, err)
	}
	c, err := db.TraceCode(ctx, codes[12].Code)
	if err != nil || c == nil || !c.ReleasedAt.Equal(at) || c.Piece != 3 || c.InventoryID != "inv1" || c.GTIN != "4006381333931" {
		t.Fatalf("read: %+v %v", c, err)
	}
	if c, err := db.TraceCode(ctx, "NOSUCHCODE"); c != nil || err != nil {
		t.Fatalf("missing code: %+v %v", c, err)
	}
	list, err := db.TraceCodesOfInventory(ctx, "inv2")
	if err != nil || len(list) != 10 || list[0].Piece != 1 || list[9].Piece != 10 {
		t.Fatalf("codes of inv2: %d %v", len(list), err)
	}
	if n, err := db.SetTraceBatch(ctx, "inv2", 1, "L2026-11", "2026-10-15"); err != nil || n != 10 {
		t.Fatalf("batch: %d %v", n, err)
	}
	if c, _ := db.TraceCode(ctx, codes[20].Code); c.Batch != "L2026-11" || c.ProducedOn != "2026-10-15" {
		t.Fatalf("batch not kept: %+v", c)
	}
	if recent, err := db.RecentTraceCodes(ctx, 5); err != nil || len(recent) != 5 {
		t.Fatalf("recent: %d %v", len(recent), err)
	}
	ev := []store.TraceEvent{{Code: codes[0].Code, At: at.Add(time.Hour), Kind: "exited", Location: "gate-1", Actor: "46121601BC"}}
	if err := db.AddTraceEvents(ctx, ev, "exited"); err != nil {
		t.Fatal(err)
	}
	evs, err := db.TraceEvents(ctx, codes[0].Code)
	if err != nil || len(evs) != 1 || !evs[0].At.Equal(at.Add(time.Hour)) || evs[0].Kind != "exited" {
		t.Fatalf("events: %+v %v", evs, err)
	}
	if c, _ := db.TraceCode(ctx, codes[0].Code); c.State != "exited" {
		t.Fatalf("state %s", c.State)
	}
}

func testRecallMatch(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	var codes []store.TraceCode
	for i := range 30 {
		c := traceCode(i, "MILK-1", "4006381333931", at)
		switch {
		case i < 10:
			c.Batch, c.ProducedOn = "A", "2026-10-01"
		case i < 20:
			c.Batch, c.ProducedOn = "B", "2026-10-20"
		default:
			c.ItemNo, c.GTIN = "CREAM-1", "" // another product
		}
		codes = append(codes, c)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.InsertTraceCodes(ctx, codes); return err }); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m    store.ProductMatch
		want int
	}{
		{store.ProductMatch{EbcCode: "1105910159", ItemNo: "MILK-1"}, 20},
		{store.ProductMatch{GTIN: "4006381333931", Batch: "B"}, 10},
		{store.ProductMatch{EbcCode: "1105910159", ItemNo: "MILK-1", ProducedFrom: "2026-10-10", ProducedTo: "2026-10-31"}, 10},
		{store.ProductMatch{GTIN: "4006381333931", ProducedTo: "2026-09-30"}, 0},
		{store.ProductMatch{EbcCode: "1105910159", ItemNo: "CREAM-1"}, 10},
	} {
		r := &store.Recall{ID: fmt.Sprintf("RC-%v", c.m), Title: "召回", Reason: "r", RiskLevel: "high", Match: c.m, Status: "active", CreatedAt: at}
		var n int
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) { n, err = tx.InsertRecall(ctx, r); return err }); err != nil || n != c.want {
			t.Errorf("%+v: %d pieces, want %d (%v)", c.m, n, c.want, err)
		}
	}
	rs, err := db.RecallsOfCode(ctx, codes[15].Code)
	if err != nil || len(rs) != 3 {
		t.Fatalf("recalls of a batch B piece: %d %v", len(rs), err)
	}
	if err := db.AddTraceEvents(ctx, []store.TraceEvent{{Code: codes[15].Code, At: at, Kind: "returned"}}, "returned"); err != nil {
		t.Fatal(err)
	}
	if n, err := db.RecallReturned(ctx, rs[0].ID); err != nil || n != 1 {
		t.Fatalf("returned: %d %v", n, err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CloseRecall(ctx, rs[0].ID, at) }); err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error { return tx.CloseRecall(ctx, rs[0].ID, at) })
	if errs.KindOf(err) != errs.NotFound {
		t.Fatalf("closing twice: %v", err)
	}
	if closed, _ := db.Recalls(ctx, "closed", 10); len(closed) != 1 || closed[0].ClosedAt == nil {
		t.Fatalf("closed recalls: %+v", closed)
	}
}

func testHoldsNoticesLab(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	h := &store.ProductHold{ID: "H1", Source: "lab", EbcCode: "1105910159", ItemNo: "MILK-1", Reason: "failed", Active: true, CreatedAt: at}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertProductHold(ctx, h) }); err != nil {
		t.Fatal(err)
	}
	if active, _ := db.ProductHolds(ctx, true); len(active) != 1 || active[0].ID != "H1" {
		t.Fatalf("active holds: %+v", active)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.LiftProductHold(ctx, "H1", at) }); err != nil {
		t.Fatal(err)
	}
	if active, _ := db.ProductHolds(ctx, true); len(active) != 0 {
		t.Fatalf("lifted hold still active: %+v", active)
	}
	if all, _ := db.ProductHolds(ctx, false); len(all) != 1 || all[0].LiftedAt == nil {
		t.Fatalf("all holds: %+v", all)
	}
	for i, kind := range []string{"warning", "policy", "warning"} {
		n := &store.Notice{ID: fmt.Sprintf("N%d", i), Kind: kind, Title: "t", Body: "b", PublishedAt: at.Add(time.Duration(i) * time.Minute)}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertNotice(ctx, n) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.WithdrawNotice(ctx, "N0", at); err != nil {
		t.Fatal(err)
	}
	if ws, _ := db.Notices(ctx, "warning", 10); len(ws) != 1 || ws[0].ID != "N2" {
		t.Fatalf("warnings: %+v", ws)
	}
	a := &store.LabApplication{ID: "LA1", Applicant: "1105910159", LabCode: "3101980001", EbcCode: "1105910159", ItemNo: "MILK-1",
		Sample: "2 罐", Items: []string{"阪崎肠杆菌", "蛋白质"}, Status: "accepted", CreatedAt: at, UpdatedAt: at}
	if err := db.InsertLabApplication(ctx, a); err != nil {
		t.Fatal(err)
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.PutLabResult(ctx, "LA1", store.LabResult{Item: "蛋白质", Passed: false, Value: "1.0", RecordedAt: at}); err != nil {
			return err
		}
		return tx.PutLabResult(ctx, "LA1", store.LabResult{Item: "蛋白质", Passed: true, Value: "2.1", RecordedAt: at}) // corrected
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.LabApplication(ctx, "LA1")
	if err != nil || len(got.Items) != 2 || len(got.Results) != 1 || !got.Results[0].Passed || got.Results[0].Value != "2.1" {
		t.Fatalf("application: %+v %v", got, err)
	}
	if list, _ := db.LabApplications(ctx, "3101980001", "", "", 10); len(list) != 1 || len(list[0].Results) != 1 {
		t.Fatalf("the lab's list: %+v", list)
	}
	if _, err := db.LabApplication(ctx, "LA2"); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("missing application: %v", err)
	}
}
