// Package provider holds technical service providers (技术服务商) to account:
// clients authorise a provider to transmit some message types on their behalf
// for a period, and may revoke it; every message a provider transmits for a
// client is recorded with both; each submission's outcome feeds the
// provider's quality figures; the platform operator may suspend a provider.
package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// Parties finds registered enterprises; nil for an unknown code.
type Parties interface {
	Get(ctx context.Context, code string) (*enterprise.Enterprise, error)
}

// Service keeps authorisations, suspensions and submissions.
type Service struct {
	DB      *store.DB
	Parties Parties
	Now     func() time.Time
	// Types are the message types intake accepts; an authorisation may only name these.
	Types func() []string
}

// Authorisation is a client's permission for a provider to transmit.
type Authorisation struct {
	store.Authorisation
	// State is active, expired, not_yet_valid or revoked at the time of reading.
	State string `json:"state"`
}

// Grant is what a client sends to authorise a provider.
type Grant struct {
	ProviderCode string    `json:"providerCode"`
	MessageTypes []string  `json:"messageTypes"`
	ValidFrom    time.Time `json:"validFrom"`
	ValidUntil   time.Time `json:"validUntil"`
}

// Authorise records client's grant, after checking every field.
func (s *Service) Authorise(ctx context.Context, client *enterprise.Enterprise, g Grant) (_ *Authorisation, err error) {
	defer errs.Wrap(&err, "provider.Authorise(%q, %q)", client.Code, g.ProviderCode)
	var problems errs.List
	p, err := s.Parties.Get(ctx, g.ProviderCode)
	if err != nil {
		return nil, err
	}
	switch {
	case g.ProviderCode == "":
		problems = append(problems, errs.Invalidf("providerCode", "required", "name the provider's enterprise code"))
	case p == nil:
		problems = append(problems, errs.Invalidf("providerCode", "provider_unknown", "no enterprise %s is registered", g.ProviderCode))
	case !p.HasRole(enterprise.RoleProvider):
		problems = append(problems, errs.Invalidf("providerCode", "not_a_provider", "enterprise %s does not hold the provider role", g.ProviderCode))
	case g.ProviderCode == client.Code:
		problems = append(problems, errs.Invalidf("providerCode", "self", "an enterprise needs no authorisation to send its own documents"))
	}
	if len(g.MessageTypes) == 0 {
		problems = append(problems, errs.Invalidf("messageTypes", "required", "name at least one message type, e.g. CEB621Message"))
	}
	known := s.Types()
	types := slices.Clone(g.MessageTypes)
	for _, t := range types {
		if !slices.Contains(known, t) {
			problems = append(problems, errs.Invalidf("messageTypes", "type_unknown", "%q is not a message type accepted here (%s)", t, strings.Join(known, ", ")))
		}
	}
	slices.Sort(types)
	types = slices.Compact(types)
	now := s.Now()
	from := g.ValidFrom
	if from.IsZero() {
		from = now
	}
	if g.ValidUntil.IsZero() {
		problems = append(problems, errs.Invalidf("validUntil", "required", "give the last moment of the authorisation (RFC 3339 with zone)"))
	} else if !g.ValidUntil.After(from) {
		problems = append(problems, errs.Invalidf("validUntil", "before_start", "validUntil %s is not after validFrom %s", g.ValidUntil.Format(time.RFC3339), from.Format(time.RFC3339)))
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	a := &Authorisation{Authorisation: store.Authorisation{ID: uuid.Must(uuid.NewV7()).String(), ClientCode: client.Code, ProviderCode: g.ProviderCode,
		MessageTypes: types, ValidFrom: from.UTC(), ValidUntil: g.ValidUntil.UTC(), CreatedAt: now.UTC()}}
	if err := s.DB.AddAuthorisation(ctx, &a.Authorisation); err != nil {
		return nil, err
	}
	a.State = state(&a.Authorisation, now)
	return a, nil
}

func state(a *store.Authorisation, now time.Time) string {
	switch {
	case a.RevokedAt != nil:
		return "revoked"
	case now.Before(a.ValidFrom):
		return "not_yet_valid"
	case now.After(a.ValidUntil):
		return "expired"
	}
	return "active"
}

// Revoke ends the client's authorisation id at once.
func (s *Service) Revoke(ctx context.Context, client, id string) (_ *Authorisation, err error) {
	defer errs.Wrap(&err, "provider.Revoke(%q, %q)", client, id)
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.ClientCode != client {
		return nil, errs.New(errs.NotFound, "authorisation_not_found", "id", "no authorisation %s of enterprise %s", id, client)
	}
	if a.RevokedAt != nil {
		return a, nil
	}
	if err := s.DB.RevokeAuthorisation(ctx, id, s.Now().UTC()); err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// withState adds the state at the time of reading to a stored authorisation.
func (s *Service) withState(a *store.Authorisation) *Authorisation {
	return &Authorisation{Authorisation: *a, State: state(a, s.Now())}
}

// Get reads one authorisation.
func (s *Service) Get(ctx context.Context, id string) (_ *Authorisation, err error) {
	defer errs.Wrap(&err, "provider.Get(%q)", id)
	a, err := s.DB.Authorisation(ctx, id)
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.New(errs.NotFound, "authorisation_not_found", "id", "no authorisation %s", id)
	}
	if err != nil {
		return nil, err
	}
	return s.withState(a), nil
}

// List returns the authorisations a client granted or a provider holds
// (either code may be empty, not both), newest first.
func (s *Service) List(ctx context.Context, client, provider string) (_ []*Authorisation, err error) {
	defer errs.Wrap(&err, "provider.List(%q, %q)", client, provider)
	rows, err := s.DB.Authorisations(ctx, client, provider)
	if err != nil {
		return nil, err
	}
	out := make([]*Authorisation, len(rows))
	for i := range rows {
		out[i] = s.withState(&rows[i])
	}
	return out, nil
}

// Clients lists the clients whose authorisation of provider covers msgType at now.
func (s *Service) Clients(ctx context.Context, provider, msgType string, now time.Time) (_ []string, err error) {
	defer errs.Wrap(&err, "provider.Clients(%q, %q)", provider, msgType)
	return s.DB.AuthorisingClients(ctx, provider, msgType, now)
}

// Record notes in the message's transaction that provider sent it for client.
func (s *Service) Record(ctx context.Context, tx *store.Tx, messageID, provider, client, msgType string, now time.Time) error {
	return tx.RecordProviderMessage(ctx, messageID, provider, client, msgType, now)
}

// Suspended tells why provider is suspended, "" when it is not.
func (s *Service) Suspended(ctx context.Context, provider string) (_ string, err error) {
	defer errs.Wrap(&err, "provider.Suspended(%q)", provider)
	return s.DB.ProviderSuspension(ctx, provider)
}

// Suspend stops a provider from transmitting; Reinstate lets it again.
func (s *Service) Suspend(ctx context.Context, provider, reason string) (err error) {
	defer errs.Wrap(&err, "provider.Suspend(%q)", provider)
	if strings.TrimSpace(reason) == "" {
		return errs.Invalidf("reason", "required", "say why the provider is suspended; it is shown to the provider")
	}
	if err := s.mustBeProvider(ctx, provider); err != nil {
		return err
	}
	return s.DB.SuspendProvider(ctx, provider, reason, s.Now())
}

// Reinstate lifts a suspension.
func (s *Service) Reinstate(ctx context.Context, provider string) (err error) {
	defer errs.Wrap(&err, "provider.Reinstate(%q)", provider)
	if err := s.mustBeProvider(ctx, provider); err != nil {
		return err
	}
	return s.DB.ReinstateProvider(ctx, provider)
}

func (s *Service) mustBeProvider(ctx context.Context, code string) error {
	p, err := s.Parties.Get(ctx, code)
	if err != nil {
		return err
	}
	if p == nil || !p.HasRole(enterprise.RoleProvider) {
		return errs.New(errs.NotFound, "provider_not_found", "code", "no technical service provider %s is registered", code)
	}
	return nil
}

// Submission is one message a provider sent and how it was answered.
type Submission = store.ProviderSubmission

// Observe records a submission for the quality figures.
func (s *Service) Observe(ctx context.Context, sub Submission) (err error) {
	defer errs.Wrap(&err, "provider.Observe(%q)", sub.Provider)
	return s.DB.AddProviderSubmission(ctx, sub)
}

// Quality is a provider's figures over a period.
type Quality struct {
	ProviderCode string `json:"providerCode"`
	Name         string `json:"name"`
	Suspended    string `json:"suspended,omitempty"` // the reason, when suspended
	Messages     int64  `json:"messages"`            // submissions
	Errors       int64  `json:"errors"`              // answered 4xx or 5xx (malformed, refused, forbidden)
	// ErrorRate is errors / messages, a decimal string with 4 places ("0.0125").
	ErrorRate        string  `json:"errorRate"`
	Documents        int64   `json:"documents"`
	RejectedDocs     int64   `json:"rejectedDocuments"` // answered 100
	MeanLatencyMs    float64 `json:"meanLatencyMs"`
	MaxLatencyMs     float64 `json:"maxLatencyMs"`
	Clients          int64   `json:"activeClients"`
	MessagesForOther int64   `json:"messagesForClients"` // stored messages transmitted for a client
}

// Figures lists every registered provider's quality figures since from.
func (s *Service) Figures(ctx context.Context, providers []*enterprise.Enterprise, from time.Time) (_ []Quality, err error) {
	defer errs.Wrap(&err, "provider.Figures")
	out := []Quality{}
	now := s.Now()
	for _, p := range providers {
		a, err := s.DB.ProviderActivity(ctx, p.Code, from, now)
		if err != nil {
			return nil, err
		}
		q := Quality{ProviderCode: p.Code, Name: p.Name, Messages: a.Messages, Errors: a.Errors, Documents: a.Documents,
			RejectedDocs: a.RejectedDocuments, Clients: a.ActiveClients, MessagesForOther: a.MessagesForClient}
		if q.Messages > 0 {
			q.MeanLatencyMs = float64(a.LatencySumMicros/q.Messages) / 1000
			q.MaxLatencyMs = float64(a.LatencyMaxMicros) / 1000
		}
		q.ErrorRate = ratio(q.Errors, q.Messages)
		if q.Suspended, err = s.Suspended(ctx, p.Code); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// ratio writes n/d with four decimal places, rounded half up, exactly.
func ratio(n, d int64) string {
	if d == 0 {
		return "0.0000"
	}
	v := (n*100000/d + 5) / 10
	return fmt.Sprintf("%d.%04d", v/10000, v%10000)
}
