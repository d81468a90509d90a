package bonded

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/engine"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// Bonded reports whether an inventory draws on an account book.
func Bonded(doc *clearance.Inventory) bool { return doc != nil && doc.TradeMode == "1210" }

// Effects returns the engine effects of bonded import, in the order they must
// run: reserve stock when an inventory is accepted (and give it back when it
// is rejected), debit the guarantee on release (or hold the inventory), then
// deduct the reserved stock on release. Reserving first means a parcel without
// stock is refused before any money moves; deducting last means a release the
// guarantee holds back keeps its stock reserved, not taken.
func (s *Service) Effects() []engine.Effect {
	return []engine.Effect{reserveEffect{s}, guaranteeEffect{s}, deductEffect{s}}
}

type reserveEffect struct{ s *Service }

// Locks names the stock rows of a bonded inventory's items (engine.Locker);
// the effect that deducts them names the same.
func (reserveEffect) Locks(d *engine.Decision) []string { return stockRows(d.Doc) }

func stockRows(doc *clearance.Inventory) []string {
	if !Bonded(doc) {
		return nil
	}
	keys := make([]string, len(doc.Lines))
	for i, l := range doc.Lines {
		keys[i] = store.BondedItemRow(doc.EmsNo, l.ItemRecordNo)
	}
	return keys
}

