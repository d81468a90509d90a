package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/risk"
)

// riskRoutes registers risk and credit (rules §5, §9): officers' risk rules
// with dry-run, emergency measures, manual-review decisions, the random
// selection audit, the departments' credit records with the public credit
// API, and the data direct-connect mode. The admin token is the officers'
// credential; the officer's name is sent as author or actor and recorded.
func (a *API) riskRoutes() {
	if a.Risk == nil {
		return
	}
	a.handle("GET /api/v1/risk/variables", a.admin(a.riskVariables))
	a.handle("POST /api/v1/risk/rules", a.admin(a.createRule))
	a.handle("GET /api/v1/risk/rules", a.admin(a.listRules))
	a.handle("GET /api/v1/risk/rules/{id}", a.admin(a.getRule))
	a.handle("PATCH /api/v1/risk/rules/{id}", a.admin(a.updateRule))
	a.handle("GET /api/v1/risk/rules/{id}/versions", a.admin(a.ruleVersions))
	a.handle("POST /api/v1/risk/rules/{id}/dry-run", a.admin(a.dryRun))
	a.handle("POST /api/v1/risk/rules/{id}/enable", a.admin(a.ruleState("active")))
	a.handle("POST /api/v1/risk/rules/{id}/disable", a.admin(a.ruleState("disabled")))
	a.handle("GET /api/v1/risk/settings", a.admin(a.riskSettings))
	a.handle("PUT /api/v1/risk/settings", a.admin(a.putRiskSettings))
	a.handle("POST /api/v1/risk/measures", a.admin(a.startMeasure))
	a.handle("GET /api/v1/risk/measures", a.admin(a.listMeasures))
	a.handle("GET /api/v1/risk/measures/{id}", a.admin(a.getMeasure))
	a.handle("POST /api/v1/risk/measures/{id}/lift", a.admin(a.endMeasure(false)))
	a.handle("POST /api/v1/risk/measures/{id}/convert", a.admin(a.endMeasure(true)))
	a.handle("GET /api/v1/risk/inventories/{agentCode}/{copNo}", a.admin(a.riskInventory))
	a.handle("POST /api/v1/risk/inventories/{agentCode}/{copNo}/decision", a.admin(a.officerDecision))
	a.handle("POST /api/v1/credit-records", a.admin(a.recordCredit))
	a.handle("GET /api/v1/credit-records", a.admin(a.listCredit))
	a.handle("GET /api/v1/credit-records/{id}", a.admin(a.getCredit))
	a.handle("POST /api/v1/credit-records/{id}/repair", a.admin(a.repairCredit))
	a.handle("GET /api/v1/public/credit/{code}", a.publicCredit)
	a.handle("GET /api/v1/enterprises/{code}/direct-connect", a.adminOrSelf(a.directConnect))
	a.handle("POST /api/v1/enterprises/{code}/real-name-rate", a.adminOrSelf(a.declareRate))
	a.handle("POST /api/v1/enterprises/{code}/identity-samples", a.admin(a.identitySample))
}

func (a *API) riskVariables(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{"language": "CEL", "variables": risk.Variables()})
}

func (a *API) createRule(w http.ResponseWriter, r *http.Request) error {
	var in risk.RuleInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	rule, err := a.Risk.CreateRule(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, rule)
}

func (a *API) listRules(w http.ResponseWriter, r *http.Request) error {
	state := r.URL.Query().Get("state")
	if state != "" && !slices.Contains([]string{"draft", "active", "disabled"}, state) {
		return errs.Invalidf("state", "state_unknown", "state %q is not one of draft, active, disabled", state)
	}
	rules, err := a.Risk.Rules(r.Context(), state)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"rules": rules})
}

func (a *API) getRule(w http.ResponseWriter, r *http.Request) error {
	rule, err := a.Risk.Rule(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rule)
}

func (a *API) updateRule(w http.ResponseWriter, r *http.Request) error {
	var in risk.RuleInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	rule, err := a.Risk.UpdateRule(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rule)
}

