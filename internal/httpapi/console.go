package httpapi

import (
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/logistics"
	"github.com/cbec-platform/cbec/internal/provider"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/support"
)

// The console: server-rendered pages for enterprises and operators over the
// logistics channels and the service response centre. The caller signs in
// with its API key (or the administrator token) and gets a session: the
// HttpOnly, SameSite=Strict cookie scoped to /console holds a random id, never
// the key; the database keeps only the id's SHA-256 and the hash of the key,
// so logout and rotating the key end it. Forms post back with it.

const (
	consoleCookie     = "cbec_console"
	consoleSessionTTL = 8 * time.Hour
)

func (a *API) consoleRoutes() {
	a.handle("GET /console/", a.consolePage(a.consoleHome))
	a.handle("POST /console/login", a.consoleLogin)
	a.handle("POST /console/logout", a.consoleLogout)
	a.handle("GET /console/manifests", a.consolePage(a.consoleManifests))
	a.handle("GET /console/manifests/{id}", a.consolePage(a.consoleManifest))
	a.handle("GET /console/channels", a.consolePage(a.consoleChannels))
	a.handle("GET /console/receipts", a.consolePage(a.consoleReceipts))
	a.handle("GET /console/tickets", a.consolePage(a.consoleTickets))
	a.handle("POST /console/tickets", a.consolePage(a.consoleOpenTicket))
	a.handle("GET /console/tickets/{id}", a.consolePage(a.consoleTicket))
	a.handle("POST /console/tickets/{id}", a.consolePage(a.consoleUpdateTicket))
	a.handle("GET /console/status", a.consoleStatus)
	a.handle("GET /console/providers", a.consolePage(a.consoleProviders))
	a.handle("POST /console/providers", a.consolePage(a.consoleProvidersPost))
	a.selfServiceRoutes()
}

