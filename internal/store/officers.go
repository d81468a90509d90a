package store

import (
	"context"
	"fmt"
	"time"
)

// Officer is a customs officer of the console (package console), as stored;
// the password hash and the supervisor flag are read on their own.
type Officer struct {
	ID         string
	Username   string
	Name       string
	Department string
	Disabled   bool
	CreatedAt  time.Time
}

// OfficerAuditEntry is one line of the officers' append-only audit log.
type OfficerAuditEntry struct {
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

const officerColumns = `id, username, name, department, disabled, created_at`

// OfficerUsernameTaken tells whether an officer is named username.
func (t *Tx) OfficerUsernameTaken(ctx context.Context, username string) (bool, error) {
	var n int
	if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM officers WHERE username = $1`, username).Scan(&n); err != nil {
		return false, fmt.Errorf("count officers named %q: %w", username, err)
	}
	return n > 0, nil
}

// InsertOfficer stores a new, enabled officer with its password hash.
func (t *Tx) InsertOfficer(ctx context.Context, o *Officer, passwordHash string, supervisor bool) error {
	_, err := t.Exec(ctx, `INSERT INTO officers (id, username, name, department, password_hash, disabled, supervisor, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,FALSE,$6,$7,$7)`, o.ID, o.Username, o.Name, o.Department, passwordHash, supervisor, o.CreatedAt)
	if err != nil {
		return fmt.Errorf("store officer %q: %w", o.Username, err)
	}
	return nil
}

// Officers lists every officer by username.
func (db *DB) Officers(ctx context.Context) ([]Officer, error) {
	rows, err := db.Query(ctx, `SELECT `+officerColumns+` FROM officers ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("list officers: %w", err)
	}
	return Collect(rows, func(r Scanner) (Officer, error) {
		var o Officer
		var created Time
		if err := r.Scan(&o.ID, &o.Username, &o.Name, &o.Department, &o.Disabled, &created); err != nil {
			return o, fmt.Errorf("list officers: %w", err)
		}
		o.CreatedAt = created.Time
		return o, nil
	})
}

// OfficerByUsername reads the officer named username with its password
// hash; a NotFound error when there is none.
func (db *DB) OfficerByUsername(ctx context.Context, username string) (*Officer, string, error) {
	var o Officer
	var created Time
	var hash string
	err := db.QueryRow(ctx, `SELECT `+officerColumns+`, password_hash FROM officers WHERE username = $1`, username).
		Scan(&o.ID, &o.Username, &o.Name, &o.Department, &o.Disabled, &created, &hash)
	if err != nil {
		return nil, "", fmt.Errorf("officer %q: %w", username, classify(err))
	}
	o.CreatedAt = created.Time
	return &o, hash, nil
}

// OfficerSupervises tells whether officer id may reopen their side's findings.
func (db *DB) OfficerSupervises(ctx context.Context, id string) (bool, error) {
	var sup bool
	if err := db.QueryRow(ctx, `SELECT supervisor FROM officers WHERE id = $1`, id).Scan(&sup); err != nil {
		return false, fmt.Errorf("supervisor flag of officer %s: %w", id, classify(err))
	}
	return sup, nil
}

// StartOfficerSession stores a session of officer officerID under the hash
// of its token, dropping the sessions expired before now.
func (t *Tx) StartOfficerSession(ctx context.Context, tokenHash, officerID string, now, expires time.Time) error {
	if _, err := t.Exec(ctx, `DELETE FROM officer_sessions WHERE expires_at < $1`, now); err != nil {
		return fmt.Errorf("drop expired officer sessions: %w", err)
	}
	if _, err := t.Exec(ctx, `INSERT INTO officer_sessions (token_hash, officer_id, created_at, expires_at) VALUES ($1,$2,$3,$4)`,
		tokenHash, officerID, now, expires); err != nil {
		return fmt.Errorf("store a session of officer %s: %w", officerID, err)
	}
	return nil
}

// OfficerSession reads the officer of the session with this token hash and
// when the session expires; a NotFound error when there is none.
func (db *DB) OfficerSession(ctx context.Context, tokenHash string) (*Officer, time.Time, error) {
	var o Officer
	var created, expires Time
	err := db.QueryRow(ctx, `SELECT o.id, o.username, o.name, o.department, o.disabled, o.created_at, s.expires_at
		FROM officer_sessions s JOIN officers o ON o.id = s.officer_id WHERE s.token_hash = $1`, tokenHash).
		Scan(&o.ID, &o.Username, &o.Name, &o.Department, &o.Disabled, &created, &expires)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("officer session: %w", classify(err))
	}
	o.CreatedAt = created.Time
	return &o, expires.Time, nil
}

// DeleteOfficerSession ends the session with this token hash, if any.
func (t *Tx) DeleteOfficerSession(ctx context.Context, tokenHash string) error {
	if _, err := t.Exec(ctx, `DELETE FROM officer_sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("end officer session: %w", err)
	}
	return nil
}

// AddOfficerAudit appends e (its Seq is given by the database) in the
// transaction of the action it records. The table refuses updates and
// deletes (a trigger on both engines).
func (t *Tx) AddOfficerAudit(ctx context.Context, e OfficerAuditEntry) error {
	_, err := t.Exec(ctx, `INSERT INTO officer_audit (at, officer_id, username, department, action, object, before, after)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, e.At, e.OfficerID, e.Username, e.Department, e.Action, e.Object, e.Before, e.After)
	if err != nil {
		return fmt.Errorf("audit %s of %s: %w", e.Action, e.Object, err)
	}
	return nil
}

// OfficerAudit lists at most limit entries, newest first, of the officer
// named username and of action ("" for any).
func (db *DB) OfficerAudit(ctx context.Context, username, action string, limit int) ([]OfficerAuditEntry, error) {
	rows, err := db.Query(ctx, `SELECT seq, at, officer_id, username, department, action, object, before, after FROM officer_audit
		WHERE ($1 = '' OR username = $1) AND ($2 = '' OR action = $2) ORDER BY seq DESC LIMIT $3`, username, action, limit)
	if err != nil {
		return nil, fmt.Errorf("officer audit: %w", err)
	}
	return Collect(rows, func(r Scanner) (OfficerAuditEntry, error) {
		var e OfficerAuditEntry
		var at Time
		if err := r.Scan(&e.Seq, &at, &e.OfficerID, &e.Username, &e.Department, &e.Action, &e.Object, &e.Before, &e.After); err != nil {
			return e, fmt.Errorf("officer audit: %w", err)
		}
		e.At = at.Time
		return e, nil
	})
}

// FirstAuditorWithAfterSuffix is the username of the earliest audit entry
// whose after text matches LIKE '%'+suffix (a '_' in suffix stands for any
// one character); a NotFound error when there is none.
func (db *DB) FirstAuditorWithAfterSuffix(ctx context.Context, suffix string) (string, error) {
	var username string
	err := db.QueryRow(ctx, `SELECT username FROM officer_audit WHERE after LIKE $1 ORDER BY seq LIMIT 1`, "%"+suffix).Scan(&username)
	if err != nil {
		return "", fmt.Errorf("auditor of %q: %w", suffix, classify(err))
	}
	return username, nil
}
