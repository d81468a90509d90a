package store

import (
	"context"
	"fmt"
	"time"
)

// ExportNoInvoice is a 无票免税 registration (package export) as stored.
type ExportNoInvoice struct {
	ID, EbcCode             string
	GoodsDate               string // 2026-11-03
	Name, Unit, Qty         string
	UnitPriceFen, AmountFen int64
	CreatedAt               time.Time
}

// InsertExportNoInvoice stores a 无票免税 registration.
func (t *Tx) InsertExportNoInvoice(ctx context.Context, n *ExportNoInvoice) error {
	if _, err := t.Exec(ctx, `INSERT INTO export_no_invoice (id, ebc_code, goods_date, name, unit, qty, unit_price_fen, amount_fen, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		n.ID, n.EbcCode, n.GoodsDate, n.Name, n.Unit, n.Qty, n.UnitPriceFen, n.AmountFen, n.CreatedAt); err != nil {
		return fmt.Errorf("store 无票免税 registration %s of %s: %w", n.ID, n.EbcCode, err)
	}
	return nil
}

// ExportNoInvoices lists the 无票免税 registrations of goods dated in [from,
// to) (dates like 2026-11-03; all consignors, or ebcCode's) by date and id.
func (db *DB) ExportNoInvoices(ctx context.Context, from, to, ebcCode string) ([]ExportNoInvoice, error) {
	q := `SELECT id, ebc_code, goods_date, name, unit, qty, unit_price_fen, amount_fen, created_at FROM export_no_invoice WHERE goods_date >= $1 AND goods_date < $2`
	args := []any{from, to}
	if ebcCode != "" {
		q, args = q+` AND ebc_code = $3`, append(args, ebcCode)
	}
	rows, err := db.Query(ctx, q+` ORDER BY goods_date, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("无票免税 registrations %s to %s of %q: %w", from, to, ebcCode, err)
	}
	list, err := Collect(rows, func(r Scanner) (ExportNoInvoice, error) {
		var n ExportNoInvoice
		var at Time
		err := r.Scan(&n.ID, &n.EbcCode, &n.GoodsDate, &n.Name, &n.Unit, &n.Qty, &n.UnitPriceFen, &n.AmountFen, &at)
		n.CreatedAt = at.UTC()
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("无票免税 registrations %s to %s of %q: %w", from, to, ebcCode, err)
	}
	return list, nil
}
