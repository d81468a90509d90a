package store

import (
	"context"
	"fmt"
	"github.com/cbec-platform/cbec/internal/errs"
	"time"
)

// Incident is a disturbance published on the status page (package support).
type Incident struct {
	ID         string     `json:"id"`
	Title      string     `json:"title"`
	Body       string     `json:"body"`
	Severity   string     `json:"severity"` // minor, major, critical
	StartedAt  time.Time  `json:"startedAt"`
	ResolvedAt *time.Time `json:"resolvedAt,omitempty"`
}

// CreateIncident stores a new, open incident.
func (db *DB) CreateIncident(ctx context.Context, i *Incident) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO sr_incidents (id, title, body, severity, started_at, resolved_at) VALUES ($1, $2, $3, $4, $5, NULL)`,
			i.ID, i.Title, i.Body, i.Severity, i.StartedAt)
		if err != nil {
			return fmt.Errorf("store incident: %w", classify(err))
		}
		return nil
	})
}

// ResolveIncident closes the open incident id at at; false when no open
// incident has that id.
func (db *DB) ResolveIncident(ctx context.Context, id string, at time.Time) (_ bool, err error) {
	defer errs.Wrap(&err, "store.ResolveIncident(%q)", id)
	var n int64
	err = db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE sr_incidents SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL`, at, id)
		if err != nil {
			return fmt.Errorf("resolve incident %s: %w", id, err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n == 1, err
}

// Incidents lists the open incidents and those resolved at or after since,
// newest first.
func (db *DB) Incidents(ctx context.Context, since time.Time) (_ []Incident, err error) {
	defer errs.Wrap(&err, "store.Incidents")
	rows, err := db.Query(ctx, `SELECT id, title, body, severity, started_at, resolved_at FROM sr_incidents
		WHERE resolved_at IS NULL OR resolved_at >= $1 ORDER BY started_at DESC, id DESC`, since)
	if err != nil {
		return nil, err
	}
	return Collect(rows, func(r Scanner) (Incident, error) {
		var i Incident
		var started Time
		var resolved NullTime
		if err := r.Scan(&i.ID, &i.Title, &i.Body, &i.Severity, &started, &resolved); err != nil {
			return i, err
		}
		i.StartedAt = started.UTC()
		if resolved.Valid {
			v := resolved.UTC()
			i.ResolvedAt = &v
		}
		return i, nil
	})
}
