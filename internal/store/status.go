package store

import (
	"context"
	"fmt"
	"github.com/cbec-platform/cbec/internal/errs"
	"time"
)

// PlatformCounts are the figures of the public status page (package
// support), read from the tables of intake, clearance, webhooks, tickets
// and logistics.
type PlatformCounts struct {
	MessagesLastHour int64
	LastMessageAt    *time.Time
	// ReleaseSeconds are declaration-to-release times of the inventories
	// released at or after the day's start, in no particular order.
	ReleaseSeconds   []float64
	Pending          int64
	OldestPendingAt  *time.Time
	WaitingDocuments int64
	WebhookBacklog   int64 // receipts not yet delivered to registered endpoints
	WebhooksFailing  int64
	OpenTickets      int64
	StuckLogistics   int64 // open logistics alerts
}

// PlatformCounts reads the status page's figures at now; dayStart is the
// start of the day whose releases count.
func (db *DB) PlatformCounts(ctx context.Context, now, dayStart time.Time) (_ *PlatformCounts, err error) {
	defer errs.Wrap(&err, "store.PlatformCounts")
	c := &PlatformCounts{}
	var last, oldest NullTime
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM messages WHERE received_at >= $1`, now.Add(-time.Hour)).Scan(&c.MessagesLastHour); err != nil {
		return nil, fmt.Errorf("count messages: %w", err)
	}
	if err := db.QueryRow(ctx, `SELECT MAX(received_at) FROM messages`).Scan(&last); err != nil {
		return nil, fmt.Errorf("last message: %w", err)
	}
	if last.Valid {
		v := last.UTC()
		c.LastMessageAt = &v
	}
	rows, err := db.Query(ctx, `SELECT created_at, released_at FROM inventories WHERE released_at >= $1`, dayStart)
	if err != nil {
		return nil, err
	}
	if c.ReleaseSeconds, err = Collect(rows, func(r Scanner) (float64, error) {
		var created, released Time
		err := r.Scan(&created, &released)
		return released.Sub(created.Time).Seconds(), err
	}); err != nil {
		return nil, fmt.Errorf("today's releases: %w", err)
	}
	if err := db.QueryRow(ctx, `SELECT COUNT(*), MIN(updated_at) FROM inventories WHERE pending`).Scan(&c.Pending, &oldest); err != nil {
		return nil, fmt.Errorf("pending inventories: %w", err)
	}
	if oldest.Valid {
		v := oldest.Time.Time
		c.OldestPendingAt = &v
	}
	for _, q := range []struct {
		dst   *int64
		query string
	}{
		{&c.WaitingDocuments, `SELECT COUNT(*) FROM inventories WHERE status = '120' AND NOT pending`},
		{&c.WebhookBacklog, `SELECT COALESCE(SUM(c.last_seq - w.delivered_seq), 0) FROM webhooks w JOIN receipt_counters c ON c.enterprise_code = w.enterprise_code`},
		{&c.WebhooksFailing, `SELECT COUNT(*) FROM webhooks WHERE failures > 0`},
		{&c.OpenTickets, `SELECT COUNT(*) FROM sr_tickets WHERE status IN ('open', 'answered')`},
		{&c.StuckLogistics, `SELECT COUNT(*) FROM lg_alerts WHERE resolved_at IS NULL`},
	} {
		if err := db.QueryRow(ctx, q.query).Scan(q.dst); err != nil {
			return nil, fmt.Errorf("status figures: %w", err)
		}
	}
	return c, nil
}
