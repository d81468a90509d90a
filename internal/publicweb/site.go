// Package publicweb serves the public pages of the platform (rules §10,
// contract §5): traceability code lookup, product pages, recalls, risk
// warnings (with Atom and JSON feeds), policies, the credit list and the
// quota query. Pages are server-rendered html/template with one embedded
// style sheet: no build step, no script, usable on a phone, Chinese by default
// and English with ?lang=en. Nothing here needs a login, and nothing shows a
// buyer's personal data.
package publicweb

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/trace"
)

// Trace is what the pages read of traceability, recalls and notices.
type Trace interface {
	Lookup(ctx context.Context, code string) (*trace.Lookup, error)
	Product(ctx context.Context, ebcCode, itemNo string) (*trace.ProductPage, error)
	Recalls() []store.Recall
	Warnings() []store.Notice
	Policies() []store.Notice
}

// CreditEntry is one enterprise on the public credit list.
type CreditEntry struct {
	Code, Name       string
	Class            string
	Abnormal         bool
	SeriousViolation bool
}

// Credit lists the enterprises the credit page shows.
type Credit interface {
	CreditList(ctx context.Context) ([]CreditEntry, error)
}

// QuotaAnswer is a buyer's yearly quota (contract §5).
type QuotaAnswer struct {
	Year                   int
	Used, Remaining, Limit string
}

// Quota answers the quota query of the request; invalid input is an errs.List
// naming the fields, a throttled query an error with a RetryAfter method.
type Quota func(r *http.Request, name, idNumber, year string) (*QuotaAnswer, error)

