package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("BondedTallies", runBondedTallies) }

// The tallies of bonded import (package bonded): what a zone operator
// recorded as arrived, declared later by an entry.
func runBondedTallies(t *testing.T, open Opener) {
	t.Run("RoundTripAndDeclare", func(t *testing.T) { testBondedTallyRoundTrip(t, open(t)) })
	t.Run("Numbered", func(t *testing.T) { testBondedTalliesNumbered(t, open(t)) })
	t.Run("Lists", func(t *testing.T) { testBondedTallyLists(t, open(t)) })
}

func tallyRecord(t *testing.T, db *store.DB, tl *store.BondedTally) {
	t.Helper()
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertBondedTally(ctx, tl) }); err != nil {
		t.Fatalf("record tally %s of %s: %v", tl.TallyNo, tl.OperatorCode, err)
	}
}

func newTally(no, operator string, created time.Time) *store.BondedTally {
	return &store.BondedTally{TallyNo: no, EmsNo: "T5000W000001", OperatorCode: operator, Items: `[{"itemRecordNo":"A1","qty":"10"}]`,
		Deadline: created.Add(24 * time.Hour), Differences: "[]", CreatedAt: created}
}

func testBondedTallyRoundTrip(t *testing.T, db *store.DB) {
	ctx := context.Background()
	tallyRecord(t, db, newTally("TL1", "ZONE000001", ledgerT0))
	declared := ledgerT0.Add(3 * time.Hour).In(time.UTC)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		tl, err := tx.BondedTally(ctx, "ZONE000001", "TL1")
		if err != nil {
			return err
		}
		if tl.EmsNo != "T5000W000001" || tl.Items != `[{"itemRecordNo":"A1","qty":"10"}]` || !tl.Deadline.Equal(ledgerT0.Add(24*time.Hour)) ||
			tl.EntryNo != "" || tl.Differences != "[]" || !tl.CreatedAt.Equal(ledgerT0) || tl.DeclaredAt != nil {
			t.Errorf("tally read back: %+v", tl)
		}
		// Tally numbers are each operator's own.
		if _, err := tx.BondedTally(ctx, "ZONE000002", "TL1"); errs.KindOf(err) != errs.NotFound {
			t.Errorf("another operator's tally: %v, want not found", err)
		}
		if err := tx.DeclareBondedTally(ctx, "ZONE000001", "TL1", "E1", `[{"itemRecordNo":"A1"}]`, declared); err != nil {
			return err
		}
		tl, err = tx.BondedTally(ctx, "ZONE000001", "TL1")
		if err != nil {
			return err
		}
		if tl.EntryNo != "E1" || tl.Differences != `[{"itemRecordNo":"A1"}]` || tl.DeclaredAt == nil || !tl.DeclaredAt.Equal(declared) {
			t.Errorf("declared tally: %+v", tl)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertBondedTally(ctx, newTally("TL1", "ZONE000001", ledgerT0)) })
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("repeated tally: %v, want a conflict", err)
	}
}

func testBondedTalliesNumbered(t *testing.T, db *store.DB) {
	ctx := context.Background()
	for _, op := range []string{"ZONE000003", "ZONE000001", "ZONE000002"} {
		tallyRecord(t, db, newTally("TL1", op, ledgerT0))
	}
	tallyRecord(t, db, newTally("TL2", "ZONE000002", ledgerT0))
	for _, c := range []struct{ operator, no, want string }{
		{"ZONE000002", "TL1", "[ZONE000002]"},
		{"", "TL1", "[ZONE000001 ZONE000002]"}, // at most two: enough to tell one from several
		{"", "TL2", "[ZONE000002]"},
		{"ZONE000001", "TL2", "[]"},
		{"", "TL9", "[]"},
	} {
		ts, err := db.BondedTalliesNumbered(ctx, c.operator, c.no)
		var got []string
		for _, tl := range ts {
			got = append(got, tl.OperatorCode)
		}
		if err != nil || fmt.Sprint(got) != c.want {
			t.Errorf("tallies %s of %q: %v %v, want %s", c.no, c.operator, got, err, c.want)
		}
	}
}

func testBondedTallyLists(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := ledgerT0.Add(48 * time.Hour)
	// T1: declared in time; T2: declared late, with differences; T3: not declared, overdue;
	// T4: not declared, within its deadline; T5: another operator's, overdue.
	for i, op := range []string{"ZONE000001", "ZONE000001", "ZONE000001", "ZONE000001", "ZONE000002"} {
		created := ledgerT0.Add(time.Duration(i) * time.Hour)
		tl := newTally(fmt.Sprintf("T%d", i+1), op, created)
		if i == 3 {
			tl.Deadline = now.Add(time.Hour)
		}
		tallyRecord(t, db, tl)
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeclareBondedTally(ctx, "ZONE000001", "T1", "E1", "[]", ledgerT0.Add(time.Hour)); err != nil {
			return err
		}
		return tx.DeclareBondedTally(ctx, "ZONE000001", "T2", "E2", `[{"itemRecordNo":"A1"}]`, ledgerT0.Add(30*time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    store.BondedTallyFilter
		want string
	}{
		{store.BondedTallyFilter{}, "[T5 T4 T3 T2 T1]"},
		{store.BondedTallyFilter{Operator: "ZONE000001"}, "[T4 T3 T2 T1]"},
		{store.BondedTallyFilter{OverdueAt: now}, "[T5 T3 T2]"},
		{store.BondedTallyFilter{Operator: "ZONE000001", OverdueAt: now}, "[T3 T2]"},
		{store.BondedTallyFilter{Differences: true}, "[T2]"},
		{store.BondedTallyFilter{Operator: "ZONE000002", Differences: true}, "[]"},
	} {
		ts, err := db.BondedTallies(ctx, c.f)
		var got []string
		for _, tl := range ts {
			got = append(got, tl.TallyNo)
		}
		if err != nil || fmt.Sprint(got) != c.want {
			t.Errorf("tallies %+v: %v %v, want %s", c.f, got, err, c.want)
		}
	}
}
