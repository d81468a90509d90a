package risk

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// Two nodes on one database: a rule enabled on one runs on the other after
// its next refresh, without restart; compiled once, not per inventory.
func TestRuleChangeReachesOtherNodes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		one := &Service{DB: db, Now: time.Now, Log: log}
		two := &Service{DB: db, Now: time.Now, Log: log}
		for _, s := range []*Service{one, two} {
			if err := s.Reload(ctx); err != nil {
				t.Fatal(err)
			}
		}
		expr, action := "dutiable_fen > 100", ActionReview
		r, err := one.CreateRule(ctx, RuleInput{Name: ptr("n"), Expr: &expr, Action: &action, Author: "张警官"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := one.SetRuleState(ctx, r.ID, "active", "张警官"); err != nil {
			t.Fatal(err)
		}
		if one.ActiveRules() != 1 || two.ActiveRules() != 0 {
			t.Fatalf("before refresh: %d, %d", one.ActiveRules(), two.ActiveRules())
		}
		if err := two.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if two.ActiveRules() != 1 {
			t.Fatalf("after refresh: %d", two.ActiveRules())
		}
		before := two.current()
		if err := two.Refresh(ctx); err != nil || two.current() != before {
			t.Errorf("a refresh without change must keep the snapshot: %v", err)
		}
		if _, err := two.SetRuleState(ctx, r.ID, "disabled", "张警官"); err != nil {
			t.Fatal(err)
		}
		if err := one.Refresh(ctx); err != nil || one.ActiveRules() != 0 {
			t.Errorf("disabled on the other node: %d %v", one.ActiveRules(), err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// A stored inventory that does not decode fails the dry-run, naming it,
// instead of being left out of the count.
func TestDryRunReturnsDecodeErrors(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		s := &Service{DB: db, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		expr, action := "dutiable_fen > 100", ActionReview
		r, err := s.CreateRule(ctx, RuleInput{Name: ptr("n"), Expr: &expr, Action: &action, Author: "张警官"})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertInventory(ctx, &store.Inventory{ID: "inv-bad", AgentCode: "AGENT00001", CopNo: "COP1", Status: "800",
				Data: []byte("{not json"), CreatedAt: time.Now(), UpdatedAt: time.Now()})
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.DryRun(ctx, r.ID, 1); err == nil || !strings.Contains(err.Error(), "decode inventory inv-bad") {
			t.Errorf("dry-run over an undecodable inventory: %v", err)
		}
	})
}
