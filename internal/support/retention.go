package support

import (
	"context"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// retentionChunk bounds the rows one delete statement removes, so that the
// writer is never held long (SQLite has one).
const retentionChunk = 1000

// Retain deletes raw messages (and providers' submission records) received
// more than days ago; 0 days keeps everything. It returns how many messages
// it deleted. The documents, inventories and receipts derived from them stay.
func (s *Service) Retain(ctx context.Context, days int) (_ int64, err error) {
	defer errs.Wrap(&err, "support.Retain(%d)", days)
	if days <= 0 {
		return 0, nil
	}
	cutoff := s.Now().UTC().AddDate(0, 0, -days)
	var total int64
	for _, del := range []struct {
		chunk func(context.Context, time.Time, int) (int64, error)
		count bool
	}{
		{s.DB.DeleteMessagesBefore, true},
		{s.DB.DeleteProviderSubmissionsBefore, false},
	} {
		for {
			n, err := del.chunk(ctx, cutoff, retentionChunk)
			if err != nil {
				return total, err
			}
			if del.count {
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
