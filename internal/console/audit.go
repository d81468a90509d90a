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
type AuditEntry = store.OfficerAuditEntry

// audit appends an entry in the transaction of the action it records. The
// table refuses updates and deletes (a trigger on both engines).
func (s *Service) audit(ctx context.Context, tx *store.Tx, o *Officer, action, object, before, after string) error {
	return tx.AddOfficerAudit(ctx, AuditEntry{At: s.now(), OfficerID: o.ID, Username: o.Username, Department: o.Department,
		Action: action, Object: object, Before: before, After: after})
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
	return s.DB.OfficerAudit(ctx, officer, action, limit)
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
