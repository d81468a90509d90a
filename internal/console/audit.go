package console

import (
	"context"
	"encoding/csv"
	"github.com/cbec-platform/cbec/internal/csvsafe"
	"io"
	"strconv"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
)

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	OfficerID  string    `json:"officerId"`
	Username   string    `json:"username"`
	Department string    `json:"department"`
	Action     string    `json:"action"`
	Object     string    `json:"object"`
	Before     string    `json:"before"`
	After      string    `json:"after"`
}

// audit appends an entry in the transaction of the action it records. The
// table refuses updates and deletes (a trigger on both engines).
func (s *Service) audit(ctx context.Context, tx *store.Tx, o *Officer, action, object, before, after string) error {
	_, err := tx.Exec(ctx, `INSERT INTO officer_audit (at, officer_id, username, department, action, object, before, after)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, s.now(), o.ID, o.Username, o.Department, action, object, before, after)
	return err
}

// Audit appends an entry on its own (an action that changes nothing else, such as unmasking).
func (s *Service) Audit(ctx context.Context, o *Officer, action, object, before, after string) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error { return s.audit(ctx, tx, o, action, object, before, after) })
}

// AuditLog lists entries newest first; officer and action filter when not empty.
func (s *Service) AuditLog(ctx context.Context, officer, action string, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	rows, err := s.DB.Query(ctx, `SELECT seq, at, officer_id, username, department, action, object, before, after FROM officer_audit
		WHERE ($1 = '' OR username = $1) AND ($2 = '' OR action = $2) ORDER BY seq DESC LIMIT $3`, officer, action, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		var at store.Time
		if err := rows.Scan(&e.Seq, &at, &e.OfficerID, &e.Username, &e.Department, &e.Action, &e.Object, &e.Before, &e.After); err != nil {
			return nil, err
		}
		e.At = at.Time
		out = append(out, e)
	}
	return out, rows.Err()
}

// WriteAuditCSV writes entries as CSV with a header line.
func WriteAuditCSV(w io.Writer, entries []AuditEntry) error {
	c := csv.NewWriter(w)
	_ = c.Write([]string{"seq", "at", "officer_id", "username", "department", "action", "object", "before", "after"})
	for _, e := range entries {
		_ = c.Write([]string{strconv.FormatInt(e.Seq, 10), e.At.Format(time.RFC3339), e.OfficerID, e.Username, e.Department,
			e.Action, e.Object, csvsafe.Text(e.Before), csvsafe.Text(e.After)})
	}
	c.Flush()
	return c.Error()
}
