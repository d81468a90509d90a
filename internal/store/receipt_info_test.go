package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/intake"
	"github.com/cbec-platform/cbec/internal/receipt"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// The answer intake gives every document it accepts is stored as a short
// reference; the feed, a repeated guid's answer and a ticket's link read it
// back as answered, beside a receipt with another text and a row written
// before references (the text in full).
func TestFrequentReturnInfoIsStoredShort(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := open(t)
		now := time.Date(2026, 12, 6, 12, 0, 0, 987654000, time.UTC)
		const code = "EBP0000001"
		keys := []ceb.Keys{
			{"guid": "A0000000-0000-4000-8000-000000000001", "ebpCode": code, "ebcCode": "EBC0000001", "orderNo": "O-1"},
			{"guid": "A0000000-0000-4000-8000-000000000002", "ebpCode": code, "ebcCode": "EBC0000001", "orderNo": "O-2"},
		}
		sts := []receipt.Status{intake.Taken, {ReturnStatus: "100", ReturnInfo: "[Code:1101;Desc:exists & differs]"}}
		built, err := receipt.Build("CEB312Message", keys, sts, now)
		if err != nil {
			t.Fatal(err)
		}
		answer, err := built.Text()
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			feed := make([]*store.Receipt, len(keys))
			for i := range keys {
				feed[i] = &store.Receipt{EnterpriseCode: code, MessageType: "CEB312Message", OrderNo: keys[i]["orderNo"],
					ReturnStatus: sts[i].ReturnStatus, ReturnInfo: sts[i].ReturnInfo, Packed: built.PerDoc[i], CreatedAt: now}
			}
			if err := tx.AddReceipts(ctx, feed); err != nil {
				return err
			}
			tx.InsertAnsweredMessage(&store.Message{ID: "M1", Sender: code, Guid: "G1", Type: "CEB311Message", ReceivedAt: now,
				Body: []byte("sealed"), HTTPStatus: 200, ReceiptGuid: built.Guid, ReceiptCount: len(feed)}, feed[0])
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// A receipt stored before: its text in full.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO receipts (enterprise_code, seq, message_type, cop_no, order_no, return_status, return_info, xml, fields, created_at)
				VALUES ($1, 3, 'X', '', '', '120', $2, '<x/>', '', $3)`, code, intake.Taken.ReturnInfo, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}

		var stored string
		if err := db.QueryRow(ctx, `SELECT return_info FROM receipts WHERE enterprise_code = $1 AND seq = 1`, code).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if len(stored) > 3 {
			t.Errorf("intake's answer stored as %q, %d bytes", stored, len(stored))
		}
		if _, got, _, err := db.MessageAnswer(ctx, code, "G1"); err != nil || got != string(answer) {
			t.Errorf("answer to G1 (%v):\n%s\nwant\n%s", err, got, answer)
		}
		feed, err := db.Receipts(ctx, code, 0, 10)
		if err != nil || len(feed) != 3 {
			t.Fatalf("feed: %d receipts, %v", len(feed), err)
		}
		for i, want := range []string{sts[0].ReturnInfo, sts[1].ReturnInfo, intake.Taken.ReturnInfo} {
			if feed[i].ReturnInfo != want {
				t.Errorf("receipt %d: returnInfo %q, want %q", i+1, feed[i].ReturnInfo, want)
			}
			if info, err := db.ReceiptReturnInfo(ctx, code, int64(i+1)); err != nil || info != want {
				t.Errorf("receipt %d for a ticket: %q %v, want %q", i+1, info, err, want)
			}
		}
		for i := range keys {
			text, err := receipt.Text("CEB312Message", built.PerDoc[i], sts[i], now)
			if err != nil || feed[i].XML != string(text) {
				t.Errorf("receipt %d's text (%v):\n%s\nwant\n%s", i+1, err, feed[i].XML, text)
			}
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return tx.AddReceipt(ctx, &store.Receipt{EnterpriseCode: code, MessageType: "X", ReturnStatus: "1", ReturnInfo: "\x1e0", XML: "<x/>", CreatedAt: now})
		})
		if err == nil {
			t.Error("a returnInfo starting with the reference's mark was stored")
		}
	})
}
