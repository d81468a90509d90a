package httpapi

import (
	"net/http"
	"time"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/logistics"
	"github.com/cbec-platform/cbec/internal/provider"
	"github.com/cbec-platform/cbec/internal/support"
)

// logisticsRoutes: logistics channels, technical service providers, the
// service response centre and the status page (issue 12).
func (a *API) logisticsRoutes() {
	a.handle("POST /api/v1/manifests", a.enterpriseOnly(a.fileManifest))
	a.handle("GET /api/v1/manifests", a.authenticated(a.listManifests))
	a.handle("GET /api/v1/manifests/{id}", a.authenticated(a.getManifest))
	a.handle("POST /api/v1/manifests/{id}/events", a.enterpriseOnly(a.reportManifest))
	a.handle("GET /api/v1/channels", a.authenticated(a.channelFigures))
	a.handle("GET /api/v1/logistics/alerts", a.authenticated(a.logisticsAlerts))
	a.handle("POST /api/v1/logistics/alerts/run", a.admin(a.runLogisticsAlerts))

	a.handle("POST /api/v1/authorisations", a.enterpriseOnly(a.grantAuthorisation))
	a.handle("GET /api/v1/authorisations", a.enterpriseOnly(a.listAuthorisations))
	a.handle("DELETE /api/v1/authorisations/{id}", a.enterpriseOnly(a.revokeAuthorisation))
	a.handle("GET /api/v1/providers", a.admin(a.providerQuality))
	a.handle("POST /api/v1/providers/{code}/suspend", a.admin(a.suspendProvider))
	a.handle("POST /api/v1/providers/{code}/reinstate", a.admin(a.reinstateProvider))

	a.handle("POST /api/v1/tickets", a.enterpriseOnly(a.openTicket))
	a.handle("GET /api/v1/tickets", a.authenticated(a.listTickets))
	a.handle("GET /api/v1/tickets/figures", a.admin(a.ticketFigures))
	a.handle("POST /api/v1/tickets/escalate", a.admin(a.escalateTickets))
	a.handle("GET /api/v1/tickets/{id}", a.authenticated(a.getTicket))
	a.handle("POST /api/v1/tickets/{id}/updates", a.authenticated(a.updateTicket))
	a.handle("GET /api/v1/help", a.helpIndex)
	a.handle("GET /api/v1/help/{code}", a.helpArticle)
	a.handle("GET /api/v1/status", a.statusPage)
	a.handle("POST /api/v1/incidents", a.admin(a.openIncident))
	a.handle("POST /api/v1/incidents/{id}/resolve", a.admin(a.resolveIncident))
	a.consoleRoutes()
}

// carrierScope is the carrier whose manifests the caller sees: "" for the administrator.
func carrierScope(r *http.Request) string {
	if p := caller(r); p != nil && p.enterprise != nil {
		return p.enterprise.Code
	}
	return ""
}

func (a *API) fileManifest(w http.ResponseWriter, r *http.Request) error {
	e := caller(r).enterprise
	if !e.HasRole(enterprise.RoleLogistics) {
		return errs.New(errs.Forbidden, "role_missing", "Authorization", "enterprise %s does not hold the logistics role manifests need", e.Code)
	}
	var in logistics.ManifestInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	m, err := a.Logistics.File(r.Context(), e.Code, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

func (a *API) listManifests(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := logistics.ParseChannel(q.Get("channel")); err != nil {
		return err
	}
	limit, err := intParam(q.Get("limit"), "limit", 100, 1, 500)
	if err != nil {
		return err
	}
	ms, err := a.Logistics.List(r.Context(), logistics.ListFilter{Carrier: carrierScope(r), Channel: q.Get("channel"), Stage: q.Get("stage"), Limit: limit})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"manifests": ms})
}

func (a *API) getManifest(w http.ResponseWriter, r *http.Request) error {
	m, err := a.Logistics.Get(r.Context(), r.PathValue("id"), true)
	if err != nil {
		return err
	}
	if c := carrierScope(r); c != "" && c != m.LogisticsCode {
		return errs.New(errs.NotFound, "manifest_not_found", "id", "no manifest %s of carrier %s", m.ID, c)
	}
	return writeJSON(w, http.StatusOK, m)
}

func (a *API) reportManifest(w http.ResponseWriter, r *http.Request) error {
	var in logistics.EventInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	m, err := a.Logistics.Report(r.Context(), caller(r).enterprise.Code, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

// period reads from and to (YYYY-MM-DD, China Standard Time, to inclusive); by default the last 30 days.
func period(r *http.Request, now time.Time) (time.Time, time.Time, error) {
	cst := time.FixedZone("CST", 8*3600)
	q := r.URL.Query()
	y, mo, d := now.In(cst).Date()
	to := time.Date(y, mo, d, 0, 0, 0, 0, cst).AddDate(0, 0, 1)
	from := to.AddDate(0, 0, -30)
	if v := q.Get("to"); v != "" {
		t, err := time.ParseInLocation(time.DateOnly, v, cst)
		if err != nil {
			return from, to, errs.Invalidf("to", "date_invalid", "%q is not a date like 2026-11-30", v)
		}
		to = t.AddDate(0, 0, 1)
	}
	if v := q.Get("from"); v != "" {
		t, err := time.ParseInLocation(time.DateOnly, v, cst)
		if err != nil {
			return from, to, errs.Invalidf("from", "date_invalid", "%q is not a date like 2026-11-01", v)
		}
		from = t
	}
	if !from.Before(to) {
		return from, to, errs.Invalidf("from", "period_empty", "from is after to")
	}
	return from, to, nil
}

func (a *API) channelFigures(w http.ResponseWriter, r *http.Request) error {
	from, to, err := period(r, a.Logistics.Now())
	if err != nil {
		return err
	}
	figs, err := a.Logistics.Figures(r.Context(), carrierScope(r), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "channels": figs})
}

func (a *API) logisticsAlerts(w http.ResponseWriter, r *http.Request) error {
	alerts, err := a.Logistics.Alerts(r.Context(), carrierScope(r), r.URL.Query().Get("all") == "true")
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"alerts": alerts})
}

