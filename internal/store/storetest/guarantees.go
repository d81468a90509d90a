package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("Guarantees", runGuarantees) }

// The tax guarantees of bonded import (package bonded): guarantors'
// accounts, lodged guarantees, the history of the balance, the debit of an
// inventory's tax at release and the overdue bills that block a guarantor.
func runGuarantees(t *testing.T, open Opener) {
	t.Run("LodgeDebitCredit", func(t *testing.T) { testGuaranteeLodgeDebitCredit(t, open(t)) })
	t.Run("History", func(t *testing.T) { testGuaranteeHistory(t, open(t)) })
	t.Run("TaxDebits", func(t *testing.T) { testGuaranteeTaxDebits(t, open(t)) })
	t.Run("OverdueBills", func(t *testing.T) { testGuaranteeOverdueBills(t, open(t)) })
}

// guaranteeLodge lodges amount fen for guarantor code at at.
func guaranteeLodge(t *testing.T, db *store.DB, id, code string, amount int64, at time.Time) {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.LodgeGuarantee(ctx, &store.Guarantee{ID: id, AssureCode: code, AmountFen: amount, Reference: "BG-" + id, ValidUntil: "2027-12-31", CreatedAt: at})
	})
	if err != nil {
		t.Fatalf("lodge %s: %v", id, err)
	}
}