var consoleTmpl = template.Must(template.New("").Funcs(template.FuncMap{
	"t": func(v any) string {
		switch x := v.(type) {
		case time.Time:
			if x.IsZero() {
				return ""
			}
			return x.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04")
		case *time.Time:
			if x == nil {
				return ""
			}
			return x.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04")
		}
		return ""
	},
}).Parse(`
{{define "head"}}<!doctype html><html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · cbec</title><style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2733}header{background:#123;color:#fff;padding:.6em 1em}header a{color:#fff;margin-right:1em}
main{padding:1em;max-width:72em}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dde;padding:.3em .5em;text-align:left;vertical-align:top}
.bad{color:#b00}.ok{color:#070}.muted{color:#667}form.inline{display:inline}textarea{width:100%;min-height:5em}input,select,button,textarea{font:inherit}
.stage{display:inline-block;padding:0 .4em;border-radius:.3em;background:#e8eef6}</style></head><body>
<header><b>cbec</b> · <a href="/console/documents">自助申报 Documents</a><a href="/console/manifests">运单与舱单 Manifests</a><a href="/console/channels">物流通道 Channels</a><a href="/console/receipts">回执 Receipts</a><a href="/console/tickets">服务工单 Tickets</a><a href="/console/providers">技术服务商 Providers</a><a href="/console/entrustments">委托申报 Entrustments</a><a href="/console/status">运行状态 Status</a>
{{if .Who}}<span class="muted">{{.Who}}</span> <form class="inline" method="post" action="/console/logout"><button>退出 Sign out</button></form>{{end}}</header><main><h1>{{.Title}}</h1>
{{if .Error}}<p class="bad">{{.Error}}</p>{{end}}{{end}}
{{define "foot"}}</main></body></html>{{end}}

{{define "login"}}{{template "head" .}}<form method="post" action="/console/login"><p><label>API key or administrator token<br>
<input type="password" name="token" size="50" autocomplete="off" required></label></p><button>登录 Sign in</button></form>{{template "foot" .}}{{end}}

{{define "home"}}{{template "head" .}}<ul><li><a href="/console/manifests">Follow manifests and their parcels</a></li><li><a href="/console/channels">Channel figures</a></li>
<li><a href="/console/receipts">Receipts — open a ticket from a rejection</a></li><li><a href="/console/tickets">Tickets</a></li><li><a href="/console/providers">Technical service providers</a></li><li><a href="/console/status">Status</a></li>
<li class="muted">Customs officers: <a href="/console/officer/">officer console</a></li></ul>{{template "foot" .}}{{end}}

{{define "manifests"}}{{template "head" .}}<form method="get"><select name="channel"><option value="">all channels</option>{{range .Data.Channels}}<option{{if eq . $.Data.Channel}} selected{{end}}>{{.}}</option>{{end}}</select> <button>Filter</button></form>
<table><tr><th>Bill</th><th>Voyage</th><th>Channel</th><th>Route</th><th>Stage</th><th>Departed</th><th>Arrived</th><th>Carrier</th></tr>
{{range .Data.Manifests}}<tr><td><a href="/console/manifests/{{.ID}}">{{.BillNo}}</a></td><td>{{.VoyageNo}}</td><td>{{.Channel}}</td><td>{{.Route}}</td><td><span class="stage">{{.Stage}}</span></td><td>{{t .DepartedAt}}</td><td>{{t .ArrivedAt}}</td><td>{{.LogisticsCode}}</td></tr>
{{else}}<tr><td colspan="8" class="muted">No manifests.</td></tr>{{end}}</table>
<h2>Stuck (open alerts)</h2><table>{{range .Data.Alerts}}<tr><td>{{t .RaisedAt}}</td><td><a href="/console/manifests/{{.ManifestID}}">{{.Subject}}</a></td><td class="bad">{{.Detail}}</td></tr>{{else}}<tr><td class="muted">None.</td></tr>{{end}}</table>{{template "foot" .}}{{end}}

{{define "manifest"}}{{template "head" .}}{{with .Data}}<p>{{.Channel}} · {{.Route}} · voyage {{.VoyageNo}} · {{.WeightKg}} kg{{if .Cost}} · cost {{.Cost}} CNY{{end}} · stage <span class="stage">{{.Stage}}</span>
{{if .PlannedArrival}} · planned arrival {{t .PlannedArrival}}{{end}}</p>
<h2>Journey</h2><table><tr><th>Filed</th><th>Departed</th><th>Arrived</th></tr><tr><td>{{t .CreatedAt}}</td><td>{{t .DepartedAt}}</td><td>{{t .ArrivedAt}}</td></tr></table>
<h2>Parcels</h2><table><tr><th>Logistics no.</th><th>Stage</th><th>Waybill</th><th>Declared</th><th>Inventory</th><th>Released</th><th>Delivered</th></tr>
{{range .Parcels}}<tr><td>{{.LogisticsNo}}</td><td><span class="stage">{{.Stage}}</span></td><td>{{t .WaybillAt}}</td><td>{{t .DeclaredAt}}</td><td>{{.CopNo}} {{.InventoryStatus}}</td><td>{{t .ReleasedAt}}</td><td>{{t .DeliveredAt}}</td></tr>{{end}}</table>
<h2>Events</h2><table>{{range .Events}}<tr><td>{{t .At}}</td><td>{{.Event}}</td><td>{{.Place}}</td><td>{{.Note}}</td></tr>{{else}}<tr><td class="muted">None yet.</td></tr>{{end}}</table>{{end}}{{template "foot" .}}{{end}}

{{define "channels"}}{{template "head" .}}<p class="muted">Manifests filed in the last 30 days.</p><table><tr><th>Channel</th><th>Manifests</th><th>Parcels</th><th>Weight kg</th><th>Cost/kg</th><th>On time</th><th>Dep→Arr h</th><th>Arr→Decl h</th><th>Decl→Rel h</th><th>Rel→Deliv h</th><th>Alerts</th></tr>
{{range .Data}}<tr><td>{{.Channel}}</td><td>{{.Manifests}}</td><td>{{.Parcels}}</td><td>{{.WeightKg}}</td><td>{{if .CostPerKg}}{{.CostPerKg}}{{end}}</td><td>{{.OnTimeShare}}</td><td>{{index .Hours "departure_arrival"}}</td><td>{{index .Hours "arrival_declaration"}}</td><td>{{index .Hours "declaration_release"}}</td><td>{{index .Hours "release_delivery"}}</td><td{{if .OpenAlerts}} class="bad"{{end}}>{{.OpenAlerts}}</td></tr>{{end}}</table>{{template "foot" .}}{{end}}

{{define "receipts"}}{{template "head" .}}<p>导出 Export: <a href="/console/receipts.xlsx">Excel</a> · <a href="/console/receipts.csv">CSV</a></p><table><tr><th>#</th><th>Time</th><th>Type</th><th>copNo / orderNo</th><th>Status</th><th>Info</th><th></th></tr>
{{range .Data}}<tr><td>{{.Seq}}</td><td>{{t .CreatedAt}}</td><td>{{.MessageType}}</td><td>{{if .CopNo}}<a href="/console/inventories/{{.CopNo}}">{{.CopNo}}</a>{{end}} {{.OrderNo}}</td><td{{if eq .ReturnStatus "100"}} class="bad"{{end}}>{{.ReturnStatus}}</td><td>{{.ReturnInfo}}</td>
<td>{{if eq .ReturnStatus "100"}}<a href="/console/tickets?receiptSeq={{.Seq}}">Open a ticket</a>{{end}}</td></tr>{{else}}<tr><td colspan="7" class="muted">No receipts.</td></tr>{{end}}</table>{{template "foot" .}}{{end}}

{{define "tickets"}}{{template "head" .}}{{if .Data.Enterprise}}<h2>Open a ticket</h2><form method="post" action="/console/tickets">
<p><label>Subject<br><input name="subject" size="60" required value="{{.Data.Subject}}"></label></p>
<p><label>Receipt # <input name="receiptSeq" size="8" value="{{.Data.ReceiptSeq}}"></label> or <label>inventory copNo <input name="copNo" size="20"></label> or <label>reason code <input name="reasonCode" size="6"></label></p>
<p><label>What happened<br><textarea name="body" required></textarea></label></p><p><label><input type="checkbox" name="urgent" value="1"> urgent</label></p><button>Open</button></form>{{end}}
<h2>Tickets</h2><table><tr><th>Opened</th><th>Subject</th><th>Enterprise</th><th>Reason</th><th>Status</th><th>Assignee</th><th>Response</th><th>Resolution</th></tr>
{{range .Data.Tickets}}<tr><td>{{t .CreatedAt}}</td><td><a href="/console/tickets/{{.ID}}">{{.Subject}}</a></td><td>{{.EnterpriseCode}}</td><td>{{.ReasonCode}}</td><td>{{.Status}}{{if .Escalation}} <span class="bad">⚑{{.Escalation}}</span>{{end}}</td><td>{{.Assignee}}</td>
<td{{if eq .SLA.Response "breached"}} class="bad"{{end}}>{{.SLA.Response}}</td><td{{if eq .SLA.Resolve "breached"}} class="bad"{{end}}>{{.SLA.Resolve}}</td></tr>{{else}}<tr><td colspan="8" class="muted">No tickets.</td></tr>{{end}}</table>{{template "foot" .}}{{end}}

{{define "ticket"}}{{template "head" .}}{{with .Data.Ticket}}<p>{{.EnterpriseCode}} · {{.LinkKind}} {{.LinkRef}} · priority {{.Priority}} · status <b>{{.Status}}</b>{{if .Assignee}} · assigned to {{.Assignee}}{{end}}</p>
<p>First response due {{t .ResponseDue}} (<span{{if eq .SLA.Response "breached"}} class="bad"{{end}}>{{.SLA.Response}}</span>) · resolution due {{t .ResolveDue}} (<span{{if eq .SLA.Resolve "breached"}} class="bad"{{end}}>{{.SLA.Resolve}}</span>){{if .SLA.Left}} · {{.SLA.Left}} left{{end}}</p>
{{end}}{{with .Data.Help}}<div style="background:#f4f7fb;padding:.5em 1em"><b>{{.Code}} {{.TitleZh}} / {{.Title}}</b><p>{{.Meaning}}</p></div>{{end}}
<table>{{range .Data.Ticket.Events}}<tr><td>{{t .At}}</td><td>{{.Actor}}</td><td>{{.Kind}}</td><td>{{.Body}}</td></tr>{{end}}</table>
<h2>Reply</h2><form method="post"><p><textarea name="reply"></textarea></p>{{if .Data.Operator}}<p><label>Assign to <input name="assignee"></label></p>{{end}}
<p><label>Status <select name="status"><option value="">(unchanged)</option><option>resolved</option><option>closed</option><option>open</option></select></label></p><button>Send</button></form>{{template "foot" .}}{{end}}

{{define "providers"}}{{template "head" .}}{{if .Data.Operator}}<table><tr><th>Provider</th><th>Messages</th><th>Errors</th><th>Error rate</th><th>Documents</th><th>Rejected</th><th>Mean / max ms</th><th>Clients</th><th>Suspended</th><th></th></tr>
{{range .Data.Quality}}<tr><td>{{.ProviderCode}} {{.Name}}</td><td>{{.Messages}}</td><td>{{.Errors}}</td><td>{{.ErrorRate}}</td><td>{{.Documents}}</td><td>{{.RejectedDocs}}</td><td>{{.MeanLatencyMs}} / {{.MaxLatencyMs}}</td><td>{{.Clients}}</td><td class="bad">{{.Suspended}}</td>
<td><form class="inline" method="post" action="/console/providers"><input type="hidden" name="provider" value="{{.ProviderCode}}">{{if .Suspended}}<button name="action" value="reinstate">Reinstate</button>{{else}}<input name="reason" placeholder="reason" required> <button name="action" value="suspend">Suspend</button>{{end}}</form></td></tr>
{{else}}<tr><td colspan="10" class="muted">No providers registered.</td></tr>{{end}}</table>{{else}}
<h2>Authorise a provider</h2><form method="post" action="/console/providers"><input type="hidden" name="action" value="grant">
<label>Provider code <input name="provider" required size="12"></label> <label>Message types <input name="types" value="CEB621Message" size="40"></label> <label>Valid until <input type="date" name="until" required></label> <button>Authorise</button></form>
<h2>Authorisations</h2><table><tr><th>Client</th><th>Provider</th><th>Types</th><th>From</th><th>Until</th><th>State</th><th></th></tr>
{{range .Data.Authorisations}}<tr><td>{{.ClientCode}}</td><td>{{.ProviderCode}}</td><td>{{range .MessageTypes}}{{.}} {{end}}</td><td>{{t .ValidFrom}}</td><td>{{t .ValidUntil}}</td><td>{{.State}}</td>
<td>{{if and (eq .ClientCode $.Data.Code) (ne .State "revoked")}}<form class="inline" method="post" action="/console/providers"><input type="hidden" name="id" value="{{.ID}}"><button name="action" value="revoke">Revoke</button></form>{{end}}</td></tr>
{{else}}<tr><td colspan="7" class="muted">None.</td></tr>{{end}}</table>{{end}}{{template "foot" .}}{{end}}

{{define "status"}}{{template "head" .}}{{with .Data}}<p>Status: <b{{if ne .Status "operational"}} class="bad"{{end}}>{{.Status}}</b> at {{t .At}}</p>
<table><tr><th>Messages in the last hour</th><td>{{.Intake.MessagesLastHour}}</td></tr><tr><th>Last message</th><td>{{t .Intake.LastMessageAt}}</td></tr>
<tr><th>Released today</th><td>{{.Clearance.ReleasedToday}}</td></tr><tr><th>Declaration → release, mean / p95 s</th><td>{{.Clearance.MeanSeconds}} / {{.Clearance.P95Seconds}}</td></tr>
<tr><th>Pending inventories (oldest, s)</th><td>{{.Queues.Pending}} ({{.Queues.OldestPendingSeconds}})</td></tr><tr><th>Waiting for documents</th><td>{{.Queues.WaitingDocuments}}</td></tr>
<tr><th>Webhook backlog / failing endpoints</th><td>{{.Queues.WebhookBacklog}} / {{.Queues.WebhooksFailing}}</td></tr><tr><th>Open tickets</th><td>{{.Queues.OpenTickets}}</td></tr><tr><th>Stuck logistics</th><td>{{.Queues.StuckLogistics}}</td></tr></table>
<h2>Incidents</h2><table>{{range .Incidents}}<tr><td>{{t .StartedAt}}</td><td>{{.Severity}}</td><td><b>{{.Title}}</b> {{.Body}}</td><td>{{if .ResolvedAt}}resolved {{t .ResolvedAt}}{{else}}<span class="bad">open</span>{{end}}</td></tr>{{else}}<tr><td class="muted">None.</td></tr>{{end}}</table>{{end}}{{template "foot" .}}{{end}}
`))

