// Package provider holds technical service providers (技术服务商) to account:
// clients authorise a provider to transmit some message types on their behalf
// for a period, and may revoke it; every message a provider transmits for a
// client is recorded with both; each submission's outcome feeds the
// provider's quality figures; the platform operator may suspend a provider.
package provider

import (
	"context"
	"database/sql"
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
	ID           string     `json:"id"`
	ClientCode   string     `json:"clientCode"`
	ProviderCode string     `json:"providerCode"`
	MessageTypes []string   `json:"messageTypes"`
	ValidFrom    time.Time  `json:"validFrom"`
	ValidUntil   time.Time  `json:"validUntil"`
	CreatedAt    time.Time  `json:"createdAt"`
	RevokedAt    *time.Time `json:"revokedAt,omitempty"`
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
func (s *Service) Authorise(ctx context.Context, client *enterprise.Enterprise, g Grant) (*Authorisation, error) {
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
	a := &Authorisation{ID: uuid.Must(uuid.NewV7()).String(), ClientCode: client.Code, ProviderCode: g.ProviderCode, MessageTypes: types,
		ValidFrom: from.UTC(), ValidUntil: g.ValidUntil.UTC(), CreatedAt: now.UTC()}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tsp_authorisations (id, client_code, provider_code, msg_types, valid_from, valid_until, created_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)`, a.ID, a.ClientCode, a.ProviderCode, ","+strings.Join(types, ",")+",", a.ValidFrom, a.ValidUntil, a.CreatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	a.State = state(a, now)
	return a, nil
}

func state(a *Authorisation, now time.Time) string {
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
func (s *Service) Revoke(ctx context.Context, client, id string) (*Authorisation, error) {
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
	now := s.Now().UTC()
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE tsp_authorisations SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, now, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

const authColumns = `id, client_code, provider_code, msg_types, valid_from, valid_until, created_at, revoked_at`

func (s *Service) scan(rows interface{ Scan(...any) error }) (*Authorisation, error) {
	var a Authorisation
	var types string
	var from, until, created store.Time
	var revoked store.NullTime
	if err := rows.Scan(&a.ID, &a.ClientCode, &a.ProviderCode, &types, &from, &until, &created, &revoked); err != nil {
		return nil, err
	}
	a.MessageTypes = strings.Split(strings.Trim(types, ","), ",")
	a.ValidFrom, a.ValidUntil, a.CreatedAt = from.UTC(), until.UTC(), created.UTC()
	if revoked.Valid {
		t := revoked.UTC()
		a.RevokedAt = &t
	}
	a.State = state(&a, s.Now())
	return &a, nil
}

// Get reads one authorisation.
func (s *Service) Get(ctx context.Context, id string) (*Authorisation, error) {
	a, err := s.scan(s.DB.QueryRow(ctx, `SELECT `+authColumns+` FROM tsp_authorisations WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, errs.New(errs.NotFound, "authorisation_not_found", "id", "no authorisation %s", id)
	}
	return a, err
}

// List returns the authorisations a client granted or a provider holds
// (either code may be empty, not both), newest first.
func (s *Service) List(ctx context.Context, client, provider string) ([]*Authorisation, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+authColumns+` FROM tsp_authorisations
		WHERE ($1 = '' OR client_code = $1) AND ($2 = '' OR provider_code = $2) ORDER BY created_at DESC, id DESC`, client, provider)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Authorisation{}
	for rows.Next() {
		a, err := s.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Clients lists the clients whose authorisation of provider covers msgType at now.
func (s *Service) Clients(ctx context.Context, provider, msgType string, now time.Time) ([]string, error) {
	rows, err := s.DB.Query(ctx, `SELECT DISTINCT client_code FROM tsp_authorisations
		WHERE provider_code = $1 AND revoked_at IS NULL AND valid_from <= $2 AND valid_until >= $2 AND msg_types LIKE $3
		ORDER BY client_code`, provider, now, "%,"+msgType+",%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Record notes in the message's transaction that provider sent it for client.
func (s *Service) Record(ctx context.Context, tx *store.Tx, messageID, provider, client, msgType string, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO tsp_messages (message_id, provider_code, client_code, msg_type, received_at) VALUES ($1, $2, $3, $4, $5)`,
		messageID, provider, client, msgType, now)
	return err
}

// Suspended tells why provider is suspended, "" when it is not.
func (s *Service) Suspended(ctx context.Context, provider string) (string, error) {
	var reason string
	err := s.DB.QueryRow(ctx, `SELECT reason FROM tsp_suspensions WHERE provider_code = $1`, provider).Scan(&reason)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return reason, err
}

// Suspend stops a provider from transmitting; Reinstate lets it again.
func (s *Service) Suspend(ctx context.Context, provider, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return errs.Invalidf("reason", "required", "say why the provider is suspended; it is shown to the provider")
	}
	if err := s.mustBeProvider(ctx, provider); err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM tsp_suspensions WHERE provider_code = $1`, provider); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO tsp_suspensions (provider_code, reason, suspended_at) VALUES ($1, $2, $3)`, provider, reason, s.Now())
		return err
	})
}

// Reinstate lifts a suspension.
func (s *Service) Reinstate(ctx context.Context, provider string) error {
	if err := s.mustBeProvider(ctx, provider); err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM tsp_suspensions WHERE provider_code = $1`, provider)
		return err
	})
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
type Submission struct {
	Provider  string
	Type      string
	Status    int // HTTP status of the answer
	Documents int // documents answered in the receipt
	Refused   int // of which refused (returnStatus 100)
	Latency   time.Duration
	At        time.Time
}

// Observe records a submission for the quality figures.
func (s *Service) Observe(ctx context.Context, sub Submission) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tsp_submissions (id, provider_code, msg_type, http_status, documents, refused, latency_us, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, uuid.Must(uuid.NewV7()).String(), sub.Provider, sub.Type, sub.Status,
			sub.Documents, sub.Refused, sub.Latency.Microseconds(), sub.At)
		return err
	})
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
func (s *Service) Figures(ctx context.Context, providers []*enterprise.Enterprise, from time.Time) ([]Quality, error) {
	out := []Quality{}
	now := s.Now()
	for _, p := range providers {
		q := Quality{ProviderCode: p.Code, Name: p.Name}
		var latSum, latMax int64
		err := s.DB.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN http_status >= 400 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(documents), 0), COALESCE(SUM(refused), 0), COALESCE(SUM(latency_us), 0), COALESCE(MAX(latency_us), 0)
			FROM tsp_submissions WHERE provider_code = $1 AND at >= $2`, p.Code, from).Scan(&q.Messages, &q.Errors, &q.Documents, &q.RejectedDocs, &latSum, &latMax)
		if err != nil {
			return nil, err
		}
		if q.Messages > 0 {
			q.MeanLatencyMs = float64(latSum/q.Messages) / 1000
			q.MaxLatencyMs = float64(latMax) / 1000
		}
		q.ErrorRate = ratio(q.Errors, q.Messages)
		if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM tsp_messages WHERE provider_code = $1 AND received_at >= $2`, p.Code, from).Scan(&q.MessagesForOther); err != nil {
			return nil, err
		}
		if err := s.DB.QueryRow(ctx, `SELECT COUNT(DISTINCT client_code) FROM tsp_authorisations
			WHERE provider_code = $1 AND revoked_at IS NULL AND valid_from <= $2 AND valid_until >= $2`, p.Code, now).Scan(&q.Clients); err != nil {
			return nil, err
		}
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
