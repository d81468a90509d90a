package risk

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// Departments that record credit (rules §9: violation in one place, restricted everywhere).
var Departments = []string{"customs", "inspection", "market", "commerce"}

// Kinds of credit record.
var recordKinds = []string{"class_change", "abnormal_list", "serious_violation_list", "penalty"}

// CreditRecord is one department's credit decision about an enterprise.
type CreditRecord = store.CreditRecord

// CreditInput is a department's record as sent.
type CreditInput struct {
	EnterpriseCode string     `json:"enterpriseCode"`
	Department     string     `json:"department"`
	Kind           string     `json:"kind"`
	Class          string     `json:"class"`
	LegalBasis     string     `json:"legalBasis"`
	DecisionNo     string     `json:"decisionNo"`
	Summary        string     `json:"summary"`
	Public         *bool      `json:"public"`
	StartsAt       *time.Time `json:"startsAt"`
	ExpiresAt      *time.Time `json:"expiresAt"`
	Author         string     `json:"author"`
}

// RecordCredit stores a record and applies its effect on the enterprise in the
// same transaction: a class change sets the credit class, a list entry sets
// the list flag (a penalty changes nothing but is on record). A downgrade
// below certified ends the platform's direct-connect mode.
func (s *Service) RecordCredit(ctx context.Context, in CreditInput) (_ *CreditRecord, err error) {
	defer errs.Wrap(&err, "risk.RecordCredit(%s, %s)", in.EnterpriseCode, in.Kind)
	now := s.Now()
	r := &CreditRecord{ID: newID("C", now), EnterpriseCode: strings.TrimSpace(in.EnterpriseCode), Department: strings.TrimSpace(in.Department),
		Kind: strings.TrimSpace(in.Kind), Class: strings.TrimSpace(in.Class), LegalBasis: strings.TrimSpace(in.LegalBasis),
		DecisionNo: strings.TrimSpace(in.DecisionNo), Summary: strings.TrimSpace(in.Summary), Public: true, StartsAt: now,
		ExpiresAt: in.ExpiresAt, State: "active", Author: strings.TrimSpace(in.Author), CreatedAt: now}
	if in.Public != nil {
		r.Public = *in.Public
	}
	if in.StartsAt != nil {
		r.StartsAt = *in.StartsAt
	}
	var problems errs.List
	if !slices.Contains(Departments, r.Department) {
		problems = append(problems, errs.Invalidf("department", "department_unknown", "department %q is not one of %s", r.Department, strings.Join(Departments, ", ")))
	}
	if !slices.Contains(recordKinds, r.Kind) {
		problems = append(problems, errs.Invalidf("kind", "record_kind_unknown", "kind %q is not one of %s", r.Kind, strings.Join(recordKinds, ", ")))
	}
	if r.Kind == "class_change" {
		if _, err := enterprise.ParseCreditClass(r.Class); err != nil {
			problems = append(problems, errs.Invalidf("class", "credit_class_unknown", "a class change needs class: %v", err))
		}
	} else if r.Class != "" {
		problems = append(problems, errs.Invalidf("class", "class_unexpected", "class is given only with kind class_change"))
	}
	if r.LegalBasis == "" {
		problems = append(problems, errs.Invalidf("legalBasis", "legal_basis_required", "legalBasis is required: the law or decision the record rests on"))
	}
	if r.Author == "" {
		problems = append(problems, errs.Invalidf("author", "author_required", "author is required: the officer recording it"))
	}
	if r.ExpiresAt != nil && !r.ExpiresAt.After(r.StartsAt) {
		problems = append(problems, errs.Invalidf("expiresAt", "validity_invalid", "expiresAt is not after startsAt"))
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		class, abnormal, serious, err := tx.CreditState(ctx, r.EnterpriseCode)
		if err != nil {
			if errs.KindOf(err) == errs.NotFound {
				return errs.Invalidf("enterpriseCode", "enterprise_unknown", "enterprise %s is not registered", r.EnterpriseCode)
			}
			return err
		}
		r.PrevClass, r.PrevAbnormal, r.PrevSerious = class, abnormal, serious
		switch r.Kind {
		case "class_change":
			class = r.Class
		case "abnormal_list":
			abnormal = true
		case "serious_violation_list":
			serious = true
		}
		if err := tx.InsertCreditRecord(ctx, r); err != nil {
			return err
		}
		return s.setCredit(ctx, tx, r.EnterpriseCode, class, abnormal, serious, "credit record "+r.ID, "officer:"+r.Author, now)
	})
	if err != nil {
		return nil, err
	}
	s.changed(r.EnterpriseCode)
	return r, s.Reload(ctx)
}