func (a *API) runLogisticsAlerts(w http.ResponseWriter, r *http.Request) error {
	raised, err := a.Logistics.Sweep(r.Context())
	if err != nil {
		return err
	}
	if raised == nil {
		raised = []logistics.Alert{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"raised": raised})
}

func (a *API) grantAuthorisation(w http.ResponseWriter, r *http.Request) error {
	var g provider.Grant
	if err := readJSON(r, &g); err != nil {
		return err
	}
	au, err := a.Providers.Authorise(r.Context(), caller(r).enterprise, g)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, au)
}

func (a *API) listAuthorisations(w http.ResponseWriter, r *http.Request) error {
	e := caller(r).enterprise
	client, prov := e.Code, ""
	if e.HasRole(enterprise.RoleProvider) && r.URL.Query().Get("as") != "client" {
		client, prov = "", e.Code
	}
	list, err := a.Providers.List(r.Context(), client, prov)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"authorisations": list})
}

func (a *API) revokeAuthorisation(w http.ResponseWriter, r *http.Request) error {
	au, err := a.Providers.Revoke(r.Context(), caller(r).enterprise.Code, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, au)
}

func (a *API) providerQuality(w http.ResponseWriter, r *http.Request) error {
	from, _, err := period(r, a.Providers.Now())
	if err != nil {
		return err
	}
	list, err := a.Enterprises.Store.ListEnterprises(r.Context(), enterprise.Filter{Role: enterprise.RoleProvider, Limit: 1000})
	if err != nil {
		return err
	}
	figs, err := a.Providers.Figures(r.Context(), list, from)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"from": from, "providers": figs})
}

func (a *API) suspendProvider(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	code := r.PathValue("code")
	if err := a.Providers.Suspend(r.Context(), code, in.Reason); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"providerCode": code, "suspended": in.Reason})
}

func (a *API) reinstateProvider(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	if err := a.Providers.Reinstate(r.Context(), code); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"providerCode": code, "suspended": ""})
}

func (a *API) openTicket(w http.ResponseWriter, r *http.Request) error {
	var in support.OpenInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	t, err := a.Support.Open(r.Context(), caller(r).enterprise.Code, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

// ticketActor is support.Operator for the administrator, else the enterprise's code.
func ticketActor(r *http.Request) string {
	if p := caller(r); p.enterprise != nil {
		return p.enterprise.Code
	}
	return support.Operator
}

func (a *API) listTickets(w http.ResponseWriter, r *http.Request) error {
	who := ticketActor(r)
	if who == support.Operator {
		who = r.URL.Query().Get("enterprise")
	}
	limit, err := intParam(r.URL.Query().Get("limit"), "limit", 100, 1, 500)
	if err != nil {
		return err
	}
	list, err := a.Support.List(r.Context(), who, r.URL.Query().Get("status"), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tickets": list})
}

func (a *API) getTicket(w http.ResponseWriter, r *http.Request) error {
	t, err := a.Support.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if who := ticketActor(r); who != support.Operator && who != t.EnterpriseCode {
		return errs.New(errs.NotFound, "ticket_not_found", "id", "no ticket %s", t.ID)
	}
	return writeJSON(w, http.StatusOK, t)
}

func (a *API) updateTicket(w http.ResponseWriter, r *http.Request) error {
	var in support.UpdateInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	t, err := a.Support.Update(r.Context(), r.PathValue("id"), ticketActor(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (a *API) ticketFigures(w http.ResponseWriter, r *http.Request) error {
	from, _, err := period(r, a.Support.Now())
	if err != nil {
		return err
	}
	f, err := a.Support.Figures(r.Context(), from)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (a *API) escalateTickets(w http.ResponseWriter, r *http.Request) error {
	n, err := a.Support.Escalate(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]int{"escalated": n})
}

func (a *API) helpIndex(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{"articles": support.Articles()})
}

func (a *API) helpArticle(w http.ResponseWriter, r *http.Request) error {
	art := support.Article(r.PathValue("code"))
	if art == nil {
		return errs.New(errs.NotFound, "reason_unknown", "code", "no reason code %q (see GET /api/v1/help)", r.PathValue("code"))
	}
	return writeJSON(w, http.StatusOK, art)
}

// statusPage is public; the administrator also sees certificates close to expiry.
func (a *API) statusPage(w http.ResponseWriter, r *http.Request) error {
	details := false
	if r.Header.Get("Authorization") != "" {
		p, err := a.authenticate(r)
		if err != nil {
			return err
		}
		details = p.admin
	}
	st, err := a.Support.Status(r.Context(), details)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (a *API) openIncident(w http.ResponseWriter, r *http.Request) error {
	var in support.IncidentInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	i, err := a.Support.OpenIncident(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, i)
}

func (a *API) resolveIncident(w http.ResponseWriter, r *http.Request) error {
	if err := a.Support.ResolveIncident(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id"), "status": "resolved"})
}
