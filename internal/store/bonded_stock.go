package store

import (
	"context"
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

// StockWant is a quantity of an item of a book that an inventory line
// reserves, in milli-units.
type StockWant struct {
	Item string
	Qty  int64
}

// errRefused undoes the reservations of ReserveBondedLines made at once.
var errRefused = errors.New("a line cannot be reserved")

// ReserveBondedLines reserves what each want asks of book emsNo for
// e-commerce enterprise ebcCode, all or none, and returns the index of the
// first want it cannot reserve, -1 when it reserved them all. A want cannot
// be reserved when the book has no such item, the item is another
// enterprise's, or less than it asks is available (on hand − reserved). In a keyed batch on PostgreSQL it reads the items in
// one statement, decides on them as read, and reserves at commit
// (commit_rows.go); elsewhere each reservation is a conditional update, and
// a refusal undoes the ones before it.
func (t *Tx) ReserveBondedLines(ctx context.Context, emsNo, ebcCode string, wants []StockWant) (int, error) {
	if t.defersRows() {
		return t.reserveAtCommit(ctx, emsNo, ebcCode, wants)
	}
	refused := -1
	reserve := func() error {
		for i, w := range wants {
			res, err := t.Exec(ctx, `UPDATE bonded_items SET reserved_milli = reserved_milli + $3
				WHERE ems_no = $1 AND item_record_no = $2 AND ebc_code = $4 AND on_hand_milli - reserved_milli >= $3`, emsNo, w.Item, w.Qty, ebcCode)
			ok, err := changedOne(res, err, "reserve "+emsNo+"/"+w.Item)
			if err != nil {
				return err
			}
			if !ok {
				refused = i
				return errRefused
			}
		}
		return nil
	}
	var err error
	if len(wants) == 1 {
		err = reserve() // nothing before it to undo
	} else {
		err = t.Savepoint(ctx, "bonded_reserve", reserve)
	}
	if errors.Is(err, errRefused) {
		err = nil
	}
	return refused, err
}

// reserveAtCommit is ReserveBondedLines in a keyed batch on PostgreSQL.
func (t *Tx) reserveAtCommit(ctx context.Context, emsNo, ebcCode string, wants []StockWant) (int, error) {
	items := make([]string, len(wants))
	for i, w := range wants {
		items[i] = w.Item
	}
	rows, err := t.Query(ctx, `SELECT item_record_no, ebc_code, on_hand_milli - reserved_milli FROM bonded_items
		WHERE ems_no = $1 AND item_record_no = ANY($2)`, emsNo, items)
	if err != nil {
		return -1, fmt.Errorf("read stock of %s: %w", emsNo, err)
	}
	type stock struct {
		item, owner string
		available   int64
	}
	got, err := Collect(rows, func(r Scanner) (stock, error) {
		var s stock
		err := r.Scan(&s.item, &s.owner, &s.available)
		return s, err
	})
	if err != nil {
		return -1, fmt.Errorf("read stock of %s: %w", emsNo, err)
	}
	read := make(map[string]stock, len(got))
	for _, s := range got {
		read[s.item] = s
	}
	mark := len(t.commitWrites)
	for i, w := range wants {
		s, ok := read[w.Item]
		key := BondedItemRow(emsNo, w.Item)
		if !ok || s.owner != ebcCode || s.available+t.pending(key) < w.Qty {
			t.commitWrites = t.commitWrites[:mark] // none reserved
			return i, nil
		}
		err := t.atCommit(key, -w.Qty, "reserve "+emsNo+"/"+w.Item,
			`UPDATE bonded_items SET reserved_milli = reserved_milli + $3 WHERE ems_no = $1 AND item_record_no = $2`, emsNo, w.Item, w.Qty)
		if err != nil {
			return -1, err
		}
	}
	return -1, nil
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