// setCredit writes the enterprise's credit state and keeps its direct-connect
// flag in step: a class below certified or a list entry ends it.
func (s *Service) setCredit(ctx context.Context, tx *store.Tx, code, class string, abnormal, serious bool, why, actor string, now time.Time) error {
	if err := tx.SetCreditState(ctx, code, class, abnormal, serious, now); err != nil {
		return err
	}
	if trusted(enterprise.CreditClass(class), abnormal, serious) {
		return nil
	}
	return loseDirect(ctx, tx, code, fmt.Sprintf("credit class %s, abnormal list %v, serious violation list %v (%s)", class, abnormal, serious, why), actor, now)
}

func (s *Service) changed(code string) {
	if s.Parties != nil {
		s.Parties.Invalidate(code)
	}
}

// EndCredit ends a record early (repair: state repaired) or at its expiry
// (state expired) and restores what it changed, unless a later active record
// of the same kind still applies: then that one's effect stays.
func (s *Service) EndCredit(ctx context.Context, id, state, reason, author string) (_ *CreditRecord, err error) {
	defer errs.Wrap(&err, "risk.EndCredit(%s, %s)", id, state)
	var problems errs.List
	if strings.TrimSpace(reason) == "" {
		problems = append(problems, errs.Invalidf("reason", "reason_required", "reason is required: why the restriction ends early"))
	}
	if strings.TrimSpace(author) == "" {
		problems = append(problems, errs.Invalidf("author", "author_required", "author is required: the officer"))
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	var out *CreditRecord
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.endCredit(ctx, tx, id, state, strings.TrimSpace(reason), strings.TrimSpace(author))
		return err
	})
	if err != nil {
		return nil, err
	}
	s.changed(out.EnterpriseCode)
	return out, s.Reload(ctx)
}

func (s *Service) endCredit(ctx context.Context, tx *store.Tx, id, state, reason, author string) (*CreditRecord, error) {
	now := s.Now()
	r, err := tx.CreditRecord(ctx, id)
	if err != nil {
		return nil, notFound(err, "credit_record", id)
	}
	if r.State != "active" {
		return nil, errs.New(errs.Conflict, "record_ended", "id", "credit record %s is already %s", id, r.State)
	}
	ended, err := tx.EndCreditRecord(ctx, id, state, author, reason, now)
	if err != nil {
		return nil, err
	}
	if !ended {
		return nil, errs.New(errs.Conflict, "record_ended", "id", "credit record %s ended meanwhile", id)
	}
	class, abnormal, serious, err := tx.CreditState(ctx, r.EnterpriseCode)
	if err != nil {
		return nil, err
	}
	// The latest other active record of the same kind, if any, keeps its effect.
	other, err := tx.LatestActiveCreditRecord(ctx, r.EnterpriseCode, r.Kind)
	if err != nil {
		if errs.KindOf(err) != errs.NotFound {
			return nil, err
		}
		other = nil
	}
	switch r.Kind {
	case "class_change":
		if other != nil {
			class = other.Class
		} else if class == r.Class {
			class = r.PrevClass
		}
	case "abnormal_list":
		abnormal = other != nil || r.PrevAbnormal
	case "serious_violation_list":
		serious = other != nil || r.PrevSerious
	}
	if err := s.setCredit(ctx, tx, r.EnterpriseCode, class, abnormal, serious, fmt.Sprintf("credit record %s %s: %s", id, state, reason), "officer:"+author, now); err != nil {
		return nil, err
	}
	r.State, r.EndedAt, r.EndedBy, r.EndReason = state, &now, author, reason
	return r, nil
}

