package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// DirectConnect is a platform's stored direct-connect standing (package
// risk): its declared real-name verification rate and whether it is eligible.
type DirectConnect struct {
	EnterpriseCode string
	DeclaredRate   string
	DeclaredAt     *time.Time
	Eligible       bool
	Reason         string
	UpdatedAt      time.Time
}

// DirectConnectEvent is one change of a platform's standing.
type DirectConnectEvent struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"` // declared, gained, lost, sample_passed, sample_failed
	Detail string    `json:"detail"`
	Actor  string    `json:"actor"`
}

// PutDirectDeclaration stores a platform's declared rate made at at, with the
// eligibility it gives and why.
func (t *Tx) PutDirectDeclaration(ctx context.Context, code, rate string, at time.Time, eligible bool, reason string) error {
	if _, err := t.Exec(ctx, `INSERT INTO direct_connect (enterprise_code, declared_rate, declared_at, eligible, reason, updated_at)
		VALUES ($1,$2,$3,$4,$5,$3) ON CONFLICT (enterprise_code) DO UPDATE SET declared_rate = excluded.declared_rate,
		declared_at = excluded.declared_at, eligible = excluded.eligible, reason = excluded.reason, updated_at = excluded.updated_at`,
		code, rate, at, eligible, reason); err != nil {
		return fmt.Errorf("store direct-connect declaration of %s: %w", code, classify(err))
	}
	return nil
}

// EndDirectConnect makes an eligible platform ineligible; false when it was not.
func (t *Tx) EndDirectConnect(ctx context.Context, code, reason string, at time.Time) (bool, error) {
	res, err := t.Exec(ctx, `UPDATE direct_connect SET eligible = FALSE, reason = $2, updated_at = $3 WHERE enterprise_code = $1 AND eligible`, code, reason, at)
	return changedOne(res, err, "end direct connect of "+code)
}

// AddDirectConnectEvent records a change of a platform's standing.
func (t *Tx) AddDirectConnectEvent(ctx context.Context, code string, e DirectConnectEvent) error {
	if _, err := t.Exec(ctx, `INSERT INTO direct_connect_events (enterprise_code, at, kind, detail, actor) VALUES ($1,$2,$3,$4,$5)`,
		code, e.At, e.Kind, e.Detail, e.Actor); err != nil {
		return fmt.Errorf("record direct-connect event %s of %s: %w", e.Kind, code, classify(err))
	}
	return nil
}

// DirectConnect reads a platform's standing; a NotFound error when it never declared.
func (db *DB) DirectConnect(ctx context.Context, code string) (d *DirectConnect, err error) {
	defer errs.Wrap(&err, "read direct connect of %s", code)
	d = &DirectConnect{EnterpriseCode: code}
	var declared NullTime
	var updated Time
	if err := db.QueryRow(ctx, `SELECT declared_rate, declared_at, eligible, reason, updated_at FROM direct_connect WHERE enterprise_code = $1`, code).
		Scan(&d.DeclaredRate, &declared, &d.Eligible, &d.Reason, &updated); err != nil {
		return nil, classify(err)
	}
	d.DeclaredAt, d.UpdatedAt = declared.asRead(), updated.Time
	return d, nil
}

// DirectConnectEvents lists a platform's changes of standing, oldest first.
func (db *DB) DirectConnectEvents(ctx context.Context, code string) ([]DirectConnectEvent, error) {
	rows, err := db.Query(ctx, `SELECT at, kind, detail, actor FROM direct_connect_events WHERE enterprise_code = $1 ORDER BY at`, code)
	if err != nil {
		return nil, fmt.Errorf("direct-connect history of %s: %w", code, err)
	}
	list, err := Collect(rows, func(r Scanner) (DirectConnectEvent, error) {
		var e DirectConnectEvent
		var at Time
		err := r.Scan(&at, &e.Kind, &e.Detail, &e.Actor)
		e.At = at.Time
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("direct-connect history of %s: %w", code, err)
	}
	return list, nil
}

// DirectConnectEligible lists the platforms whose stored flag is set.
func (db *DB) DirectConnectEligible(ctx context.Context) ([]string, error) {
	codes, err := db.ids(ctx, `SELECT enterprise_code FROM direct_connect WHERE eligible`)
	if err != nil {
		return nil, fmt.Errorf("read direct-connect flags: %w", err)
	}
	return codes, nil
}

// StaleDirectConnect lists, in the transaction, the eligible platforms whose
// declaration was made before before.
func (t *Tx) StaleDirectConnect(ctx context.Context, before time.Time) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT enterprise_code FROM direct_connect WHERE eligible AND declared_at < $1`, before)
	if err != nil {
		return nil, fmt.Errorf("direct-connect declarations before %s: %w", before.Format(time.RFC3339), err)
	}
	codes, err := scanIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("direct-connect declarations before %s: %w", before.Format(time.RFC3339), err)
	}
	return codes, nil
}
