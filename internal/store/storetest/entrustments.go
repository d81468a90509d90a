package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("Entrustments", runEntrustments) }

// runEntrustments checks the registry of who declares for whom (rules §12):
// round trip with and without an end, listing for either party, the validity
// window, and revocation in force at once.
func runEntrustments(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai)
	until := time.Date(2027, 12, 31, 23, 59, 59, 0, shanghai)
	bounded := &store.Entrustment{ID: "e1", EbcCode: "1105910159", AgentCode: "330766K00Q", ValidFrom: from, ValidUntil: &until, CreatedAt: from}
	endless := &store.Entrustment{ID: "e2", EbcCode: "2105910159", AgentCode: "330766K00Q", ValidFrom: from, CreatedAt: from.Add(time.Second)}
	for _, e := range []*store.Entrustment{bounded, endless} {
		if err := db.AddEntrustment(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Entrustment(ctx, "e1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.ValidFrom.Equal(from) || got.ValidUntil == nil || !got.ValidUntil.Equal(until) || got.RevokedAt != nil || got.AgentCode != "330766K00Q" {
		t.Errorf("round trip: %+v", got)
	}
	if got, err := db.Entrustment(ctx, "e2"); err != nil || got.ValidUntil != nil {
		t.Errorf("without end: %+v %v", got, err)
	}
	if _, err := db.Entrustment(ctx, "nosuch"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("unknown id: want not found, got %v", err)
	}
	if list, err := db.Entrustments(ctx, "330766K00Q"); err != nil || len(list) != 2 || list[0].ID != "e2" {
		t.Errorf("the agent's list: %v %v", list, err)
	}
	if list, err := db.Entrustments(ctx, "1105910159"); err != nil || len(list) != 1 || list[0].ID != "e1" {
		t.Errorf("the ebc's list: %v %v", list, err)
	}
	entrusted := func(ebc, agent string, at time.Time) bool {
		t.Helper()
		var ok bool
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			ok, err = tx.Entrusted(ctx, ebc, agent, at)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for _, c := range []struct {
		ebc, agent string
		at         time.Time
		want       bool
	}{
		{"1105910159", "330766K00Q", from, true},
		{"1105910159", "330766K00Q", until, true},
		{"1105910159", "330766K00Q", from.Add(-time.Second), false},
		{"1105910159", "330766K00Q", until.Add(time.Second), false},
		{"2105910159", "330766K00Q", until.AddDate(10, 0, 0), true},
		{"1105910159", "4401962010", from, false},
		{"330766K00Q", "1105910159", from, false},
	} {
		if got := entrusted(c.ebc, c.agent, c.at); got != c.want {
			t.Errorf("entrusted(%s, %s, %s) = %v, want %v", c.ebc, c.agent, c.at, got, c.want)
		}
	}
	revokedAt := from.Add(time.Hour)
	if err := db.RevokeEntrustment(ctx, "e1", revokedAt); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeEntrustment(ctx, "e1", revokedAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if entrusted("1105910159", "330766K00Q", from.Add(time.Minute)) {
		t.Error("a revoked entrustment is still in force")
	}
	if got, err := db.Entrustment(ctx, "e1"); err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(revokedAt) {
		t.Errorf("revoked: %+v %v", got, err)
	}
	if !entrusted("2105910159", "330766K00Q", from) {
		t.Error("revoking one entrustment ended another")
	}
}