// Apply reserves the stock of every line of a bonded inventory that is
// accepted (120 → 300, 500, 800), all lines or none; a rejection (→ 100) gives
// back what it held.
func (e reserveEffect) Apply(ctx context.Context, tx *store.Tx, d *engine.Decision, from, to string) (_ *engine.Outcome, err error) {
	if !Bonded(d.Doc) {
		return nil, nil
	}
	defer errs.Wrap(&err, "bonded.reserve(%s, %s→%s)", d.Inventory.ID, from, to)
	if to == "100" {
		return nil, unreserve(ctx, tx, d.Inventory.ID, d.Now)
	}
	if from != "120" {
		return nil, nil
	}
	// Lines in item order: two inventories naming the same items lock their rows in the same order.
	lines := slices.Clone(d.Doc.Lines)
	slices.SortStableFunc(lines, func(a, b clearance.InventoryLine) int { return strings.Compare(a.ItemRecordNo, b.ItemRecordNo) })
	held, err := holdStates(ctx, tx, d.Inventory.ID)
	if err != nil {
		return nil, err
	}
	emsNo, ebcCode := d.Doc.EmsNo, d.Doc.EbcCode
	var wanted []clearance.InventoryLine
	var wants []store.StockWant
	for _, l := range lines {
		if s := held[l.Gnum]; s == "reserved" || s == "out" {
			continue // reserved before (an officer's decision after a review)
		}
		if emsNo == "" || l.ItemRecordNo == "" {
			return refuse("1370", "InventoryList[%d]: a 1210 inventory needs emsNo and itemRecordNo (emsNo=%q, itemRecordNo=%q)", l.Gnum, emsNo, l.ItemRecordNo), nil
		}
		qty, err := ParseQty("qty", l.Qty.String())
		if err != nil {
			return refuse("1370", "InventoryList[%d].qty=%s: %v", l.Gnum, l.Qty, err), nil
		}
		wanted = append(wanted, l)
		wants = append(wants, store.StockWant{Item: l.ItemRecordNo, Qty: qty})
	}
	if len(wants) == 0 {
		return nil, nil
	}
	// The stock of an item is its e-commerce enterprise's own (rules §12).
	refused, err := tx.ReserveBondedLines(ctx, emsNo, ebcCode, wants)
	if err != nil {
		return nil, err
	}
	if refused >= 0 {
		return whyRefused(ctx, tx, emsNo, ebcCode, wanted[refused], wants[refused].Qty)
	}
	for i, l := range wanted {
		// A line freed before (a rejection) is reserved anew from nothing returned.
		err := tx.PutBondedHold(ctx, &store.BondedHold{InventoryID: d.Inventory.ID, Gnum: l.Gnum, EmsNo: emsNo, ItemRecordNo: l.ItemRecordNo,
			QtyMilli: wants[i].Qty, State: "reserved", UpdatedAt: d.Now})
		if err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// whyRefused says why line l's qty could not be reserved: the book has no
// such item, it is another enterprise's, or too little of it is available.
func whyRefused(ctx context.Context, tx *store.Tx, emsNo, ebcCode string, l clearance.InventoryLine, qty int64) (*engine.Outcome, error) {
	it, err := tx.BondedItem(ctx, emsNo, l.ItemRecordNo)
	if errs.KindOf(err) == errs.NotFound {
		return refuse("1370", "emsNo=%s has no item itemRecordNo=%s", emsNo, l.ItemRecordNo), nil
	}
	if err != nil {
		return nil, err
	}
	if it.EbcCode != ebcCode {
		return refuse("1374", "InventoryList[%d]: emsNo=%s itemRecordNo=%s is not an item of ebcCode=%s", l.Gnum, emsNo, l.ItemRecordNo, ebcCode), nil
	}
	// What this batch has already reserved of it counts, as in the decision.
	available := it.OnHandMilli - it.ReservedMilli + tx.PendingStock(emsNo, l.ItemRecordNo)
	return refuse("1371", "emsNo=%s itemRecordNo=%s: available %s, this inventory needs %s", emsNo, l.ItemRecordNo, Qty(available), Qty(qty)), nil
}

func refuse(code, format string, args ...any) *engine.Outcome {
	return &engine.Outcome{Status: "100", Finding: clearance.Finding{Code: code, Detail: fmt.Sprintf(format, args...)}}
}

func hold(code, format string, args ...any) *engine.Outcome {
	return &engine.Outcome{Status: "300", Finding: clearance.Finding{Code: code, Detail: fmt.Sprintf(format, args...)}}
}

// holdStates reads the states of an inventory's holds by line, in one statement.
func holdStates(ctx context.Context, tx *store.Tx, invID string) (map[int]string, error) {
	hs, err := tx.BondedHolds(ctx, invID)
	if err != nil {
		return nil, err
	}
	states := make(map[int]string, len(hs))
	for _, h := range hs {
		states[h.Gnum] = h.State
	}
	return states, nil
}

// unreserve gives back the stock an inventory holds but has not taken.
func unreserve(ctx context.Context, tx *store.Tx, invID string, now time.Time) error {
	hs, err := tx.BondedHolds(ctx, invID)
	if err != nil {
		return err
	}
	for _, h := range hs {
		if h.State != "reserved" {
			continue
		}
		if err := tx.UnreserveBondedStock(ctx, h.EmsNo, h.ItemRecordNo, h.QtyMilli); err != nil {
			return err
		}
		if err := tx.SetBondedHoldState(ctx, invID, h.Gnum, "freed", now); err != nil {
			return err
		}
	}
	return nil
}

type deductEffect struct{ s *Service }

// Locks names the same stock rows as the reservation (engine.Locker).
func (deductEffect) Locks(d *engine.Decision) []string { return stockRows(d.Doc) }

// Apply takes the reserved stock out of the book when the inventory is released.
func (e deductEffect) Apply(ctx context.Context, tx *store.Tx, d *engine.Decision, from, to string) (_ *engine.Outcome, err error) {
	if !Bonded(d.Doc) || to != "800" {
		return nil, nil
	}
	defer errs.Wrap(&err, "bonded.deduct(%s)", d.Inventory.ID)
	hs, err := tx.BondedHolds(ctx, d.Inventory.ID)
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		if h.State != "reserved" {
			continue
		}
		if err := tx.UnreserveBondedStock(ctx, h.EmsNo, h.ItemRecordNo, h.QtyMilli); err != nil {
			return nil, err
		}
		ref := "inventory " + d.Inventory.InvtNo
		if err := move(ctx, tx, h.EmsNo, h.ItemRecordNo, "out", -h.QtyMilli, ref, "released", d.Now); err != nil {
			return nil, err
		}
		if err := tx.SetBondedHoldState(ctx, d.Inventory.ID, h.Gnum, "out", d.Now); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// giveBack returns released stock to the book: qty per gnum (nil: everything not yet returned).
func giveBack(ctx context.Context, tx *store.Tx, invID, invtNo string, qty map[int]int64, ref string, now time.Time) error {
	hs, err := tx.BondedHolds(ctx, invID)
	if err != nil {
		return err
	}
	for _, h := range hs {
		if h.State != "out" {
			continue
		}
		q := h.QtyMilli - h.ReturnedMilli
		if qty != nil {
			q = min(qty[h.Gnum], q)
		}
		if q <= 0 {
			continue
		}
		if err := move(ctx, tx, h.EmsNo, h.ItemRecordNo, "returned", q, ref, "inventory "+invtNo, now); err != nil {
			return err
		}
		if err := tx.AddBondedHoldReturned(ctx, invID, h.Gnum, q, now); err != nil {
			return err
		}
	}
	return nil
}
