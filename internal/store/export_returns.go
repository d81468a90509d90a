package store

import (
	"context"
	"fmt"
	"time"
)

// ExportReturn is an export return (CEB213, package export) as stored.
type ExportReturn struct {
	ID, EbcCode, CopNo, PreNo, InvtNo, InventoryID, LogisticsCode, LogisticsNo string
	State                                                                      string // applied, tallied
	Reason                                                                     string
	ExemptFen                                                                  int64
	Currency                                                                   string
	Lines                                                                      string // JSON of the returned lines
	AppliedAt                                                                  time.Time
	TalliedAt                                                                  *time.Time
}

// ExportReturnExists reports whether ebcCode has declared export return copNo.
func (t *Tx) ExportReturnExists(ctx context.Context, ebcCode, copNo string) (bool, error) {
	var n int
	if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM export_returns WHERE ebc_code = $1 AND cop_no = $2`, ebcCode, copNo).Scan(&n); err != nil {
		return false, fmt.Errorf("export return %s/%s: %w", ebcCode, copNo, err)
	}
	return n > 0, nil
}

// ExportReturnLines lists the stored lines (JSON) of the returns of export inventory inventoryID.
func (t *Tx) ExportReturnLines(ctx context.Context, inventoryID string) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT lines FROM export_returns WHERE inventory_id = $1`, inventoryID)
	list, err := textList(rows, err)
	if err != nil {
		return nil, fmt.Errorf("returns of export inventory %s: %w", inventoryID, err)
	}
	return list, nil
}

// InsertExportReturn stores an export return; a Conflict error when its
// consignor has declared its copNo already.
func (t *Tx) InsertExportReturn(ctx context.Context, r *ExportReturn) error {
	if _, err := t.Exec(ctx, `INSERT INTO export_returns (id, ebc_code, cop_no, pre_no, invt_no, inventory_id, logistics_code, logistics_no, state, reason,
		exempt_fen, currency, lines, applied_at, tallied_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
		r.ID, r.EbcCode, r.CopNo, r.PreNo, r.InvtNo, r.InventoryID, r.LogisticsCode, r.LogisticsNo, r.State, r.Reason, r.ExemptFen, r.Currency,
		r.Lines, r.AppliedAt, r.TalliedAt); err != nil {
		return fmt.Errorf("store export return %s/%s: %w", r.EbcCode, r.CopNo, err)
	}
	return nil
}

// ExportReturnByWaybill reads the export return copNo of waybill
// logisticsNo; a NotFound error when there is none.
func (t *Tx) ExportReturnByWaybill(ctx context.Context, copNo, logisticsNo string) (*ExportReturn, error) {
	var r ExportReturn
	var applied Time
	var tallied NullTime
	err := t.QueryRow(ctx, `SELECT id, ebc_code, cop_no, pre_no, invt_no, inventory_id, logistics_code, logistics_no, state, reason, exempt_fen,
		currency, lines, applied_at, tallied_at FROM export_returns WHERE cop_no = $1 AND logistics_no = $2`, copNo, logisticsNo).Scan(&r.ID,
		&r.EbcCode, &r.CopNo, &r.PreNo, &r.InvtNo, &r.InventoryID, &r.LogisticsCode, &r.LogisticsNo, &r.State, &r.Reason, &r.ExemptFen, &r.Currency,
		&r.Lines, &applied, &tallied)
	if err != nil {
		return nil, fmt.Errorf("export return %s of waybill %s: %w", copNo, logisticsNo, classify(err))
	}
	r.AppliedAt, r.TalliedAt = applied.UTC(), nullTimePtr(tallied)
	return &r, nil
}

// TallyExportReturn records export return id as tallied at at.
func (t *Tx) TallyExportReturn(ctx context.Context, id string, at time.Time) error {
	if _, err := t.Exec(ctx, `UPDATE export_returns SET state = 'tallied', tallied_at = $2 WHERE id = $1`, id, at); err != nil {
		return fmt.Errorf("tally export return %s: %w", id, err)
	}
	return nil
}
