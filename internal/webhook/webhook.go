// Package webhook pushes each enterprise's receipts feed to the endpoint it
// registered: in order, in batches, signed with HMAC-SHA256, retried with
// exponential backoff until the endpoint answers 2xx. Delivery is at least
// once: the cursor advances only after a 2xx, so a receipt may come twice
// (after a crash) but is never skipped; receivers deduplicate by seq.
//
// Every node delivers; each delivery is claimed first (store.ClaimWebhook),
// so of several nodes on one database one sends a batch, and another sends
// it again only if the first has not recorded the outcome within Claim.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
)

// SignatureHeader carries "sha256=" + hex HMAC-SHA256 of the body under the webhook's secret.
const SignatureHeader = "X-Cbec-Signature"

// Deliverer sends due receipts.
type Deliverer struct {
	DB         *store.DB
	Client     *http.Client // Guard.Client: only allowed addresses, no redirects
	Now        func() time.Time
	Log        *slog.Logger
	Interval   time.Duration // how often due endpoints are looked for
	MaxBackoff time.Duration
	Batch      int // receipts per request
	// Claim is how long a delivery is this node's alone: longer than an
	// attempt takes (the client's timeout and the recording of the outcome).
	Claim time.Duration
}

// Run delivers until ctx is done.
func (d *Deliverer) Run(ctx context.Context) {
	if d.Interval <= 0 {
		d.Interval = 500 * time.Millisecond
	}
	if d.MaxBackoff <= 0 {
		d.MaxBackoff = 10 * time.Minute
	}
	if d.Batch <= 0 {
		d.Batch = 100
	}
	if d.Claim <= 0 {
		d.Claim = time.Minute
	}
	t := time.NewTicker(d.Interval)
	defer t.Stop()
	for {
		d.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// round delivers one batch to every due endpoint, in parallel: a slow or hung
// endpoint holds up only itself (each attempt is bounded by the client's timeout).
func (d *Deliverer) round(ctx context.Context) {
	due, err := d.DB.DueWebhooks(ctx, d.Now())
	if err != nil {
		if ctx.Err() == nil {
			d.Log.Warn("listing due webhooks failed", "error", err)
		}
		return
	}
	var wg sync.WaitGroup
	for _, w := range due {
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := d.Now()
			claimed, err := d.DB.ClaimWebhook(ctx, w.EnterpriseCode, now, now.Add(d.Claim))
			if err != nil {
				if ctx.Err() == nil {
					d.Log.Warn("claiming a webhook delivery failed", "enterprise", w.EnterpriseCode, "error", err)
				}
				return
			}
			if claimed != nil { // nil: another node has it
				d.deliver(ctx, claimed)
			}
		}()
	}
	wg.Wait()
}

// Payload is what an endpoint receives.
type Payload struct {
	Enterprise string          `json:"enterprise"`
	Receipts   []store.Receipt `json:"receipts"`
	Next       int64           `json:"next"`
}

func (d *Deliverer) deliver(ctx context.Context, w *store.Webhook) {
	receipts, err := d.DB.Receipts(ctx, w.EnterpriseCode, w.DeliveredSeq, d.Batch)
	if err != nil || len(receipts) == 0 {
		return
	}
	last := receipts[len(receipts)-1].Seq
	body, err := json.Marshal(Payload{Enterprise: w.EnterpriseCode, Receipts: receipts, Next: last})
	if err != nil {
		d.Log.Error("encoding webhook payload failed", "enterprise", w.EnterpriseCode, "error", err)
		return
	}
	if err := d.post(ctx, w, body); err != nil {
		now := d.Now()
		next := now.Add(d.backoff(w.Failures + 1))
		d.Log.Warn("webhook delivery failed; will retry", "enterprise", w.EnterpriseCode, "failures", w.Failures+1, "retry_at", next, "error", err)
		if err := d.DB.WebhookFailed(ctx, w.EnterpriseCode, Category(err), next, now); err != nil && ctx.Err() == nil {
			d.Log.Error("recording webhook failure failed", "enterprise", w.EnterpriseCode, "error", err)
		}
		return
	}
	if err := d.DB.WebhookDelivered(ctx, w.EnterpriseCode, last, d.Now()); err != nil && ctx.Err() == nil {
		d.Log.Error("recording webhook delivery failed", "enterprise", w.EnterpriseCode, "error", err)
	}
}

func (d *Deliverer) post(ctx context.Context, w *store.Webhook, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(w.Secret, body))
	resp, err := d.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(resp.StatusCode)
	}
	return nil
}

// statusError is an endpoint's answer other than 2xx.
type statusError int

func (s statusError) Error() string {
	return fmt.Sprintf("endpoint answered %d %s", int(s), http.StatusText(int(s)))
}

// Category is what the enterprise is shown of a failed delivery: a category
// that helps it fix its receiver, never the cause's detail (addresses, ports,
// what answered how), which would make the webhook a probe of the network
// the server stands in; the cause goes to the server's log.
func Category(err error) string {
	var status statusError
	var dns *net.DNSError
	var netErr net.Error
	var op *net.OpError
	var certErr *tls.CertificateVerificationError
	var alert tls.AlertError
	var header tls.RecordHeaderError
	switch {
	case errors.Is(err, ErrAddress):
		return "address not allowed"
	case errors.As(err, &status) && status >= 300 && status <= 399:
		return "endpoint answered a redirect (not followed)"
	case errors.As(err, &status):
		return fmt.Sprintf("endpoint answered HTTP %d", int(status))
	case errors.As(err, &dns):
		return "host name not found"
	case errors.As(err, &certErr), errors.As(err, &alert), errors.As(err, &header):
		return "TLS handshake failed"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	case errors.As(err, &op) && op.Op == "dial":
		return "could not connect"
	}
	return "delivery failed"
}

// backoff doubles from one second per failure, up to MaxBackoff.
func (d *Deliverer) backoff(failures int) time.Duration {
	b := time.Second
	for i := 1; i < failures && b < d.MaxBackoff; i++ {
		b *= 2
	}
	return min(b, d.MaxBackoff)
}

// Sign is the signature header value of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
