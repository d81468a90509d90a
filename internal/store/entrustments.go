package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// Entrustment is an e-commerce enterprise's (or exporter's) permission for a
// declaring agent to declare its inventories (rules §12).
type Entrustment struct {
	ID         string
	EbcCode    string
	AgentCode  string
	ValidFrom  time.Time
	ValidUntil *time.Time // nil: without end
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

// InForce tells whether the entrustment lets the agent declare at t.
func (e *Entrustment) InForce(t time.Time) bool {
	return e.RevokedAt == nil && !t.Before(e.ValidFrom) && (e.ValidUntil == nil || !t.After(*e.ValidUntil))
}

const entrustmentColumns = `id, ebc_code, agent_code, valid_from, valid_until, created_at, revoked_at`

// AddEntrustment stores a new entrustment.
func (db *DB) AddEntrustment(ctx context.Context, e *Entrustment) error {
	err := db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO entrustments (`+entrustmentColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			e.ID, e.EbcCode, e.AgentCode, e.ValidFrom, e.ValidUntil, e.CreatedAt, e.RevokedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("store entrustment of %s by %s: %w", e.AgentCode, e.EbcCode, err)
	}
	return nil
}

// Entrustment reads one entrustment; NotFound when there is none.
func (db *DB) Entrustment(ctx context.Context, id string) (*Entrustment, error) {
	e, err := scanEntrustment(db.QueryRow(ctx, `SELECT `+entrustmentColumns+` FROM entrustments WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "entrustment_not_found", "id", "no entrustment %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read entrustment %s: %w", id, err)
	}
	return e, nil
}

// Entrustments lists, newest first, the entrustments an enterprise granted or holds.
func (db *DB) Entrustments(ctx context.Context, code string) ([]*Entrustment, error) {
	rows, err := db.Query(ctx, `SELECT `+entrustmentColumns+` FROM entrustments
		WHERE ebc_code = $1 OR agent_code = $1 ORDER BY created_at DESC, id DESC`, code)
	if err != nil {
		return nil, fmt.Errorf("list entrustments of %s: %w", code, err)
	}
	defer rows.Close()
	out := []*Entrustment{}
	for rows.Next() {
		e, err := scanEntrustment(rows)
		if err != nil {
			return nil, fmt.Errorf("list entrustments of %s: %w", code, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// RevokeEntrustment ends an entrustment at the given time; revoking a revoked
// one keeps the first time.
func (db *DB) RevokeEntrustment(ctx context.Context, id string, at time.Time) error {
	err := db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE entrustments SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, at, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke entrustment %s: %w", id, err)
	}
	return nil
}

// Entrusted tells, in the transaction, whether ebc has an entrustment of agent in force at t.
func (t *Tx) Entrusted(ctx context.Context, ebc, agent string, at time.Time) (bool, error) {
	return entrusted(ctx, t, ebc, agent, at)
}

// Entrusted tells whether ebc has an entrustment of agent in force at t, read
// on the read pool: intake asks it when a message arrives, off the writer.
func (db *DB) Entrusted(ctx context.Context, ebc, agent string, at time.Time) (bool, error) {
	return entrusted(ctx, db, ebc, agent, at)
}

// rowsQuerier is what reads rows: a transaction or the read pool.
type rowsQuerier interface {
	query(ctx context.Context, query string, args ...any) (Rows, error)
}

func entrusted(ctx context.Context, q rowsQuerier, ebc, agent string, at time.Time) (bool, error) {
	rows, err := q.query(ctx, `SELECT `+entrustmentColumns+` FROM entrustments
		WHERE ebc_code = $1 AND agent_code = $2 AND revoked_at IS NULL`, ebc, agent)
	if err != nil {
		return false, fmt.Errorf("read entrustments of %s by %s: %w", agent, ebc, err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntrustment(rows)
		if err != nil {
			return false, fmt.Errorf("read entrustments of %s by %s: %w", agent, ebc, err)
		}
		if e.InForce(at) {
			return true, nil
		}
	}
	return false, rows.Err()
}

func scanEntrustment(row interface{ Scan(...any) error }) (*Entrustment, error) {
	var e Entrustment
	var from, created Time
	var until, revoked NullTime
	if err := row.Scan(&e.ID, &e.EbcCode, &e.AgentCode, &from, &until, &created, &revoked); err != nil {
		return nil, err
	}
	e.ValidFrom, e.CreatedAt = from.UTC(), created.UTC()
	if until.Valid {
		t := until.UTC()
		e.ValidUntil = &t
	}
	if revoked.Valid {
		t := revoked.UTC()
		e.RevokedAt = &t
	}
	return &e, nil
}
