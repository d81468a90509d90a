package engine

import (
	"context"
	"fmt"
	"github.com/cbec-platform/cbec/internal/errs"

	"github.com/cbec-platform/cbec/internal/store"
)

// Put records a status decided outside the judgement, in tx: an emergency
// hold of an inventory still waiting (120 → 300), or the end of that hold
// (300 → 120, pending again, so that the engine judges it afresh). It writes
// the status, its event and a CEB622 receipt; no effect runs and the quota is
// not touched, because a judgement follows before any release. Wake the
// inventory after the commit when pending is set.
func (e *Engine) Put(ctx context.Context, tx *store.Tx, inv *store.Inventory, o Outcome, pending bool, actor string) (err error) {
	defer errs.Wrap(&err, "engine.Put")
	doc, err := decodeInventory(inv)
	if err != nil {
		return err
	}
	inv.Pending = pending
	if err := e.write(ctx, tx, inv, doc, o, actor, e.Now()); err != nil {
		return fmt.Errorf("record status %s of %s: %w", o.Status, inv.CopNo, err)
	}
	return nil
}