type consoleView struct {
	Title, Who, Error string
	Data              any
	Status            int // the page's HTTP status when not 200 (a form shown again with its problems)
}

// consoleHandler renders a page for the signed-in caller.
type consoleHandler func(w http.ResponseWriter, r *http.Request, p *principal) (page string, v consoleView, err error)

// consolePage signs the caller in from the cookie (or a bearer header) and renders the page; without
// credentials it shows the sign-in form, and errors of the input are shown on the page.
func (a *API) consolePage(h consoleHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.Method == http.MethodPost && !sameOrigin(r) {
			return errs.New(errs.Forbidden, "cross_origin", "Origin", "console forms are only accepted from the console itself")
		}
		p, err := a.consoleCaller(r)
		if err != nil {
			return render(w, http.StatusUnauthorized, "login", consoleView{Title: "cbec console"})
		}
		page, v, err := h(w, r, p)
		status := cmp.Or(v.Status, http.StatusOK)
		if err != nil {
			e, ok := errs.As(err)
			if !ok || e.Kind == errs.Internal || e.Kind == errs.Unavailable {
				return err
			}
			v.Error, page, status = e.Error(), "home", statusOf[e.Kind]
			if v.Title == "" {
				v.Title = "cbec console"
			}
		}
		if page == "" {
			return nil // redirected
		}
		v.Who = "operator"
		if p.enterprise != nil {
			v.Who = p.enterprise.Code + " " + p.enterprise.Name
		}
		return render(w, status, page, v)
	}
}

