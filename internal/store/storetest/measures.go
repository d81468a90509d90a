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

func init() { addSuite("Measures", runMeasures) }

// The emergency measures' tables (package risk): measures, the inventories
// they hold, the inventories waiting they may hold, and the hits of rules
// and measures recorded for each inventory.
func runMeasures(t *testing.T, open Opener) {
	t.Run("MeasureRoundTripAndEnds", func(t *testing.T) { testMeasureRoundTrip(t, open(t)) })
	t.Run("MeasureLists", func(t *testing.T) { testMeasureLists(t, open(t)) })
	t.Run("HoldsAndWaiting", func(t *testing.T) { testMeasureHolds(t, open(t)) })
	t.Run("Hits", func(t *testing.T) { testRiskHits(t, open(t)) })
}

func emergencyMeasure(id string, created time.Time) *store.EmergencyMeasure {
	return &store.EmergencyMeasure{ID: id, Kind: "hs_prefix", Value: "0402", Action: "hold", Reason: "疫情", LegalBasis: "海关总署公告 2026 年第 1 号",
		Author: "李警官", StartsAt: created, State: "active", CreatedAt: created}
}

func startMeasure(t *testing.T, db *store.DB, m *store.EmergencyMeasure) {
	t.Helper()
	if err := db.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertMeasure(context.Background(), m) }); err != nil {
		t.Fatalf("start measure %s: %v", m.ID, err)
	}
}

