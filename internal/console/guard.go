package console

import (
	"context"
	"encoding/json"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/risk"
	"github.com/cbec-platform/cbec/internal/store"
)

// RiskGuard refuses an officer's release while an emergency measure holds the
// inventory, as the risk API's officer decision does.
func RiskGuard(r *risk.Service) func(ctx context.Context, inv *store.Inventory, to string) error {
	return func(ctx context.Context, inv *store.Inventory, to string) error {
		if r == nil || to != "800" {
			return nil
		}
		var doc clearance.Inventory
		if err := json.Unmarshal(inv.Data, &doc); err != nil {
			return err
		}
		if m := r.Blocking(&doc); m != nil {
			return errs.New(errs.Conflict, "measure_in_force", "status",
				"emergency measure %s (%s %s) holds this inventory; lift the measure, or reject the inventory", m.ID, m.Kind, m.Value)
		}
		if inv.ReasonCode == "2420" {
			return errs.New(errs.Conflict, "measure_hold", "status",
				"the inventory was held by an emergency measure before it was judged; lifting the measure sends it back to judgement")
		}
		return nil
	}
}
