package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// EmergencyMeasure is an emergency measure as stored (package risk), and
// measure_holds the inventories each one put on hold.
type EmergencyMeasure struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"` // product, gtin, hs_prefix, brand, origin, enterprise
	Value      string     `json:"value"`
	EbcCode    string     `json:"ebcCode,omitempty"` // the filing enterprise, with kind product
	Action     string     `json:"action"`            // hold, reject
	Reason     string     `json:"reason"`
	LegalBasis string     `json:"legalBasis"`
	Author     string     `json:"author"`
	StartsAt   time.Time  `json:"startsAt"`
	EndsAt     *time.Time `json:"endsAt,omitempty"`
	State      string     `json:"state"` // active, lifted, converted
	EndedBy    string     `json:"endedBy,omitempty"`
	EndReason  string     `json:"endReason,omitempty"`
	EndedAt    *time.Time `json:"endedAt,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
}

const measureColumns = `id, kind, value, ebc_code, action, reason, legal_basis, author, starts_at, ends_at, state, ended_by, end_reason, ended_at, created_at`

func scanMeasure(row Scanner) (*EmergencyMeasure, error) {
	var m EmergencyMeasure
	var starts, created Time
	var ends, ended NullTime
	err := row.Scan(&m.ID, &m.Kind, &m.Value, &m.EbcCode, &m.Action, &m.Reason, &m.LegalBasis, &m.Author, &starts, &ends, &m.State,
		&m.EndedBy, &m.EndReason, &ended, &created)
	if err != nil {
		return nil, classify(err)
	}
	m.StartsAt, m.CreatedAt, m.EndsAt, m.EndedAt = starts.Time, created.Time, ends.asRead(), ended.asRead()
	return &m, nil
}

// InsertMeasure stores a new measure, not ended; a Conflict error when its id is taken.
func (t *Tx) InsertMeasure(ctx context.Context, m *EmergencyMeasure) error {
	if _, err := t.Exec(ctx, `INSERT INTO emergency_measures (id, kind, value, ebc_code, action, reason, legal_basis, author, starts_at, ends_at,
		state, ended_by, end_reason, ended_at, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,'','',NULL,$12)`,
		m.ID, m.Kind, m.Value, m.EbcCode, m.Action, m.Reason, m.LegalBasis, m.Author, m.StartsAt, m.EndsAt, m.State, m.CreatedAt); err != nil {
		return fmt.Errorf("store measure %s: %w", m.ID, classify(err))
	}
	return nil
}

// ConvertMeasure turns an active measure into a rejecting one (state
// converted, action reject); false when it is not active or not there.
func (t *Tx) ConvertMeasure(ctx context.Context, id, by, reason string) (bool, error) {
	res, err := t.Exec(ctx, `UPDATE emergency_measures SET state = 'converted', action = 'reject', ended_by = $2, end_reason = $3
		WHERE id = $1 AND state = 'active'`, id, by, reason)
	return changedOne(res, err, "convert measure "+id)
}

// LiftMeasure ends an active or converted measure at at; false when it is
// neither or not there.
func (t *Tx) LiftMeasure(ctx context.Context, id, by, reason string, at time.Time) (bool, error) {
	res, err := t.Exec(ctx, `UPDATE emergency_measures SET state = 'lifted', ended_by = $2, end_reason = $3, ended_at = $4
		WHERE id = $1 AND state IN ('active','converted')`, id, by, reason, at)
	return changedOne(res, err, "lift measure "+id)
}

// Measure reads a measure in the transaction; a NotFound error when there is none.
func (t *Tx) Measure(ctx context.Context, id string) (*EmergencyMeasure, error) {
	return measure(ctx, t, id)
}

// Measure reads a measure; a NotFound error when there is none.
func (db *DB) Measure(ctx context.Context, id string) (*EmergencyMeasure, error) {
	return measure(ctx, db, id)
}

func measure(ctx context.Context, q rowQuerier, id string) (m *EmergencyMeasure, err error) {
	defer errs.Wrap(&err, "read measure %s", id)
	return scanMeasure(q.queryRow(ctx, `SELECT `+measureColumns+` FROM emergency_measures WHERE id = $1`, id))
}

// Measures lists measures in the order they were started, of one state when
// state is not empty.
func (db *DB) Measures(ctx context.Context, state string) ([]*EmergencyMeasure, error) {
	return db.measures(ctx, "measures "+state, `SELECT `+measureColumns+` FROM emergency_measures WHERE $1 = '' OR state = $1 ORDER BY created_at, id`, state)
}

// MeasuresInForce lists the measures not lifted (active or converted), in
// the order they were started.
func (db *DB) MeasuresInForce(ctx context.Context) ([]*EmergencyMeasure, error) {
	return db.measures(ctx, "measures in force", `SELECT `+measureColumns+` FROM emergency_measures WHERE state IN ('active','converted') ORDER BY created_at, id`)
}

func (db *DB) measures(ctx context.Context, what, query string, args ...any) ([]*EmergencyMeasure, error) {
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	list, err := Collect(rows, scanMeasure)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return list, nil
}

// HoldForMeasure records that a measure put an inventory on hold; a hold
// already recorded stays as it was.
func (t *Tx) HoldForMeasure(ctx context.Context, measureID, inventoryID string, at time.Time) error {
	if _, err := t.Exec(ctx, `INSERT INTO measure_holds (measure_id, inventory_id, at) VALUES ($1,$2,$3) ON CONFLICT (measure_id, inventory_id) DO NOTHING`,
		measureID, inventoryID, at); err != nil {
		return fmt.Errorf("record hold of inventory %s by measure %s: %w", inventoryID, measureID, classify(err))
	}
	return nil
}

// MeasureHolds lists the inventories a measure put on hold, in the transaction.
func (t *Tx) MeasureHolds(ctx context.Context, measureID string) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT inventory_id FROM measure_holds WHERE measure_id = $1`, measureID)
	if err != nil {
		return nil, fmt.Errorf("holds of measure %s: %w", measureID, err)
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("holds of measure %s: %w", measureID, err)
	}
	return ids, nil
}