func (a *API) ruleVersions(w http.ResponseWriter, r *http.Request) error {
	vs, err := a.Risk.RuleVersions(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
}

func (a *API) dryRun(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Days int `json:"days"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	out, err := a.Risk.DryRun(r.Context(), r.PathValue("id"), in.Days)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) ruleState(state string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Author string `json:"author"`
		}
		if err := readJSON(r, &in); err != nil {
			return err
		}
		rule, err := a.Risk.SetRuleState(r.Context(), r.PathValue("id"), state, in.Author)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, rule)
	}
}

func (a *API) riskSettings(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{"scoreThreshold": a.Risk.ScoreThreshold()})
}

func (a *API) putRiskSettings(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ScoreThreshold int64 `json:"scoreThreshold"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if err := a.Risk.SetScoreThreshold(r.Context(), in.ScoreThreshold); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"scoreThreshold": a.Risk.ScoreThreshold()})
}

func (a *API) startMeasure(w http.ResponseWriter, r *http.Request) error {
	var in risk.MeasureInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	m, err := a.Risk.StartMeasure(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

func (a *API) listMeasures(w http.ResponseWriter, r *http.Request) error {
	state := r.URL.Query().Get("state")
	if state != "" && !slices.Contains([]string{"active", "lifted", "converted"}, state) {
		return errs.Invalidf("state", "state_unknown", "state %q is not one of active, lifted, converted", state)
	}
	ms, err := a.Risk.Measures(r.Context(), state)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"measures": ms})
}

