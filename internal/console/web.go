package console

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/publicweb"
)

//go:embed web
var webFS embed.FS

// Route is a console route; the HTTP layer registers it.
type Route struct {
	Pattern string
	Handler func(http.ResponseWriter, *http.Request) error
}

const (
	sessionCookie = "cbec_officer"
	langCookie    = "cbec_officer_lang"
)

var pages = map[string]*template.Template{}

func init() {
	base := template.Must(template.New("").Funcs(template.FuncMap{
		"t":       func(string) string { return "" },
		"fmtTime": fmtTime,
	}).ParseFS(webFS, "web/layout.html"))
	names, _ := fs.Glob(webFS, "web/*.html")
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "web/"), ".html")
		if name == "layout" {
			continue
		}
		pages[name] = template.Must(template.Must(base.Clone()).ParseFS(webFS, n))
	}
}

// China time: the console shows times and days as the officers live them.
var china = time.FixedZone("CST", 8*3600)

func fmtTime(t time.Time) string { return t.In(china).Format("2006-01-02 15:04:05") }

type view struct {
	Lang    string
	Officer *Officer
	Error   string
	Data    any
}

func lang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && c.Value == "en" {
		return "en"
	}
	return "zh"
}

// render writes a page in the request's language.
func (s *Service) render(w http.ResponseWriter, r *http.Request, status int, page string, o *Officer, data any, msg string) error {
	l := lang(r)
	t, err := pages[page].Clone()
	if err != nil {
		return err
	}
	t.Funcs(template.FuncMap{"t": func(k string) string { return tr(l, k) }})
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", view{Lang: l, Officer: o, Error: msg, Data: data}); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src "+strings.TrimSpace("'self' data: "+s.XrayImageSource)+"; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, err = w.Write(buf.Bytes())
	return err
}

// pageError shows an error as a page; internal errors are returned to be logged.
func (s *Service) pageError(w http.ResponseWriter, r *http.Request, o *Officer, err error) error {
	e, ok := errs.As(err)
	if !ok || e.Kind == errs.Internal || e.Kind == errs.Unavailable {
		return err
	}
	status := map[errs.Kind]int{errs.Invalid: 400, errs.Unauthorized: 401, errs.Forbidden: 403, errs.NotFound: 404,
		errs.Conflict: 409, errs.RateLimited: 429}[e.Kind]
	if status == 0 {
		status = 400
	}
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	var l errs.List
	if errors.As(err, &l) && len(l) > 0 {
		var parts []string
		for _, x := range l {
			parts = append(parts, x.Field+": "+x.Message)
		}
		msg = strings.Join(parts, "; ")
	}
	return s.render(w, r, status, "error", o, nil, msg)
}

type officerKey struct{}

var crossOrigin = http.NewCrossOriginProtection()

// session reads the session cookie and refuses cross-origin writes.
func (s *Service) session(r *http.Request) (*Officer, error) {
	if err := crossOrigin.Check(r); err != nil {
		return nil, errs.New(errs.Forbidden, "cross_origin", "Origin", "cross-origin request refused")
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, errs.New(errs.Unauthorized, "session_missing", "cookie", "log in first")
	}
	return s.Session(r.Context(), c.Value)
}

// page wraps an HTML page: no session sends the browser to the login page,
// a missing permission shows an error page.
func (s *Service) page(perm string, h func(w http.ResponseWriter, r *http.Request, o *Officer) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		o, err := s.session(r)
		if errs.KindOf(err) == errs.Unauthorized {
			http.Redirect(w, r, "/console/officer/login", http.StatusSeeOther)
			return nil
		}
		if err != nil {
			return s.pageError(w, r, nil, err)
		}
		if perm != "" && !o.May(perm) {
			return s.pageError(w, r, o, errs.New(errs.Forbidden, "not_permitted", "department", "the %s department may not do this", o.Department))
		}
		r = r.WithContext(context.WithValue(r.Context(), officerKey{}, o))
		if err := h(w, r, o); err != nil {
			return s.pageError(w, r, o, err)
		}
		return nil
	}
}

// api wraps a JSON endpoint of the console: errors are answered as JSON.
func (s *Service) api(perm string, h func(w http.ResponseWriter, r *http.Request, o *Officer) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		o, err := s.session(r)
		if err != nil {
			return err
		}
		if perm != "" && !o.May(perm) {
			return errs.New(errs.Forbidden, "not_permitted", "department", "the %s department may not do this", o.Department)
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), officerKey{}, o)), o)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

func readJSON(r *http.Request, v any) error {
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errs.Invalidf("body", "json_invalid", "the body is not the expected JSON: %v", err)
	}
	return nil
}

