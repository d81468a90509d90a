// Package httpapi is the platform's HTTP interface: the enterprise and admin
// JSON API, CEB message intake, health, readiness and metrics. Handlers return
// errors; one function (writeError) maps them to statuses and JSON bodies.
package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/bonded"
	"github.com/cbec-platform/cbec/internal/console"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/export"
	"github.com/cbec-platform/cbec/internal/intake"
	"github.com/cbec-platform/cbec/internal/logging"
	"github.com/cbec-platform/cbec/internal/logistics"
	"github.com/cbec-platform/cbec/internal/metrics"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/provider"
	"github.com/cbec-platform/cbec/internal/refdata"
	"github.com/cbec-platform/cbec/internal/risk"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/support"
	"github.com/cbec-platform/cbec/internal/trace"
	"github.com/cbec-platform/cbec/internal/tracing"
	"github.com/cbec-platform/cbec/internal/vault"
	"github.com/cbec-platform/cbec/internal/webhook"
)

// API holds what the handlers need. Fields are set by the app package.
type API struct {
	Enterprises    *enterprise.Service
	Reference      *refdata.Service
	Intake         *intake.Service
	Store          *store.DB
	Vault          *vault.Vault
	AnnualLimit    money.Amount
	Bonded         *bonded.Service
	Trace          *trace.Service
	Risk           *risk.Service
	Export         *export.Service
	Officers       *console.Service
	Ready          func(context.Context) error // nil error when the database answers
	AdminTokenHash string                      // enterprise.HashKey of the admin token
	Log            *slog.Logger
	Metrics        *metrics.Metrics
	MaxBodyBytes   int64
	// Logistics channels, technical service providers, the service response centre (issue 12).
	Logistics  *logistics.Service
	Providers  *provider.Service
	Support    *support.Service
	RateLimits RateLimits
	limiter    limiter
	doors      *throttles
	// Webhooks decides which endpoints enterprises may register (issue 16).
	Webhooks *webhook.Guard
	// SecureCookies marks console session cookies Secure over plain http (behind a TLS proxy).
	SecureCookies bool
	imports       importJobs // the console's spreadsheet imports on this node
	// Feed, when set, serves the receipts feed (GET /api/v1/receipts) in
	// place of Store: the benchmark's ceiling harness, whose storage is
	// switched off, keeps its receipts in memory (internal/ceiling). A server
	// never sets it.
	Feed func(ctx context.Context, enterpriseCode string, after int64, limit int) ([]store.Receipt, error)

	mux    *http.ServeMux
	routes []string
}

// handlerFunc is an HTTP handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handler builds the routing table and the middleware chain.
func (a *API) Handler() http.Handler {
	a.mux = http.NewServeMux()
	a.doors = newThrottles(a.RateLimits, time.Now)
	a.routes = nil
	a.handle("GET /healthz", a.healthz)
	a.handle("GET /readyz", a.readyz)
	a.mux.Handle("GET /metrics", a.Metrics.Handler())
	a.routes = append(a.routes, "GET /metrics")
	a.handle("GET /api/v1/openapi.json", a.openAPI)

	a.handle("POST /api/v1/enterprises", a.admin(a.createEnterprise))
	a.handle("GET /api/v1/enterprises", a.admin(a.listEnterprises))
	a.handle("GET /api/v1/enterprises/{code}", a.adminOrSelf(a.getEnterprise))
	a.handle("PATCH /api/v1/enterprises/{code}", a.admin(a.updateEnterprise))
	a.handle("POST /api/v1/enterprises/{code}/disable", a.admin(a.disableEnterprise))
	a.handle("POST /api/v1/enterprises/{code}/enable", a.admin(a.enableEnterprise))
	a.handle("POST /api/v1/enterprises/{code}/keys", a.admin(a.rotateKey))
	a.handle("DELETE /api/v1/enterprises/{code}/keys", a.admin(a.revokeKeys))
	a.catalogRoutes()
	a.clearanceRoutes()
	a.entrustmentRoutes()
	a.traceRoutes()
	a.bondedRoutes()
	a.riskRoutes()
	a.exportRoutes()
	a.logisticsRoutes()
	a.officerRoutes()
	return a.middleware(a.limits(a.mux))
}