func (a *API) getMeasure(w http.ResponseWriter, r *http.Request) error {
	m, err := a.Risk.Measure(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (a *API) endMeasure(convert bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in risk.EndInput
		if err := readJSON(r, &in); err != nil {
			return err
		}
		if convert {
			m, rejected, err := a.Risk.ConvertMeasure(r.Context(), r.PathValue("id"), in)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, map[string]any{"measure": m, "rejected": nonNil(rejected)})
		}
		m, released, err := a.Risk.LiftMeasure(r.Context(), r.PathValue("id"), in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{"measure": m, "judgedAgain": nonNil(released)})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// selectionView shows why a parcel was or was not chosen at random (rules §9):
// the draw from its stored seed against the rate of its e-commerce enterprise's
// class, or the dishonest class's rate while it is on the abnormal operations list.
type selectionView struct {
	Seed         string `json:"seed"`
	Draw         string `json:"draw"`
	Class        string `json:"creditClass"`
	AbnormalList bool   `json:"abnormalList"`
	Rate         string `json:"rate"`
	Selected     bool   `json:"selected"`
	Note         string `json:"note"`
}

func (a *API) riskInventory(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	inv, err := a.Store.InventoryByCopNo(ctx, r.PathValue("agentCode"), r.PathValue("copNo"))
	if err != nil {
		return err
	}
	hits, err := a.Risk.Hits(ctx, inv.ID)
	if err != nil {
		return err
	}
	events, err := a.Store.Events(ctx, inv.ID)
	if err != nil {
		return err
	}
	sel := selectionView{Seed: inv.Seed, Draw: clearance.Draw(inv.Seed).String()}
	if e, err := a.Enterprises.Cache.Get(ctx, inv.EbcCode); err == nil && e != nil {
		sel.Class, sel.AbnormalList = string(e.CreditClass), e.AbnormalList
		rate, ok := clearance.InspectionRate(a.Risk.Rates, e.CreditClass, e.AbnormalList)
		if ok {
			sel.Rate, sel.Selected = rate.String(), clearance.Draw(inv.Seed).Cmp(rate) < 0
		}
	}
	sel.Note = "selected when draw < rate; the draw is a keyed hash of the inventory (its seed), the class and the abnormal list are the e-commerce enterprise's as they are now (on the abnormal list the rate is the dishonest class's when higher)"
	view := map[string]any{"copNo": inv.CopNo, "agentCode": inv.AgentCode, "status": inv.Status, "returnInfo": inv.ReasonInfo,
		"selection": sel, "hits": hits, "events": events}
	return writeJSON(w, http.StatusOK, view)
}

// officerDecision records an officer's review or inspection result through the engine.
func (a *API) officerDecision(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
		Actor  string `json:"actor"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	in.Reason, in.Actor = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Actor)
	var problems errs.List
	if in.Actor == "" {
		problems = append(problems, errs.Invalidf("actor", "actor_required", "actor is required: the officer deciding"))
	}
	if in.Status != "800" && in.Reason == "" {
		problems = append(problems, errs.Invalidf("reason", "reason_required", "a rejection or inspection result needs a reason"))
	}
	var f clearance.Finding
	switch {
	case in.Status == "800":
		f = clearance.Finding{Code: "2601", Detail: in.Reason}
	case in.Status == "100":
		f = clearance.Finding{Code: "1502", Detail: in.Reason}
	case in.Status == "500":
		f = clearance.Finding{Code: "2411", Detail: "officer: " + in.Reason}
	case len(in.Status) == 3 && in.Status[0] == '5':
		f = clearance.Finding{Code: "2510", Detail: in.Reason}
	default:
		problems = append(problems, errs.Invalidf("status", "status_invalid", "status %q is not 800, 100, 500 or 501–599", in.Status))
	}
	if err := problems.Err(); err != nil {
		return err
	}
	ctx := r.Context()
	inv, err := a.Store.InventoryByCopNo(ctx, r.PathValue("agentCode"), r.PathValue("copNo"))
	if err != nil {
		return err
	}
	if in.Status == "800" {
		var doc clearance.Inventory
		if err := json.Unmarshal(inv.Data, &doc); err != nil {
			return err
		}
		if m := a.Risk.Blocking(&doc); m != nil {
			return errs.New(errs.Conflict, "measure_in_force", "status",
				"emergency measure %s (%s %s) holds this inventory; lift the measure, or reject the inventory", m.ID, m.Kind, m.Value)
		}
		if inv.ReasonCode == "2420" {
			return errs.New(errs.Conflict, "measure_hold", "status",
				"the inventory was held by an emergency measure before it was judged; lifting the measure sends it back to judgement")
		}
	}
	out, err := a.Risk.Engine.Transition(ctx, inv.ID, in.Status, f, "officer:"+in.Actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"copNo": out.CopNo, "status": out.Status, "returnInfo": out.ReasonInfo})
}

func (a *API) recordCredit(w http.ResponseWriter, r *http.Request) error {
	var in risk.CreditInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	rec, err := a.Risk.RecordCredit(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, rec)
}

func (a *API) listCredit(w http.ResponseWriter, r *http.Request) error {
	recs, err := a.Risk.CreditRecords(r.Context(), r.URL.Query().Get("enterprise"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"records": recs})
}

func (a *API) getCredit(w http.ResponseWriter, r *http.Request) error {
	rec, err := a.Risk.CreditRecord(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rec)
}

func (a *API) repairCredit(w http.ResponseWriter, r *http.Request) error {
	var in risk.EndInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	rec, err := a.Risk.EndCredit(r.Context(), r.PathValue("id"), "repaired", in.Reason, in.Author)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rec)
}

// publicCredit is open to anyone: only what may be published.
func (a *API) publicCredit(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	if err := enterprise.ValidateCode(code); err != nil {
		return err
	}
	pc, err := a.Risk.Public(r.Context(), code)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	return writeJSON(w, http.StatusOK, pc)
}

func (a *API) directConnect(w http.ResponseWriter, r *http.Request) error {
	st, err := a.Risk.Direct(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, directAsSeen(r, st))
}

// directAsSeen is a platform's direct-connect standing as the caller sees
// it: the platform itself reads that an officer acted, officers who it was
// (actorForEnterprise).
func directAsSeen(r *http.Request, st *risk.DirectStatus) *risk.DirectStatus {
	if p := caller(r); p != nil && p.admin {
		return st
	}
	for i := range st.History {
		st.History[i].Actor = actorForEnterprise(st.History[i].Actor)
	}
	return st
}

func (a *API) declareRate(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Rate  string `json:"rate"`
		Actor string `json:"actor"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	actor := "enterprise:" + r.PathValue("code")
	if p := caller(r); p != nil && p.admin {
		actor = "officer:" + strings.TrimSpace(in.Actor)
	}
	st, err := a.Risk.Declare(r.Context(), r.PathValue("code"), in.Rate, actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, directAsSeen(r, st))
}

func (a *API) identitySample(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Passed *bool  `json:"passed"`
		Detail string `json:"detail"`
		Actor  string `json:"actor"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.Passed == nil {
		return errs.Invalidf("passed", "passed_required", "passed is required: true when the sampled identities matched")
	}
	st, err := a.Risk.Sample(r.Context(), r.PathValue("code"), *in.Passed, in.Detail, in.Actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}
