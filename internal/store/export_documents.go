package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// ExportDoc is an export document as declared (package export): an order or
// receipt of payment (keys ebpCode/orderNo), a waybill, arrival or departure
// (logisticsCode/logisticsNo) or a master/house waybill list (agentCode/copNo).
type ExportDoc struct {
	Kind, K1, K2, EbcCode string
	AmountFen             int64
	Currency              string
	Data                  string // JSON of the declared document
	Sender                string
	At, CreatedAt         time.Time
}

// ExportDoc reads the data and sender of an export document in the
// transaction; found is false when there is none.
func (t *Tx) ExportDoc(ctx context.Context, kind, k1, k2 string) (data, sender string, found bool, err error) {
	err = t.QueryRow(ctx, `SELECT data, sender FROM export_docs WHERE kind = $1 AND k1 = $2 AND k2 = $3`, kind, k1, k2).Scan(&data, &sender)
	if err = classify(err); errs.KindOf(err) == errs.NotFound {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("read export %s %s/%s: %w", kind, k1, k2, err)
	}
	return data, sender, true, nil
}

// InsertExportDoc stores a new export document; a Conflict error when one of
// its kind and keys exists.
func (t *Tx) InsertExportDoc(ctx context.Context, d *ExportDoc) error {
	_, err := t.Exec(ctx, `INSERT INTO export_docs (kind, k1, k2, ebc_code, amount_fen, currency, data, sender, at, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`, d.Kind, d.K1, d.K2, d.EbcCode, d.AmountFen, d.Currency, d.Data, d.Sender, d.At, d.CreatedAt)
	if err != nil {
		return fmt.Errorf("store export %s %s/%s: %w", d.Kind, d.K1, d.K2, err)
	}
	return nil
}

// DeleteExportDoc removes an export document (nothing when there is none).
func (t *Tx) DeleteExportDoc(ctx context.Context, kind, k1, k2 string) error {
	if _, err := t.Exec(ctx, `DELETE FROM export_docs WHERE kind = $1 AND k1 = $2 AND k2 = $3`, kind, k1, k2); err != nil {
		return fmt.Errorf("delete export %s %s/%s: %w", kind, k1, k2, err)
	}
	return nil
}
