package risk

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
)

// Direct-connect mode (rules §5): a platform of credit class advanced or
// certified, on no list, that declared a real-name verification rate of 100 %
// over the last 30 days, has its buyers' identities trusted: the payer = buyer
// comparison is skipped. A downgrade, a list entry or a failed identity sample
// ends it; a new declaration after that can earn it again.

// declarationDays is how long a declared rate counts.
const declarationDays = 30

// trusted tells whether a credit state allows direct connect.
func trusted(class enterprise.CreditClass, abnormal, serious bool) bool {
	return (class == enterprise.CreditAdvanced || class == enterprise.CreditCertified) && !abnormal && !serious
}

// DirectConnect reports whether a platform is in direct-connect mode now:
// its stored flag, its declaration still fresh, and its credit as it is.
// The engine asks this for every inventory; it reads only memory.
func (s *Service) DirectConnect(p *enterprise.Enterprise) bool {
	if p == nil || !trusted(p.CreditClass, p.AbnormalList, p.SeriousViolationList) {
		return false
	}
	return s.current().direct[p.Code]
}

// DirectStatus is a platform's direct-connect standing.
type DirectStatus struct {
	EnterpriseCode string        `json:"enterpriseCode"`
	Eligible       bool          `json:"eligible"`
	DeclaredRate   string        `json:"declaredRate"`
	DeclaredAt     *time.Time    `json:"declaredAt,omitempty"`
	Reason         string        `json:"reason"`
	UpdatedAt      time.Time     `json:"updatedAt"`
	History        []DirectEvent `json:"history"`
}

// DirectEvent is one change of a platform's standing.
type DirectEvent struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"` // declared, gained, lost, sample_passed, sample_failed
	Detail string    `json:"detail"`
	Actor  string    `json:"actor"`
}