func render(w http.ResponseWriter, status int, page string, v consoleView) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	return consoleTmpl.ExecuteTemplate(w, page, v)
}

// sameOrigin refuses form posts another site's page makes (the cookie is SameSite=Strict too).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return r.Header.Get("Sec-Fetch-Site") == "" || r.Header.Get("Sec-Fetch-Site") == "same-origin"
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// consoleCaller is the signed-in caller: by a bearer header (programs), or by
// the session of the cookie, whose key must still be live.
func (a *API) consoleCaller(r *http.Request) (*principal, error) {
	if r.Header.Get("Authorization") != "" {
		return a.authenticate(r)
	}
	c, err := r.Cookie(consoleCookie)
	if err != nil || c.Value == "" {
		return nil, errs.New(errs.Unauthorized, "session_missing", "cookie", "sign in first")
	}
	ended := errs.New(errs.Unauthorized, "session_unknown", "cookie", "the session ended; sign in again")
	s, err := a.Store.ConsoleSessionByHash(r.Context(), sessionHash(c.Value))
	if err != nil {
		return nil, err
	}
	if s == nil || !s.ExpiresAt.After(time.Now()) {
		return nil, ended
	}
	if s.EnterpriseCode == "" {
		if subtle.ConstantTimeCompare([]byte(s.KeyHash), []byte(a.AdminTokenHash)) != 1 {
			return nil, ended // the administrator token changed
		}
		return &principal{admin: true}, nil
	}
	e, err := a.Enterprises.AuthenticateHash(r.Context(), s.KeyHash)
	if err != nil || e.Code != s.EnterpriseCode {
		return nil, ended // the key was rotated or revoked, or the enterprise disabled
	}
	return &principal{enterprise: e}, nil
}

