package store

import (
	"context"
	"fmt"
	"log/slog"
)

// MigrateDownTo runs the Down sections of every applied migration above
// version, newest first, for the migration parity test.
func (db *DB) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := db.migrator(slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, version); err != nil {
		return fmt.Errorf("migrate %s down to %d: %w", db.Engine, version, err)
	}
	return nil
}

// Queued is how many jobs wait in the batcher's Do queue, for tests that
// must have several jobs in one batch.
func (b *Batcher) Queued() int { return len(b.jobs) }

// RecentTraceCodesQuery is the query of DB.RecentTraceCodes, for the test of its plan.
const RecentTraceCodesQuery = recentTraceCodes

// DocumentsQuery is the statement of Tx.Documents, for the test of its plan.
func DocumentsQuery(kind string, keys []WaitKey) (string, []any) { return documentsQuery(kind, keys) }
