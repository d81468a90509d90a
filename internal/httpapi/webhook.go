package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/webhook"
)

func (a *API) webhookRoutes() {
	a.handle("PUT /api/v1/webhook", a.enterpriseOnly(a.putWebhook))
	a.handle("GET /api/v1/webhook", a.enterpriseOnly(a.getWebhook))
	a.handle("DELETE /api/v1/webhook", a.enterpriseOnly(a.deleteWebhook))
}

func (a *API) putWebhook(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		URL     string `json:"url"`
		FromSeq *int64 `json:"fromSeq"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if err := a.Webhooks.CheckURL(r.Context(), in.URL); err != nil {
		if errors.Is(err, webhook.ErrAddress) {
			return errs.Invalidf("url", "webhook_address", "url: %v; webhooks may reach only public addresses (the operator can allow others with webhook.allow)", err)
		}
		return errs.Invalidf("url", "webhook_url", "url %v", err)
	}
	u, err := url.Parse(in.URL)
	if err != nil { // CheckURL parsed it already
		return errs.Invalidf("url", "webhook_url", "url %q: %v", in.URL, err)
	}
	me := caller(r).enterprise
	from := int64(0)
	if in.FromSeq != nil {
		if *in.FromSeq < 0 {
			return errs.Invalidf("fromSeq", "from_seq_range", "fromSeq must be 0 or more")
		}
		from = *in.FromSeq
	} else if from, err = a.Store.LastReceiptSeq(r.Context(), me.Code); err != nil {
		return err
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	now := time.Now()
	hook := &store.Webhook{EnterpriseCode: me.Code, URL: u.String(), Secret: hex.EncodeToString(b), DeliveredSeq: from, UpdatedAt: now}
	if err := a.Store.PutWebhook(r.Context(), hook); err != nil {
		return err
	}
	a.Log.InfoContext(r.Context(), "webhook registered", "enterprise", me.Code)
	return writeJSON(w, http.StatusOK, map[string]any{"url": hook.URL, "secret": hook.Secret, "deliveredSeq": from})
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request) error {
	hook, err := a.Store.Webhook(r.Context(), caller(r).enterprise.Code)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, hook)
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := a.Store.DeleteWebhook(r.Context(), caller(r).enterprise.Code); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
