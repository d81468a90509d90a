package bonded

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// A stock change without a movement (here: a direct write) shows as a
// discrepancy on its item's line, explained with the month's movements.
func TestReconcileExplainsDiscrepancy(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := context.Background()
	batch := db.NewBatcher(1, 4)
	t.Cleanup(batch.Close)
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, cst)
	s := &Service{DB: db, Batch: batch, Parties: anyone{}, Products: filedAll{}, Now: func() time.Time { return now },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := s.CreateBook(ctx, "EMS1", "Z1", "book"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddItems(ctx, "EMS1", []NewItem{{ItemRecordNo: "A", ItemNo: "a", Name: "甲"}, {ItemRecordNo: "B", ItemNo: "b", Name: "乙"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordEntries(ctx, "admin", []Entry{{EntryNo: "E1", EmsNo: "EMS1", Source: "json",
		Items: []EntryLine{{ItemRecordNo: "A", Qty: "10"}, {ItemRecordNo: "B", Qty: "4"}}}}); err != nil {
		t.Fatal(err)
	}
	now = now.AddDate(0, 1, 0) // December: a later entry must not disturb November
	if _, err := s.RecordEntries(ctx, "admin", []Entry{{EntryNo: "E2", EmsNo: "EMS1", Source: "json", Items: []EntryLine{{ItemRecordNo: "A", Qty: "5"}}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE bonded_items SET on_hand_milli = on_hand_milli - 1000 WHERE ems_no = 'EMS1' AND item_record_no = 'B'`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Reconcile(ctx, "EMS1", "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	a, b := r.Lines[0], r.Lines[1]
	if a.Closing != "10.000" || a.BookClosing != "10.000" || a.Discrepancy != "0.000" {
		t.Errorf("item A: %+v", a)
	}
	if r.Balanced || b.Closing != "4.000" || b.BookClosing != "3.000" || b.Discrepancy != "-1.000" ||
		!strings.Contains(b.Explanation, "without a movement record") || len(b.Moves) != 1 {
		t.Errorf("item B: %+v", b)
	}
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil || !strings.Contains(buf.String(), "EMS1,2026-11,B,乙,0.000,4.000,0.000,0.000,0.000,4.000,3.000,-1.000,") {
		t.Errorf("CSV: %v\n%s", err, buf.String())
	}
}
