package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/receipt"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("WritePath", runWritePath) }

func runWritePath(t *testing.T, open Opener) {
	t.Run("InsertDocumentKeepsTheFirst", func(t *testing.T) { testInsertDocument(t, open(t)) })
	t.Run("NewDocumentsInOneStatement", func(t *testing.T) { testInsertNewDocuments(t, open(t)) })
	t.Run("PackedReceiptsReadAsText", func(t *testing.T) { testPackedReceipts(t, open(t)) })
	t.Run("MessageAnswerRebuilt", func(t *testing.T) { testMessageAnswer(t, open(t)) })
	t.Run("FeedNumbersInOneTransaction", func(t *testing.T) { testFeedNumbers(t, open(t)) })
	t.Run("InventoryAndOrder", func(t *testing.T) { testInventoryAndOrder(t, open(t)) })
	t.Run("CompressedJSON", func(t *testing.T) { testCompressedJSON(t, open(t)) })
	t.Run("EventsInTheRow", func(t *testing.T) { testEventsInTheRow(t, open(t)) })
	t.Run("AfterCommit", func(t *testing.T) { testAfterCommit(t, open(t)) })
	t.Run("UpdatesKeepTheIndexesTrue", func(t *testing.T) { testUpdatesKeepTheIndexesTrue(t, open(t)) })
	t.Run("PackedBeforeTheWriter", func(t *testing.T) { testPackedBeforeTheWriter(t, open(t)) })
	t.Run("SerialsThroughRollbacks", func(t *testing.T) { testSerialsThroughRollbacks(t, open(t)) })
}

// Inventory serials come in blocks handed out in memory; a transaction or a
// savepoint that drew a block and was rolled back must not make a later
// transaction hand out a number a committed one already has.
func testSerialsThroughRollbacks(t *testing.T, db *store.DB) {
	ctx := context.Background()
	undo := fmt.Errorf("undo")
	given := map[int64]int{} // serial → round that committed it
	for round := range 16 {
		var got []int64
		draw := func(tx *store.Tx, n int) error {
			for range n {
				s, err := tx.NextSerial(ctx)
				if err != nil {
					return err
				}
				got = append(got, s)
			}
			return nil
		}
		rollback := round%3 == 1
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := draw(tx, 5+round*7); err != nil {
				return err
			}
			if round%4 == 2 { // a savepoint that crosses into a new block, undone
				mark := len(got)
				if err := tx.Savepoint(ctx, "serials", func() error {
					if err := draw(tx, 70); err != nil {
						return err
					}
					return undo
				}); err != undo {
					return fmt.Errorf("savepoint: %v", err)
				}
				got = got[:mark]
				if err := draw(tx, 3); err != nil {
					return err
				}
			}
			if rollback {
				return undo
			}
			return nil
		})
		if rollback && err == undo {
			continue
		}
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for _, s := range got {
			if r, dup := given[s]; dup || s <= 0 {
				t.Fatalf("round %d: serial %d given again (first in round %d) or not positive", round, s, r)
			}
			given[s] = round
		}
	}
}

