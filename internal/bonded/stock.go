package bonded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/engine"
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

var errNoStock = errors.New("no stock")

// Apply reserves the stock of every line of a bonded inventory that is
// accepted (120 → 300, 500, 800), all lines or none; a rejection (→ 100) gives
// back what it held.
func (e reserveEffect) Apply(ctx context.Context, tx *store.Tx, d *engine.Decision, from, to string) (*engine.Outcome, error) {
	if !Bonded(d.Doc) {
		return nil, nil
	}
	if to == "100" {
		return nil, unreserve(ctx, tx, d.Inventory.ID, d.Now)
	}
	if from != "120" {
		return nil, nil
	}
	var refused *engine.Outcome
	// Lines in item order: two inventories naming the same items lock their rows in the same order.
	lines := slices.Clone(d.Doc.Lines)
	slices.SortStableFunc(lines, func(a, b clearance.InventoryLine) int { return strings.Compare(a.ItemRecordNo, b.ItemRecordNo) })
	err := tx.Savepoint(ctx, "bonded_reserve", func() error {
		for _, l := range lines {
			o, err := reserveLine(ctx, tx, d.Inventory.ID, d.Doc.EmsNo, d.Doc.EbcCode, l, d.Now)
			if err != nil {
				return err
			}
			if o != nil {
				refused = o
				return errNoStock
			}
		}
		return nil
	})
	if errors.Is(err, errNoStock) {
		return refused, nil
	}
	return nil, err
}

