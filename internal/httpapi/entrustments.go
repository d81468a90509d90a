package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// entrustmentRoutes: an e-commerce enterprise entrusts declaring agents with
// its inventories (contract §8, rules §12). Intake reads the registry in the
// transaction that stores an inventory, so a grant or revocation is in force
// for the next message.
func (a *API) entrustmentRoutes() {
	a.handle("POST /api/v1/entrustments", a.enterpriseOnly(a.grantEntrustment))
	a.handle("GET /api/v1/entrustments", a.enterpriseOnly(a.listEntrustments))
	a.handle("DELETE /api/v1/entrustments/{id}", a.enterpriseOnly(a.revokeEntrustment))
	a.entrustmentConsoleRoutes()
}

// entrustmentView is an entrustment as the API shows it.
type entrustmentView struct {
	ID         string     `json:"id"`
	EbcCode    string     `json:"ebcCode"`
	AgentCode  string     `json:"agentCode"`
	ValidFrom  time.Time  `json:"validFrom"`
	ValidUntil *time.Time `json:"validUntil"`
	CreatedAt  time.Time  `json:"createdAt"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
	// InForce tells whether the agent may declare for the ebc now.
	InForce bool `json:"inForce"`
}

func viewEntrustment(e *store.Entrustment, now time.Time) entrustmentView {
	return entrustmentView{ID: e.ID, EbcCode: e.EbcCode, AgentCode: e.AgentCode, ValidFrom: e.ValidFrom, ValidUntil: e.ValidUntil,
		CreatedAt: e.CreatedAt, RevokedAt: e.RevokedAt, InForce: e.InForce(now)}
}

func (a *API) grantEntrustment(w http.ResponseWriter, r *http.Request) error {
	var in entrustmentGrant
	if err := readJSON(r, &in); err != nil {
		return err
	}
	e, err := a.entrust(r.Context(), caller(r).enterprise, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, viewEntrustment(e, a.Intake.Now()))
}

// entrustmentGrant is what an ebc sends to entrust an agent; times are RFC 3339 with zone, both optional.
type entrustmentGrant struct {
	AgentCode  string `json:"agentCode"`
	ValidFrom  string `json:"validFrom"`
	ValidUntil string `json:"validUntil"`
}

// entrust records ebc's entrustment of an agent after checking every field.
func (a *API) entrust(ctx context.Context, ebc *enterprise.Enterprise, in entrustmentGrant) (*store.Entrustment, error) {
	if !ebc.HasRole(enterprise.RoleSeller) {
		return nil, errs.New(errs.Forbidden, "role_missing", "Authorization", "enterprise %s does not hold the ebc role that entrusts agents", ebc.Code)
	}
	now := a.Intake.Now()
	var problems errs.List
	agent, err := a.Intake.Parties.Get(ctx, in.AgentCode)
	if err != nil {
		return nil, err
	}
	switch {
	case in.AgentCode == "":
		problems = append(problems, errs.Invalidf("agentCode", "required", "name the declaring agent's enterprise code"))
	case agent == nil:
		problems = append(problems, errs.Invalidf("agentCode", "agent_unknown", "no enterprise %s is registered", in.AgentCode))
	case !agent.HasRole(enterprise.RoleAgent):
		problems = append(problems, errs.Invalidf("agentCode", "not_an_agent", "enterprise %s does not hold the agent role", in.AgentCode))
	case agent.Code == ebc.Code:
		problems = append(problems, errs.Invalidf("agentCode", "self", "an enterprise with the agent role declares for itself without an entrustment"))
	}
	from, until := now, (*time.Time)(nil)
	if in.ValidFrom != "" {
		t, err := time.Parse(time.RFC3339, in.ValidFrom)
		if err != nil {
			problems = append(problems, errs.Invalidf("validFrom", "time_format", "want an RFC 3339 time with zone, e.g. 2026-12-01T00:00:00+08:00"))
		}
		from = t
	}
	if in.ValidUntil != "" {
		t, err := time.Parse(time.RFC3339, in.ValidUntil)
		switch {
		case err != nil:
			problems = append(problems, errs.Invalidf("validUntil", "time_format", "want an RFC 3339 time with zone, e.g. 2027-12-31T23:59:59+08:00"))
		case !t.After(from):
			problems = append(problems, errs.Invalidf("validUntil", "before_start", "validUntil %s is not after validFrom %s", t.Format(time.RFC3339), from.Format(time.RFC3339)))
		}
		t = t.UTC()
		until = &t
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	e := &store.Entrustment{ID: uuid.Must(uuid.NewV7()).String(), EbcCode: ebc.Code, AgentCode: agent.Code, ValidFrom: from.UTC(), ValidUntil: until, CreatedAt: now.UTC()}
	if err := a.Store.AddEntrustment(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

func (a *API) listEntrustments(w http.ResponseWriter, r *http.Request) error {
	list, err := a.Store.Entrustments(r.Context(), caller(r).enterprise.Code)
	if err != nil {
		return err
	}
	now := a.Intake.Now()
	out := make([]entrustmentView, len(list))
	for i, e := range list {
		out[i] = viewEntrustment(e, now)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"entrustments": out})
}

func (a *API) revokeEntrustment(w http.ResponseWriter, r *http.Request) error {
	if err := a.revokeEntrustmentOf(r.Context(), caller(r).enterprise.Code, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeEntrustmentOf ends one of ebc's entrustments; an agent cannot end the
// entrustments it holds, and sees another's as not found.
func (a *API) revokeEntrustmentOf(ctx context.Context, ebc, id string) error {
	e, err := a.Store.Entrustment(ctx, id)
	if err != nil {
		return err
	}
	if e.EbcCode != ebc {
		return errs.New(errs.NotFound, "entrustment_not_found", "id", "no entrustment %s of enterprise %s", id, ebc)
	}
	return a.Store.RevokeEntrustment(ctx, id, a.Intake.Now())
}
