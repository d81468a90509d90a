package bonded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// Book is an account book (账册) with its items.
type Book struct {
	EmsNo        string    `json:"emsNo"`
	OperatorCode string    `json:"operatorCode"`
	Name         string    `json:"name"`
	CreatedAt    time.Time `json:"createdAt"`
	Items        []Item    `json:"items"`
}

// Item is one account-book item with its stock.
type Item struct {
	ItemRecordNo string `json:"itemRecordNo"`
	EbcCode      string `json:"ebcCode"`
	ItemNo       string `json:"itemNo"`
	Name         string `json:"name"`
	Unit         string `json:"unit"`
	OnHand       string `json:"onHand"`
	Reserved     string `json:"reserved"`
	Available    string `json:"available"`
	onHand       int64  // milli
}

// EntryLine is a quantity of one item entering the zone, or tallied.
type EntryLine struct {
	ItemRecordNo string `json:"itemRecordNo"`
	Qty          string `json:"qty"`
	milli        int64
}

// CreateBook opens an account book for a zone operator (role area).
func (s *Service) CreateBook(ctx context.Context, emsNo, operatorCode, name string) (_ *Book, err error) {
	defer errs.Wrap(&err, "bonded.CreateBook(%q)", emsNo)
	var list errs.List
	if emsNo = strings.TrimSpace(emsNo); emsNo == "" || len(emsNo) > 30 {
		list = append(list, errs.Invalidf("emsNo", "ems_no_invalid", "emsNo must be 1 to 30 characters"))
	}
	if strings.TrimSpace(name) == "" {
		list = append(list, errs.Invalidf("name", "name_missing", "name is required"))
	}
	op, err := s.Parties.Get(ctx, operatorCode)
	if err != nil {
		return nil, err
	}
	if op == nil {
		list = append(list, errs.Invalidf("operatorCode", "enterprise_unknown", "enterprise %q is not registered", operatorCode))
	} else if !op.HasRole(enterprise.RoleArea) {
		list = append(list, errs.Invalidf("operatorCode", "role_missing", "enterprise %s does not hold the role area (zone operator)", operatorCode))
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	err = s.Batch.Do(ctx, func(tx *store.Tx) error {
		err := tx.InsertBondedBook(ctx, &store.BondedBook{EmsNo: emsNo, OperatorCode: operatorCode, Name: name, CreatedAt: now})
		if errs.KindOf(err) == errs.Conflict {
			return errs.New(errs.Conflict, "book_exists", "emsNo", "account book %s already exists", emsNo)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Book(ctx, emsNo)
}

// Book reads an account book with its items and stock.
func (s *Service) Book(ctx context.Context, emsNo string) (_ *Book, err error) {
	defer errs.Wrap(&err, "bonded.Book(%q)", emsNo)
	sb, err := s.DB.BondedBook(ctx, emsNo)
	if err != nil {
		return nil, bookError(emsNo, err)
	}
	items, err := s.DB.BondedItems(ctx, emsNo)
	if err != nil {
		return nil, err
	}
	b := &Book{EmsNo: emsNo, OperatorCode: sb.OperatorCode, Name: sb.Name, CreatedAt: sb.CreatedAt, Items: make([]Item, len(items))}
	for i, it := range items {
		on, res := it.OnHandMilli, it.ReservedMilli
		b.Items[i] = Item{ItemRecordNo: it.ItemRecordNo, EbcCode: it.EbcCode, ItemNo: it.ItemNo, Name: it.Name, Unit: it.Unit,
			OnHand: Qty(on), Reserved: Qty(res), Available: Qty(on - res), onHand: on}
	}
	return b, nil
}

// bookError is the caller's answer for a book that is not on record, else err.
func bookError(emsNo string, err error) error {
	if errs.KindOf(err) == errs.NotFound {
		return errs.New(errs.NotFound, "book_not_found", "emsNo", "no account book %s", emsNo)
	}
	return err
}

// NewItem is an item to add to a book, linked to a product filing.
type NewItem struct {
	ItemRecordNo string `json:"itemRecordNo"`
	EbcCode      string `json:"ebcCode"`
	ItemNo       string `json:"itemNo"`
	Name         string `json:"name"`
	Unit         string `json:"unit"`
}

// AddItems adds items (with zero stock) to a book; each must be a filed product
// of its e-commerce enterprise whose filing names the same item record number.
// All or nothing.
func (s *Service) AddItems(ctx context.Context, emsNo string, items []NewItem) (_ *Book, err error) {
	defer errs.Wrap(&err, "bonded.AddItems(%q)", emsNo)
	if _, err := s.Book(ctx, emsNo); err != nil {
		return nil, err
	}
	var list errs.List
	if len(items) == 0 {
		list = append(list, errs.Invalidf("items", "items_missing", "give at least one item"))
	}
	for i, it := range items {
		f := func(name string) string { return fmt.Sprintf("items[%d].%s", i, name) }
		if it.ItemRecordNo == "" || len(it.ItemRecordNo) > 30 {
			list = append(list, errs.Invalidf(f("itemRecordNo"), "item_record_no_invalid", "itemRecordNo must be 1 to 30 characters"))
		}
		if it.Name == "" {
			list = append(list, errs.Invalidf(f("name"), "name_missing", "name is required"))
		}
		rec, filed := s.Products.ItemRecordNo(it.EbcCode, it.ItemNo)
		switch {
		case !filed:
			list = append(list, errs.Invalidf(f("itemNo"), "product_not_filed", "enterprise %s has no product filing for itemNo %q", it.EbcCode, it.ItemNo))
		case rec != "" && rec != it.ItemRecordNo:
			list = append(list, errs.Invalidf(f("itemRecordNo"), "item_record_mismatch", "the filing of %s/%s names item record %s, not %s", it.EbcCode, it.ItemNo, rec, it.ItemRecordNo))
		}
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	err = s.Batch.Do(ctx, func(tx *store.Tx) error {
		for i, it := range items {
			// A new item has no stock: stock changes only with a recorded movement.
			err := tx.InsertBondedItem(ctx, &store.BondedItem{EmsNo: emsNo, ItemRecordNo: it.ItemRecordNo, EbcCode: it.EbcCode, ItemNo: it.ItemNo,
				Name: it.Name, Unit: it.Unit, CreatedAt: now})
			if errs.KindOf(err) == errs.Conflict {
				return errs.New(errs.Conflict, "item_exists", fmt.Sprintf("items[%d].itemRecordNo", i), "book %s already has item %s", emsNo, it.ItemRecordNo)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Book(ctx, emsNo)
}

// checkLines validates entry or tally lines against a book.
func (s *Service) checkLines(ctx context.Context, q querier, emsNo string, lines []EntryLine) error {
	var list errs.List
	if len(lines) == 0 {
		list = append(list, errs.Invalidf("items", "items_missing", "give at least one item"))
	}
	seen := map[string]bool{}
	for i := range lines {
		l := &lines[i]
		field := fmt.Sprintf("items[%d]", i)
		var err error
		if l.milli, err = ParseQty(field+".qty", l.Qty); err != nil {
			list = append(list, err.(*errs.Error))
		}
		if seen[l.ItemRecordNo] {
			list = append(list, errs.Invalidf(field+".itemRecordNo", "item_repeated", "item %s appears twice", l.ItemRecordNo))
		}
		seen[l.ItemRecordNo] = true
		known, err := q.BondedItemExists(ctx, emsNo, l.ItemRecordNo)
		if err != nil {
			return err
		}
		if !known {
			list = append(list, errs.Invalidf(field+".itemRecordNo", "item_unknown", "book %s has no item %q", emsNo, l.ItemRecordNo))
		}
	}
	return list.Err()
}

// querier is what both the read pool (*store.DB) and a write transaction
// (*store.Tx) read, for checks made in either.
type querier interface {
	BondedBook(ctx context.Context, emsNo string) (*store.BondedBook, error)
	BondedItemExists(ctx context.Context, emsNo, item string) (bool, error)
	GuarantorOverdueBill(ctx context.Context, code string, now time.Time) (string, error)
}

// operatorOf returns the zone operator of a book.
func operatorOf(ctx context.Context, q querier, emsNo string) (string, error) {
	b, err := q.BondedBook(ctx, emsNo)
	if err != nil {
		return "", bookError(emsNo, err)
	}
	return b.OperatorCode, nil
}

// Entry is a zone entry (一线入区) as recorded.
type Entry struct {
	EntryNo      string       `json:"entryNo"`
	EmsNo        string       `json:"emsNo"`
	OperatorCode string       `json:"operatorCode"`
	Source       string       `json:"source"` // json, csv, CEB711
	TallyNo      string       `json:"tallyNo,omitempty"`
	Items        []EntryLine  `json:"items"`
	Differences  []Difference `json:"differences"`
	CreatedAt    time.Time    `json:"createdAt"`
}

// Difference is a gap between what was tallied and what was declared.
type Difference struct {
	ItemRecordNo string `json:"itemRecordNo"`
	Tallied      string `json:"tallied"`
	Declared     string `json:"declared"`
	Difference   string `json:"difference"` // declared − tallied
}

// RecordEntries records zone entries, raising stock; by is the operator (or
// "admin"). All or nothing: a bad line of any entry applies none.
func (s *Service) RecordEntries(ctx context.Context, by string, entries []Entry) (_ []Entry, err error) {
	defer errs.Wrap(&err, "bonded.RecordEntries(%q, %d entries)", by, len(entries))
	now := s.Now()
	err = s.Batch.Do(ctx, func(tx *store.Tx) error {
		for i := range entries {
			if err := s.recordEntry(ctx, tx, by, &entries[i], now); err != nil {
				if len(entries) > 1 {
					return wrapField(err, fmt.Sprintf("entries[%d].", i))
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return entries, nil
}

func wrapField(err error, prefix string) error {
	var list errs.List
	if errors.As(err, &list) {
		for _, e := range list {
			e.Field = prefix + e.Field
		}
		return list
	}
	if e, ok := errs.As(err); ok && e.Field != "" {
		e.Field = prefix + e.Field
	}
	return err
}

// recordEntry raises stock by one entry inside tx, and closes its tally with the differences.
func (s *Service) recordEntry(ctx context.Context, tx *store.Tx, by string, e *Entry, now time.Time) error {
	if e.EntryNo = strings.TrimSpace(e.EntryNo); e.EntryNo == "" || len(e.EntryNo) > 40 {
		return errs.Invalidf("entryNo", "entry_no_invalid", "entryNo must be 1 to 40 characters")
	}
	op, err := operatorOf(ctx, tx, e.EmsNo)
	if err != nil {
		return err
	}
	if by != "admin" && by != op {
		return errs.New(errs.Forbidden, "not_your_book", "emsNo", "account book %s is kept by another enterprise", e.EmsNo)
	}
	if err := s.checkLines(ctx, tx, e.EmsNo, e.Items); err != nil {
		return err
	}
	e.OperatorCode, e.CreatedAt, e.Differences = op, now, []Difference{}
	if e.TallyNo != "" {
		t, err := tx.BondedTally(ctx, op, e.TallyNo)
		if errs.KindOf(err) == errs.NotFound {
			return errs.Invalidf("tallyNo", "tally_unknown", "no tally %q", e.TallyNo)
		}
		if err != nil {
			return err
		}
		if t.EmsNo != e.EmsNo {
			return errs.Invalidf("tallyNo", "tally_other_book", "tally %s belongs to book %s, not %s", e.TallyNo, t.EmsNo, e.EmsNo)
		}
		if t.EntryNo != "" {
			return errs.New(errs.Conflict, "tally_declared", "tallyNo", "tally %s is already declared by entry %s", e.TallyNo, t.EntryNo)
		}
		var lines []EntryLine
		if err := json.Unmarshal([]byte(t.Items), &lines); err != nil {
			return fmt.Errorf("decode stored items of tally %s of %s: %w", e.TallyNo, op, err)
		}
		for i := range lines {
			if lines[i].milli, err = ParseQty("qty", lines[i].Qty); err != nil {
				// Checked when the tally was recorded: this row is damaged, not the operator's input.
				return fmt.Errorf("stored items of tally %s of %s: %v", e.TallyNo, op, err)
			}
		}
		e.Differences = differences(lines, e.Items)
		diffs, err := json.Marshal(e.Differences)
		if err != nil {
			return fmt.Errorf("encode differences of tally %s: %w", e.TallyNo, err)
		}
		if err := tx.DeclareBondedTally(ctx, op, e.TallyNo, e.EntryNo, string(diffs), now); err != nil {
			return err
		}
	}
	items, err := json.Marshal(e.Items)
	if err != nil {
		return fmt.Errorf("encode items of entry %s: %w", e.EntryNo, err)
	}
	diffs, err := json.Marshal(e.Differences)
	if err != nil {
		return fmt.Errorf("encode differences of entry %s: %w", e.EntryNo, err)
	}
	err = tx.InsertBondedEntry(ctx, &store.BondedEntry{EntryNo: e.EntryNo, EmsNo: e.EmsNo, OperatorCode: op, Source: e.Source, TallyNo: e.TallyNo,
		Items: string(items), Differences: string(diffs), CreatedAt: now})
	if errs.KindOf(err) == errs.Conflict {
		return errs.New(errs.Conflict, "entry_exists", "entryNo", "entry %s is already recorded", e.EntryNo)
	}
	if err != nil {
		return err
	}
	for _, l := range e.Items {
		if err := move(ctx, tx, e.EmsNo, l.ItemRecordNo, "in", l.milli, "entry "+e.EntryNo, e.Source, now); err != nil {
			return err
		}
	}
	return nil
}

// differences lists, item by item, where declared quantities differ from
// tallied ones (both lists parsed).
func differences(tallied, declared []EntryLine) []Difference {
	t, d := map[string]int64{}, map[string]int64{}
	var order []string
	for _, l := range tallied {
		if _, ok := t[l.ItemRecordNo]; !ok {
			order = append(order, l.ItemRecordNo)
		}
		t[l.ItemRecordNo] += l.milli
	}
	for _, l := range declared {
		if _, ok := t[l.ItemRecordNo]; !ok {
			if _, ok := d[l.ItemRecordNo]; !ok {
				order = append(order, l.ItemRecordNo)
			}
		}
		d[l.ItemRecordNo] += l.milli
	}
	out := []Difference{}
	for _, k := range order {
		if t[k] != d[k] {
			out = append(out, Difference{ItemRecordNo: k, Tallied: Qty(t[k]), Declared: Qty(d[k]), Difference: Qty(d[k] - t[k])})
		}
	}
	return out
}

// move changes on_hand and records the movement; stock never falls below what is reserved.
func move(ctx context.Context, tx *store.Tx, emsNo, item, kind string, qty int64, ref, note string, now time.Time) error {
	moved, err := tx.MoveBondedStock(ctx, &store.BondedMove{EmsNo: emsNo, ItemRecordNo: item, Kind: kind, QtyMilli: qty, Ref: ref, Note: note, At: now})
	if err != nil {
		return err
	}
	if !moved {
		return errs.New(errs.Conflict, "stock_insufficient", "qty", "item %s of book %s: the change %s would take stock below what is held", item, emsNo, Qty(qty))
	}
	return nil
}

// Adjust corrects an item's stock by a signed quantity with a reason (admin).
func (s *Service) Adjust(ctx context.Context, emsNo, item, qty, reason string) (_ *Book, err error) {
	defer errs.Wrap(&err, "bonded.Adjust(%q, %q)", emsNo, item)
	q, err := parseMilli("qty", qty)
	if err != nil {
		return nil, err
	}
	if q == 0 {
		return nil, errs.Invalidf("qty", "qty_zero", "an adjustment of zero changes nothing")
	}
	if strings.TrimSpace(reason) == "" {
		return nil, errs.Invalidf("reason", "reason_missing", "say why the stock is adjusted")
	}
	if _, err := s.Book(ctx, emsNo); err != nil {
		return nil, err
	}
	now := s.Now()
	err = s.Batch.Do(ctx, func(tx *store.Tx) error {
		known, err := tx.BondedItemExists(ctx, emsNo, item)
		if err != nil {
			return err
		}
		if !known {
			return errs.Invalidf("itemRecordNo", "item_unknown", "book %s has no item %q", emsNo, item)
		}
		return move(ctx, tx, emsNo, item, "adjusted", q, "adjustment", reason, now)
	})
	if err != nil {
		return nil, err
	}
	return s.Book(ctx, emsNo)
}

// Move is one recorded stock movement.
type Move struct {
	ID           int64     `json:"id"`
	ItemRecordNo string    `json:"itemRecordNo"`
	Kind         string    `json:"kind"`
	Qty          string    `json:"qty"`
	Ref          string    `json:"ref"`
	Note         string    `json:"note,omitempty"`
	At           time.Time `json:"at"`
	milli        int64
}

// Moves lists a book's movements in order, optionally of one item, after an id.
func (s *Service) Moves(ctx context.Context, emsNo, item string, after int64, limit int) (_ []Move, err error) {
	defer errs.Wrap(&err, "bonded.Moves(%q, %q)", emsNo, item)
	if _, err := s.Book(ctx, emsNo); err != nil {
		return nil, err
	}
	return s.moves(ctx, store.BondedMoveFilter{EmsNo: emsNo, Item: item, After: after, Limit: limit})
}

func (s *Service) moves(ctx context.Context, f store.BondedMoveFilter) ([]Move, error) {
	ms, err := s.DB.BondedMoves(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]Move, len(ms))
	for i, m := range ms {
		out[i] = Move{ID: m.ID, ItemRecordNo: m.ItemRecordNo, Kind: m.Kind, Qty: Qty(m.QtyMilli), Ref: m.Ref, Note: m.Note, At: m.At.In(cst), milli: m.QtyMilli}
	}
	return out, nil
}
