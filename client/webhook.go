package client

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// SignatureHeader is the header of a webhook delivery that carries
// "sha256=" and the hex HMAC-SHA256 of the body under the webhook's secret.
const SignatureHeader = "X-Cbec-Signature"

// ErrSignature means a webhook delivery's signature is missing or does not
// match its body: it did not come from the server, or was changed on the way.
var ErrSignature = errors.New("webhook signature does not match the body")

// VerifySignature checks signature (the SignatureHeader value) against the
// raw body under secret (the one PUT /api/v1/webhook returned). Verify the
// bytes as received, before decoding them.
func VerifySignature(secret string, body []byte, signature string) error {
	hexSum, ok := strings.CutPrefix(signature, "sha256=")
	if !ok {
		return fmt.Errorf("%w: want \"sha256=<hex>\", got %q", ErrSignature, signature)
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return fmt.Errorf("%w: not hex", ErrSignature)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return ErrSignature
	}
	return nil
}

// Delivery is the body of a webhook delivery: receipts of one enterprise in
// order. Deliveries are at least once, so deduplicate by Seq.
type Delivery struct {
	Enterprise string    `json:"enterprise"`
	Receipts   []Receipt `json:"receipts"`
	Next       int64     `json:"next"`
}

// ParseDelivery verifies a webhook delivery's signature and decodes it.
func ParseDelivery(secret string, body []byte, signature string) (*Delivery, error) {
	if err := VerifySignature(secret, body, signature); err != nil {
		return nil, err
	}
	var d Delivery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("webhook delivery: %w", err)
	}
	return &d, nil
}

// maxDelivery bounds the body WebhookHandler reads: a delivery holds at
// most 100 receipts.
const maxDelivery = 16 << 20

// WebhookHandler serves a webhook endpoint: it verifies each delivery's
// signature under secret and hands the receipts to fn. A delivery with a
// bad signature is answered 401 and fn is not called; when fn returns an
// error the answer is 500, so the server delivers the same receipts again.
func WebhookHandler(secret string, fn func(context.Context, *Delivery) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDelivery))
		if err != nil {
			http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		d, err := ParseDelivery(secret, body, r.Header.Get(SignatureHeader))
		if errors.Is(err, ErrSignature) {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := fn(r.Context(), d); err != nil {
			http.Error(w, "not taken: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