func sessionHash(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// cookieSecure tells whether the console's cookie is marked Secure: over TLS,
// or behind a TLS-terminating proxy (secure_cookies). Over plain http it is
// not, so that the console still works on a local http address.
func (a *API) cookieSecure(r *http.Request) bool { return r.TLS != nil || a.SecureCookies }

func (a *API) consoleLogin(w http.ResponseWriter, r *http.Request) error {
	if !sameOrigin(r) {
		return errs.New(errs.Forbidden, "cross_origin", "Origin", "console forms are only accepted from the console itself")
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	r.Header.Set("Authorization", "Bearer "+token)
	p, err := a.authenticate(r)
	if errs.KindOf(err) == errs.RateLimited {
		setRetryAfter(w, err)
		return render(w, http.StatusTooManyRequests, "login", consoleView{Title: "cbec console", Error: err.Error()})
	}
	if err != nil || token == "" {
		return render(w, http.StatusUnauthorized, "login", consoleView{Title: "cbec console", Error: "unknown or revoked key"})
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails
	id := base64.RawURLEncoding.EncodeToString(raw)
	now := time.Now()
	if err := a.Store.PutConsoleSession(r.Context(), sessionHash(id), store.ConsoleSession{EnterpriseCode: scopeOf(p),
		KeyHash: enterprise.HashKey(token), ExpiresAt: now.Add(consoleSessionTTL)}, now); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: consoleCookie, Value: id, Path: "/console", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: a.cookieSecure(r), MaxAge: int(consoleSessionTTL.Seconds())})
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
	return nil
}

func (a *API) consoleLogout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(consoleCookie); err == nil && c.Value != "" {
		if err := a.Store.DeleteConsoleSession(r.Context(), sessionHash(c.Value)); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: consoleCookie, Value: "", Path: "/console", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: a.cookieSecure(r), MaxAge: -1})
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
	return nil
}