// Declare records a platform's declared real-name verification rate over the
// last 30 days (a decimal fraction, 1 = 100 %) and computes its eligibility.
func (s *Service) Declare(ctx context.Context, code, rate, actor string) (*DirectStatus, error) {
	r, err := money.ParseDecimal(strings.TrimSpace(rate))
	if err != nil || r.Sign() < 0 || r.Cmp(money.DecimalFromInt(1)) > 0 {
		return nil, errs.Invalidf("rate", "rate_invalid", "rate must be a decimal from 0 to 1 (1 = 100 %% verified), not %q", rate)
	}
	p, err := s.Parties.Get(ctx, code)
	if err != nil {
		return nil, err
	}
	if p != nil && !p.HasRole(enterprise.RolePlatform) {
		return nil, errs.Invalidf("code", "not_a_platform", "enterprise %s is not an e-commerce platform (role ebp); direct connect is for platforms", code)
	}
	now := s.Now()
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		class, abnormal, serious, err := store.CreditState(ctx, tx, code)
		if err != nil {
			return notFound(err, "enterprise", code)
		}
		full := r.Cmp(money.DecimalFromInt(1)) == 0
		eligible := full && trusted(enterprise.CreditClass(class), abnormal, serious)
		reason := "credit class " + class + ", declared rate " + r.String()
		switch {
		case !full:
			reason = "declared real-name rate " + r.String() + " is below 100 %"
		case !eligible:
			reason = fmt.Sprintf("credit class %s (needs advanced or certified), abnormal list %v, serious violation list %v", class, abnormal, serious)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO direct_connect (enterprise_code, declared_rate, declared_at, eligible, reason, updated_at)
			VALUES ($1,$2,$3,$4,$5,$3) ON CONFLICT (enterprise_code) DO UPDATE SET declared_rate = excluded.declared_rate,
			declared_at = excluded.declared_at, eligible = excluded.eligible, reason = excluded.reason, updated_at = excluded.updated_at`,
			code, r.String(), now, eligible, reason); err != nil {
			return fmt.Errorf("store declaration: %w", err)
		}
		if err := event(ctx, tx, code, "declared", "real-name verification rate "+r.String()+" over 30 days", actor, now); err != nil {
			return err
		}
		kind := "lost"
		if eligible {
			kind = "gained"
		}
		if err := event(ctx, tx, code, kind, reason, actor, now); err != nil {
			return err
		}
		return bump(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s.Direct(ctx, code)
}

// Sample records the result of an identity sample of a platform's buyers: a
// failure ends direct-connect mode at once.
func (s *Service) Sample(ctx context.Context, code string, passed bool, detail, actor string) (*DirectStatus, error) {
	if strings.TrimSpace(actor) == "" {
		return nil, errs.Invalidf("actor", "actor_required", "actor is required: the officer who checked the sample")
	}
	now := s.Now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, _, _, err := store.CreditState(ctx, tx, code); err != nil {
			return notFound(err, "enterprise", code)
		}
		if passed {
			return event(ctx, tx, code, "sample_passed", detail, "officer:"+actor, now)
		}
		if err := event(ctx, tx, code, "sample_failed", detail, "officer:"+actor, now); err != nil {
			return err
		}
		return loseDirect(ctx, tx, code, "identity sample failed: "+detail, "officer:"+actor, now)
	})
	if err != nil {
		return nil, err
	}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s.Direct(ctx, code)
}

// loseDirect ends a platform's direct-connect mode, when it has it.
func loseDirect(ctx context.Context, tx *store.Tx, code, reason, actor string, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE direct_connect SET eligible = FALSE, reason = $2, updated_at = $3 WHERE enterprise_code = $1 AND eligible`, code, reason, now)
	if err != nil {
		return fmt.Errorf("end direct connect: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if err := event(ctx, tx, code, "lost", reason, actor, now); err != nil {
		return err
	}
	return bump(ctx, tx)
}

func event(ctx context.Context, tx *store.Tx, code, kind, detail, actor string, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO direct_connect_events (enterprise_code, at, kind, detail, actor) VALUES ($1,$2,$3,$4,$5)`, code, now, kind, detail, actor)
	return err
}

// Direct reads a platform's standing with its history. A declaration older
// than 30 days no longer counts.
func (s *Service) Direct(ctx context.Context, code string) (*DirectStatus, error) {
	st := &DirectStatus{EnterpriseCode: code, DeclaredRate: "", History: []DirectEvent{}, Reason: "no real-name verification rate declared"}
	var declared store.NullTime
	var updated store.Time
	err := s.DB.QueryRow(ctx, `SELECT declared_rate, declared_at, eligible, reason, updated_at FROM direct_connect WHERE enterprise_code = $1`, code).
		Scan(&st.DeclaredRate, &declared, &st.Eligible, &st.Reason, &updated)
	if err != nil && err != sql.ErrNoRows {
		return nil, fmt.Errorf("read direct connect: %w", err)
	}
	st.DeclaredAt, st.UpdatedAt = nullTime(declared), updated.Time
	if p, err := s.Parties.Get(ctx, code); err == nil && p != nil {
		st.Eligible = s.DirectConnect(p)
	}
	rows, err := s.DB.Query(ctx, `SELECT at, kind, detail, actor FROM direct_connect_events WHERE enterprise_code = $1 ORDER BY at`, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e DirectEvent
		var at store.Time
		if err := rows.Scan(&at, &e.Kind, &e.Detail, &e.Actor); err != nil {
			return nil, err
		}
		e.At = at.Time
		st.History = append(st.History, e)
	}
	return st, rows.Err()
}

// staleDeclarations ends direct connect of platforms whose declaration is
// older than 30 days; run with Expire.
func (s *Service) staleDeclarations(ctx context.Context) error {
	now := s.Now()
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT enterprise_code FROM direct_connect WHERE eligible AND declared_at < $1`, now.AddDate(0, 0, -declarationDays))
		if err != nil {
			return err
		}
		var codes []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return err
			}
			codes = append(codes, c)
		}
		rows.Close()
		for _, c := range codes {
			if err := loseDirect(ctx, tx, c, "the real-name verification rate was declared more than 30 days ago; declare it again", "system", now); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