// Work registered with AfterCommit runs once the transaction commits, and
// never for a rolled-back transaction or savepoint.
func testAfterCommit(t *testing.T, db *store.DB) {
	ctx := context.Background()
	var ran []string
	mark := func(s string) func() { return func() { ran = append(ran, s) } }
	err := db.InTx(ctx, func(tx *store.Tx) error {
		tx.AfterCommit(mark("kept"))
		_ = tx.Savepoint(ctx, "undone", func() error {
			tx.AfterCommit(mark("in a rolled-back savepoint"))
			return fmt.Errorf("undo")
		})
		if err := tx.Savepoint(ctx, "released", func() error {
			tx.AfterCommit(mark("in a released savepoint"))
			return nil
		}); err != nil {
			return err
		}
		if len(ran) != 0 {
			t.Errorf("ran before commit: %v", ran)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.InTx(ctx, func(tx *store.Tx) error {
		tx.AfterCommit(mark("in a rolled-back transaction"))
		return fmt.Errorf("roll back")
	})
	if got := fmt.Sprint(ran); got != "[kept in a released savepoint]" {
		t.Fatalf("after commit ran %s, want [kept in a released savepoint]", got)
	}
}

// An inventory's steps written with its row (Inventory.Event) or alone
// (AddEvent) read back in order after those recorded as rows of
// inventory_events before migration 00171; a write without a step adds none.
// Those written with the row count their time from its created_at, to the
// microsecond, whatever its time zone; a step dated before it is spelled out.
func testEventsInTheRow(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 12, 0, 0, 123456000, time.UTC)
	step := func(n int, status, info string) store.Event {
		return store.Event{At: at.Add(time.Duration(n) * time.Minute), Status: status, Code: "C" + status, Info: info, Actor: "A"}
	}
	want := []store.Event{step(0, "120", "old row"), step(1, "120", "declared"), step(2, "800", `quotes " and \ and a
new line`), step(0, "800", "dated before the row"), step(3, "899", "returned")}
	created := want[1].At.Add(789).In(shanghai) // stored to the microsecond: the declared step is 0 after it
	v := &store.Inventory{ID: "i1", AgentCode: "AGENT00001", CopNo: "C1", Status: "120", WaitUntil: at, CreatedAt: created, UpdatedAt: created}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO inventory_events (inventory_id, at, status, code, info, actor) VALUES ('i1', $1, $2, $3, $4, $5)`,
			want[0].At, want[0].Status, want[0].Code, want[0].Info, want[0].Actor); err != nil {
			return err
		}
		v.Event = &want[1]
		if err := tx.InsertInventory(ctx, v); err != nil {
			return err
		}
		if err := tx.UpdateInventory(ctx, v); err != nil { // no step: adds none
			return err
		}
		for _, e := range want[2:4] {
			v.Status, v.Event = "800", &e
			if err := tx.UpdateInventory(ctx, v); err != nil {
				return err
			}
		}
		e := want[4]
		return tx.AddEvent(ctx, "i1", e.At, e.Status, e.Code, e.Info, e.Actor)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Events(ctx, "i1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d steps, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !got[i].At.Equal(want[i].At) || got[i].Status != want[i].Status || got[i].Code != want[i].Code || got[i].Info != want[i].Info || got[i].Actor != want[i].Actor {
			t.Errorf("step %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if evs, err := db.Events(ctx, "nobody"); err != nil || len(evs) != 0 {
		t.Errorf("steps of an unknown inventory: %v, %v", evs, err)
	}
	var text string
	if err := db.QueryRow(ctx, `SELECT events FROM inventories WHERE id = 'i1'`).Scan(&text); err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{`"t":0,`, `"t":60000000,`, `"t":"2026-12-06T12:00:00.123456Z"`, `"t":"2026-12-06T12:03:00.123456Z"`} {
		if !strings.Contains(text, at) {
			t.Errorf("stored steps %s: no %s", text, at)
		}
	}
}

// The JSON of documents and inventories reads back as written, whether the
// row stores it compressed or as text (rows from before migration 00170),
// and a row whose compressed JSON does not decode is an error, not empty data.
func testCompressedJSON(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, shanghai)
	order := `{"guid":"G-1","appType":"1","orderNo":"O1","ebpCode":"EBP0000001","buyerName":{"h":"8705f382f73d2eb15249d4ecce10a4f978835bbb","m":"陈**"},"lines":[{"gnum":1,"itemName":"真皮手提包"}]}`
	inv := &store.Inventory{ID: "i1", AgentCode: "AGENT00001", CopNo: "C1", EbpCode: "EBP0000001", OrderNo: "O1", LogisticsCode: "LOG0000001",
		LogisticsNo: "LN1", Status: "120", Data: []byte(`{"copNo":"C1","orderNo":"O1"}`), WaitUntil: at, CreatedAt: at, UpdatedAt: at}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.InsertDocument(ctx, &store.Document{Kind: "order", K1: "EBP0000001", K2: "O1", OrderNo: "O1", Sender: "EBP0000001",
			AppType: "1", Data: []byte(order), CreatedAt: at, UpdatedAt: at}); err != nil {
			return err
		}
		// Rows as written before migration 00170: the JSON as text.
		if _, err := tx.Exec(ctx, `INSERT INTO documents (kind, k1, k2, order_no, sender, app_type, deleted, content_hash, data, message_id, created_at, updated_at)
			VALUES ('waybill', 'LOG0000001', 'LN1', 'O1', 'LOG0000001', '1', FALSE, '', '{"logisticsNo":"LN1"}', '', $1, $1)`, at); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO documents (kind, k1, k2, order_no, sender, app_type, deleted, content_hash, data, data_z, message_id, created_at, updated_at)
			VALUES ('payment', 'EBP0000001', 'O1', 'O1', 'PAY0000001', '1', FALSE, '', '', $1, '', $2, $2)`, []byte{1, 0xff, 0xfe}, at); err != nil {
			return err
		}
		return tx.InsertInventory(ctx, inv)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := db.DocumentsFor(ctx, "EBP0000001", "O1", "LOG0000001", "LN1"); err == nil {
		t.Error("a payment whose JSON does not decode read without an error")
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for kind, want := range map[string]string{"order": order, "waybill": `{"logisticsNo":"LN1"}`} {
			k1, k2 := "EBP0000001", "O1"
			if kind == "waybill" {
				k1, k2 = "LOG0000001", "LN1"
			}
			d, err := tx.Document(ctx, kind, k1, k2)
			if err != nil {
				return err
			}
			if string(d.Data) != want {
				t.Errorf("%s: read %s, want %s", kind, d.Data, want)
			}
		}
		v, err := tx.InventoryByID(ctx, "i1")
		if err != nil {
			return err
		}
		if string(v.Data) != string(inv.Data) {
			t.Errorf("inventory: read %s, want %s", v.Data, inv.Data)
		}
		v.Status = "800" // its JSON unchanged
		if err := tx.UpdateInventory(ctx, v); err != nil {
			return err
		}
		v.Data = []byte(`{"copNo":"C1","orderNo":"O1","modified":true}`)
		return tx.UpdateInventory(ctx, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.Inventory(ctx, "i1")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"copNo":"C1","orderNo":"O1","modified":true}`; string(v.Data) != want || v.Status != "800" {
		t.Errorf("inventory after two updates: %s %s, want 800 %s", v.Status, v.Data, want)
	}
}

// InventoryAndOrder finds a copNo's inventory whatever its status, and the
// newest inventory of an order that is not rejected.
func testInventoryAndOrder(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, shanghai)
	inv := func(id, copNo, orderNo, status string, age int) *store.Inventory {
		when := at.Add(-time.Duration(age) * time.Minute)
		return &store.Inventory{ID: id, AgentCode: "AGENT00001", CopNo: copNo, EbpCode: "EBP0000001", OrderNo: orderNo, Status: status,
			WaitUntil: when, CreatedAt: when, UpdatedAt: when}
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, v := range []*store.Inventory{
			inv("i1", "C1", "O1", "100", 30), // rejected: its order is free again
			inv("i2", "C2", "O1", "120", 20),
			inv("i3", "C3", "O1", "800", 10), // newer, live
			inv("i4", "C4", "O2", "100", 5),
		} {
			if err := tx.InsertInventory(ctx, v); err != nil {
				return err
			}
		}
		for _, c := range []struct{ copNo, orderNo, wantCop, wantOrder string }{
			{"C1", "O1", "i1", "i3"},
			{"C4", "O2", "i4", ""},
			{"C9", "O1", "", "i3"},
			{"C9", "O9", "", ""},
			{"C2", "O9", "i2", ""},
		} {
			byCop, ofOrder, err := tx.InventoryAndOrder(ctx, "AGENT00001", c.copNo, "EBP0000001", c.orderNo)
			if err != nil {
				return err
			}
			id := func(v *store.Inventory) string {
				if v == nil {
					return ""
				}
				return v.ID
			}
			if id(byCop) != c.wantCop || id(ofOrder) != c.wantOrder {
				t.Errorf("copNo %s, order %s: got %q and %q, want %q and %q", c.copNo, c.orderNo, id(byCop), id(ofOrder), c.wantCop, c.wantOrder)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Several messages' receipts in one transaction, one of them undone by a
// savepoint, are numbered without a gap, and the next transaction numbers on
// from there.
func testFeedNumbers(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, shanghai)
	add := func(tx *store.Tx, code string, n int) error {
		rs := make([]*store.Receipt, n)
		for i := range rs {
			rs[i] = &store.Receipt{EnterpriseCode: code, MessageType: "X", ReturnStatus: "2", XML: fmt.Sprintf("<r n=\"%d\"/>", i), CreatedAt: now}
		}
		return tx.AddReceipts(ctx, rs)
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := add(tx, "SEQ0000001", 2); err != nil {
			return err
		}
		undone := tx.Savepoint(ctx, "undo", func() error {
			if err := add(tx, "SEQ0000001", 3); err != nil {
				return err
			}
			if err := add(tx, "SEQ0000002", 1); err != nil {
				return err
			}
			return errRollback
		})
		if undone != errRollback {
			t.Errorf("savepoint: %v", undone)
		}
		if err := add(tx, "SEQ0000001", 1); err != nil {
			return err
		}
		return add(tx, "SEQ0000002", 2)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return add(tx, "SEQ0000001", 1) }); err != nil {
		t.Fatal(err)
	}
	// Three enterprises' receipts, one of them new: their counters are
	// stepped in one statement and the receipts written in another, besides
	// begin and commit.
	before := db.WriterStats().Statements
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		for code, n := range map[string]int{"SEQ0000003": 2, "SEQ0000002": 1, "SEQ0000001": 3} {
			if err := add(tx, code, n); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if ran := db.WriterStats().Statements - before; ran != 4 {
		t.Errorf("a transaction with three enterprises' receipts ran %d statements, want 4 (begin, the counters, the receipts, commit)", ran)
	}
	for code, want := range map[string]int{"SEQ0000001": 7, "SEQ0000002": 3, "SEQ0000003": 2} {
		got, err := db.Receipts(ctx, code, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range got {
			if r.Seq != int64(i+1) {
				t.Errorf("%s: receipt %d numbered %d", code, i+1, r.Seq)
			}
		}
		if len(got) != want {
			t.Errorf("%s: %d receipts, want %d", code, len(got), want)
		}
	}
}

// A message stored without its answer's text gets, asked again, the answer
// rebuilt from its receipts in the feed, byte for byte; one stored with a
// text (an envelope's answer) gets that text.
func testMessageAnswer(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 12, 0, 0, 987654321, shanghai)
	keys := []ceb.Keys{
		{"guid": "B0000000-0000-4000-8000-000000000001", "logisticsCode": "LOG0000001", "logisticsNo": "LN-1"},
		{"guid": "B0000000-0000-4000-8000-000000000002", "logisticsCode": "LOG0000001", "logisticsNo": "LN-2"},
	}
	sts := []receipt.Status{{ReturnStatus: "2", ReturnInfo: "[Code:1800;Desc:accepted]"}, {ReturnStatus: "100", ReturnInfo: "[Code:1102;Desc:no such]"}}
	built, err := receipt.Build("CEB512Message", keys, sts, now)
	if err != nil {
		t.Fatal(err)
	}
	want, err := built.Text()
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		// Another message's receipt first, so that the feed does not start at the message.
		if err := tx.AddReceipt(ctx, &store.Receipt{EnterpriseCode: "LOG0000001", MessageType: "X", ReturnStatus: "2", XML: "<x/>", CreatedAt: now}); err != nil {
			return err
		}
		feed := make([]*store.Receipt, len(keys))
		for i := range keys {
			feed[i] = &store.Receipt{EnterpriseCode: "LOG0000001", MessageType: "CEB512Message", ReturnStatus: sts[i].ReturnStatus,
				ReturnInfo: sts[i].ReturnInfo, Packed: built.PerDoc[i], CreatedAt: now}
		}
		if err := tx.AddReceipts(ctx, feed); err != nil {
			return err
		}
		// Its row is written once the receipts are numbered, at commit.
		tx.InsertAnsweredMessage(&store.Message{ID: "M1", Sender: "LOG0000001", Guid: "G1", Type: "CEB511Message", ReceivedAt: now,
			Body: []byte("sealed"), HTTPStatus: 200, ReceiptGuid: built.Guid, ReceiptCount: len(feed)}, feed[0])
		return tx.InsertMessage(ctx, &store.Message{ID: "M2", Sender: "LOG0000001", Guid: "G2", Type: "CEB511Message", ReceivedAt: now,
			Body: []byte("sealed"), HTTPStatus: 200, Receipt: "<DxpMsg/>"})
	})
	if err != nil {
		t.Fatal(err)
	}
	for guid, want := range map[string]string{"G1": string(want), "G2": "<DxpMsg/>"} {
		status, got, found, err := db.MessageAnswer(ctx, "LOG0000001", guid)
		if err != nil || !found || status != 200 || got != want {
			t.Errorf("answer to %s: %d %v %v\n%s\nwant\n%s", guid, status, found, err, got, want)
		}
	}
	if _, _, found, err := db.MessageAnswer(ctx, "LOG0000001", "G3"); found || err != nil {
		t.Errorf("an unknown guid: found %v, %v", found, err)
	}
}

// Receipts stored packed, with texts and packed mixed in one call, come
// back from the feed with their text, byte for byte what the sender was
// answered, numbered in order.
func testPackedReceipts(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 12, 0, 0, 123456789, shanghai)
	keys := []ceb.Keys{
		{"guid": "A0000000-0000-4000-8000-000000000001", "ebpCode": "EBP0000001", "ebcCode": "EBC0000001", "orderNo": "O-1"},
		{"guid": "A0000000-0000-4000-8000-000000000002", "ebpCode": "EBP0000001", "ebcCode": "EBC0000001", "orderNo": "O-2 & <3>"},
	}
	sts := []receipt.Status{{ReturnStatus: "2", ReturnInfo: "[Code:1800;Desc:accepted]"}, {ReturnStatus: "100", ReturnInfo: "[Code:1101;Desc:exists & differs]"}}
	var want []string
	var rs []*store.Receipt
	for i := range keys {
		one, err := receipt.Build("CEB312Message", keys[i:i+1], sts[i:i+1], now)
		if err != nil {
			t.Fatal(err)
		}
		text, err := one.Text()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, string(text))
		rs = append(rs, &store.Receipt{EnterpriseCode: "FEED000002", MessageType: "CEB312Message", OrderNo: keys[i]["orderNo"],
			ReturnStatus: sts[i].ReturnStatus, ReturnInfo: sts[i].ReturnInfo, Packed: one.PerDoc[0], CreatedAt: now})
	}
	// More than one multi-row insert's worth, numbered on without a gap.
	for i := range 38 {
		text := fmt.Sprintf("<text n=\"%d\"/>", i)
		want = append(want, text)
		rs = append(rs, &store.Receipt{EnterpriseCode: "FEED000002", MessageType: "RecallNotice", ReturnStatus: "1", XML: text, CreatedAt: now})
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.AddReceipts(ctx, rs) }); err != nil {
		t.Fatal(err)
	}
	got, err := db.Receipts(ctx, "FEED000002", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("feed has %d receipts, want %d", len(got), len(want))
	}
	for i, r := range got {
		if r.Seq != int64(i+1) || r.XML != want[i] {
			t.Errorf("receipt %d: seq %d, text\n%s\nwant\n%s", i+1, r.Seq, r.XML, want[i])
		}
	}
	bad := &store.Receipt{EnterpriseCode: "FEED000002", MessageType: "CEB312Message", ReturnStatus: "2", CreatedAt: now}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.AddReceipt(ctx, bad) }); err == nil {
		t.Error("a receipt with neither text nor packed form was stored")
	}
}

// InsertDocument stores a new document and reports a second one under the
// same kind and keys as not inserted, leaving the first untouched.
func testInsertDocument(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, shanghai)
	doc := func(hash string) *store.Document {
		return &store.Document{Kind: "order", K1: "EBP0000001", K2: "ORDER-1", OrderNo: "ORDER-1", Sender: "EBP0000001",
			AppType: "1", ContentHash: hash, Data: []byte(`{"hash":"` + hash + `"}`), MessageID: "M-" + hash, CreatedAt: at, UpdatedAt: at}
	}
	for i, want := range []bool{true, false} {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			inserted, err := tx.InsertDocument(ctx, doc([]string{"first", "second"}[i]))
			if err == nil && inserted != want {
				t.Errorf("insert %d: inserted = %v, want %v", i+1, inserted, want)
			}
			return err
		})
		if err != nil {
			t.Fatalf("insert %d: %v", i+1, err)
		}
	}
	order, _, _, err := db.DocumentsFor(ctx, "EBP0000001", "ORDER-1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if order == nil || order.ContentHash != "first" || string(order.Data) != `{"hash":"first"}` || order.MessageID != "M-first" {
		t.Errorf("stored order = %+v, want the first one unchanged", order)
	}
}

// Documents new to the platform are stored several to a statement; one whose
// key is taken is reported not stored and left as it was, and the others of
// its statement are stored all the same. Only a statement that found a key
// taken reads its keys back; one that stored all its rows does not.
func testInsertNewDocuments(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, shanghai)
	doc := func(kind, k2, hash string) *store.Document {
		return &store.Document{Kind: kind, K1: "EBP0000001", K2: k2, OrderNo: k2, Sender: "EBP0000001",
			AppType: "1", ContentHash: hash, Data: []byte(`{"hash":"` + hash + `"}`), MessageID: "M-" + hash, CreatedAt: at, UpdatedAt: at}
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.InsertDocument(ctx, doc("order", "O-2", "earlier"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// More than one statement's worth, the taken key among them.
	var ds []*store.Document
	for i := range 20 {
		ds = append(ds, doc("order", fmt.Sprintf("O-%d", i), fmt.Sprint("new-", i)))
	}
	ds = append(ds, doc("waybill", "O-2", "a waybill")) // same keys, another kind
	var stored []bool
	before := db.WriterStats().Statements
	if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
		stored, err = tx.InsertNewDocuments(ctx, ds)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := db.WriterStats().Statements - before - 2; n != 3 { // begin and commit
		t.Errorf("%d statements for %d documents, one key taken, want 3 (16 rows a statement, and the first one's keys read back)", n, len(ds))
	}
	for i, d := range ds {
		if want := d.K2 != "O-2" || d.Kind == "waybill"; stored[i] != want {
			t.Errorf("%s %s: stored = %v, want %v", d.Kind, d.K2, stored[i], want)
		}
	}
	var fresh []*store.Document
	for i := range 20 {
		fresh = append(fresh, doc("payment", fmt.Sprintf("O-%d", i), fmt.Sprint("paid-", i)))
	}
	before = db.WriterStats().Statements
	if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
		stored, err = tx.InsertNewDocuments(ctx, fresh)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := db.WriterStats().Statements - before - 2; n != 2 {
		t.Errorf("%d statements for %d new documents, want 2 (16 rows a statement, nothing read back)", n, len(fresh))
	}
	if slices.Contains(stored, false) {
		t.Errorf("new documents reported not stored: %v", stored)
	}
	// Read back several in one statement, a missing key left out.
	keys := []store.WaitKey{{K1: "EBP0000001", K2: "O-2"}, {K1: "EBP0000001", K2: "O-3"}, {K1: "EBP0000001", K2: "O-19"}, {K1: "EBP0000001", K2: "none"}}
	got := Documents(t, db, "order", keys)
	if len(got) != 3 {
		t.Errorf("read %d orders, want 3", len(got))
	}
	for i, hash := range []string{"earlier", "new-3", "new-19"} {
		if d := got[keys[i]]; d == nil || d.Kind != "order" || d.ContentHash != hash || string(d.Data) != `{"hash":"`+hash+`"}` {
			t.Errorf("order %s = %+v; want content %q", keys[i].K2, d, hash)
		}
	}
}

// An update that changes no indexed column leaves those columns out of its
// statement (UpdateInventory): the look-ups by order, waybill, invt_no and
// logistics_no must find the row as it is after every kind of update — one
// that keeps them, one that changes them (a modification), two in one
// transaction, and one of an inventory built in memory, never read.
func testUpdatesKeepTheIndexesTrue(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	v := &store.Inventory{ID: "k1", AgentCode: "AGENT00001", CopNo: "C1", EbpCode: "EBP0000001", OrderNo: "O1",
		LogisticsCode: "LOG0000001", LogisticsNo: "W1", InvtNo: "I1", Status: "120", WaitUntil: at, CreatedAt: at, UpdatedAt: at}
	write := func(f func(tx *store.Tx) error) {
		t.Helper()
		if err := db.InTx(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	found := func(orderNo, logisticsNo, invtNo, status string) {
		t.Helper()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			o, err := tx.InventoryForOrder(ctx, "EBP0000001", orderNo)
			if err != nil {
				return err
			}
			w, err := tx.InventoryForWaybill(ctx, "LOG0000001", logisticsNo)
			if err != nil {
				return err
			}
			i, err := tx.InventoryByInvtNo(ctx, invtNo)
			if err != nil {
				return err
			}
			for what, got := range map[string]*store.Inventory{"order " + orderNo: o, "waybill " + logisticsNo: w, "invt_no " + invtNo: i} {
				if got == nil || got.ID != "k1" || got.Status != status {
					t.Errorf("by %s: %+v, want k1 in %s", what, got, status)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	write(func(tx *store.Tx) error { return tx.InsertInventory(ctx, v) })
	found("O1", "W1", "I1", "120")

	read, err := db.Inventory(ctx, "k1")
	if err != nil {
		t.Fatal(err)
	}
	read.Status = "300" // a decision: no indexed column changes
	write(func(tx *store.Tx) error { return tx.UpdateInventory(ctx, read) })
	found("O1", "W1", "I1", "300")

	read.OrderNo, read.LogisticsNo, read.InvtNo, read.Status = "O2", "W2", "I2", "120" // a modification
	write(func(tx *store.Tx) error {
		if err := tx.UpdateInventory(ctx, read); err != nil {
			return err
		}
		read.Status = "800" // and a decision in the same transaction
		if err := tx.UpdateInventory(ctx, read); err != nil {
			return err
		}
		read.OrderNo = "O3" // and another change of a key
		return tx.UpdateInventory(ctx, read)
	})
	found("O3", "W2", "I2", "800")

	// Built in memory, never read: its keys are written whatever they are.
	built := &store.Inventory{ID: "k1", AgentCode: "AGENT00001", CopNo: "C1", EbpCode: "EBP0000001", OrderNo: "O4",
		LogisticsCode: "LOG0000001", LogisticsNo: "W1", InvtNo: "I1", Status: "899", Version: read.Version,
		WaitUntil: at, CreatedAt: at, UpdatedAt: at}
	write(func(tx *store.Tx) error { return tx.UpdateInventory(ctx, built) })
	found("O4", "W1", "I1", "899")
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, o := range []string{"O1", "O2", "O3"} {
			if got, err := tx.InventoryForOrder(ctx, "EBP0000001", o); err != nil || got != nil {
				t.Errorf("order %s still finds %+v (%v)", o, got, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// JSON compressed before the writer's transaction (EncodeJSON, SetData) is
// stored as made; JSON changed after it was set is compressed anew, so a
// row never stores bytes of other JSON than its Data. The key values a row's
// columns hold are stored once, in the columns, and the JSON reads back
// byte for byte; a JSON whose value is not its column's keeps its own.
func testPackedBeforeTheWriter(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, shanghai)
	order, changed := `{"orderNo":"O1","ebpCode":"EBP0000001","goodsValue":"10.00"}`, `{"orderNo":"O1","goodsValue":"99.00"}`
	waybill := `{"logisticsCode":"LOG0000001","logisticsNo":"LN1","orderNo":"O1","consignee":{"h":"ab","m":"陈*"}}`
	inventory := `{"copNo":"C1","orderNo":"O1","ebpCode":"EBP0000001","ebcCode":"EBC0000001","logisticsCode":"LOG0000001","logisticsNo":"LN1","agentCode":"AGENT00001","lines":[{"orderNo":"not a key"}]}`
	encoded := func(kind, text string) store.PackedJSON {
		j, err := store.EncodeJSON(kind, json.RawMessage(text))
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	doc := func(kind, k1, k2, orderNo, text string) *store.Document {
		d := &store.Document{Kind: kind, K1: k1, K2: k2, OrderNo: orderNo, Sender: k1, AppType: "1", CreatedAt: at, UpdatedAt: at}
		d.SetData(encoded(kind, text))
		return d
	}
	kept := doc("order", "EBP0000001", "O1", "O1", order)
	moved := doc("order", "EBP0000001", "O2", "O2", order)
	moved.Data, moved.Value = []byte(changed), nil
	other := doc("order", "EBP0000001", "O3", "O3", order) // its JSON says O1: stored as it is
	wb := doc("waybill", "LOG0000001", "LN1", "O1", waybill)
	inv := &store.Inventory{ID: "i1", AgentCode: "AGENT00001", CopNo: "C1", Status: "120", WaitUntil: at, CreatedAt: at, UpdatedAt: at}
	inv.SetData(encoded("inventory", `{"copNo":"C1"}`))
	full := &store.Inventory{ID: "i2", AgentCode: "AGENT00001", CopNo: "C2", EbpCode: "EBP0000001", OrderNo: "O1", EbcCode: "EBC0000001",
		LogisticsCode: "LOG0000001", LogisticsNo: "LN1", Status: "120", WaitUntil: at, CreatedAt: at, UpdatedAt: at}
	full.SetData(encoded("inventory", inventory)) // its copNo, C1, is not its column's
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, d := range []*store.Document{kept, moved, other, wb} {
			if _, err := tx.InsertDocument(ctx, d); err != nil {
				return err
			}
		}
		for _, v := range []*store.Inventory{inv, full} {
			if err := tx.InsertInventory(ctx, v); err != nil {
				return err
			}
		}
		inv.Data, inv.Value = []byte(`{"copNo":"C1","changed":true}`), nil
		return tx.UpdateInventory(ctx, inv)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, w := range []struct{ kind, k1, k2, want string }{
			{"order", "EBP0000001", "O1", order}, {"order", "EBP0000001", "O2", changed}, {"order", "EBP0000001", "O3", order},
			{"waybill", "LOG0000001", "LN1", waybill},
		} {
			d, err := tx.Document(ctx, w.kind, w.k1, w.k2)
			if err != nil {
				return err
			}
			if string(d.Data) != w.want {
				t.Errorf("%s %s: read %s, want %s", w.kind, w.k2, d.Data, w.want)
			}
		}
		// A decision leaves the JSON as read: the row's bytes are stored again.
		v, err := tx.InventoryByID(ctx, "i2")
		if err != nil {
			return err
		}
		v.Status, v.Event = "800", &store.Event{At: at, Status: "800", Actor: "test"}
		return tx.UpdateInventory(ctx, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"i1": `{"copNo":"C1","changed":true}`, "i2": inventory} {
		if got, err := db.Inventory(ctx, id); err != nil || string(got.Data) != want {
			t.Errorf("inventory %s: %v %s, want %s", id, err, got.Data, want)
		}
	}
}

// Documents reads the documents of kind under keys in a write transaction
// (Tx.Documents), failing the test on an error.
func Documents(t testing.TB, db *store.DB, kind string, keys []store.WaitKey) map[store.WaitKey]*store.Document {
	t.Helper()
	var got map[store.WaitKey]*store.Document
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
		got, err = tx.Documents(ctx, kind, keys)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return got
}
