package store

import (
	"context"
	"fmt"
	"time"
)

// The officers' console's own reads of tables other areas write: the
// dashboard's inventories, the inventory search, a sealed message and the
// list of account books.

// DeclaredInventory is what the dashboard counts of an inventory.
type DeclaredInventory struct {
	Status, ReasonCode string
	CreatedAt          time.Time
	ReleasedAt         *time.Time
}

// BookHead names an account book in the console's list of books.
type BookHead struct {
	EmsNo, OperatorCode, Name string
}

// DashboardInventories lists the inventories declared at or after start.
func (db *DB) DashboardInventories(ctx context.Context, start time.Time) ([]DeclaredInventory, error) {
	rows, err := db.Query(ctx, `SELECT status, reason_code, created_at, released_at FROM inventories WHERE created_at >= $1`, start)
	if err != nil {
		return nil, fmt.Errorf("inventories declared since %s: %w", start.Format(time.RFC3339), err)
	}
	return Collect(rows, func(r Scanner) (DeclaredInventory, error) {
		var v DeclaredInventory
		var created Time
		var released NullTime
		if err := r.Scan(&v.Status, &v.ReasonCode, &created, &released); err != nil {
			return v, fmt.Errorf("inventories declared since %s: %w", start.Format(time.RFC3339), err)
		}
		v.CreatedAt = created.Time
		if released.Valid {
			t := released.Time.Time
			v.ReleasedAt = &t
		}
		return v, nil
	})
}

// DashboardInspected counts the inventories declared at or after start that
// went through inspection (500), whatever their status now.
func (db *DB) DashboardInspected(ctx context.Context, start time.Time) (int, error) {
	var n int
	// A step is a line of the row's events (see eventText; a quote inside
	// a value is escaped, so the pattern matches only a status), or a row of
	// inventory_events for the steps recorded before migration 00171.
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM inventories i WHERE i.created_at >= $1
		AND (i.events LIKE '%"s":"500"%' OR EXISTS (SELECT 1 FROM inventory_events e WHERE e.inventory_id = i.id AND e.status = '500'))`,
		start).Scan(&n); err != nil {
		return 0, fmt.Errorf("inventories inspected since %s: %w", start.Format(time.RFC3339), err)
	}
	return n, nil
}

// SearchInventoryIDs lists, newest first, the ids of at most 100
// inventories whose copNo, order, waybill or inventory number is q and whose
// status is status ("" for either matches any).
func (db *DB) SearchInventoryIDs(ctx context.Context, q, status string) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT id FROM inventories WHERE ($1 = '' OR cop_no = $1 OR order_no = $1 OR logistics_no = $1 OR invt_no = $1)
		AND ($2 = '' OR status = $2) ORDER BY created_at DESC LIMIT 100`, q, status)
	if err != nil {
		return nil, fmt.Errorf("search inventories: %w", err)
	}
	return Collect(rows, func(r Scanner) (id string, err error) { return id, r.Scan(&id) })
}

// SealedMessageBody reads the sealed body of stored message id; a NotFound
// error when there is none (retention may have pruned it).
func (db *DB) SealedMessageBody(ctx context.Context, id string) ([]byte, error) {
	var body []byte
	if err := db.QueryRow(ctx, `SELECT body FROM messages WHERE id = $1`, id).Scan(&body); err != nil {
		return nil, fmt.Errorf("message %s: %w", id, classify(err))
	}
	return body, nil
}

// BookHeads lists the first 500 account books by number.
func (db *DB) BookHeads(ctx context.Context) ([]BookHead, error) {
	rows, err := db.Query(ctx, `SELECT ems_no, operator_code, name FROM bonded_books ORDER BY ems_no LIMIT 500`)
	if err != nil {
		return nil, fmt.Errorf("list account books: %w", err)
	}
	return Collect(rows, func(r Scanner) (b BookHead, err error) { return b, r.Scan(&b.EmsNo, &b.OperatorCode, &b.Name) })
}