func testGuaranteeLodgeDebitCredit(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if _, err := db.GuaranteeAccount(ctx, "ASSURE0001"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("account before any guarantee: %v, want not found", err)
	}
	guaranteeLodge(t, db, "G2", "ASSURE0001", 1000000, ledgerT0.Add(time.Hour))
	guaranteeLodge(t, db, "G1", "ASSURE0001", 50000, ledgerT0)
	guaranteeLodge(t, db, "G3", "ASSURE0002", 700, ledgerT0)
	at := ledgerT0.Add(2 * time.Hour)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, c := range []struct {
			code   string
			amount int64
			want   bool
		}{
			{"ASSURE0001", 1049999, true},
			{"ASSURE0001", 2, false}, // 1 fen left
			{"ASSURE0001", 1, true},  // down to zero
			{"ASSURE0009", 1, false}, // no account
		} {
			ok, err := tx.DebitGuarantee(ctx, c.code, c.amount, at)
			if err != nil {
				return err
			}
			if ok != c.want {
				t.Errorf("debit %d of %s: %v, want %v", c.amount, c.code, ok, c.want)
			}
		}
		if err := tx.CreditGuarantee(ctx, "ASSURE0001", 300, at.Add(time.Minute)); err != nil {
			return err
		}
		if bal, err := tx.GuaranteeBalance(ctx, "ASSURE0001"); err != nil || bal != 300 {
			t.Errorf("balance in a transaction: %d %v, want 300", bal, err)
		}
		if _, err := tx.GuaranteeBalance(ctx, "ASSURE0009"); errs.KindOf(err) != errs.NotFound {
			t.Errorf("balance without an account: %v, want not found", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.GuaranteeAccount(ctx, "ASSURE0001")
	if err != nil || a.BalanceFen != 300 || a.LodgedFen != 1050000 || a.DebitedFen != 1050000 || a.CreditedFen != 300 || !a.UpdatedAt.Equal(at.Add(time.Minute)) {
		t.Errorf("account: %+v %v", a, err)
	}
	gs, err := db.Guarantees(ctx, "ASSURE0001")
	if err != nil || len(gs) != 2 || gs[0].ID != "G1" || gs[1].ID != "G2" {
		t.Fatalf("guarantees, oldest first: %+v %v", gs, err)
	}
	if g := gs[1]; g.AssureCode != "ASSURE0001" || g.AmountFen != 1000000 || g.Reference != "BG-G2" || g.ValidUntil != "2027-12-31" || !g.CreatedAt.Equal(ledgerT0.Add(time.Hour)) {
		t.Errorf("guarantee read back: %+v", g)
	}
	if gs, err := db.Guarantees(ctx, "ASSURE0009"); err != nil || len(gs) != 0 {
		t.Errorf("guarantees of another: %+v %v", gs, err)
	}
}

func testGuaranteeHistory(t *testing.T, db *store.DB) {
	ctx := context.Background()
	guaranteeLodge(t, db, "G1", "ASSURE0001", 10000, ledgerT0)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertInventory(ctx, &store.Inventory{ID: "INV1", AgentCode: "AGENT00001", CopNo: "C1", InvtNo: "INVT1", Status: "800",
			CreatedAt: ledgerT0, UpdatedAt: ledgerT0})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, c := range []struct {
			change store.GuaranteeChange
			debit  int64
			want   int64
		}{
			{store.GuaranteeChange{Kind: "lodged", AmountFen: 10000, Ref: "BG-G1", Note: "guarantee G1"}, 0, 10000},
			{store.GuaranteeChange{Kind: "debit", AmountFen: 2500, InventoryID: "INV1", Ref: "INVT1", Note: "released"}, 2500, 7500},
			{store.GuaranteeChange{Kind: "debit", AmountFen: 100, InventoryID: "GONE", Ref: "INVT9", Note: "released"}, 100, 7400},
		} {
			if c.debit > 0 {
				if _, err := tx.DebitGuarantee(ctx, "ASSURE0001", c.debit, ledgerT0); err != nil {
					return err
				}
			}
			c.change.AssureCode, c.change.At = "ASSURE0001", ledgerT0.Add(time.Minute)
			bal, err := tx.AddGuaranteeChange(ctx, &c.change)
			if err != nil {
				return err
			}
			if bal != c.want {
				t.Errorf("%s %d: balance %d, want %d", c.change.Kind, c.change.AmountFen, bal, c.want)
			}
		}
		_, err := tx.AddGuaranteeChange(ctx, &store.GuaranteeChange{AssureCode: "ASSURE0009", Kind: "credit", AmountFen: 1, At: ledgerT0})
		if errs.KindOf(err) != errs.NotFound {
			t.Errorf("change of a guarantor without an account: %v, want not found", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := db.GuaranteeHistory(ctx, "ASSURE0001")
	if err != nil || len(hs) != 3 {
		t.Fatalf("history: %+v %v", hs, err)
	}
	var got []string
	for _, h := range hs {
		got = append(got, fmt.Sprintf("%s %d %d %s|%s|%s", h.Kind, h.AmountFen, h.BalanceFen, h.InventoryID, h.InvtNo, h.Ref))
	}
	// The inventory number is read from the inventory: "" for one not on record.
	if fmt.Sprint(got) != "[lodged 10000 10000 ||BG-G1 debit 2500 7500 INV1|INVT1|INVT1 debit 100 7400 GONE||INVT9]" {
		t.Errorf("history in order: %v", got)
	}
	if h := hs[1]; h.AssureCode != "ASSURE0001" || h.Note != "released" || !h.At.Equal(ledgerT0.Add(time.Minute)) || h.ID <= hs[0].ID {
		t.Errorf("history line read back: %+v", h)
	}
}

func testGuaranteeTaxDebits(t *testing.T, db *store.DB) {
	ctx := context.Background()
	d := &store.TaxLine{InventoryID: "INV1", AssureCode: "ASSURE0001", InvtNo: "INVT1", CopNo: "C1", EbcCode: "EBC0000001", AgentCode: "AGENT00001",
		CustomsCode: "8012", ReleasedAt: ledgerT0, DutyFen: 0, CTFen: 1200, VATFen: 3300, TaxFen: 4500, Lines: []byte(`[{"gnum":1}]`)}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if l, err := tx.TaxLine(ctx, "INV1"); err != nil || l != nil {
			t.Errorf("before the debit: %+v %v", l, err)
		}
		if err := tx.InsertTaxLine(ctx, d); err != nil {
			return err
		}
		if l, err := tx.TaxLine(ctx, "INV1"); err != nil || l == nil || l.State != "open" || l.TaxFen != 4500 || string(l.Lines) != `[{"gnum":1}]` {
			t.Errorf("after the debit: %+v %v", l, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertTaxLine(ctx, d) }); errs.KindOf(err) != errs.Conflict {
		t.Errorf("second debit of an inventory: %v, want a conflict", err)
	}
	var code, invtNo, copNo, ebc, agent, customs, lines, state, billNo string
	var duty, ct, vat, tax int64
	var released, updated store.Time
	err = db.QueryRow(ctx, `SELECT assure_code, invt_no, cop_no, ebc_code, agent_code, customs_code, released_at, duty_fen, ct_fen, vat_fen, tax_fen,
		lines, state, bill_no, updated_at FROM tax_lines WHERE inventory_id = $1`, "INV1").
		Scan(&code, &invtNo, &copNo, &ebc, &agent, &customs, &released, &duty, &ct, &vat, &tax, &lines, &state, &billNo, &updated)
	if err != nil || code != "ASSURE0001" || invtNo != "INVT1" || copNo != "C1" || ebc != "EBC0000001" || agent != "AGENT00001" || customs != "8012" ||
		!released.Equal(ledgerT0) || duty != 0 || ct != 1200 || vat != 3300 || tax != 4500 || lines != `[{"gnum":1}]` ||
		state != "open" || billNo != "" || !updated.Equal(ledgerT0) {
		t.Errorf("tax line read back: %s %s %s %s %s %s %v %d %d %d %d %s %s %q %v %v",
			code, invtNo, copNo, ebc, agent, customs, released, duty, ct, vat, tax, lines, state, billNo, updated, err)
	}
}

func testGuaranteeOverdueBills(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := ledgerT0.Add(30 * 24 * time.Hour)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, b := range []struct {
			no, code, status string
			due              time.Time
		}{
			{"B1", "ASSURE0001", "paid", now.Add(-72 * time.Hour)},    // paid: never overdue
			{"B2", "ASSURE0001", "overdue", now.Add(-24 * time.Hour)}, // due second
			{"B3", "ASSURE0001", "issued", now.Add(-48 * time.Hour)},  // due first
			{"B4", "ASSURE0001", "issued", now.Add(time.Hour)},        // not due yet
			{"B5", "ASSURE0002", "issued", now.Add(time.Hour)},
		} {
			if _, err := tx.Exec(ctx, `INSERT INTO tax_bills (bill_no, assure_code, issued_at, due_at, total_fen, line_count, status, paid_at, payment_ref)
				VALUES ($1, $2, $3, $4, 100, 1, $5, NULL, '')`, b.no, b.code, ledgerT0, b.due, b.status); err != nil {
				return err
			}
		}
		if no, err := tx.GuarantorOverdueBill(ctx, "ASSURE0001", now); err != nil || no != "B3" {
			t.Errorf("overdue bill in a transaction: %q %v, want B3", no, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		code string
		at   time.Time
		want string
	}{
		{"ASSURE0001", now, "B3"},
		{"ASSURE0001", now.Add(-48 * time.Hour), ""}, // B3 falls due exactly then: not yet overdue
		{"ASSURE0002", now, ""},
		{"ASSURE0002", now.Add(2 * time.Hour), "B5"},
		{"ASSURE0009", now, ""},
	} {
		if no, err := db.GuarantorOverdueBill(ctx, c.code, c.at); err != nil || no != c.want {
			t.Errorf("overdue bill of %s at %v: %q %v, want %q", c.code, c.at, no, err, c.want)
		}
	}
}
