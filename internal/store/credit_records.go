package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// CreditRecord is one department's credit decision about an enterprise
// (package risk), with the credit state it replaced.
type CreditRecord struct {
	ID             string     `json:"id"`
	EnterpriseCode string     `json:"enterpriseCode"`
	Department     string     `json:"department"`
	Kind           string     `json:"kind"`
	Class          string     `json:"class,omitempty"` // with kind class_change
	LegalBasis     string     `json:"legalBasis"`
	DecisionNo     string     `json:"decisionNo,omitempty"`
	Summary        string     `json:"summary"`
	Public         bool       `json:"public"`
	StartsAt       time.Time  `json:"startsAt"`
	ExpiresAt      *time.Time `json:"expiresAt,omitempty"`
	State          string     `json:"state"` // active, expired, repaired
	PrevClass      string     `json:"prevClass"`
	PrevAbnormal   bool       `json:"prevAbnormal"`
	PrevSerious    bool       `json:"prevSeriousViolation"`
	Author         string     `json:"author"`
	EndedAt        *time.Time `json:"endedAt,omitempty"`
	EndedBy        string     `json:"endedBy,omitempty"`
	EndReason      string     `json:"endReason,omitempty"`
	CreatedAt      time.Time  `json:"createdAt"`
}

const creditColumns = `id, enterprise_code, department, kind, class, legal_basis, decision_no, summary, public, starts_at, expires_at, state,
	prev_class, prev_abnormal, prev_serious, author, ended_at, ended_by, end_reason, created_at`

func scanCredit(row Scanner) (*CreditRecord, error) {
	var r CreditRecord
	var starts, created Time
	var expires, ended NullTime
	err := row.Scan(&r.ID, &r.EnterpriseCode, &r.Department, &r.Kind, &r.Class, &r.LegalBasis, &r.DecisionNo, &r.Summary, &r.Public,
		&starts, &expires, &r.State, &r.PrevClass, &r.PrevAbnormal, &r.PrevSerious, &r.Author, &ended, &r.EndedBy, &r.EndReason, &created)
	if err != nil {
		return nil, classify(err)
	}
	r.StartsAt, r.CreatedAt, r.ExpiresAt, r.EndedAt = starts.Time, created.Time, expires.asRead(), ended.asRead()
	return &r, nil
}

// InsertCreditRecord stores a new record, not ended; a Conflict error when its id is taken.
func (t *Tx) InsertCreditRecord(ctx context.Context, r *CreditRecord) error {
	if _, err := t.Exec(ctx, `INSERT INTO credit_records (id, enterprise_code, department, kind, class, legal_basis, decision_no, summary, public,
		starts_at, expires_at, state, prev_class, prev_abnormal, prev_serious, author, ended_at, ended_by, end_reason, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,NULL,'','',$17)`,
		r.ID, r.EnterpriseCode, r.Department, r.Kind, r.Class, r.LegalBasis, r.DecisionNo, r.Summary, r.Public, r.StartsAt, r.ExpiresAt,
		r.State, r.PrevClass, r.PrevAbnormal, r.PrevSerious, r.Author, r.CreatedAt); err != nil {
		return fmt.Errorf("store credit record %s of %s: %w", r.ID, r.EnterpriseCode, classify(err))
	}
	return nil
}

// EndCreditRecord ends an active record (state expired or repaired); false
// when it is not active or not there.
func (t *Tx) EndCreditRecord(ctx context.Context, id, state, by, reason string, at time.Time) (bool, error) {
	res, err := t.Exec(ctx, `UPDATE credit_records SET state = $2, ended_at = $3, ended_by = $4, end_reason = $5 WHERE id = $1 AND state = 'active'`,
		id, state, at, by, reason)
	return changedOne(res, err, "end credit record "+id)
}

// CreditRecord reads a record in the transaction; a NotFound error when there is none.
func (t *Tx) CreditRecord(ctx context.Context, id string) (*CreditRecord, error) {
	return creditRecord(ctx, t, id)
}

// CreditRecord reads a record; a NotFound error when there is none.
func (db *DB) CreditRecord(ctx context.Context, id string) (*CreditRecord, error) {
	return creditRecord(ctx, db, id)
}

func creditRecord(ctx context.Context, q rowQuerier, id string) (r *CreditRecord, err error) {
	defer errs.Wrap(&err, "read credit record %s", id)
	return scanCredit(q.queryRow(ctx, `SELECT `+creditColumns+` FROM credit_records WHERE id = $1`, id))
}

// LatestActiveCreditRecord reads an enterprise's newest active record of a
// kind, in the transaction; a NotFound error when there is none.
func (t *Tx) LatestActiveCreditRecord(ctx context.Context, code, kind string) (r *CreditRecord, err error) {
	defer errs.Wrap(&err, "latest active %s record of %s", kind, code)
	return scanCredit(t.QueryRow(ctx, `SELECT `+creditColumns+` FROM credit_records
		WHERE enterprise_code = $1 AND kind = $2 AND state = 'active' ORDER BY created_at DESC, id DESC LIMIT 1`, code, kind))
}

// ExpiredCreditRecords lists the active records whose expiry is at or before now.
func (db *DB) ExpiredCreditRecords(ctx context.Context, now time.Time) ([]string, error) {
	ids, err := db.ids(ctx, `SELECT id FROM credit_records WHERE state = 'active' AND expires_at IS NOT NULL AND expires_at <= $1`, now)
	if err != nil {
		return nil, fmt.Errorf("credit records expired at %s: %w", now.Format(time.RFC3339), err)
	}
	return ids, nil
}

// CreditRecords lists the newest 1000 records of an enterprise (of all
// enterprises when code is empty), newest first.
func (db *DB) CreditRecords(ctx context.Context, code string) ([]*CreditRecord, error) {
	rows, err := db.Query(ctx, `SELECT `+creditColumns+` FROM credit_records WHERE $1 = '' OR enterprise_code = $1
		ORDER BY created_at DESC, id DESC LIMIT 1000`, code)
	if err != nil {
		return nil, fmt.Errorf("credit records of %q: %w", code, err)
	}
	list, err := Collect(rows, scanCredit)
	if err != nil {
		return nil, fmt.Errorf("credit records of %q: %w", code, err)
	}
	return list, nil
}
