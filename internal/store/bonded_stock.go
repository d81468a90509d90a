package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// BondedHold is the account-book stock one inventory line holds or has
// taken: State is reserved, freed (given back before release) or out
// (taken at release); ReturnedMilli is what has come back of it since.
type BondedHold struct {
	InventoryID             string
	Gnum                    int
	EmsNo, ItemRecordNo     string
	QtyMilli, ReturnedMilli int64
	State                   string
	UpdatedAt               time.Time
}

// BondedHolds lists the holds of inventory invID by book, item and line:
// the order in which their item rows are changed, the same for every
// inventory so that two of them lock rows in the same order.
func (t *Tx) BondedHolds(ctx context.Context, invID string) ([]BondedHold, error) {
	rows, err := t.Query(ctx, `SELECT inventory_id, gnum, ems_no, item_record_no, qty_milli, returned_milli, state, updated_at FROM bonded_holds
		WHERE inventory_id = $1 ORDER BY ems_no, item_record_no, gnum`, invID)
	if err != nil {
		return nil, fmt.Errorf("read holds of %s: %w", invID, err)
	}
	hs, err := Collect(rows, func(r Scanner) (BondedHold, error) {
		var h BondedHold
		var at Time
		err := r.Scan(&h.InventoryID, &h.Gnum, &h.EmsNo, &h.ItemRecordNo, &h.QtyMilli, &h.ReturnedMilli, &h.State, &at)
		h.UpdatedAt = at.Time
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("read holds of %s: %w", invID, err)
	}
	return hs, nil
}

// BondedItemRow names an item's stock row for DoKeys and DoFirst: a row
// changed at commit (CommitRow).
func BondedItemRow(emsNo, item string) string { return CommitRow("bonded_item", emsNo, item) }

// ReserveBondedStock reserves qty of item of book emsNo for e-commerce
// enterprise ebcCode. It reports false, changing nothing, when the book has
// no such item, the item is another enterprise's, or less than qty is
// available (on hand − reserved). In a keyed batch on PostgreSQL it decides
// on the row as read, and reserves at commit (commit_rows.go).
func (t *Tx) ReserveBondedStock(ctx context.Context, emsNo, item, ebcCode string, qty int64) (bool, error) {
	const reserve = `UPDATE bonded_items SET reserved_milli = reserved_milli + $3 WHERE ems_no = $1 AND item_record_no = $2`
	if !t.defersRows() {
		res, err := t.Exec(ctx, reserve+` AND ebc_code = $4 AND on_hand_milli - reserved_milli >= $3`, emsNo, item, qty, ebcCode)
		return changedOne(res, err, "reserve "+emsNo+"/"+item)
	}
	var owner string
	var available int64
	err := t.QueryRow(ctx, `SELECT ebc_code, on_hand_milli - reserved_milli FROM bonded_items WHERE ems_no = $1 AND item_record_no = $2`,
		emsNo, item).Scan(&owner, &available)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read stock of %s/%s: %w", emsNo, item, classify(err))
	}
	key := BondedItemRow(emsNo, item)
	if owner != ebcCode || available+t.pending(key) < qty {
		return false, nil
	}
	return true, t.atCommit(key, -qty, "reserve "+emsNo+"/"+item, reserve, emsNo, item, qty)
}

// UnreserveBondedStock takes qty off the stock reserved of item of book
// emsNo: at commit in a keyed batch on PostgreSQL.
func (t *Tx) UnreserveBondedStock(ctx context.Context, emsNo, item string, qty int64) error {
	const unreserve = `UPDATE bonded_items SET reserved_milli = reserved_milli - $3 WHERE ems_no = $1 AND item_record_no = $2`
	if t.defersRows() {
		return t.atCommit(BondedItemRow(emsNo, item), qty, "unreserve "+emsNo+"/"+item, unreserve, emsNo, item, qty)
	}
	if _, err := t.Exec(ctx, unreserve, emsNo, item, qty); err != nil {
		return fmt.Errorf("unreserve %s/%s: %w", emsNo, item, err)
	}
	return nil
}

// PutBondedHold stores h, replacing a hold of the same inventory line.
func (t *Tx) PutBondedHold(ctx context.Context, h *BondedHold) error {
	return t.later(ctx, fmt.Sprintf("store hold of %s line %d", h.InventoryID, h.Gnum),
		`INSERT INTO bonded_holds (inventory_id, gnum, ems_no, item_record_no, qty_milli, returned_milli, state, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
		ON CONFLICT (inventory_id, gnum) DO UPDATE SET ems_no = excluded.ems_no, item_record_no = excluded.item_record_no,
		qty_milli = excluded.qty_milli, returned_milli = excluded.returned_milli, state = excluded.state, updated_at = excluded.updated_at`,
		h.InventoryID, h.Gnum, h.EmsNo, h.ItemRecordNo, h.QtyMilli, h.ReturnedMilli, h.State, h.UpdatedAt)
}

// SetBondedHoldState moves the hold of line gnum of inventory invID to state.
func (t *Tx) SetBondedHoldState(ctx context.Context, invID string, gnum int, state string, at time.Time) error {
	return t.later(ctx, fmt.Sprintf("hold of %s line %d to %s", invID, gnum, state),
		`UPDATE bonded_holds SET state = $3, updated_at = $4 WHERE inventory_id = $1 AND gnum = $2`, invID, gnum, state, at)
}

// AddBondedHoldReturned adds qty to what has come back of the hold of line
// gnum of inventory invID.
func (t *Tx) AddBondedHoldReturned(ctx context.Context, invID string, gnum int, qty int64, at time.Time) error {
	return t.later(ctx, fmt.Sprintf("return to hold of %s line %d", invID, gnum),
		`UPDATE bonded_holds SET returned_milli = returned_milli + $3, updated_at = $4 WHERE inventory_id = $1 AND gnum = $2`, invID, gnum, qty, at)
}
