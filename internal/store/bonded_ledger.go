package store

import (
	"context"
	"fmt"
	"github.com/cbec-platform/cbec/internal/errs"
	"time"
)

// BondedBook is an account book (账册) of bonded import (package bonded), as stored.
type BondedBook struct {
	EmsNo, OperatorCode, Name string
	CreatedAt                 time.Time
}

// BondedItem is one item of an account book with its stock in thousandths
// (milli) of the declared unit: OnHandMilli in the warehouse, ReservedMilli
// held by accepted inventories not yet released.
type BondedItem struct {
	EmsNo, ItemRecordNo, EbcCode, ItemNo, Name, Unit string
	OnHandMilli, ReservedMilli                       int64
	CreatedAt                                        time.Time
}

// BondedEntry is a zone entry (一线入区) as stored; Items and Differences are
// the JSON the bonded package writes.
type BondedEntry struct {
	EntryNo, EmsNo, OperatorCode, Source, TallyNo string
	Items, Differences                            string
	CreatedAt                                     time.Time
}

// BondedMove is one change of an item's on-hand stock: in, out, returned or
// adjusted, QtyMilli signed.
type BondedMove struct {
	ID                        int64
	EmsNo, ItemRecordNo, Kind string
	QtyMilli                  int64
	Ref, Note                 string
	At                        time.Time
}

// BondedMoveFilter selects the movements of book EmsNo with an id above
// After, of one item unless Item is "", at most Limit of them (0: all).
type BondedMoveFilter struct {
	EmsNo, Item string
	After       int64
	Limit       int
}

// InsertBondedBook stores a new account book; a Conflict error when its
// number is taken.
func (t *Tx) InsertBondedBook(ctx context.Context, b *BondedBook) error {
	_, err := t.Exec(ctx, `INSERT INTO bonded_books (ems_no, operator_code, name, created_at) VALUES ($1,$2,$3,$4)`, b.EmsNo, b.OperatorCode, b.Name, b.CreatedAt)
	if err != nil {
		return fmt.Errorf("store account book %s: %w", b.EmsNo, err)
	}
	return nil
}

// BondedBook reads account book emsNo; a NotFound error when there is none.
func (db *DB) BondedBook(ctx context.Context, emsNo string) (*BondedBook, error) {
	return bondedBook(ctx, db, emsNo)
}

// BondedBook reads account book emsNo in the transaction; a NotFound error
// when there is none.
func (t *Tx) BondedBook(ctx context.Context, emsNo string) (*BondedBook, error) {
	return bondedBook(ctx, t, emsNo)
}

func bondedBook(ctx context.Context, q rowQuerier, emsNo string) (*BondedBook, error) {
	b := &BondedBook{EmsNo: emsNo}
	var created Time
	err := q.queryRow(ctx, `SELECT operator_code, name, created_at FROM bonded_books WHERE ems_no = $1`, emsNo).Scan(&b.OperatorCode, &b.Name, &created)
	if err != nil {
		return nil, fmt.Errorf("read account book %s: %w", emsNo, classify(err))
	}
	b.CreatedAt = created.Time
	return b, nil
}

// InsertBondedItem adds an item to account book it.EmsNo; a Conflict error
// when the book has the item already.
func (t *Tx) InsertBondedItem(ctx context.Context, it *BondedItem) error {
	_, err := t.Exec(ctx, `INSERT INTO bonded_items (ems_no, item_record_no, ebc_code, item_no, name, unit, on_hand_milli, reserved_milli, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, it.EmsNo, it.ItemRecordNo, it.EbcCode, it.ItemNo, it.Name, it.Unit, it.OnHandMilli, it.ReservedMilli, it.CreatedAt)
	if err != nil {
		return fmt.Errorf("store item %s of account book %s: %w", it.ItemRecordNo, it.EmsNo, err)
	}
	return nil
}

const bondedItemColumns = `ems_no, item_record_no, ebc_code, item_no, name, unit, on_hand_milli, reserved_milli, created_at`

func scanBondedItem(row Scanner) (*BondedItem, error) {
	var it BondedItem
	var created Time
	if err := row.Scan(&it.EmsNo, &it.ItemRecordNo, &it.EbcCode, &it.ItemNo, &it.Name, &it.Unit, &it.OnHandMilli, &it.ReservedMilli, &created); err != nil {
		return nil, classify(err)
	}
	it.CreatedAt = created.Time
	return &it, nil
}

// BondedItems lists the items of account book emsNo by item record number.
func (db *DB) BondedItems(ctx context.Context, emsNo string) ([]BondedItem, error) {
	rows, err := db.Query(ctx, `SELECT `+bondedItemColumns+` FROM bonded_items WHERE ems_no = $1 ORDER BY item_record_no`, emsNo)
	if err != nil {
		return nil, fmt.Errorf("read items of account book %s: %w", emsNo, err)
	}
	items, err := collect(rows, scanBondedItem)
	if err != nil {
		return nil, fmt.Errorf("read items of account book %s: %w", emsNo, err)
	}
	return items, nil
}

// BondedItem reads item of account book emsNo in the transaction; a
// NotFound error when the book has no such item.
func (t *Tx) BondedItem(ctx context.Context, emsNo, item string) (*BondedItem, error) {
	it, err := scanBondedItem(t.QueryRow(ctx, `SELECT `+bondedItemColumns+` FROM bonded_items WHERE ems_no = $1 AND item_record_no = $2`, emsNo, item))
	if err != nil {
		return nil, fmt.Errorf("read item %s/%s: %w", emsNo, item, err)
	}
	return it, nil
}

// BondedItemExists tells whether account book emsNo has item.
func (db *DB) BondedItemExists(ctx context.Context, emsNo, item string) (bool, error) {
	return bondedItemExists(ctx, db, emsNo, item)
}

// BondedItemExists tells, in the transaction, whether account book emsNo has item.
func (t *Tx) BondedItemExists(ctx context.Context, emsNo, item string) (bool, error) {
	return bondedItemExists(ctx, t, emsNo, item)
}

func bondedItemExists(ctx context.Context, q rowQuerier, emsNo, item string) (bool, error) {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM bonded_items WHERE ems_no = $1 AND item_record_no = $2`, emsNo, item).Scan(&n); err != nil {
		return false, fmt.Errorf("look up item %s/%s: %w", emsNo, item, classify(err))
	}
	return n > 0, nil
}

