package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	t.Run("LinesKeepTheirPiecesApart", func(t *testing.T) { testTraceLines(t, open(t)) })
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
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertTraceCodes(ctx, codes) }); err != nil {
		t.Fatalf("insert: %v", err)
	}
	// A code that exists fails the transaction with a conflict (on PostgreSQL
	// when the statements are sent, at commit here): nothing of it is stored.
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertTraceCodes(ctx, []store.TraceCode{codes[3], traceCode(100, "MILK-1", "", at)})
	})
	if errs.KindOf(err) != errs.Conflict || !strings.Contains(err.Error(), "traceability codes") {
		t.Fatalf("insert with a duplicate: %v, want a conflict naming the codes' statement", err)
	}
	if c, err := db.TraceCode(ctx, traceCode(100, "MILK-1", "", at).Code); c != nil || err != nil {
		t.Fatalf("the new code of the failed insert: %+v %v, want none", c, err)
	}
	if list, err := db.TraceCodesOfInventory(ctx, "inv0"); err != nil || len(list) != 10 {
		t.Fatalf("codes of inv0: %d %v, want 10", len(list), err)
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
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertTraceCodes(ctx, codes) }); err != nil {
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

// A piece shows its own line's facts and its own state: two inventories of
// two lines each, one product per line, whose batches, states and recalls
// must not leak from a line or a piece to another.
func testTraceLines(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)
	var codes []store.TraceCode
	for inv := range 2 {
		id := fmt.Sprintf("tl-inv%d", inv)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertInventory(ctx, &store.Inventory{ID: id, AgentCode: "AGENT00001", CopNo: "COP-" + id, OrderNo: "ORD-" + id,
				EbcCode: "1105910159", Status: "800", WaitUntil: at, CreatedAt: at, UpdatedAt: at})
		})
		if err != nil {
			t.Fatal(err)
		}
		for gnum, product := range []struct{ item, gtin, name string }{{"MILK-1", "4006381333931", "奶粉"}, {"CREAM-1", "4006381333948", "面霜"}} {
			for piece := 1; piece <= 3; piece++ {
				codes = append(codes, store.TraceCode{Code: fmt.Sprintf("TL%d%d%d", inv, gnum+1, piece), InventoryID: id, Gnum: gnum + 1,
					Piece: piece, EbcCode: "1105910159", ItemNo: product.item, GTIN: product.gtin, Name: product.name, Brand: "示例牌",
					OriginCountry: "502", HSCode: "1901101000", CustomsCode: "8010", PortCode: "8010", Inspected: inv == 1,
					State: "released", ReleasedAt: at.Add(time.Duration(inv) * time.Minute)})
			}
		}
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertTraceCodes(ctx, codes) }); err != nil {
		t.Fatalf("insert: %v", err)
	}
	list, err := db.TraceCodesOfInventory(ctx, "tl-inv1")
	if err != nil || len(list) != 6 {
		t.Fatalf("codes of tl-inv1: %d %v", len(list), err)
	}
	for i, c := range list {
		if want := codes[6+i]; !sameCode(c, want) {
			t.Errorf("code %d of tl-inv1:\n got %+v\nwant %+v", i, c, want)
		}
	}
	// A batch marks its line's pieces only; a state, its piece only.
	if n, err := db.SetTraceBatch(ctx, "tl-inv0", 2, "C-7", "2026-11-02"); err != nil || n != 3 {
		t.Fatalf("batch of line 2: %d %v", n, err)
	}
	if n, err := db.SetTraceBatch(ctx, "tl-inv0", 3, "C-7", ""); err != nil || n != 0 {
		t.Fatalf("batch of a line without pieces: %d %v", n, err)
	}
	ev := []store.TraceEvent{{Code: "TL022", At: at.Add(time.Hour), Kind: "returned", Actor: "1105910159"}}
	if err := db.AddTraceEvents(ctx, ev, "returned"); err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		got, err := db.TraceCode(ctx, c.Code)
		if err != nil || got == nil {
			t.Fatalf("%s: %v", c.Code, err)
		}
		if c.InventoryID == "tl-inv0" && c.Gnum == 2 {
			c.Batch, c.ProducedOn = "C-7", "2026-11-02"
		}
		if c.Code == "TL022" {
			c.State = "returned"
		}
		if !sameCode(*got, c) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.Code, *got, c)
		}
	}
	recent, err := db.RecentTraceCodes(ctx, 7)
	// The lines newest first (the last stored first), a line's pieces in order.
	if err != nil || len(recent) != 7 || recent[0].Code != "TL121" || recent[3].Code != "TL111" || recent[5].Code != "TL113" || recent[6].Code != "TL021" {
		t.Fatalf("recent: %+v %v", recent, err)
	}
	// Recalls reach the pieces of the lines they match, by GTIN or by filing.
	for _, c := range []struct {
		m     store.ProductMatch
		codes []string
	}{
		{store.ProductMatch{GTIN: "4006381333948"}, []string{"TL021", "TL022", "TL023", "TL121", "TL122", "TL123"}},
		{store.ProductMatch{EbcCode: "1105910159", ItemNo: "MILK-1"}, []string{"TL011", "TL012", "TL013", "TL111", "TL112", "TL113"}},
		{store.ProductMatch{EbcCode: "1105910159", ItemNo: "CREAM-1", Batch: "C-7"}, []string{"TL021", "TL022", "TL023"}},
		{store.ProductMatch{GTIN: "4006381333948", ProducedFrom: "2026-11-01"}, []string{"TL021", "TL022", "TL023"}},
		{store.ProductMatch{EbcCode: "1105910160", ItemNo: "MILK-1"}, nil},
	} {
		r := &store.Recall{ID: fmt.Sprintf("RC-TL-%v", c.m), Title: "召回", Reason: "r", RiskLevel: "high", Match: c.m, Status: "active", CreatedAt: at}
		var invs []store.RecalledInventory
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.InsertRecall(ctx, r); err != nil {
				return err
			}
			var err error
			invs, err = tx.RecalledInventories(ctx, r.ID)
			return err
		})
		if err != nil || r.Pieces != len(c.codes) {
			t.Fatalf("%+v: %d pieces, want %d (%v)", c.m, r.Pieces, len(c.codes), err)
		}
		pieces, err := db.RecallPieces(ctx, r.ID, "", 100)
		if err != nil || len(pieces) != len(c.codes) {
			t.Fatalf("%+v: pieces %+v %v", c.m, pieces, err)
		}
		for i, p := range pieces {
			want := codes[slices.IndexFunc(codes, func(x store.TraceCode) bool { return x.Code == c.codes[i] })]
			if p.Code != want.Code || p.Gnum != want.Gnum || p.Piece != want.Piece || p.EbcCode != want.EbcCode ||
				p.CopNo != "COP-"+want.InventoryID || p.OrderNo != "ORD-"+want.InventoryID || p.State != map[bool]string{true: "returned", false: "released"}[p.Code == "TL022"] {
				t.Errorf("%+v: piece %d %+v, want %+v", c.m, i, p, want)
			}
		}
		perInventory := map[string]int{}
		for _, code := range c.codes {
			perInventory[fmt.Sprintf("tl-inv%c", code[2])]++
		}
		if len(invs) != len(perInventory) {
			t.Fatalf("%+v: inventories %+v, want %v", c.m, invs, perInventory)
		}
		for _, inv := range invs {
			if inv.Pieces != perInventory[inv.InventoryID] || inv.CopNo != "COP-"+inv.InventoryID {
				t.Errorf("%+v: inventory %+v, want %d pieces", c.m, inv, perInventory[inv.InventoryID])
			}
		}
		if returned, err := db.RecallReturned(ctx, r.ID); err != nil || returned != map[bool]int{true: 1}[slices.Contains(c.codes, "TL022")] {
			t.Errorf("%+v: %d returned %v", c.m, returned, err)
		}
	}
}

// sameCode compares codes field by field, their times as instants.
func sameCode(a, b store.TraceCode) bool {
	at := a.ReleasedAt.Equal(b.ReleasedAt)
	a.ReleasedAt, b.ReleasedAt = time.Time{}, time.Time{}
	return at && a == b
}