func scopeOf(p *principal) string {
	if p.enterprise != nil {
		return p.enterprise.Code
	}
	return ""
}

func (a *API) consoleHome(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	if r.URL.Path != "/console/" {
		return "", consoleView{}, errs.New(errs.NotFound, "page_not_found", "", "no page %s", r.URL.Path)
	}
	return "home", consoleView{Title: "cbec console"}, nil
}

func (a *API) consoleManifests(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	ch := r.URL.Query().Get("channel")
	if err := logistics.ParseChannel(ch); err != nil {
		return "", consoleView{}, err
	}
	ms, err := a.Logistics.List(r.Context(), logistics.ListFilter{Carrier: scopeOf(p), Channel: ch, Limit: 200})
	if err != nil {
		return "", consoleView{}, err
	}
	alerts, err := a.Logistics.Alerts(r.Context(), scopeOf(p), false)
	return "manifests", consoleView{Title: "Manifests", Data: map[string]any{"Manifests": ms, "Alerts": alerts, "Channels": logistics.Channels, "Channel": ch}}, err
}

func (a *API) consoleManifest(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	m, err := a.Logistics.Get(r.Context(), r.PathValue("id"), true)
	if err != nil {
		return "", consoleView{}, err
	}
	if c := scopeOf(p); c != "" && c != m.LogisticsCode {
		return "", consoleView{}, errs.New(errs.NotFound, "manifest_not_found", "id", "no manifest %s of carrier %s", m.ID, c)
	}
	return "manifest", consoleView{Title: "Manifest " + m.BillNo, Data: m}, nil
}

func (a *API) consoleChannels(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	from, to, err := period(r, a.Logistics.Now())
	if err != nil {
		return "", consoleView{}, err
	}
	figs, err := a.Logistics.Figures(r.Context(), scopeOf(p), from, to)
	return "channels", consoleView{Title: "Channels", Data: figs}, err
}

func (a *API) consoleReceipts(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	if p.enterprise == nil {
		return "", consoleView{}, errs.New(errs.Forbidden, "enterprise_only", "Authorization", "receipts are an enterprise's; sign in with its API key")
	}
	last, err := a.Store.LastReceiptSeq(r.Context(), p.enterprise.Code)
	if err != nil {
		return "", consoleView{}, err
	}
	list, err := a.Store.Receipts(r.Context(), p.enterprise.Code, max(last-200, 0), 200)
	if err != nil {
		return "", consoleView{}, err
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return "receipts", consoleView{Title: "Receipts", Data: list}, nil
}

func (a *API) consoleTickets(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	list, err := a.Support.List(r.Context(), scopeOf(p), r.URL.Query().Get("status"), 200)
	data := map[string]any{"Tickets": list, "Enterprise": p.enterprise != nil, "ReceiptSeq": r.URL.Query().Get("receiptSeq")}
	if seq := r.URL.Query().Get("receiptSeq"); seq != "" {
		data["Subject"] = "Receipt " + seq
	}
	return "tickets", consoleView{Title: "Tickets", Data: data}, err
}

func (a *API) consoleOpenTicket(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	if p.enterprise == nil {
		return "", consoleView{}, errs.New(errs.Forbidden, "enterprise_only", "Authorization", "tickets are opened by enterprises")
	}
	in := support.OpenInput{Subject: r.PostFormValue("subject"), Body: r.PostFormValue("body"), CopNo: strings.TrimSpace(r.PostFormValue("copNo")),
		ReasonCode: strings.TrimSpace(r.PostFormValue("reasonCode"))}
	if r.PostFormValue("urgent") != "" {
		in.Priority = "urgent"
	}
	if v := strings.TrimSpace(r.PostFormValue("receiptSeq")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return "", consoleView{}, errs.Invalidf("receiptSeq", "not_a_count", "%q is not a receipt number", v)
		}
		in.ReceiptSeq = n
	}
	t, err := a.Support.Open(r.Context(), p.enterprise.Code, in)
	if err != nil {
		return "", consoleView{}, err
	}
	http.Redirect(w, r, "/console/tickets/"+t.ID, http.StatusSeeOther)
	return "", consoleView{}, nil
}

