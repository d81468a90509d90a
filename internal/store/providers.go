package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/cbec-platform/cbec/internal/errs"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Authorisation is a client's permission for a technical service provider to
// transmit some message types for a period (package provider), as stored.
type Authorisation struct {
	ID           string     `json:"id"`
	ClientCode   string     `json:"clientCode"`
	ProviderCode string     `json:"providerCode"`
	MessageTypes []string   `json:"messageTypes"`
	ValidFrom    time.Time  `json:"validFrom"`
	ValidUntil   time.Time  `json:"validUntil"`
	CreatedAt    time.Time  `json:"createdAt"`
	RevokedAt    *time.Time `json:"revokedAt,omitempty"`
}

// Message types are kept as ",A,B," so that one LIKE finds a type.
const authorisationColumns = `id, client_code, provider_code, msg_types, valid_from, valid_until, created_at, revoked_at`

func scanAuthorisation(row Scanner) (*Authorisation, error) {
	var a Authorisation
	var types string
	var from, until, created Time
	var revoked NullTime
	if err := row.Scan(&a.ID, &a.ClientCode, &a.ProviderCode, &types, &from, &until, &created, &revoked); err != nil {
		return nil, classify(err)
	}
	a.MessageTypes = strings.Split(strings.Trim(types, ","), ",")
	a.ValidFrom, a.ValidUntil, a.CreatedAt = from.UTC(), until.UTC(), created.UTC()
	if revoked.Valid {
		t := revoked.UTC()
		a.RevokedAt = &t
	}
	return &a, nil
}

// AddAuthorisation stores a new authorisation.
func (db *DB) AddAuthorisation(ctx context.Context, a *Authorisation) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tsp_authorisations (id, client_code, provider_code, msg_types, valid_from, valid_until, created_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)`, a.ID, a.ClientCode, a.ProviderCode, ","+strings.Join(a.MessageTypes, ",")+",",
			a.ValidFrom, a.ValidUntil, a.CreatedAt)
		if err != nil {
			return fmt.Errorf("store authorisation: %w", classify(err))
		}
		return nil
	})
}

// RevokeAuthorisation ends authorisation id at at, unless it is revoked already.
func (db *DB) RevokeAuthorisation(ctx context.Context, id string, at time.Time) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE tsp_authorisations SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, at, id); err != nil {
			return fmt.Errorf("revoke authorisation %s: %w", id, err)
		}
		return nil
	})
}

// Authorisation reads one authorisation; an errs.NotFound error when there is none.
func (db *DB) Authorisation(ctx context.Context, id string) (*Authorisation, error) {
	return scanAuthorisation(db.QueryRow(ctx, `SELECT `+authorisationColumns+` FROM tsp_authorisations WHERE id = $1`, id))
}

// Authorisations lists the authorisations a client granted, or a provider
// holds ("" for either means any), newest first.
func (db *DB) Authorisations(ctx context.Context, client, provider string) (_ []Authorisation, err error) {
	defer errs.Wrap(&err, "store.Authorisations(%q)", client)
	rows, err := db.Query(ctx, `SELECT `+authorisationColumns+` FROM tsp_authorisations
		WHERE ($1 = '' OR client_code = $1) AND ($2 = '' OR provider_code = $2) ORDER BY created_at DESC, id DESC`, client, provider)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanAuthorisation)
}

// AuthorisingClients lists, in code order, the clients whose unrevoked
// authorisation of provider covers msgType at at.
func (db *DB) AuthorisingClients(ctx context.Context, provider, msgType string, at time.Time) (_ []string, err error) {
	defer errs.Wrap(&err, "store.AuthorisingClients(%q)", provider)
	rows, err := db.Query(ctx, `SELECT DISTINCT client_code FROM tsp_authorisations
		WHERE provider_code = $1 AND revoked_at IS NULL AND valid_from <= $2 AND valid_until >= $2 AND msg_types LIKE $3
		ORDER BY client_code`, provider, at, "%,"+msgType+",%")
	if err != nil {
		return nil, err
	}
	return Collect(rows, func(r Scanner) (c string, err error) { return c, r.Scan(&c) })
}

// RecordProviderMessage notes, in the transaction that stores message
// messageID, that provider sent it for client.
func (t *Tx) RecordProviderMessage(ctx context.Context, messageID, provider, client, msgType string, at time.Time) error {
	_, err := t.Exec(ctx, `INSERT INTO tsp_messages (message_id, provider_code, client_code, msg_type, received_at) VALUES ($1, $2, $3, $4, $5)`,
		messageID, provider, client, msgType, at)
	if err != nil {
		return fmt.Errorf("record provider message: %w", err)
	}
	return nil
}

// ProviderSuspension tells why provider is suspended, "" when it is not.
func (db *DB) ProviderSuspension(ctx context.Context, provider string) (_ string, err error) {
	defer errs.Wrap(&err, "store.ProviderSuspension(%q)", provider)
	var reason string
	err = db.QueryRow(ctx, `SELECT reason FROM tsp_suspensions WHERE provider_code = $1`, provider).Scan(&reason)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return reason, err
}

// SuspendProvider records (or replaces) provider's suspension.
func (db *DB) SuspendProvider(ctx context.Context, provider, reason string, at time.Time) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM tsp_suspensions WHERE provider_code = $1`, provider); err != nil {
			return fmt.Errorf("suspend provider %s: %w", provider, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tsp_suspensions (provider_code, reason, suspended_at) VALUES ($1, $2, $3)`, provider, reason, at); err != nil {
			return fmt.Errorf("suspend provider %s: %w", provider, err)
		}
		return nil
	})
}

// ReinstateProvider lifts provider's suspension, if any.
func (db *DB) ReinstateProvider(ctx context.Context, provider string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM tsp_suspensions WHERE provider_code = $1`, provider); err != nil {
			return fmt.Errorf("reinstate provider %s: %w", provider, err)
		}
		return nil
	})
}