// Expire ends the records whose expiry has passed, and the direct-connect
// mode of platforms whose declaration is stale; it returns how many records ended.
func (s *Service) Expire(ctx context.Context) (_ int, err error) {
	defer errs.Wrap(&err, "risk.Expire")
	now := s.Now()
	if err := s.staleDeclarations(ctx); err != nil {
		return 0, fmt.Errorf("stale declarations: %w", err)
	}
	ids, err := s.DB.ExpiredCreditRecords(ctx, now)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		var r *CreditRecord
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			var err error
			r, err = s.endCredit(ctx, tx, id, "expired", "expired", "system")
			return err
		})
		if errs.KindOf(err) == errs.Conflict {
			continue // another node ended it
		}
		if err != nil {
			return n, fmt.Errorf("credit record %s: %w", id, err)
		}
		s.changed(r.EnterpriseCode)
		n++
	}
	return n, s.Reload(ctx)
}

// CreditRecords lists an enterprise's records (all enterprises when code is empty), newest first.
func (s *Service) CreditRecords(ctx context.Context, code string) (_ []*CreditRecord, err error) {
	defer errs.Wrap(&err, "risk.CreditRecords(%s)", code)
	return s.DB.CreditRecords(ctx, code)
}

// CreditRecord reads one record.
func (s *Service) CreditRecord(ctx context.Context, id string) (_ *CreditRecord, err error) {
	defer errs.Wrap(&err, "risk.CreditRecord(%s)", id)
	r, err := s.DB.CreditRecord(ctx, id)
	if err != nil {
		return nil, notFound(err, "credit_record", id)
	}
	return r, nil
}

// PublicRecord is what the public credit page and API show of a record: the
// department, the kind, the legal basis and the dates. Authors, internal
// summaries and records not marked public are left out.
type PublicRecord struct {
	Department string     `json:"department"`
	Kind       string     `json:"kind"`
	Class      string     `json:"class,omitempty"`
	LegalBasis string     `json:"legalBasis"`
	DecisionNo string     `json:"decisionNo,omitempty"`
	StartsAt   time.Time  `json:"startsAt"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	State      string     `json:"state"`
	EndedAt    *time.Time `json:"endedAt,omitempty"`
}

// PublicCredit is an enterprise's public credit standing.
type PublicCredit struct {
	Code                 string         `json:"code"`
	Name                 string         `json:"name"`
	CreditClass          string         `json:"creditClass"`
	AbnormalList         bool           `json:"abnormalList"`
	SeriousViolationList bool           `json:"seriousViolationList"`
	DirectConnect        bool           `json:"directConnect"`
	Records              []PublicRecord `json:"records"`
}

// Public reads an enterprise's public credit standing.
func (s *Service) Public(ctx context.Context, code string) (_ *PublicCredit, err error) {
	defer errs.Wrap(&err, "risk.Public(%s)", code)
	e, err := s.Parties.Get(ctx, code)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, errs.New(errs.NotFound, "enterprise_not_found", "code", "no enterprise %s", code)
	}
	recs, err := s.CreditRecords(ctx, code)
	if err != nil {
		return nil, err
	}
	out := &PublicCredit{Code: e.Code, Name: e.Name, CreditClass: string(e.CreditClass), AbnormalList: e.AbnormalList,
		SeriousViolationList: e.SeriousViolationList, DirectConnect: s.DirectConnect(e), Records: []PublicRecord{}}
	for _, r := range recs {
		if !r.Public {
			continue
		}
		out.Records = append(out.Records, PublicRecord{Department: r.Department, Kind: r.Kind, Class: r.Class, LegalBasis: r.LegalBasis,
			DecisionNo: r.DecisionNo, StartsAt: r.StartsAt, ExpiresAt: r.ExpiresAt, State: r.State, EndedAt: r.EndedAt})
	}
	return out, nil
}
