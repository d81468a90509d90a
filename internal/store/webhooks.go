package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// Webhook is an enterprise's receipt endpoint and its delivery state.
type Webhook struct {
	EnterpriseCode string    `json:"enterpriseCode"`
	URL            string    `json:"url"`
	Secret         string    `json:"-"`
	DeliveredSeq   int64     `json:"deliveredSeq"`
	Failures       int       `json:"failures"`
	LastError      string    `json:"lastError,omitempty"`
	NextAttempt    time.Time `json:"nextAttempt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

const webhookColumns = `enterprise_code, url, secret, delivered_seq, failures, last_error, next_attempt, updated_at`

func scanWebhook(row scanner) (*Webhook, error) {
	var w Webhook
	var next, updated Time
	if err := row.Scan(&w.EnterpriseCode, &w.URL, &w.Secret, &w.DeliveredSeq, &w.Failures, &w.LastError, &next, &updated); err != nil {
		return nil, classify(err)
	}
	w.NextAttempt, w.UpdatedAt = next.Time, updated.Time
	return &w, nil
}

// PutWebhook registers or replaces an enterprise's endpoint. A new endpoint
// starts after the receipts already issued, unless fromSeq says otherwise.
func (db *DB) PutWebhook(ctx context.Context, w *Webhook) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO webhooks (`+webhookColumns+`) VALUES ($1,$2,$3,$4,0,'',$5,$5)
			ON CONFLICT (enterprise_code) DO UPDATE SET url = excluded.url, secret = excluded.secret,
			delivered_seq = excluded.delivered_seq, failures = 0, last_error = '', next_attempt = excluded.next_attempt,
			updated_at = excluded.updated_at`, w.EnterpriseCode, w.URL, w.Secret, w.DeliveredSeq, w.UpdatedAt)
		if err != nil {
			return fmt.Errorf("store webhook of %s: %w", w.EnterpriseCode, err)
		}
		return nil
	})
}

// Webhook reads an enterprise's endpoint.
func (db *DB) Webhook(ctx context.Context, code string) (_ *Webhook, err error) {
	defer errs.Wrap(&err, "store.Webhook(%q)", code)
	w, err := scanWebhook(db.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE enterprise_code = $1`, code))
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.New(errs.NotFound, "webhook_not_found", "", "enterprise %s has no webhook", code)
	}
	return w, err
}

// DeleteWebhook removes an enterprise's endpoint.
func (db *DB) DeleteWebhook(ctx context.Context, code string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE enterprise_code = $1`, code)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.NotFound, "webhook_not_found", "", "enterprise %s has no webhook", code)
		}
		return nil
	})
}

// DueWebhooks lists endpoints whose next attempt is due and that have receipts to deliver.
func (db *DB) DueWebhooks(ctx context.Context, now time.Time) (_ []*Webhook, err error) {
	defer errs.Wrap(&err, "store.DueWebhooks")
	rows, err := db.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks w WHERE next_attempt <= $1
		AND EXISTS (SELECT 1 FROM receipts r WHERE r.enterprise_code = w.enterprise_code AND r.seq > w.delivered_seq)`, now)
	if err != nil {
		return nil, fmt.Errorf("list due webhooks: %w", err)
	}
	defer rows.Close()
	var out []*Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// ClaimWebhook claims an endpoint's next delivery for one node until until:
// it moves the next attempt there if it is still due at now, and returns the
// endpoint as the claim found it (its cursor fresh), or nil when it is not
// due any more (another node claimed it, or delivered meanwhile). Of several
// nodes claiming at once, one gets it: a delivery in flight is sent by one
// node only, and sent again only if its node does not record an outcome
// before until (it stopped). The endpoint returned shows the claim's next
// attempt.
func (db *DB) ClaimWebhook(ctx context.Context, code string, now, until time.Time) (w *Webhook, err error) {
	defer errs.Wrap(&err, "store.ClaimWebhook(%s)", code)
	err = db.InTx(ctx, func(tx *Tx) error {
		w, err = scanWebhook(tx.QueryRow(ctx, `UPDATE webhooks SET next_attempt = $3 WHERE enterprise_code = $1 AND next_attempt <= $2
			RETURNING `+webhookColumns, code, now, until))
		return err
	})
	if errs.KindOf(err) == errs.NotFound {
		return nil, nil
	}
	return w, err
}

// WebhookDelivered advances the delivery cursor (never backwards), clears
// failures and ends the claim: the next delivery is due at once.
func (db *DB) WebhookDelivered(ctx context.Context, code string, seq int64, now time.Time) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE webhooks SET delivered_seq = CASE WHEN delivered_seq < $2 THEN $2 ELSE delivered_seq END,
			failures = 0, last_error = '', next_attempt = $3, updated_at = $3 WHERE enterprise_code = $1`, code, seq, now)
		return err
	})
}

// WebhookFailed records a failed attempt and when to try again.
func (db *DB) WebhookFailed(ctx context.Context, code, reason string, next, now time.Time) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE webhooks SET failures = failures + 1, last_error = $2, next_attempt = $3, updated_at = $4
			WHERE enterprise_code = $1`, code, reason, next, now)
		return err
	})
}

// LastReceiptSeq is the newest receipt sequence number of an enterprise, 0 when none.
func (db *DB) LastReceiptSeq(ctx context.Context, code string) (int64, error) {
	var seq sql.NullInt64
	if err := db.QueryRow(ctx, `SELECT MAX(seq) FROM receipts WHERE enterprise_code = $1`, code).Scan(&seq); err != nil {
		return 0, classify(err)
	}
	return seq.Int64, nil
}