func reserveLine(ctx context.Context, tx *store.Tx, invID, emsNo, ebcCode string, l clearance.InventoryLine, now time.Time) (*engine.Outcome, error) {
	if emsNo == "" || l.ItemRecordNo == "" {
		return refuse("1370", "InventoryList[%d]: a 1210 inventory needs emsNo and itemRecordNo (emsNo=%q, itemRecordNo=%q)", l.Gnum, emsNo, l.ItemRecordNo), nil
	}
	qty, err := ParseQty("qty", l.Qty.String())
	if err != nil {
		return refuse("1370", "InventoryList[%d].qty=%s: %v", l.Gnum, l.Qty, err), nil
	}
	var state string
	err = tx.QueryRow(ctx, `SELECT state FROM bonded_holds WHERE inventory_id = $1 AND gnum = $2`, invID, l.Gnum).Scan(&state)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if state == "reserved" || state == "out" {
		return nil, nil // reserved before (an officer's decision after a review)
	}
	// The stock of an item is its e-commerce enterprise's own (rules §12).
	res, err := tx.Exec(ctx, `UPDATE bonded_items SET reserved_milli = reserved_milli + $3
		WHERE ems_no = $1 AND item_record_no = $2 AND ebc_code = $4 AND on_hand_milli - reserved_milli >= $3`, emsNo, l.ItemRecordNo, qty, ebcCode)
	if err != nil {
		return nil, fmt.Errorf("reserve %s/%s: %w", emsNo, l.ItemRecordNo, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		var on, reserved int64
		var owner string
		err := tx.QueryRow(ctx, `SELECT on_hand_milli, reserved_milli, ebc_code FROM bonded_items WHERE ems_no = $1 AND item_record_no = $2`, emsNo, l.ItemRecordNo).Scan(&on, &reserved, &owner)
		if errors.Is(err, sql.ErrNoRows) {
			return refuse("1370", "emsNo=%s has no item itemRecordNo=%s", emsNo, l.ItemRecordNo), nil
		}
		if err != nil {
			return nil, fmt.Errorf("read item %s/%s: %w", emsNo, l.ItemRecordNo, err)
		}
		if owner != ebcCode {
			return refuse("1374", "InventoryList[%d]: emsNo=%s itemRecordNo=%s is not an item of ebcCode=%s", l.Gnum, emsNo, l.ItemRecordNo, ebcCode), nil
		}
		return refuse("1371", "emsNo=%s itemRecordNo=%s: available %s, this inventory needs %s", emsNo, l.ItemRecordNo, Qty(on-reserved), Qty(qty)), nil
	}
	_, err = tx.Exec(ctx, `INSERT INTO bonded_holds (inventory_id, gnum, ems_no, item_record_no, qty_milli, returned_milli, state, updated_at)
		VALUES ($1,$2,$3,$4,$5,0,'reserved',$6)
		ON CONFLICT (inventory_id, gnum) DO UPDATE SET ems_no = excluded.ems_no, item_record_no = excluded.item_record_no,
		qty_milli = excluded.qty_milli, returned_milli = 0, state = 'reserved', updated_at = excluded.updated_at`, invID, l.Gnum, emsNo, l.ItemRecordNo, qty, now)
	return nil, err
}

func refuse(code, format string, args ...any) *engine.Outcome {
	return &engine.Outcome{Status: "100", Finding: clearance.Finding{Code: code, Detail: fmt.Sprintf(format, args...)}}
}

func hold(code, format string, args ...any) *engine.Outcome {
	return &engine.Outcome{Status: "300", Finding: clearance.Finding{Code: code, Detail: fmt.Sprintf(format, args...)}}
}

type stockHold struct {
	gnum          int
	emsNo, item   string
	qty, returned int64
	state         string
}

func holdsOf(ctx context.Context, tx *store.Tx, invID string) ([]stockHold, error) {
	rows, err := tx.Query(ctx, `SELECT gnum, ems_no, item_record_no, qty_milli, returned_milli, state FROM bonded_holds WHERE inventory_id = $1 ORDER BY ems_no, item_record_no, gnum`, invID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []stockHold
	for rows.Next() {
		var h stockHold
		if err := rows.Scan(&h.gnum, &h.emsNo, &h.item, &h.qty, &h.returned, &h.state); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// unreserve gives back the stock an inventory holds but has not taken.
func unreserve(ctx context.Context, tx *store.Tx, invID string, now time.Time) error {
	hs, err := holdsOf(ctx, tx, invID)
	if err != nil {
		return err
	}
	for _, h := range hs {
		if h.state != "reserved" {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE bonded_items SET reserved_milli = reserved_milli - $3 WHERE ems_no = $1 AND item_record_no = $2`, h.emsNo, h.item, h.qty); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE bonded_holds SET state = 'freed', updated_at = $3 WHERE inventory_id = $1 AND gnum = $2`, invID, h.gnum, now); err != nil {
			return err
		}
	}
	return nil
}

type deductEffect struct{ s *Service }

// Apply takes the reserved stock out of the book when the inventory is released.
func (e deductEffect) Apply(ctx context.Context, tx *store.Tx, d *engine.Decision, from, to string) (*engine.Outcome, error) {
	if !Bonded(d.Doc) || to != "800" {
		return nil, nil
	}
	hs, err := holdsOf(ctx, tx, d.Inventory.ID)
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		if h.state != "reserved" {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE bonded_items SET reserved_milli = reserved_milli - $3 WHERE ems_no = $1 AND item_record_no = $2`, h.emsNo, h.item, h.qty); err != nil {
			return nil, err
		}
		ref := "inventory " + d.Inventory.InvtNo
		if err := move(ctx, tx, h.emsNo, h.item, "out", -h.qty, ref, "released", d.Now); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE bonded_holds SET state = 'out', updated_at = $3 WHERE inventory_id = $1 AND gnum = $2`, d.Inventory.ID, h.gnum, d.Now); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// giveBack returns released stock to the book: qty per gnum (nil: everything not yet returned).
func giveBack(ctx context.Context, tx *store.Tx, invID, invtNo string, qty map[int]int64, ref string, now time.Time) error {
	hs, err := holdsOf(ctx, tx, invID)
	if err != nil {
		return err
	}
	for _, h := range hs {
		if h.state != "out" {
			continue
		}
		q := h.qty - h.returned
		if qty != nil {
			q = min(qty[h.gnum], q)
		}
		if q <= 0 {
			continue
		}
		if err := move(ctx, tx, h.emsNo, h.item, "returned", q, ref, "inventory "+invtNo, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE bonded_holds SET returned_milli = returned_milli + $3, updated_at = $4 WHERE inventory_id = $1 AND gnum = $2`,
			invID, h.gnum, q, now); err != nil {
			return err
		}
	}
	return nil
}
