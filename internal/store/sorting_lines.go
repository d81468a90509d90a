package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SortingLine is a sorting line of a bonded warehouse (package console).
type SortingLine struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Warehouse string    `json:"warehouse"`
	CreatedAt time.Time `json:"createdAt"`
}

// LineParcel is a parcel seen at a sorting line, as stored: the sides'
// findings are the JSON the console wrote, "" while a side has none.
type LineParcel struct {
	ID, LineID, LogisticsNo, InventoryID, ImageRef string
	ScannedAt                                      time.Time
	Divert                                         string // pass, inspect
	CustomsMark, InspectionMark                    string
	CustomsFinding, InspectionFinding              string
	Outcome                                        string
}

// InsertSortingLine stores a new sorting line.
func (t *Tx) InsertSortingLine(ctx context.Context, l *SortingLine) error {
	if _, err := t.Exec(ctx, `INSERT INTO sorting_lines (id, name, warehouse, created_at) VALUES ($1,$2,$3,$4)`,
		l.ID, l.Name, l.Warehouse, l.CreatedAt); err != nil {
		return fmt.Errorf("store sorting line %q: %w", l.Name, err)
	}
	return nil
}

// InsertLineScanner registers scanner id of line lineID under the hash of its token.
func (t *Tx) InsertLineScanner(ctx context.Context, id, lineID, name, tokenHash string, at time.Time) error {
	if _, err := t.Exec(ctx, `INSERT INTO line_scanners (id, line_id, name, token_hash, created_at) VALUES ($1,$2,$3,$4,$5)`,
		id, lineID, name, tokenHash, at); err != nil {
		return fmt.Errorf("store scanner %q of line %s: %w", name, lineID, err)
	}
	return nil
}

const sortingLineColumns = `id, name, warehouse, created_at`

func scanSortingLine(row Scanner) (*SortingLine, error) {
	var l SortingLine
	var at Time
	if err := row.Scan(&l.ID, &l.Name, &l.Warehouse, &at); err != nil {
		return nil, classify(err)
	}
	l.CreatedAt = at.Time
	return &l, nil
}

// SortingLine reads one sorting line; a NotFound error when there is none.
func (db *DB) SortingLine(ctx context.Context, id string) (*SortingLine, error) {
	l, err := scanSortingLine(db.QueryRow(ctx, `SELECT `+sortingLineColumns+` FROM sorting_lines WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("sorting line %s: %w", id, err)
	}
	return l, nil
}

// SortingLines lists the sorting lines by name.
func (db *DB) SortingLines(ctx context.Context) ([]SortingLine, error) {
	rows, err := db.Query(ctx, `SELECT `+sortingLineColumns+` FROM sorting_lines ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list sorting lines: %w", err)
	}
	return collect(rows, scanSortingLine)
}

// LineScannerByTokenHash reads the scanner a token hash belongs to and its
// line; a NotFound error when there is none.
func (db *DB) LineScannerByTokenHash(ctx context.Context, tokenHash string) (id, lineID string, err error) {
	if err := db.QueryRow(ctx, `SELECT id, line_id FROM line_scanners WHERE token_hash = $1`, tokenHash).Scan(&id, &lineID); err != nil {
		return "", "", fmt.Errorf("line scanner: %w", classify(err))
	}
	return id, lineID, nil
}

// InsertLineParcel records parcel p passing scanner scannerID: no finding
// nor inspection mark yet, undecided.
func (t *Tx) InsertLineParcel(ctx context.Context, p *LineParcel, scannerID string) error {
	_, err := t.Exec(ctx, `INSERT INTO line_parcels (id, line_id, scanner_id, logistics_no, inventory_id, image_ref, scanned_at, divert,
			customs_mark, inspection_mark, customs_finding, inspection_finding, outcome, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,'','','','',$7)`,
		p.ID, p.LineID, scannerID, p.LogisticsNo, p.InventoryID, p.ImageRef, p.ScannedAt, p.Divert, p.CustomsMark)
	if err != nil {
		return fmt.Errorf("store parcel %s of line %s: %w", p.LogisticsNo, p.LineID, err)
	}
	return nil
}

// LatestInventoryIDByLogisticsNo is the id of the newest inventory naming
// waybill logisticsNo (of any carrier); a NotFound error when there is none.
func (db *DB) LatestInventoryIDByLogisticsNo(ctx context.Context, logisticsNo string) (string, error) {
	var id string
	err := db.QueryRow(ctx, `SELECT id FROM inventories WHERE logistics_no = $1 ORDER BY created_at DESC LIMIT 1`, logisticsNo).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("inventory of waybill %s: %w", logisticsNo, classify(err))
	}
	return id, nil
}

// ParcelToScan is a waybill with the status of its inventory, for the
// sorting-line demo feeder (cbec line).
type ParcelToScan struct{ LogisticsNo, Status string }