// Site serves the public pages.
type Site struct {
	Trace  Trace
	Credit Credit
	Quota  Quota
	// Limit bounds lookups and quota queries per client IP.
	Limit *Limiter
	Log   *slog.Logger
	Now   func() time.Time

	once  sync.Once
	pages map[string]*template.Template
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/style.css
var styleCSS []byte

// Route is one pattern the site serves.
type Route struct {
	Pattern string
	Handler http.HandlerFunc
}

// Routes lists the site's patterns and handlers, for the API's mux.
func (s *Site) Routes() []Route {
	s.once.Do(s.parse)
	return []Route{
		{"GET /{$}", s.home},
		{"GET /t", s.lookupForm},
		{"GET /t/{code}", s.limited(s.lookup)},
		{"GET /01/{gtin}/21/{code}", s.limited(s.lookup)},
		{"GET /products/{ebc}/{item}", s.product},
		{"GET /recalls", s.recalls},
		{"GET /warnings", s.warnings},
		{"GET /policies", s.policies},
		{"GET /credit", s.credit},
		{"GET /quota", s.quotaForm},
		{"POST /quota", s.limited(s.quota)},
		{"GET /warnings.atom", s.atom(s.warningFeed())},
		{"GET /warnings.json", s.jsonFeed(s.warningFeed())},
		{"GET /policies.atom", s.atom(s.policyFeed())},
		{"GET /policies.json", s.jsonFeed(s.policyFeed())},
		{"GET /static/style.css", s.style},
	}
}

// parse builds one template set per language. The fixed texts and links
// ({{t .Lang "key"}}, {{link .Lang "/path"}}) are put in at parse time, so
// a page spends no template calls on them; texts chosen at run time (a
// risk level, a state) still go through t.
func (s *Site) parse() {
	funcs := template.FuncMap{
		"t":          tr,
		"link":       link,
		"date":       func(t time.Time) string { return t.In(cst).Format("2006-01-02") },
		"iso":        func(t time.Time) string { return t.Format(time.RFC3339) },
		"country":    countryName,
		"group":      trace.Group,
		"productURL": func(ebc, item string) string { return "/products/" + url.PathEscape(ebc) + "/" + url.PathEscape(item) },
		"paragraphs": func(s string) []string { return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") },
		"with2":      with2,
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	s.pages = map[string]*template.Template{}
	for _, lang := range []string{"zh", "en"} {
		base := template.New("").Funcs(funcs)
		for _, f := range files {
			src, err := fs.ReadFile(templateFS, f)
			if err != nil {
				panic(err)
			}
			text := fixedText.ReplaceAllStringFunc(string(src), func(m string) string {
				sub := fixedText.FindStringSubmatch(m)
				if sub[1] == "t" {
					return html.EscapeString(tr(lang, sub[2]))
				}
				return html.EscapeString(link(lang, sub[2]))
			})
			template.Must(base.New(path.Base(f)).Parse(text))
		}
		for _, name := range []string{"home", "lookup", "product", "recalls", "warnings", "policies", "credit", "quota", "message"} {
			t := template.Must(base.Clone())
			template.Must(t.New("content").Parse(`{{template "` + name + `.content" .}}`))
			s.pages[lang+"/"+name] = t
		}
	}
}

// fixedText matches a translation or link whose key is written in the template.
var fixedText = regexp.MustCompile(`\{\{(t|link) \$?\.Lang "([^"]+)"\}\}`)

var cst = time.FixedZone("CST", 8*3600)

// page is what every page template gets.
type page struct {
	Lang, Title, Nav string
	OtherLangURL     string
	NoIndex          bool
	Typed            string
	Lookup           *trace.Lookup
	Product          *trace.ProductPage
	Recalls          []store.Recall
	Warnings         []store.Notice
	Policies         []store.Notice
	Credit           []CreditEntry
	Quota            *quotaView
	Year             int
	Message          string
	MessageClass     string
}

type quotaView struct {
	Problems []string
	Answer   *QuotaAnswer
}

// Views pass the page's language to the shared sub-templates.
type (
	recallView struct {
		store.Recall
		Lang string
	}
	noticeView struct {
		store.Notice
		Lang string
	}
	lookupView struct {
		*trace.Lookup
		Lang string
	}
	productView struct {
		*trace.ProductPage
		Lang string
	}
)

func with2(p *page, v any) any {
	switch v := v.(type) {
	case store.Recall:
		return recallView{v, p.Lang}
	case store.Notice:
		return noticeView{v, p.Lang}
	case *trace.Lookup:
		return lookupView{v, p.Lang}
	case *trace.ProductPage:
		return productView{v, p.Lang}
	}
	return v
}

// lang is the page language: English with ?lang=en, Chinese otherwise.
func lang(r *http.Request) string {
	if r.URL.Query().Get("lang") == "en" {
		return "en"
	}
	return "zh"
}

// link keeps the language on internal links.
func link(lang, path string) string {
	if lang == "en" {
		if strings.Contains(path, "?") {
			return path + "&lang=en"
		}
		return path + "?lang=en"
	}
	return path
}

func (s *Site) newPage(r *http.Request, title, nav string) *page {
	l := lang(r)
	q := r.URL.Query()
	if l == "en" {
		q.Del("lang")
	} else {
		q.Set("lang", "en")
	}
	other := r.URL.Path
	if enc := q.Encode(); enc != "" {
		other += "?" + enc
	}
	p := &page{Lang: l, Nav: nav, OtherLangURL: other}
	p.Title = tr(l, title)
	return p
}

func (s *Site) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := s.pages[p.Lang+"/"+name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.Log.ErrorContext(r.Context(), "render public page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", map[string]string{"zh": "zh-CN", "en": "en"}[p.Lang])
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Site) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ra retryAfter
	if errors.As(err, &ra) {
		s.tooMany(w, r, ra.RetryAfter())
		return
	}
	if errs.KindOf(err) == errs.NotFound {
		p := s.newPage(r, "notfound", "")
		p.Message, p.MessageClass = "notfound", "fake"
		s.render(w, r, http.StatusNotFound, "message", p)
		return
	}
	s.Log.ErrorContext(r.Context(), "public page failed", "route", r.Pattern, "error", err)
	p := s.newPage(r, "error", "")
	p.Message, p.MessageClass = "error", "typo"
	s.render(w, r, http.StatusServiceUnavailable, "message", p)
}

// ClientKey is the client address a limit counts: the IPv4 address, or the
// /64 of an IPv6 one (one subscriber's network, which holds many addresses).
func ClientKey(r *http.Request) string {
	ip, err := netip.ParseAddr(ClientIP(r))
	if err != nil {
		return ClientIP(r)
	}
	if ip = ip.Unmap(); ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// ClientIP is the connection's address; proxies' headers are not trusted,
// since anyone can send them.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limited answers 429 when the client spent its lookups.
func (s *Site) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.Limit != nil {
			if ok, wait := s.Limit.Allow(ClientIP(r)); !ok {
				s.tooMany(w, r, wait)
				return
			}
		}
		h(w, r)
	}
}

func (s *Site) home(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, "lookup.title", "home")
	p.Recalls = firstN(s.Trace.Recalls(), 3)
	p.Warnings = firstN(s.Trace.Warnings(), 3)
	s.render(w, r, http.StatusOK, "home", p)
}

