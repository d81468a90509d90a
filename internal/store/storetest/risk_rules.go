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

func init() { addSuite("RiskRules", runRiskRules) }

// The risk rules' tables (package risk): rules with their versions, the
// generation and score threshold other nodes reload by, and the inventories
// a dry-run reads.
func runRiskRules(t *testing.T, open Opener) {
	t.Run("RuleRoundTripAndVersions", func(t *testing.T) { testRiskRuleRoundTrip(t, open(t)) })
	t.Run("RuleLists", func(t *testing.T) { testRiskRuleLists(t, open(t)) })
	t.Run("GenerationAndThreshold", func(t *testing.T) { testRiskState(t, open(t)) })
	t.Run("InventoriesSince", func(t *testing.T) { testInventoryIDsSince(t, open(t)) })
}

var riskT0 = time.Date(2026, 11, 27, 9, 30, 0, 250000000, time.UTC)

func riskRule(id string, created time.Time) *store.RiskRule {
	return &store.RiskRule{ID: id, Name: "大额奶粉 " + id, Version: 1, Expr: `dutiable_fen > 400000`, Action: "review", TradeModes: []string{},
		Districts: []string{}, State: "draft", Author: "张警官", CreatedAt: created, UpdatedAt: created}
}

// writeRule stores a new rule with its first version, as package risk does.
func writeRule(t *testing.T, db *store.DB, r *store.RiskRule) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		if err := tx.InsertRiskRule(context.Background(), r); err != nil {
			return err
		}
		return tx.InsertRiskRuleVersion(context.Background(), r)
	})
	if err != nil {
		t.Fatalf("write rule %s: %v", r.ID, err)
	}
}

