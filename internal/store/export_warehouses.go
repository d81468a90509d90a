package store

import (
	"context"
	"fmt"
	"time"
)

// ExportWarehouse is an overseas warehouse filed with customs (9810, package export).
type ExportWarehouse struct {
	Code, EbcCode, Name, Country, Address string
	FiledAt                               time.Time
}

// InsertExportWarehouse files an overseas warehouse; a Conflict error when its code is filed already.
func (t *Tx) InsertExportWarehouse(ctx context.Context, w *ExportWarehouse) error {
	if _, err := t.Exec(ctx, `INSERT INTO export_warehouses (code, ebc_code, name, country, address, filed_at) VALUES ($1,$2,$3,$4,$5,$6)`,
		w.Code, w.EbcCode, w.Name, w.Country, w.Address, w.FiledAt); err != nil {
		return fmt.Errorf("file overseas warehouse %s: %w", w.Code, err)
	}
	return nil
}

// ExportWarehouses lists the overseas warehouses (all, or ebcCode's) by code.
func (db *DB) ExportWarehouses(ctx context.Context, ebcCode string) ([]ExportWarehouse, error) {
	q, args := `SELECT code, ebc_code, name, country, address, filed_at FROM export_warehouses`, []any{}
	if ebcCode != "" {
		q, args = q+` WHERE ebc_code = $1`, append(args, ebcCode)
	}
	rows, err := db.Query(ctx, q+` ORDER BY code`, args...)
	if err != nil {
		return nil, fmt.Errorf("overseas warehouses of %q: %w", ebcCode, err)
	}
	list, err := Collect(rows, func(r Scanner) (ExportWarehouse, error) {
		var w ExportWarehouse
		var at Time
		err := r.Scan(&w.Code, &w.EbcCode, &w.Name, &w.Country, &w.Address, &at)
		w.FiledAt = at.UTC()
		return w, err
	})
	if err != nil {
		return nil, fmt.Errorf("overseas warehouses of %q: %w", ebcCode, err)
	}
	return list, nil
}

// HasExportWarehouse reports whether ebcCode has filed an overseas warehouse in country.
func (t *Tx) HasExportWarehouse(ctx context.Context, ebcCode, country string) (bool, error) {
	var n int
	if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM export_warehouses WHERE ebc_code = $1 AND country = $2`, ebcCode, country).Scan(&n); err != nil {
		return false, fmt.Errorf("overseas warehouses of %s in %s: %w", ebcCode, country, err)
	}
	return n > 0, nil
}