func firstN[T any](v []T, n int) []T { return v[:min(len(v), n)] }

// lookupForm turns the home page's form (?code=…) into the code's page.
func (s *Site) lookupForm(w http.ResponseWriter, r *http.Request) {
	code := trace.Normalize(r.URL.Query().Get("code"))
	if code == "" {
		http.Redirect(w, r, link(lang(r), "/"), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, link(lang(r), "/t/"+url.PathEscape(code)), http.StatusSeeOther)
}

func (s *Site) lookup(w http.ResponseWriter, r *http.Request) {
	l, err := s.Trace.Lookup(r.Context(), r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// A Digital Link whose GTIN is not the piece's is a real code copied onto
	// other goods: not genuine either.
	if g := r.PathValue("gtin"); g != "" && l.Found && trace.GTIN14(l.Piece.GTIN) != g {
		l = &trace.Lookup{Code: l.Code, Verdict: l.Verdict}
	}
	p := s.newPage(r, "lookup.title", "")
	p.Lookup, p.NoIndex = l, true
	status := http.StatusOK
	if !l.Found {
		status = http.StatusNotFound
		p.Title = tr(p.Lang, "fake")
		if l.Verdict == trace.Mistyped {
			p.Title = tr(p.Lang, "typo")
		}
		if len(l.Code) <= trace.CodeLen+4 {
			p.Typed = l.Code
		}
	}
	w.Header().Set("Cache-Control", "no-cache")
	s.render(w, r, status, "lookup", p)
}

func (s *Site) product(w http.ResponseWriter, r *http.Request) {
	pg, err := s.Trace.Product(r.Context(), r.PathValue("ebc"), r.PathValue("item"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.newPage(r, "productpage", "")
	p.Product, p.Title = pg, pg.Name
	s.render(w, r, http.StatusOK, "product", p)
}

func (s *Site) recalls(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, "recalls", "recalls")
	p.Recalls = s.Trace.Recalls()
	s.render(w, r, http.StatusOK, "recalls", p)
}

func (s *Site) warnings(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, "warnings", "warnings")
	p.Warnings = s.Trace.Warnings()
	s.render(w, r, http.StatusOK, "warnings", p)
}

func (s *Site) policies(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, "policies", "policies")
	p.Policies = s.Trace.Policies()
	s.render(w, r, http.StatusOK, "policies", p)
}

func (s *Site) credit(w http.ResponseWriter, r *http.Request) {
	list, err := s.Credit.CreditList(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.newPage(r, "credit", "credit")
	p.Credit = list
	s.render(w, r, http.StatusOK, "credit", p)
}

func (s *Site) quotaForm(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, "quota", "quota")
	p.Year = s.Now().In(cst).Year()
	s.render(w, r, http.StatusOK, "quota", p)
}

// quota answers the form by POST, so the ID number stays out of URLs, logs and history.
func (s *Site) quota(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, "quota", "quota")
	p.Year = s.Now().In(cst).Year()
	p.Quota = &quotaView{}
	status := http.StatusOK
	if err := r.ParseForm(); err != nil {
		p.Quota.Problems = []string{err.Error()}
		status = http.StatusBadRequest
	} else {
		ans, err := s.Quota(r, r.PostForm.Get("name"), r.PostForm.Get("idNumber"), r.PostForm.Get("year"))
		switch list := (errs.List)(nil); {
		case err == nil:
			p.Quota.Answer = ans
			p.Year = ans.Year
		case asList(err, &list):
			for _, e := range list {
				p.Quota.Problems = append(p.Quota.Problems, e.Message)
			}
			status = http.StatusBadRequest
		default:
			s.fail(w, r, err)
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "quota", p)
}

// retryAfter is an error that asks the client to wait (a throttled query).
type retryAfter interface{ RetryAfter() time.Duration }

// tooMany answers 429 with the wait in Retry-After.
func (s *Site) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
	p := s.newPage(r, "toomany", "")
	p.Message, p.MessageClass = "toomany", "typo"
	s.render(w, r, http.StatusTooManyRequests, "message", p)
}

func asList(err error, list *errs.List) bool {
	if errors.As(err, list) {
		return true
	}
	if e, ok := errs.As(err); ok && e.Kind == errs.Invalid {
		*list = errs.List{e}
		return true
	}
	return false
}

func (s *Site) style(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(styleCSS)
}
