package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ConsoleSession is a signed-in enterprise console: whose it is and the hash
// of the key it was opened with (both empty-coded for the administrator).
type ConsoleSession struct {
	EnterpriseCode string
	KeyHash        string
	ExpiresAt      time.Time
}

// PutConsoleSession stores a new session under the hash of its id, and
// forgets the sessions that have expired.
func (db *DB) PutConsoleSession(ctx context.Context, idHash string, s ConsoleSession, now time.Time) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM console_sessions WHERE expires_at < $1`, now); err != nil {
			return fmt.Errorf("forget expired console sessions: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO console_sessions (id_hash, enterprise_code, key_hash, created_at, expires_at) VALUES ($1,$2,$3,$4,$5)`,
			idHash, s.EnterpriseCode, s.KeyHash, now, s.ExpiresAt); err != nil {
			return fmt.Errorf("store console session: %w", err)
		}
		return nil
	})
}

// ConsoleSessionByHash reads a session, nil when there is none.
func (db *DB) ConsoleSessionByHash(ctx context.Context, idHash string) (*ConsoleSession, error) {
	var s ConsoleSession
	var expires Time
	err := db.QueryRow(ctx, `SELECT enterprise_code, key_hash, expires_at FROM console_sessions WHERE id_hash = $1`, idHash).
		Scan(&s.EnterpriseCode, &s.KeyHash, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read console session: %w", err)
	}
	s.ExpiresAt = expires.Time
	return &s, nil
}

// DeleteConsoleSession ends a session.
func (db *DB) DeleteConsoleSession(ctx context.Context, idHash string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM console_sessions WHERE id_hash = $1`, idHash); err != nil {
			return fmt.Errorf("end console session: %w", err)
		}
		return nil
	})
}
