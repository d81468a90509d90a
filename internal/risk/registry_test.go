package risk

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// registries are a working one over db (where nobody is registered) and one
// over a database that is closed: a lookup in it fails.
func registries(t *testing.T, open storetest.Opener, db *store.DB) (works, fails *enterprise.Cache) {
	t.Helper()
	gone := open(t)
	gone.Close()
	return enterprise.NewCache(db, time.Minute), enterprise.NewCache(gone, time.Minute)
}

// A platform's direct-connect standing reads its credit from the registry:
// an unregistered platform has none, but a registry that does not answer is
// an error, not a platform that is not eligible.
func TestDirectWithoutRegistry(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		works, fails := registries(t, open, db)
		s := &Service{DB: db, Parties: fails, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if st, err := s.Direct(ctx, "EBP0000001"); err == nil {
			t.Errorf("standing %+v without asking the registry", st)
		}
		s.Parties = works
		if st, err := s.Direct(ctx, "EBP0000001"); err != nil || st.Eligible {
			t.Errorf("unregistered platform: %+v, %v", st, err)
		}
	})
}

// A dry-run evaluates a rule with the inventory's parties as they are now:
// a registry that does not answer fails the dry-run, instead of evaluating
// every inventory as if its parties were not registered (so that a rule on
// their credit silently hits nothing).
func TestDryRunWithoutRegistry(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		works, fails := registries(t, open, db)
		s := &Service{DB: db, Parties: fails, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		expr, action := "dutiable_fen > 100", ActionReview
		r, err := s.CreateRule(ctx, RuleInput{Name: ptr("n"), Expr: &expr, Action: &action, Author: "张警官"})
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(&clearance.Inventory{CopNo: "COP1", OrderNo: "ORD1", EbpCode: "EBP0000001", EbcCode: "EBC0000001", AgentCode: "AGENT00001"})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertInventory(ctx, &store.Inventory{ID: "inv-1", AgentCode: "AGENT00001", CopNo: "COP1", EbpCode: "EBP0000001", OrderNo: "ORD1",
				EbcCode: "EBC0000001", Status: "800", DutiableFen: 5000, Data: data, CreatedAt: time.Now(), UpdatedAt: time.Now()})
		})
		if err != nil {
			t.Fatal(err)
		}
		if out, err := s.DryRun(ctx, r.ID, 1); err == nil || !strings.Contains(err.Error(), "inventory inv-1") {
			t.Errorf("dry-run without a registry: %+v, %v; want an error naming the inventory", out, err)
		}
		s.Parties = works
		if out, err := s.DryRun(ctx, r.ID, 1); err != nil || out.Evaluated != 1 {
			t.Errorf("unregistered parties: %+v, %v", out, err)
		}
	})
}