// Routes lists the registered patterns, for the OpenAPI conformance test.
func (a *API) Routes() []string { return a.routes }

func (a *API) handle(pattern string, h handlerFunc) {
	a.routes = append(a.routes, pattern)
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// middleware adds a request id, logging, metrics, panic recovery and the body limit.
func (a *API) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !requestIDRE.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ctx, span := tracing.StartServer(r.Context(), r.Header, "http.request")
		ctx = logging.WithRequestID(ctx, id)
		r = r.WithContext(ctx)
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, a.MaxBodyBytes)
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				a.Log.ErrorContext(ctx, "panic in handler", "panic", p, "route", r.Pattern)
				if !sw.wrote {
					a.writeError(sw, r, errs.New(errs.Internal, "internal", "", "internal error"))
				}
			}
			d := time.Since(start)
			a.Metrics.Observe(r.Pattern, r.Method, sw.status, d)
			tracing.EndRequest(span, r.Method, r.Pattern, id, sw.status)
			// The path is not logged: query strings can hold personal data (the quota query).
			a.Log.InfoContext(ctx, "request", "method", r.Method, "route", r.Pattern, "status", sw.status,
				"duration_ms", float64(d.Microseconds())/1000, "bytes_in", r.ContentLength)
		}()
		if r.ContentLength > a.MaxBodyBytes {
			a.writeError(sw, r, errs.New(errs.TooLarge, "body_too_large", "", "the request body has %d bytes; the limit is %d", r.ContentLength, a.MaxBodyBytes))
			return
		}
		next.ServeHTTP(sw, r)
	})
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (flushing for live feeds).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (a *API) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.Ready(ctx); err != nil {
		// The cause (a driver's error, which may name hosts, ports or
		// files) goes to the log through Err; the caller gets our words.
		return &errs.Error{Kind: errs.Unavailable, Code: "not_ready", Message: "not ready: the database does not answer", Err: err}
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// principal is who is calling: the administrator or an enterprise.
type principal struct {
	admin      bool
	enterprise *enterprise.Enterprise
}

type principalKey struct{}

func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", errs.New(errs.Unauthorized, "credentials_missing", "Authorization", "send Authorization: Bearer <token>")
	}
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		return "", errs.New(errs.Unauthorized, "credentials_malformed", "Authorization", "the Authorization header must be \"Bearer <token>\"")
	}
	return strings.TrimSpace(token), nil
}

// authenticate identifies the caller as the administrator or an enterprise.
func (a *API) authenticate(r *http.Request) (*principal, error) {
	token, err := bearer(r)
	if err != nil {
		return nil, err
	}
	if err := a.authBlocked(r); err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(enterprise.HashKey(token)), []byte(a.AdminTokenHash)) == 1 {
		return &principal{admin: true}, nil
	}
	e, err := a.Enterprises.Authenticate(r.Context(), token)
	if err != nil {
		if errs.KindOf(err) == errs.Unauthorized {
			a.authFailed(r)
		}
		return nil, err
	}
	return &principal{enterprise: e}, nil
}

func (a *API) admin(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := a.authenticate(r)
		if err != nil {
			return err
		}
		if !p.admin {
			return errs.New(errs.Forbidden, "admin_only", "Authorization", "this operation needs the administrator token")
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// enterpriseOnly requires an enterprise's API key.
func (a *API) enterpriseOnly(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := a.authenticate(r)
		if err != nil {
			return err
		}
		if p.enterprise == nil {
			return errs.New(errs.Forbidden, "enterprise_only", "Authorization", "this operation needs an enterprise API key, not the administrator token")
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// adminOrSelf lets the administrator, or the enterprise named by {code}, through.
func (a *API) adminOrSelf(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := a.authenticate(r)
		if err != nil {
			return err
		}
		if !p.admin && p.enterprise.Code != r.PathValue("code") {
			return errs.New(errs.Forbidden, "not_your_enterprise", "code", "an enterprise may only read its own record")
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// caller returns the authenticated principal of the request.
func caller(r *http.Request) *principal {
	p, _ := r.Context().Value(principalKey{}).(*principal)
	return p
}