// InsertBondedEntry stores a zone entry; a Conflict error when its operator
// has recorded an entry of that number already.
func (t *Tx) InsertBondedEntry(ctx context.Context, e *BondedEntry) error {
	_, err := t.Exec(ctx, `INSERT INTO bonded_entries (entry_no, ems_no, operator_code, source, tally_no, items, differences, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, e.EntryNo, e.EmsNo, e.OperatorCode, e.Source, e.TallyNo, e.Items, e.Differences, e.CreatedAt)
	if err != nil {
		return fmt.Errorf("store entry %s of %s: %w", e.EntryNo, e.OperatorCode, err)
	}
	return nil
}

// MoveBondedStock adds m.QtyMilli (signed) to the on-hand stock of item
// m.ItemRecordNo of book m.EmsNo and records the movement. It reports false,
// changing nothing, when the item is missing or on-hand stock would fall
// below what is reserved: the WHERE refuses the change that the row's CHECK
// (on_hand ≥ reserved ≥ 0) would fail on. In a keyed batch on PostgreSQL
// the change is made at commit, where that CHECK, or a missing item, fails
// it and the job runs again with the change made at once (commit_rows.go).
func (t *Tx) MoveBondedStock(ctx context.Context, m *BondedMove) (_ bool, err error) {
	defer errs.Wrap(&err, "store.MoveBondedStock")
	const move = `UPDATE bonded_items SET on_hand_milli = on_hand_milli + $3 WHERE ems_no = $1 AND item_record_no = $2`
	if t.defersRows() {
		key := BondedItemRow(m.EmsNo, m.ItemRecordNo)
		if err := t.atCommit(key, m.QtyMilli, "stock of "+m.EmsNo+"/"+m.ItemRecordNo, move, m.EmsNo, m.ItemRecordNo, m.QtyMilli); err != nil {
			return false, err
		}
	} else {
		res, err := t.Exec(ctx, move+` AND on_hand_milli + $3 >= reserved_milli`, m.EmsNo, m.ItemRecordNo, m.QtyMilli)
		moved, err := changedOne(res, err, "stock of "+m.EmsNo+"/"+m.ItemRecordNo)
		if err != nil || !moved {
			return false, err
		}
	}
	err = t.later(ctx, "record movement of "+m.EmsNo+"/"+m.ItemRecordNo,
		`INSERT INTO bonded_moves (ems_no, item_record_no, kind, qty_milli, ref, note, at) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
		m.EmsNo, m.ItemRecordNo, m.Kind, m.QtyMilli, m.Ref, m.Note, m.At)
	return err == nil, err
}

// BondedMoves lists the movements f selects in the order they were recorded.
func (db *DB) BondedMoves(ctx context.Context, f BondedMoveFilter) ([]BondedMove, error) {
	q := `SELECT id, ems_no, item_record_no, kind, qty_milli, ref, note, at FROM bonded_moves WHERE ems_no = $1 AND id > $2`
	args := []any{f.EmsNo, f.After}
	// Only the conditions asked for: the item condition keeps the index on (ems_no, item_record_no, at) usable.
	if f.Item != "" {
		args = append(args, f.Item)
		q += fmt.Sprintf(` AND item_record_no = $%d`, len(args))
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read movements of %s: %w", f.EmsNo, err)
	}
	moves, err := Collect(rows, func(r Scanner) (BondedMove, error) {
		var m BondedMove
		var at Time
		err := r.Scan(&m.ID, &m.EmsNo, &m.ItemRecordNo, &m.Kind, &m.QtyMilli, &m.Ref, &m.Note, &at)
		m.At = at.Time
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("read movements of %s: %w", f.EmsNo, err)
	}
	return moves, nil
}
