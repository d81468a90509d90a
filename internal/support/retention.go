package support

import (
	"context"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
)

// retentionChunk bounds the rows one delete statement removes, so that the
// writer is never held long (SQLite has one).
const retentionChunk = 1000

// Retain deletes raw messages (and providers' submission records) received
// more than days ago; 0 days keeps everything. It returns how many messages
// it deleted. The documents, inventories and receipts derived from them stay.
func (s *Service) Retain(ctx context.Context, days int) (int64, error) {
	if days <= 0 {
		return 0, nil
	}
	cutoff := s.Now().UTC().AddDate(0, 0, -days)
	var total int64
	for _, q := range []struct {
		query string
		count bool
	}{
		{`DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE received_at < $1 LIMIT 1000)`, true},
		{`DELETE FROM tsp_submissions WHERE id IN (SELECT id FROM tsp_submissions WHERE at < $1 LIMIT 1000)`, false},
	} {
		for {
			var n int64
			err := s.DB.InTx(ctx, func(tx *store.Tx) error {
				res, err := tx.Exec(ctx, q.query, cutoff)
				if err != nil {
					return err
				}
				n, _ = res.RowsAffected()
				return nil
			})
			if err != nil {
				return total, err
			}
			if q.count {
				total += n
			}
			if n < retentionChunk {
				break
			}
		}
	}
	if total > 0 {
		s.Log.Info("retention: raw messages deleted", "count", total, "older_than", cutoff.Format(time.RFC3339))
	}
	return total, nil
}
