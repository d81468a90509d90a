package httpapi

import (
	"bytes"
	"context"
	"crypto/subtle"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/provider"
)

// RateLimits are the token buckets' parameters; a rate of 0 turns a limit off.
type RateLimits struct {
	EnterprisePerSecond float64
	EnterpriseBurst     int
	ProviderPerSecond   float64
	ProviderBurst       int
	// Per client address and ID number (issue 16), per minute; see throttles.
	QuotaAddressPerMinute float64
	QuotaAddressBurst     int
	QuotaIDPerMinute      float64
	QuotaIDBurst          int
	FailedAuthPerMinute   float64
	FailedAuthBurst       int
}

// limiter keeps one token bucket per enterprise.
type limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// take spends a token of key's bucket and returns 0, or how long until one is there.
func (l *limiter) take(key string, rate float64, burst int, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(burst), last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(float64(burst), b.tokens+el*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

var intakePath = regexp.MustCompile(`^/api/v1/(ceb|documents/)`)

// limits applies the rate limits of the calling enterprise (the administrator
// is not limited, an unknown key is left to the handler's 401), and records
// every intake submission of a technical service provider for its quality figures.
func (a *API) limits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := a.limitedCaller(r)
		if e == nil {
			next.ServeHTTP(w, r)
			return
		}
		isProvider := e.HasRole(enterprise.RoleProvider)
		rate, burst, key := a.RateLimits.EnterprisePerSecond, a.RateLimits.EnterpriseBurst, "e:"+e.Code
		if isProvider {
			rate, burst, key = a.RateLimits.ProviderPerSecond, a.RateLimits.ProviderBurst, "p:"+e.Code
		}
		if rate > 0 {
			if wait := a.limiter.take(key, rate, burst, time.Now()); wait > 0 {
				a.Metrics.Throttled(map[bool]string{true: "provider", false: "enterprise"}[isProvider])
				secs := int(math.Ceil(wait.Seconds()))
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				a.writeError(w, r, errs.New(errs.RateLimited, "rate_limited", "Authorization",
					"enterprise %s is over its limit of %g requests per second (burst %d); retry in %d s", e.Code, rate, burst, secs))
				return
			}
		}
		if !isProvider || a.Providers == nil || r.Method != http.MethodPost || !intakePath.MatchString(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		a.observeProvider(w, r, e, next)
	})
}

// limitedCaller is the enterprise the request's API key belongs to, nil for the administrator or no valid key.
func (a *API) limitedCaller(r *http.Request) *enterprise.Enterprise {
	token, err := bearer(r)
	if err != nil || a.authWait(r) > 0 { // the handler answers 429
		return nil
	}
	if subtle.ConstantTimeCompare([]byte(enterprise.HashKey(token)), []byte(a.AdminTokenHash)) == 1 {
		return nil
	}
	e, err := a.Enterprises.Authenticate(r.Context(), token)
	if err != nil {
		return nil
	}
	return e
}

var (
	msgTypeRE = regexp.MustCompile(`CEB\d{3}Message`)
	statusRE  = regexp.MustCompile(`<(?:ceb:)?returnStatus>([^<]*)<`)
)

// captureWriter keeps a copy of the answer of a provider's submission.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if c.body.Len() < 1<<20 {
		c.body.Write(b)
	}
	return c.ResponseWriter.Write(b)
}

func (a *API) observeProvider(w http.ResponseWriter, r *http.Request, e *enterprise.Enterprise, next http.Handler) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	msgType := strings.TrimPrefix(r.URL.Path, "/api/v1/documents/")
	if strings.HasPrefix(msgType, "/") {
		msgType = ""
		if m := msgTypeRE.Find(body[:min(len(body), 4096)]); m != nil {
			msgType = string(m)
		}
	}
	cw := &captureWriter{ResponseWriter: w}
	start := time.Now()
	next.ServeHTTP(cw, r)
	sub := provider.Submission{Provider: e.Code, Type: msgType, Status: cw.status, Latency: time.Since(start), At: time.Now().UTC()}
	for _, m := range statusRE.FindAllSubmatch(cw.body.Bytes(), -1) {
		sub.Documents++
		if string(m[1]) == "100" {
			sub.Refused++
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if err := a.Providers.Observe(ctx, sub); err != nil {
		a.Log.WarnContext(ctx, "provider quality: record failed", "provider", e.Code, "error", err)
	}
}