// Routes lists the console's pages and endpoints.
func (s *Service) Routes() []Route {
	return []Route{
		{"GET /console/officer/login", s.loginPage},
		{"POST /console/officer/login", s.login},
		{"POST /console/officer/logout", s.page("", s.logout)},
		{"GET /console/officer/lang/{lang}", s.setLang},
		{"GET /console/officer/static/{file}", s.static},
		{"GET /console/officer/{$}", s.page("dashboard", s.dashboardPage)},
		{"GET /console/officer/api/dashboard", s.api("dashboard", s.dashboardJSON)},
		{"GET /console/officer/inventories", s.page("inventories", s.inventoriesPage)},
		{"GET /console/officer/inventories/{id}", s.page("inventories", s.inventoryPage)},
		{"POST /console/officer/inventories/{id}/unmask", s.page("unmask", s.unmaskPage)},
		{"GET /console/officer/reviews", s.page("review", s.reviewsPage)},
		{"POST /console/officer/reviews/{id}", s.page("review", s.reviewDecision)},
		{"GET /console/officer/risk/rules", s.page("risk", s.rulesPage)},
		{"GET /console/officer/risk/rules/{id}/dry-run", s.page("risk", s.dryRunPage)},
		{"GET /console/officer/risk/measures", s.page("risk", s.measuresPage)},
		{"GET /console/officer/credit", s.page("inventories", s.creditPage)},
		{"GET /console/officer/enterprises", s.page("inventories", s.enterprisesPage)},
		{"GET /console/officer/books", s.page("inventories", s.bookPage)},
		{"GET /console/officer/returns", s.page("inventories", s.returnsPage)},
		{"GET /console/officer/audit", s.page("audit", s.auditPage)},
		{"GET /console/officer/audit.csv", s.page("audit", s.auditCSV)},
		{"GET /console/officer/api/audit", s.api("audit", s.auditJSON)},
		{"POST /console/officer/api/officers", s.api("officers", s.addOfficerJSON)},
		{"GET /console/officer/lines", s.page("", s.linesPage)},
		{"POST /console/officer/lines", s.page("lines", s.createLinePage)},
		{"POST /console/officer/lines/{id}/scanners", s.page("lines", s.addScannerPage)},
		{"GET /console/officer/lines/{id}", s.page("", s.screenPage)},
		{"GET /console/officer/lines/{id}/events", s.api("", s.events)},
		{"POST /console/officer/parcels/{id}/mark", s.api("joint", s.markJSON)},
		{"POST /console/officer/parcels/{id}/finding", s.api("joint", s.findingJSON)},
		{"POST /console/officer/parcels/{id}/reopen", s.api("joint", s.reopenJSON)},
		{"POST /api/v1/sorting-lines/{line}/scans", s.scanJSON},
		{"GET /api/v1/sorting-lines/{line}/parcels/{id}/divert", s.divertJSON},
	}
}

func (s *Service) static(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	ctype := map[string]string{"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}[name]
	if ctype == "" {
		return errs.New(errs.NotFound, "not_found", "file", "no such file")
	}
	b, err := webFS.ReadFile("web/" + name)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err = w.Write(b)
	return err
}

func (s *Service) setLang(w http.ResponseWriter, r *http.Request) error {
	l := r.PathValue("lang")
	if l != "zh" && l != "en" {
		return errs.Invalidf("lang", "lang_unknown", "language %q is not zh or en", l)
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/console/officer", MaxAge: 365 * 86400, SameSite: http.SameSiteLaxMode, HttpOnly: true, Secure: true})
	back := "/console/officer/"
	if ref := r.Header.Get("Referer"); ref != "" {
		if i := strings.Index(ref, "/console/officer"); i >= 0 && !strings.Contains(ref[i:], "/lang/") {
			back = ref[i:]
		}
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

func (s *Service) loginPage(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "login", nil, nil, "")
}

func (s *Service) login(w http.ResponseWriter, r *http.Request) error {
	if err := crossOrigin.Check(r); err != nil {
		return s.render(w, r, http.StatusForbidden, "login", nil, nil, "cross-origin request refused")
	}
	if err := r.ParseForm(); err != nil {
		return s.render(w, r, http.StatusBadRequest, "login", nil, nil, "the form could not be read")
	}
	addr := publicweb.ClientKey(r)
	o, token, err := s.Login(r.Context(), r.PostFormValue("username"), r.PostFormValue("password"), addr)
	if err != nil {
		e, ok := errs.As(err)
		if !ok {
			return err
		}
		status := http.StatusUnauthorized
		if e.Kind == errs.RateLimited {
			status = http.StatusTooManyRequests
			wait := s.LockWait(r.PostFormValue("username"), addr)
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait.Seconds()+0.999))))
		}
		return s.render(w, r, status, "login", nil, nil, e.Message)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/console/officer", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.SessionTTL.Seconds())})
	next := "/console/officer/"
	if !o.May("dashboard") {
		next = "/console/officer/inventories"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Service) logout(w http.ResponseWriter, r *http.Request, o *Officer) error {
	c, _ := r.Cookie(sessionCookie)
	if err := s.Logout(r.Context(), o, c.Value); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/console/officer", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/console/officer/login", http.StatusSeeOther)
	return nil
}
