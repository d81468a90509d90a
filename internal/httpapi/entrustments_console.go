package httpapi

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
)

// The enterprise console's entrustments page: an ebc grants and revokes, an
// agent sees what it holds (contract §8 in the browser).
var _ = template.Must(consoleTmpl.New("entrustments").Parse(`{{template "head" .}}
{{if .Data.Ebc}}<h2>委托申报企业 Entrust a declaring agent</h2><form method="post" action="/console/entrustments"><input type="hidden" name="action" value="grant">
<label>Agent code <input name="agent" required size="12"></label> <label>From <input type="date" name="from"></label> <label>Until <input type="date" name="until"></label>
<button>Entrust</button> <span class="muted">Dates in China time; empty: from today, without end.</span></form>{{end}}
<h2>Entrustments</h2><table><tr><th>E-commerce enterprise</th><th>Agent</th><th>From</th><th>Until</th><th>Revoked</th><th>In force</th><th></th></tr>
{{range .Data.Entrustments}}<tr><td>{{.EbcCode}}</td><td>{{.AgentCode}}</td><td>{{t .ValidFrom}}</td><td>{{if .ValidUntil}}{{t .ValidUntil}}{{else}}<span class="muted">without end</span>{{end}}</td><td>{{t .RevokedAt}}</td>
<td>{{if .InForce}}<span class="ok">yes</span>{{else}}<span class="muted">no</span>{{end}}</td>
<td>{{if and (eq .EbcCode $.Data.Code) (not .RevokedAt)}}<form class="inline" method="post" action="/console/entrustments"><input type="hidden" name="id" value="{{.ID}}"><button name="action" value="revoke">Revoke</button></form>{{end}}</td></tr>
{{else}}<tr><td colspan="7" class="muted">None.</td></tr>{{end}}</table>{{template "foot" .}}`))

func (a *API) entrustmentConsoleRoutes() {
	a.handle("GET /console/entrustments", a.consolePage(a.consoleEntrustments))
	a.handle("POST /console/entrustments", a.consolePage(a.consoleEntrustmentsPost))
}

func (a *API) consoleEntrustments(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	v := consoleView{Title: "委托申报 Entrustments"}
	if p.enterprise == nil {
		return "", v, errs.New(errs.Forbidden, "enterprise_only", "Authorization", "entrustments are an enterprise's own; sign in with its API key")
	}
	list, err := a.Store.Entrustments(r.Context(), p.enterprise.Code)
	if err != nil {
		return "", v, err
	}
	now := a.Intake.Now()
	views := make([]entrustmentView, len(list))
	for i, e := range list {
		views[i] = viewEntrustment(e, now)
	}
	v.Data = map[string]any{"Entrustments": views, "Code": p.enterprise.Code, "Ebc": p.enterprise.HasRole(enterprise.RoleSeller)}
	return "entrustments", v, nil
}

func (a *API) consoleEntrustmentsPost(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	if p.enterprise == nil {
		return "", consoleView{}, errs.New(errs.Forbidden, "enterprise_only", "Authorization", "entrustments are an enterprise's own; sign in with its API key")
	}
	var err error
	switch action := r.PostFormValue("action"); action {
	case "grant":
		in := entrustmentGrant{AgentCode: strings.TrimSpace(r.PostFormValue("agent"))}
		if in.ValidFrom, err = consoleDate("validFrom", r.PostFormValue("from"), 0); err == nil {
			in.ValidUntil, err = consoleDate("validUntil", r.PostFormValue("until"), 1)
		}
		if err == nil {
			_, err = a.entrust(r.Context(), p.enterprise, in)
		}
	case "revoke":
		err = a.revokeEntrustmentOf(r.Context(), p.enterprise.Code, r.PostFormValue("id"))
	default:
		err = errs.New(errs.Forbidden, "action_not_allowed", "action", "%q is not an action you may take here", action)
	}
	if err != nil {
		return "", consoleView{}, err
	}
	http.Redirect(w, r, "/console/entrustments", http.StatusSeeOther)
	return "", consoleView{}, nil
}

// consoleDate turns a form's date (China time) into an RFC 3339 time: the
// start of the day, or with end 1 the last second of it; "" stays "".
func consoleDate(field, v string, end int) (string, error) {
	if v == "" {
		return "", nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, time.FixedZone("CST", 8*3600))
	if err != nil {
		return "", errs.Invalidf(field, "date_invalid", "%q is not a date like 2027-12-31", v)
	}
	return d.AddDate(0, 0, end).Add(-time.Duration(end) * time.Second).Format(time.RFC3339), nil
}
