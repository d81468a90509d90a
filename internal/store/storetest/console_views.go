package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("ConsoleViews", runConsoleViews) }

// The officers' console's reads of other areas' tables: the dashboard, the
// inventory search, a sealed message and the list of account books.
func runConsoleViews(t *testing.T, open Opener) {
	t.Run("Dashboard", func(t *testing.T) { testDashboard(t, open(t)) })
	t.Run("InventorySearch", func(t *testing.T) { testInventorySearch(t, open(t)) })
	t.Run("MessageBodyAndBooks", func(t *testing.T) { testMessageBodyAndBooks(t, open(t)) })
}

var viewT0 = time.Date(2026, 11, 27, 0, 0, 0, 0, shanghai)

func testDashboard(t *testing.T, db *store.DB) {
	ctx := context.Background()
	released := viewT0.Add(3*time.Hour + 1500*time.Millisecond)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, v := range []*store.Inventory{
			{ID: "yesterday", CopNo: "C0", Status: "800", CreatedAt: viewT0.Add(-time.Second), UpdatedAt: viewT0},
			{ID: "rel", CopNo: "C1", Status: "800", CreatedAt: viewT0.Add(3 * time.Hour), UpdatedAt: released, ReleasedAt: &released},
			{ID: "rej", CopNo: "C2", Status: "100", ReasonCode: "1302", CreatedAt: viewT0.Add(4 * time.Hour), UpdatedAt: viewT0.Add(4 * time.Hour)},
			{ID: "insp", CopNo: "C3", Status: "501", CreatedAt: viewT0.Add(5 * time.Hour), UpdatedAt: viewT0.Add(5 * time.Hour)},
		} {
			if err := tx.InsertInventory(ctx, v); err != nil {
				return err
			}
		}
		// Through 500 twice (counted once), and one of yesterday's (not counted).
		for _, e := range []struct{ id, status string }{{"insp", "500"}, {"insp", "500"}, {"insp", "501"}, {"yesterday", "500"}, {"rel", "800"}} {
			if err := tx.AddEvent(ctx, e.id, viewT0.Add(6*time.Hour), e.status, "", "", "engine"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.DashboardInventories(ctx, viewT0)
	if err != nil || len(got) != 3 {
		t.Fatalf("declared today: %+v %v", got, err)
	}
	by := map[string]store.DeclaredInventory{}
	for _, v := range got {
		by[v.Status] = v
	}
	if v := by["800"]; v.ReleasedAt == nil || !v.ReleasedAt.Equal(released) || !v.CreatedAt.Equal(viewT0.Add(3*time.Hour)) {
		t.Errorf("released inventory: %+v", v)
	}
	if v := by["100"]; v.ReasonCode != "1302" || v.ReleasedAt != nil {
		t.Errorf("rejected inventory: %+v", v)
	}
	if n, err := db.DashboardInspected(ctx, viewT0); err != nil || n != 1 {
		t.Errorf("inspected today: %d %v, want 1", n, err)
	}
	if n, err := db.DashboardInspected(ctx, viewT0.Add(-24*time.Hour)); err != nil || n != 2 {
		t.Errorf("inspected since yesterday: %d %v, want 2", n, err)
	}
}

func testInventorySearch(t *testing.T, db *store.DB) {
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := range 103 {
			v := &store.Inventory{ID: fmt.Sprintf("inv%03d", i), CopNo: fmt.Sprintf("COP%03d", i), OrderNo: fmt.Sprintf("ORD%03d", i),
				LogisticsNo: fmt.Sprintf("W%03d", i), InvtNo: fmt.Sprintf("INVT%03d", i), Status: "120",
				CreatedAt: viewT0.Add(time.Duration(i) * time.Minute), UpdatedAt: viewT0}
			if i%10 == 0 {
				v.Status = "800"
			}
			if err := tx.InsertInventory(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q, status string
		want      []string
	}{
		{"COP007", "", []string{"inv007"}},
		{"ORD008", "", []string{"inv008"}},
		{"W009", "", []string{"inv009"}},
		{"INVT011", "", []string{"inv011"}},
		{"COP007", "800", nil},
		{"", "800", []string{"inv100", "inv090", "inv080", "inv070", "inv060", "inv050", "inv040", "inv030", "inv020", "inv010", "inv000"}},
		{"nothing", "", nil},
	} {
		got, err := db.SearchInventoryIDs(ctx, c.q, c.status)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("search %q %q: %v %v, want %v", c.q, c.status, got, err, c.want)
		}
	}
	// Without a filter: the newest 100.
	if got, err := db.SearchInventoryIDs(ctx, "", ""); err != nil || len(got) != 100 || got[0] != "inv102" || got[99] != "inv003" {
		t.Errorf("latest: %d ids from %v, %v", len(got), got[:min(len(got), 1)], err)
	}
}

func testMessageBodyAndBooks(t *testing.T, db *store.DB) {
	ctx := context.Background()
	sealed := []byte{0x00, 0x01, 0xfe, 0xff, 'x'}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertMessage(ctx, &store.Message{ID: "msg1", Sender: "1105910159", Guid: "G1", Type: "CEB621Message",
			ReceivedAt: viewT0, Body: sealed, HTTPStatus: 200, Receipt: "<r/>"}); err != nil {
			return err
		}
		for _, b := range []store.BookHead{{EmsNo: "T8001", OperatorCode: "500166000A", Name: "二号仓"}, {EmsNo: "T0001", OperatorCode: "500166000B", Name: "一号仓"}} {
			if _, err := tx.Exec(ctx, `INSERT INTO bonded_books (ems_no, operator_code, name, created_at) VALUES ($1, $2, $3, $4)`,
				b.EmsNo, b.OperatorCode, b.Name, viewT0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if body, err := db.SealedMessageBody(ctx, "msg1"); err != nil || !slices.Equal(body, sealed) {
		t.Errorf("sealed body: %x %v", body, err)
	}
	if _, err := db.SealedMessageBody(ctx, "msg9"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("pruned message: %v, want not found", err)
	}
	books, err := db.BookHeads(ctx)
	if err != nil || !slices.Equal(books, []store.BookHead{{EmsNo: "T0001", OperatorCode: "500166000B", Name: "一号仓"}, {EmsNo: "T8001", OperatorCode: "500166000A", Name: "二号仓"}}) {
		t.Errorf("books by number: %+v %v", books, err)
	}
}