func (a *API) consoleTicket(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	t, err := a.Support.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return "", consoleView{}, err
	}
	if c := scopeOf(p); c != "" && c != t.EnterpriseCode {
		return "", consoleView{}, errs.New(errs.NotFound, "ticket_not_found", "id", "no ticket %s", t.ID)
	}
	return "ticket", consoleView{Title: t.Subject, Data: map[string]any{"Ticket": t, "Help": support.Article(t.ReasonCode), "Operator": p.admin}}, nil
}

func (a *API) consoleUpdateTicket(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	actor := support.Operator
	if p.enterprise != nil {
		actor = p.enterprise.Code
	}
	_, err := a.Support.Update(r.Context(), r.PathValue("id"), actor, support.UpdateInput{Reply: strings.TrimSpace(r.PostFormValue("reply")),
		Assignee: strings.TrimSpace(r.PostFormValue("assignee")), Status: r.PostFormValue("status")})
	if err != nil {
		return "", consoleView{}, err
	}
	http.Redirect(w, r, "/console/tickets/"+r.PathValue("id"), http.StatusSeeOther)
	return "", consoleView{}, nil
}

// consoleStatus is the public status page.
func (a *API) consoleStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := a.Support.Status(r.Context(), false)
	if err != nil {
		return err
	}
	return render(w, http.StatusOK, "status", consoleView{Title: "运行状态 Status", Data: st})
}

// consoleProviders: operators see the providers' quality figures and suspend
// or reinstate them; an enterprise grants and revokes authorisations.
func (a *API) consoleProviders(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	v := consoleView{Title: "技术服务商 Technical service providers"}
	if p.admin {
		list, err := a.Enterprises.Store.ListEnterprises(r.Context(), enterprise.Filter{Role: enterprise.RoleProvider, Limit: 1000})
		if err != nil {
			return "", v, err
		}
		q, err := a.Providers.Figures(r.Context(), list, a.Providers.Now().AddDate(0, 0, -30))
		v.Data = map[string]any{"Operator": true, "Quality": q}
		return "providers", v, err
	}
	client, prov := p.enterprise.Code, ""
	if p.enterprise.HasRole(enterprise.RoleProvider) {
		client, prov = "", p.enterprise.Code
	}
	list, err := a.Providers.List(r.Context(), client, prov)
	v.Data = map[string]any{"Authorisations": list, "Code": p.enterprise.Code}
	return "providers", v, err
}

func (a *API) consoleProvidersPost(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	var err error
	switch action := r.PostFormValue("action"); {
	case p.admin && action == "suspend":
		err = a.Providers.Suspend(r.Context(), r.PostFormValue("provider"), r.PostFormValue("reason"))
	case p.admin && action == "reinstate":
		err = a.Providers.Reinstate(r.Context(), r.PostFormValue("provider"))
	case p.enterprise != nil && action == "grant":
		until, perr := time.ParseInLocation(time.DateOnly, r.PostFormValue("until"), time.FixedZone("CST", 8*3600))
		if perr != nil {
			return "", consoleView{}, errs.Invalidf("validUntil", "date_invalid", "%q is not a date like 2027-11-27", r.PostFormValue("until"))
		}
		_, err = a.Providers.Authorise(r.Context(), p.enterprise, provider.Grant{ProviderCode: strings.TrimSpace(r.PostFormValue("provider")),
			MessageTypes: strings.Fields(strings.ReplaceAll(r.PostFormValue("types"), ",", " ")), ValidUntil: until.AddDate(0, 0, 1).Add(-time.Second)})
	case p.enterprise != nil && action == "revoke":
		_, err = a.Providers.Revoke(r.Context(), p.enterprise.Code, r.PostFormValue("id"))
	default:
		err = errs.New(errs.Forbidden, "action_not_allowed", "action", "%q is not an action you may take here", action)
	}
	if err != nil {
		return "", consoleView{}, err
	}
	http.Redirect(w, r, "/console/providers", http.StatusSeeOther)
	return "", consoleView{}, nil
}
