package risk

import (
	"context"
	"database/sql"
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
type CreditRecord struct {
	ID             string     `json:"id"`
	EnterpriseCode string     `json:"enterpriseCode"`
	Department     string     `json:"department"`
	Kind           string     `json:"kind"`
	Class          string     `json:"class,omitempty"` // with kind class_change
	LegalBasis     string     `json:"legalBasis"`
	DecisionNo     string     `json:"decisionNo,omitempty"`
	Summary        string     `json:"summary"`
	Public         bool       `json:"public"`
	StartsAt       time.Time  `json:"startsAt"`
	ExpiresAt      *time.Time `json:"expiresAt,omitempty"`
	State          string     `json:"state"` // active, expired, repaired
	PrevClass      string     `json:"prevClass"`
	PrevAbnormal   bool       `json:"prevAbnormal"`
	PrevSerious    bool       `json:"prevSeriousViolation"`
	Author         string     `json:"author"`
	EndedAt        *time.Time `json:"endedAt,omitempty"`
	EndedBy        string     `json:"endedBy,omitempty"`
	EndReason      string     `json:"endReason,omitempty"`
	CreatedAt      time.Time  `json:"createdAt"`
}

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
func (s *Service) RecordCredit(ctx context.Context, in CreditInput) (*CreditRecord, error) {
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
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		class, abnormal, serious, err := store.CreditState(ctx, tx, r.EnterpriseCode)
		if err != nil {
			if e, ok := err.(*errs.Error); ok && e.Kind == errs.NotFound {
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
		if _, err := tx.Exec(ctx, `INSERT INTO credit_records (id, enterprise_code, department, kind, class, legal_basis, decision_no, summary, public,
			starts_at, expires_at, state, prev_class, prev_abnormal, prev_serious, author, ended_at, ended_by, end_reason, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,NULL,'','',$17)`,
			r.ID, r.EnterpriseCode, r.Department, r.Kind, r.Class, r.LegalBasis, r.DecisionNo, r.Summary, r.Public, r.StartsAt, r.ExpiresAt,
			r.State, r.PrevClass, r.PrevAbnormal, r.PrevSerious, r.Author, r.CreatedAt); err != nil {
			return fmt.Errorf("store credit record: %w", err)
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
	if err := store.SetCreditState(ctx, tx, code, class, abnormal, serious, now); err != nil {
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
func (s *Service) EndCredit(ctx context.Context, id, state, reason, author string) (*CreditRecord, error) {
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
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
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
	r, err := scanCredit(tx.QueryRow(ctx, `SELECT `+creditColumns+` FROM credit_records WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "credit_record", id)
	}
	if r.State != "active" {
		return nil, errs.New(errs.Conflict, "record_ended", "id", "credit record %s is already %s", id, r.State)
	}
	res, err := tx.Exec(ctx, `UPDATE credit_records SET state = $2, ended_at = $3, ended_by = $4, end_reason = $5 WHERE id = $1 AND state = 'active'`,
		id, state, now, author, reason)
	if err != nil {
		return nil, fmt.Errorf("end credit record: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, errs.New(errs.Conflict, "record_ended", "id", "credit record %s ended meanwhile", id)
	}
	class, abnormal, serious, err := store.CreditState(ctx, tx, r.EnterpriseCode)
	if err != nil {
		return nil, err
	}
	// The latest other active record of the same kind, if any, keeps its effect.
	other, err := scanCredit(tx.QueryRow(ctx, `SELECT `+creditColumns+` FROM credit_records
		WHERE enterprise_code = $1 AND kind = $2 AND state = 'active' ORDER BY created_at DESC, id DESC LIMIT 1`, r.EnterpriseCode, r.Kind))
	if err != nil {
		if e, ok := err.(*errs.Error); !ok || e.Kind != errs.NotFound {
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
func (s *Service) Expire(ctx context.Context) (int, error) {
	now := s.Now()
	if err := s.staleDeclarations(ctx); err != nil {
		return 0, fmt.Errorf("stale declarations: %w", err)
	}
	rows, err := s.DB.Query(ctx, `SELECT id FROM credit_records WHERE state = 'active' AND expires_at IS NOT NULL AND expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("credit expiry: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
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
		if e, ok := err.(*errs.Error); ok && e.Kind == errs.Conflict {
			continue // another node ended it
		}
		if err != nil {
			return n, err
		}
		s.changed(r.EnterpriseCode)
		n++
	}
	return n, s.Reload(ctx)
}

const creditColumns = `id, enterprise_code, department, kind, class, legal_basis, decision_no, summary, public, starts_at, expires_at, state,
	prev_class, prev_abnormal, prev_serious, author, ended_at, ended_by, end_reason, created_at`

func scanCredit(row rowScanner) (*CreditRecord, error) {
	var r CreditRecord
	var starts, created store.Time
	var expires, ended store.NullTime
	err := row.Scan(&r.ID, &r.EnterpriseCode, &r.Department, &r.Kind, &r.Class, &r.LegalBasis, &r.DecisionNo, &r.Summary, &r.Public,
		&starts, &expires, &r.State, &r.PrevClass, &r.PrevAbnormal, &r.PrevSerious, &r.Author, &ended, &r.EndedBy, &r.EndReason, &created)
	if err == sql.ErrNoRows {
		return nil, errs.New(errs.NotFound, "not_found", "", "not found")
	}
	if err != nil {
		return nil, err
	}
	r.StartsAt, r.CreatedAt, r.ExpiresAt, r.EndedAt = starts.Time, created.Time, nullTime(expires), nullTime(ended)
	return &r, nil
}

// CreditRecords lists an enterprise's records (all enterprises when code is empty), newest first.
func (s *Service) CreditRecords(ctx context.Context, code string) ([]*CreditRecord, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+creditColumns+` FROM credit_records WHERE $1 = '' OR enterprise_code = $1
		ORDER BY created_at DESC, id DESC LIMIT 1000`, code)
	if err != nil {
		return nil, fmt.Errorf("list credit records: %w", err)
	}
	return store.Collect(rows, scanCredit)
}

// CreditRecord reads one record.
func (s *Service) CreditRecord(ctx context.Context, id string) (*CreditRecord, error) {
	r, err := scanCredit(s.DB.QueryRow(ctx, `SELECT `+creditColumns+` FROM credit_records WHERE id = $1`, id))
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
func (s *Service) Public(ctx context.Context, code string) (*PublicCredit, error) {
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
