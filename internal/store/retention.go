package store

import (
	"context"
	"fmt"
	"time"
)

// DeleteMessagesBefore deletes at most limit raw messages received before
// cutoff and returns how many it deleted; callers repeat until fewer than
// limit go, so that the writer is never held long (SQLite has one). The
// documents, inventories and receipts derived from them stay.
func (db *DB) DeleteMessagesBefore(ctx context.Context, cutoff time.Time, limit int) (int64, error) {
	return db.deleteChunk(ctx, `DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE received_at < $1 LIMIT $2)`, cutoff, limit)
}

// DeleteProviderSubmissionsBefore does the same for the records of what
// technical service providers submitted.
func (db *DB) DeleteProviderSubmissionsBefore(ctx context.Context, cutoff time.Time, limit int) (int64, error) {
	return db.deleteChunk(ctx, `DELETE FROM tsp_submissions WHERE id IN (SELECT id FROM tsp_submissions WHERE at < $1 LIMIT $2)`, cutoff, limit)
}

func (db *DB) deleteChunk(ctx context.Context, query string, cutoff time.Time, limit int) (int64, error) {
	var n int64
	err := db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, query, cutoff, limit)
		if err != nil {
			return fmt.Errorf("delete old rows: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