// ParcelsToScan lists up to limit waybills whose inventories are selected
// for inspection (500) or released (800): the selected first, each group
// newest first.
func (db *DB) ParcelsToScan(ctx context.Context, limit int) ([]ParcelToScan, error) {
	rows, err := db.Query(ctx, `SELECT logistics_no, status FROM inventories WHERE status IN ('500', '800')
		ORDER BY CASE WHEN status = '500' THEN 0 ELSE 1 END, created_at DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("parcels to scan: %w", err)
	}
	list, err := Collect(rows, func(r Scanner) (ParcelToScan, error) {
		var p ParcelToScan
		err := r.Scan(&p.LogisticsNo, &p.Status)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("parcels to scan: %w", err)
	}
	return list, nil
}

const lineParcelColumns = `id, line_id, logistics_no, inventory_id, image_ref, scanned_at, divert, customs_mark, inspection_mark,
	customs_finding, inspection_finding, outcome`

func scanLineParcel(row Scanner) (*LineParcel, error) {
	var p LineParcel
	var at Time
	if err := row.Scan(&p.ID, &p.LineID, &p.LogisticsNo, &p.InventoryID, &p.ImageRef, &at, &p.Divert, &p.CustomsMark, &p.InspectionMark,
		&p.CustomsFinding, &p.InspectionFinding, &p.Outcome); err != nil {
		return nil, classify(err)
	}
	p.ScannedAt = at.Time
	return &p, nil
}

// LineParcel reads one parcel of a sorting line; a NotFound error when there is none.
func (db *DB) LineParcel(ctx context.Context, id string) (*LineParcel, error) {
	p, err := scanLineParcel(db.QueryRow(ctx, `SELECT `+lineParcelColumns+` FROM line_parcels WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("line parcel %s: %w", id, err)
	}
	return p, nil
}

// LineParcels lists at most limit parcels of line lineID, newest first.
func (db *DB) LineParcels(ctx context.Context, lineID string, limit int) ([]LineParcel, error) {
	rows, err := db.Query(ctx, `SELECT `+lineParcelColumns+` FROM line_parcels WHERE line_id = $1 ORDER BY scanned_at DESC LIMIT $2`, lineID, limit)
	if err != nil {
		return nil, fmt.Errorf("parcels of line %s: %w", lineID, err)
	}
	return collect(rows, scanLineParcel)
}

// lineSideColumns are the mark and finding columns of each side at the
// inspection bench; statements name a column only from here.
var lineSideColumns = map[string]struct{ mark, finding string }{
	"customs":    {"customs_mark", "customs_finding"},
	"inspection": {"inspection_mark", "inspection_finding"},
}

func lineSide(side string) (mark, finding string, err error) {
	c, ok := lineSideColumns[side]
	if !ok {
		return "", "", fmt.Errorf("%q is not a side of the inspection bench", side)
	}
	return c.mark, c.finding, nil
}

// MarkLineParcel sets side's mark of undecided parcel id and diverts it to
// inspection; false when the parcel was decided.
func (t *Tx) MarkLineParcel(ctx context.Context, id, side, mark string, at time.Time) (bool, error) {
	col, _, err := lineSide(side)
	if err != nil {
		return false, fmt.Errorf("mark parcel %s: %w", id, err)
	}
	res, err := t.Exec(ctx, `UPDATE line_parcels SET `+col+` = $2, divert = 'inspect', updated_at = $3 WHERE id = $1 AND outcome = ''`, id, mark, at)
	return changedOne(res, err, "mark parcel "+id)
}

// SetLineParcelFinding stores side's finding of undecided parcel id where
// the side has none; false otherwise.
func (t *Tx) SetLineParcelFinding(ctx context.Context, id, side, finding string, at time.Time) (bool, error) {
	_, col, err := lineSide(side)
	if err != nil {
		return false, fmt.Errorf("record finding of parcel %s: %w", id, err)
	}
	res, err := t.Exec(ctx, `UPDATE line_parcels SET `+col+` = $2, updated_at = $3 WHERE id = $1 AND outcome = '' AND `+col+` = ''`, id, finding, at)
	return changedOne(res, err, "record finding of parcel "+id)
}

// ClearLineParcelFinding removes side's finding of undecided parcel id
// where it is still before; false otherwise.
func (t *Tx) ClearLineParcelFinding(ctx context.Context, id, side, before string, at time.Time) (bool, error) {
	_, col, err := lineSide(side)
	if err != nil {
		return false, fmt.Errorf("reopen finding of parcel %s: %w", id, err)
	}
	res, err := t.Exec(ctx, `UPDATE line_parcels SET `+col+` = '', updated_at = $3 WHERE id = $1 AND outcome = '' AND `+col+` = $2`, id, before, at)
	return changedOne(res, err, "reopen finding of parcel "+id)
}

// SetLineParcelOutcome records the outcome of parcel id unless it has one.
func (t *Tx) SetLineParcelOutcome(ctx context.Context, id, outcome string, at time.Time) error {
	if _, err := t.Exec(ctx, `UPDATE line_parcels SET outcome = $2, updated_at = $3 WHERE id = $1 AND outcome = ''`, id, outcome, at); err != nil {
		return fmt.Errorf("decide parcel %s: %w", id, err)
	}
	return nil
}

// changedOne tells whether a statement changed exactly one row, wrapping
// its error with what it did.
func changedOne(res sql.Result, err error, what string) (bool, error) {
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return n == 1, nil
}
