package engine

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// Outcome is a status with its reason.
type Outcome struct {
	Status  string
	Finding clearance.Finding
}

// Decision is what checks and effects see of an inventory being decided.
type Decision struct {
	Inventory *store.Inventory     // as stored, with the computed amounts; its Status is the old one
	Doc       *clearance.Inventory // the declared inventory
	Case      *clearance.Case      // its documents and parties; nil for an officer's transition
	Verdict   clearance.Verdict    // zero for an officer's transition
	Class     enterprise.CreditClass
	Now       time.Time
}

// Check examines a passed inventory before the buyer's limits are reserved:
// risk rules, emergency measures. A non-nil outcome rejects it (100) or holds
// it (300, 500) instead of releasing it; a rejection ends the checks. A check
// may set what the inventory's row keeps of its own work (RiskCountedAt): the
// decision's update of the row writes it, or the rollback drops it.
type Check interface {
	Check(ctx context.Context, tx *store.Tx, d *Decision) (*Outcome, error)
}

// Locker is a Check or Effect that writes rows many inventories share (a
// buyer's risk counters, an item's stock, a guarantee): it names them before
// the transaction (store.HotRow), so that writers running at once lock them
// in one order. One that writes such rows without naming them still writes
// correctly; it may deadlock with another writer, and its batch runs again.
type Locker interface {
	Locks(d *Decision) []string
}

// Effect acts on a status change inside its transaction: account-book stock,
// guarantee, traceability codes. It may refuse the change by returning another
// outcome (e.g. 100 for missing stock), which is then recorded instead.
type Effect interface {
	Apply(ctx context.Context, tx *store.Tx, d *Decision, from, to string) (*Outcome, error)
}

// transitions lists the status changes an officer may make (rules §9):
// manual review ends in release or rejection; inspection in release,
// rejection or detention (501–599); a detained parcel may still be released.
var transitions = map[string][]string{
	"300": {"800", "100", "500"},
	"500": {"800", "100", "501", "502", "503", "599"},
	"501": {"800", "100"}, "502": {"800", "100"}, "503": {"800", "100"}, "599": {"800", "100"},
}

// Transition moves an inventory decided by a person: an officer's review or
// inspection result. The effects and the quota follow as for automatic decisions.
func (e *Engine) Transition(ctx context.Context, inventoryID, to string, f clearance.Finding, actor string) (_ *store.Inventory, err error) {
	defer errs.Wrap(&err, "engine.Transition(%q)", inventoryID)
	return e.transition(ctx, inventoryID, to, f, actor, false)
}

// TransitionUnlessThere is Transition for a decision that two callers may
// reach alike at the same moment (the two sides of a joint inspection): an
// inventory already in status to, as the transaction reads it, is left as it
// is and returned.
func (e *Engine) TransitionUnlessThere(ctx context.Context, inventoryID, to string, f clearance.Finding, actor string) (_ *store.Inventory, err error) {
	defer errs.Wrap(&err, "engine.TransitionUnlessThere(%q)", inventoryID)
	return e.transition(ctx, inventoryID, to, f, actor, true)
}

func (e *Engine) transition(ctx context.Context, inventoryID, to string, f clearance.Finding, actor string, unlessThere bool) (*store.Inventory, error) {
	var out *store.Inventory
	err := e.Batch.Do(ctx, func(tx *store.Tx) error {
		inv, err := tx.InventoryByID(ctx, inventoryID)
		if err != nil {
			return err
		}
		if unlessThere && inv.Status == to {
			out = inv
			return nil
		}
		if !slices.Contains(transitions[inv.Status], to) {
			return errs.New(errs.Conflict, "transition_not_allowed", "status",
				"an inventory in status %s cannot go to %s (allowed: %v)", inv.Status, to, transitions[inv.Status])
		}
		doc, err := decodeInventory(inv)
		if err != nil {
			return err
		}
		now := e.Now()
		o, err := e.settle(ctx, tx, &Decision{Inventory: inv, Doc: doc, Now: now}, inv.Status, Outcome{Status: to, Finding: f}, "")
		if err != nil {
			return err
		}
		if err := e.write(ctx, tx, inv, doc, o, actor, now); err != nil {
			return fmt.Errorf("record transition of %s: %w", inv.CopNo, err)
		}
		out = inv
		return nil
	})
	return out, err
}