// ProviderSubmission is one message a provider sent and how it was answered.
type ProviderSubmission struct {
	Provider  string
	Type      string
	Status    int // HTTP status of the answer
	Documents int // documents answered in the receipt
	Refused   int // of which refused (returnStatus 100)
	Latency   time.Duration
	At        time.Time
}

// AddProviderSubmission records a submission for the quality figures.
func (db *DB) AddProviderSubmission(ctx context.Context, s ProviderSubmission) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tsp_submissions (id, provider_code, msg_type, http_status, documents, refused, latency_us, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, uuid.Must(uuid.NewV7()).String(), s.Provider, s.Type, s.Status,
			s.Documents, s.Refused, s.Latency.Microseconds(), s.At)
		if err != nil {
			return fmt.Errorf("record provider submission: %w", err)
		}
		return nil
	})
}

// ProviderActivity is what one provider did over a period.
type ProviderActivity struct {
	Messages          int64 // submissions
	Errors            int64 // answered with HTTP 400 or more
	Documents         int64
	RejectedDocuments int64 // answered 100
	LatencySumMicros  int64
	LatencyMaxMicros  int64
	MessagesForClient int64 // stored messages transmitted for a client
	ActiveClients     int64 // clients with an authorisation in force at now
}

// ProviderActivity sums provider's submissions and messages since from, and
// counts its clients with an authorisation in force at now.
func (db *DB) ProviderActivity(ctx context.Context, provider string, from, now time.Time) (*ProviderActivity, error) {
	var a ProviderActivity
	err := db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN http_status >= 400 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(documents), 0), COALESCE(SUM(refused), 0), COALESCE(SUM(latency_us), 0), COALESCE(MAX(latency_us), 0)
		FROM tsp_submissions WHERE provider_code = $1 AND at >= $2`, provider, from).
		Scan(&a.Messages, &a.Errors, &a.Documents, &a.RejectedDocuments, &a.LatencySumMicros, &a.LatencyMaxMicros)
	if err != nil {
		return nil, fmt.Errorf("sum submissions of %s: %w", provider, err)
	}
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM tsp_messages WHERE provider_code = $1 AND received_at >= $2`, provider, from).Scan(&a.MessagesForClient); err != nil {
		return nil, fmt.Errorf("count messages of %s: %w", provider, err)
	}
	if err := db.QueryRow(ctx, `SELECT COUNT(DISTINCT client_code) FROM tsp_authorisations
		WHERE provider_code = $1 AND revoked_at IS NULL AND valid_from <= $2 AND valid_until >= $2`, provider, now).Scan(&a.ActiveClients); err != nil {
		return nil, fmt.Errorf("count clients of %s: %w", provider, err)
	}
	return &a, nil
}
