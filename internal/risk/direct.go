package risk

import (
	"context"
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
type DirectEvent = store.DirectConnectEvent

// Declare records a platform's declared real-name verification rate over the
// last 30 days (a decimal fraction, 1 = 100 %) and computes its eligibility.
func (s *Service) Declare(ctx context.Context, code, rate, actor string) (_ *DirectStatus, err error) {
	defer errs.Wrap(&err, "risk.Declare(%s)", code)
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
		class, abnormal, serious, err := tx.CreditState(ctx, code)
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
		if err := tx.PutDirectDeclaration(ctx, code, r.String(), now, eligible, reason); err != nil {
			return err
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
		return tx.BumpRiskGeneration(ctx)
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
func (s *Service) Sample(ctx context.Context, code string, passed bool, detail, actor string) (_ *DirectStatus, err error) {
	defer errs.Wrap(&err, "risk.Sample(%s)", code)
	if strings.TrimSpace(actor) == "" {
		return nil, errs.Invalidf("actor", "actor_required", "actor is required: the officer who checked the sample")
	}
	now := s.Now()
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, _, _, err := tx.CreditState(ctx, code); err != nil {
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
	ended, err := tx.EndDirectConnect(ctx, code, reason, now)
	if err != nil || !ended {
		return err
	}
	if err := event(ctx, tx, code, "lost", reason, actor, now); err != nil {
		return err
	}
	return tx.BumpRiskGeneration(ctx)
}

func event(ctx context.Context, tx *store.Tx, code, kind, detail, actor string, now time.Time) error {
	return tx.AddDirectConnectEvent(ctx, code, DirectEvent{At: now, Kind: kind, Detail: detail, Actor: actor})
}

// Direct reads a platform's standing with its history. A declaration older
// than 30 days no longer counts.
func (s *Service) Direct(ctx context.Context, code string) (_ *DirectStatus, err error) {
	defer errs.Wrap(&err, "risk.Direct(%s)", code)
	st := &DirectStatus{EnterpriseCode: code, DeclaredRate: "", History: []DirectEvent{}, Reason: "no real-name verification rate declared"}
	d, err := s.DB.DirectConnect(ctx, code)
	switch {
	case err == nil:
		st.DeclaredRate, st.DeclaredAt, st.Eligible, st.Reason, st.UpdatedAt = d.DeclaredRate, d.DeclaredAt, d.Eligible, d.Reason, d.UpdatedAt
	case errs.KindOf(err) != errs.NotFound:
		return nil, err
	}
	// An unregistered platform (nil) keeps the stored standing; a registry
	// that does not answer is an error, not a platform without credit.
	p, err := s.Parties.Get(ctx, code)
	if err != nil {
		return nil, err
	}
	if p != nil {
		st.Eligible = s.DirectConnect(p)
	}
	if st.History, err = s.DB.DirectConnectEvents(ctx, code); err != nil {
		return nil, err
	}
	return st, nil
}

// staleDeclarations ends direct connect of platforms whose declaration is
// older than 30 days; run with Expire.
func (s *Service) staleDeclarations(ctx context.Context) error {
	now := s.Now()
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		codes, err := tx.StaleDirectConnect(ctx, now.AddDate(0, 0, -declarationDays))
		if err != nil {
			return err
		}
		for _, c := range codes {
			if err := loseDirect(ctx, tx, c, "the real-name verification rate was declared more than 30 days ago; declare it again", "system", now); err != nil {
				return err
			}
		}
		return nil
	})
}