func testMeasureRoundTrip(t *testing.T, db *store.DB) {
	ctx := context.Background()
	ends := riskT0.Add(72 * time.Hour).In(shanghai)
	m := emergencyMeasure("M1", riskT0)
	m.Kind, m.Value, m.EbcCode, m.StartsAt, m.EndsAt = "product", "MILK-1", "1105910159", riskT0.Add(time.Hour), &ends
	startMeasure(t, db, m)
	got, err := db.Measure(ctx, "M1")
	if err != nil || got.Kind != "product" || got.Value != "MILK-1" || got.EbcCode != "1105910159" || got.Action != "hold" || got.Reason != "疫情" ||
		got.LegalBasis != m.LegalBasis || got.Author != "李警官" || !got.StartsAt.Equal(m.StartsAt) || got.EndsAt == nil || !got.EndsAt.Equal(ends) ||
		got.State != "active" || got.EndedBy != "" || got.EndReason != "" || got.EndedAt != nil || !got.CreatedAt.Equal(riskT0) {
		t.Fatalf("read back: %+v %v", got, err)
	}
	if _, err := db.Measure(ctx, "nope"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("missing measure: %v, want not found", err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertMeasure(ctx, emergencyMeasure("M1", riskT0)) }); errs.KindOf(err) != errs.Conflict {
		t.Errorf("repeated id: %v, want a conflict", err)
	}
	startMeasure(t, db, emergencyMeasure("M2", riskT0))
	lifted := riskT0.Add(2 * time.Hour)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		// Converted once, then lifted once; neither twice.
		for i, want := range []bool{true, false} {
			if ok, err := tx.ConvertMeasure(ctx, "M1", "王警官", "检出"); err != nil || ok != want {
				return fmt.Errorf("convert %d: %v %w", i, ok, err)
			}
		}
		got, err := tx.Measure(ctx, "M1")
		if err != nil || got.State != "converted" || got.Action != "reject" || got.EndedBy != "王警官" || got.EndReason != "检出" || got.EndedAt != nil {
			return fmt.Errorf("converted: %+v %w", got, err)
		}
		for i, want := range []bool{true, false} {
			if ok, err := tx.LiftMeasure(ctx, "M1", "赵警官", "解除", lifted); err != nil || ok != want {
				return fmt.Errorf("lift %d: %v %w", i, ok, err)
			}
		}
		// An active measure is lifted directly; a lifted one cannot be converted.
		if ok, err := tx.LiftMeasure(ctx, "M2", "赵警官", "解除", lifted); err != nil || !ok {
			return fmt.Errorf("lift active: %v %w", ok, err)
		}
		if ok, err := tx.ConvertMeasure(ctx, "M2", "王警官", "检出"); err != nil || ok {
			return fmt.Errorf("convert lifted: %v %w", ok, err)
		}
		if ok, err := tx.LiftMeasure(ctx, "nope", "赵警官", "解除", lifted); err != nil || ok {
			return fmt.Errorf("lift missing: %v %w", ok, err)
		}
		if _, err := tx.Measure(ctx, "nope"); errs.KindOf(err) != errs.NotFound {
			return fmt.Errorf("missing measure in a transaction: %w", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err = db.Measure(ctx, "M1")
	if err != nil || got.State != "lifted" || got.Action != "reject" || got.EndedBy != "赵警官" || got.EndReason != "解除" ||
		got.EndedAt == nil || !got.EndedAt.Equal(lifted) {
		t.Errorf("lifted: %+v %v", got, err)
	}
}

func testMeasureLists(t *testing.T, db *store.DB) {
	ctx := context.Background()
	for i, id := range []string{"M3", "M1", "M2"} {
		startMeasure(t, db, emergencyMeasure(id, riskT0.Add(time.Duration(i)*time.Minute)))
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ConvertMeasure(ctx, "M1", "王警官", "检出"); err != nil {
			return err
		}
		_, err := tx.LiftMeasure(ctx, "M2", "王警官", "解除", riskT0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(list []*store.EmergencyMeasure) []string {
		var out []string
		for _, m := range list {
			out = append(out, m.ID)
		}
		return out
	}
	for state, want := range map[string][]string{"": {"M3", "M1", "M2"}, "active": {"M3"}, "converted": {"M1"}, "lifted": {"M2"}} {
		if list, err := db.Measures(ctx, state); err != nil || !slices.Equal(ids(list), want) {
			t.Errorf("measures %q: %v %v, want %v", state, ids(list), err, want)
		}
	}
	if list, err := db.MeasuresInForce(ctx); err != nil || !slices.Equal(ids(list), []string{"M3", "M1"}) {
		t.Errorf("in force: %v %v, want the active and the converted one", ids(list), err)
	}
}

func testMeasureHolds(t *testing.T, db *store.DB) {
	ctx := context.Background()
	startMeasure(t, db, emergencyMeasure("M1", riskT0))
	startMeasure(t, db, emergencyMeasure("M2", riskT0))
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i, status := range []string{"120", "300", "120", "800"} {
			v := &store.Inventory{ID: fmt.Sprintf("inv%d", i), AgentCode: "AGENT00001", CopNo: fmt.Sprintf("COP%d", i), OrderNo: fmt.Sprintf("ORD%d", i),
				LogisticsNo: fmt.Sprintf("W%d", i), Status: status, CreatedAt: riskT0, UpdatedAt: riskT0}
			if err := tx.InsertInventory(ctx, v); err != nil {
				return err
			}
		}
		waiting, err := tx.WaitingInventoryIDs(ctx)
		slices.Sort(waiting)
		if err != nil || !slices.Equal(waiting, []string{"inv0", "inv2"}) {
			return fmt.Errorf("waiting: %v %w", waiting, err)
		}
		// Holding twice keeps one hold.
		for _, h := range [][2]string{{"M1", "inv0"}, {"M1", "inv1"}, {"M1", "inv0"}, {"M2", "inv2"}} {
			if err := tx.HoldForMeasure(ctx, h[0], h[1], riskT0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for id, want := range map[string][]string{"M1": {"inv0", "inv1"}, "M2": {"inv2"}, "M3": nil} {
			got, err := tx.MeasureHolds(ctx, id)
			slices.Sort(got)
			if err != nil || !slices.Equal(got, want) {
				return fmt.Errorf("holds of %s: %v %w, want %v", id, got, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

func testRiskHits(t *testing.T, db *store.DB) {
	ctx := context.Background()
	hits := []store.RiskHit{
		{Kind: "rule", Ref: "R2", Version: 3, Action: "score", Score: 40, At: riskT0},
		{Kind: "measure", Ref: "M1", Action: "hold", At: riskT0},
		{Kind: "rule", Ref: "R1", Version: 1, Action: "inspect", At: riskT0.Add(-time.Minute)},
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, h := range hits {
			if err := tx.InsertRiskHit(ctx, "inv1", h); err != nil {
				return err
			}
		}
		// The same rule version judged again: the first hit stays.
		again := hits[0]
		again.Score, again.At = 99, riskT0.Add(time.Hour)
		return tx.InsertRiskHit(ctx, "inv1", again)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.RiskHits(ctx, "inv1")
	if err != nil || len(got) != 3 {
		t.Fatalf("hits: %+v %v", got, err)
	}
	// Oldest first, then by kind and ref.
	for i, want := range []store.RiskHit{hits[2], hits[1], hits[0]} {
		if g := got[i]; g.Kind != want.Kind || g.Ref != want.Ref || g.Version != want.Version || g.Action != want.Action || g.Score != want.Score || !g.At.Equal(want.At) {
			t.Errorf("hit %d: %+v, want %+v", i, g, want)
		}
	}
	if got, err := db.RiskHits(ctx, "inv2"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("no hits: %+v %v, want an empty list", got, err)
	}
}