func testRiskRuleRoundTrip(t *testing.T, db *store.DB) {
	ctx := context.Background()
	from, to := riskT0.Add(time.Hour).In(shanghai), riskT0.Add(48*time.Hour).In(shanghai)
	r := riskRule("R1", riskT0)
	r.Action, r.Score, r.TradeModes, r.Districts, r.ValidFrom, r.ValidTo, r.Note = "score", 40, []string{"9610", "1210"}, []string{"8010"}, &from, &to, "试行"
	writeRule(t, db, r)
	got, err := db.RiskRule(ctx, "R1")
	if err != nil || got.Name != r.Name || got.Version != 1 || got.Expr != r.Expr || got.Action != "score" || got.Score != 40 ||
		!slices.Equal(got.TradeModes, []string{"9610", "1210"}) || !slices.Equal(got.Districts, []string{"8010"}) ||
		got.ValidFrom == nil || !got.ValidFrom.Equal(from) || got.ValidTo == nil || !got.ValidTo.Equal(to) || got.State != "draft" ||
		got.Author != "张警官" || got.Note != "试行" || !got.CreatedAt.Equal(riskT0) || !got.UpdatedAt.Equal(riskT0) {
		t.Fatalf("read back: %+v %v", got, err)
	}
	if _, err := db.RiskRule(ctx, "nope"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("missing rule: %v, want not found", err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertRiskRule(ctx, riskRule("R1", riskT0)) }); errs.KindOf(err) != errs.Conflict {
		t.Errorf("repeated id: %v, want a conflict", err)
	}
	// A change: read in the transaction, written over version 1 only.
	changed := riskT0.Add(time.Minute)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		r, err := tx.RiskRule(ctx, "R1")
		if err != nil {
			return err
		}
		r.Version, r.State, r.ValidFrom, r.ValidTo, r.TradeModes, r.UpdatedAt = 2, "active", nil, nil, []string{}, changed
		if ok, err := tx.UpdateRiskRule(ctx, r); err != nil || !ok {
			return fmt.Errorf("update: %v %w", ok, err)
		}
		if ok, err := tx.UpdateRiskRule(ctx, r); err != nil || ok {
			return fmt.Errorf("second update of the same version: %v %w", ok, err)
		}
		if _, err := tx.RiskRule(ctx, "nope"); errs.KindOf(err) != errs.NotFound {
			return fmt.Errorf("missing rule in a transaction: %w", err)
		}
		return tx.InsertRiskRuleVersion(ctx, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err = db.RiskRule(ctx, "R1")
	if err != nil || got.Version != 2 || got.State != "active" || got.ValidFrom != nil || got.ValidTo != nil || len(got.TradeModes) != 0 ||
		got.TradeModes == nil || !got.CreatedAt.Equal(riskT0) || !got.UpdatedAt.Equal(changed) {
		t.Errorf("after update: %+v %v", got, err)
	}
	vs, err := db.RiskRuleVersions(ctx, "R1")
	if err != nil || len(vs) != 2 || vs[0].Version != 1 || vs[0].State != "draft" || !vs[0].CreatedAt.Equal(riskT0) ||
		vs[1].Version != 2 || vs[1].State != "active" || !vs[1].CreatedAt.Equal(changed) || !vs[1].UpdatedAt.Equal(changed) {
		t.Errorf("versions: %+v %v", vs, err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertRiskRuleVersion(ctx, got) }); errs.KindOf(err) != errs.Conflict {
		t.Errorf("repeated version: %v, want a conflict", err)
	}
	if vs, err := db.RiskRuleVersions(ctx, "nope"); err != nil || len(vs) != 0 {
		t.Errorf("versions of no rule: %+v %v", vs, err)
	}
}

func testRiskRuleLists(t *testing.T, db *store.DB) {
	ctx := context.Background()
	for i, id := range []string{"R3", "R1", "R2"} {
		r := riskRule(id, riskT0.Add(time.Duration(i)*time.Minute))
		if id == "R1" {
			r.State = "active"
		}
		writeRule(t, db, r)
	}
	ids := func(list []*store.RiskRule) []string {
		var out []string
		for _, r := range list {
			out = append(out, r.ID)
		}
		return out
	}
	for state, want := range map[string][]string{"": {"R3", "R1", "R2"}, "draft": {"R3", "R2"}, "active": {"R1"}, "disabled": nil} {
		list, err := db.RiskRules(ctx, state)
		if err != nil || !slices.Equal(ids(list), want) || list == nil {
			t.Errorf("rules %q: %v %v, want %v in the order written", state, ids(list), err, want)
		}
	}
}

func testRiskState(t *testing.T, db *store.DB) {
	ctx := context.Background()
	gen, err := db.RiskGeneration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, set, err := db.RiskScoreThreshold(ctx); err != nil || set || n != 0 {
		t.Errorf("threshold never set: %d %v %v", n, set, err)
	}
	for _, n := range []int64{300, 250} {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.SetRiskScoreThreshold(ctx, n); err != nil {
				return err
			}
			return tx.BumpRiskGeneration(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, set, err := db.RiskScoreThreshold(ctx); err != nil || !set || got != n {
			t.Errorf("threshold: %d %v %v, want %d", got, set, err, n)
		}
	}
	// The threshold is a row of its own: it does not move the generation.
	if got, err := db.RiskGeneration(ctx); err != nil || got != gen+2 {
		t.Errorf("generation after two bumps: %d %v, want %d", got, err, gen+2)
	}
}

func testInventoryIDsSince(t *testing.T, db *store.DB) {
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := range 5 {
			v := &store.Inventory{ID: fmt.Sprintf("inv%d", i), AgentCode: "AGENT00001", CopNo: fmt.Sprintf("COP%d", i), OrderNo: fmt.Sprintf("ORD%d", i),
				LogisticsNo: fmt.Sprintf("W%d", i), Status: "120", CreatedAt: riskT0.Add(time.Duration(i) * time.Hour), UpdatedAt: riskT0}
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
		since time.Time
		limit int
		want  []string
	}{
		{riskT0.Add(2 * time.Hour), 10, []string{"inv4", "inv3", "inv2"}},
		{riskT0, 2, []string{"inv4", "inv3"}},
		{riskT0.Add(5 * time.Hour), 10, nil},
	} {
		got, err := db.InventoryIDsSince(ctx, c.since, c.limit)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("since %s, %d: %v %v, want %v", c.since, c.limit, got, err, c.want)
		}
	}
}
