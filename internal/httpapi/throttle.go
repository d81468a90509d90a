package httpapi

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/publicweb"
)

// throttles are the limits of issue 16 that hold a door rather than an
// enterprise: the quota query per client address and per ID number (the API
// and the public page share them), and failed bearer tokens per address.
// A nil limiter is a limit turned off.
type throttles struct {
	quotaAddress, quotaID, failedAuth *publicweb.Limiter
}

func newThrottles(l RateLimits, now func() time.Time) *throttles {
	mk := func(perMinute float64, burst int) *publicweb.Limiter {
		if perMinute <= 0 {
			return nil
		}
		return publicweb.NewLimiter(perMinute/60, float64(burst), now)
	}
	return &throttles{
		quotaAddress: mk(l.QuotaAddressPerMinute, l.QuotaAddressBurst),
		quotaID:      mk(l.QuotaIDPerMinute, l.QuotaIDBurst),
		failedAuth:   mk(l.FailedAuthPerMinute, l.FailedAuthBurst),
	}
}

// throttledError is a 429 with the wait the client is told in Retry-After.
type throttledError struct {
	err  *errs.Error
	wait time.Duration
}

func (e *throttledError) Error() string             { return e.err.Error() }
func (e *throttledError) Unwrap() error             { return e.err }
func (e *throttledError) RetryAfter() time.Duration { return e.wait }

// throttled counts the refusal in /metrics and builds its error.
func (a *API) throttled(limit, code, field string, wait time.Duration, format string, args ...any) error {
	a.Metrics.Throttled(limit)
	secs := int(math.Ceil(wait.Seconds()))
	return &throttledError{err: errs.New(errs.RateLimited, code, field, format+"; retry in %d s", append(args, secs)...), wait: wait}
}

// quotaAddress spends one of the client address's quota queries.
func (a *API) quotaAddress(r *http.Request) error {
	if l := a.doors.quotaAddress; l != nil {
		if ok, wait := l.Allow(publicweb.ClientKey(r)); !ok {
			return a.throttled("quota_address", "quota_address_limited", "", wait,
				"too many quota queries from this address (rate_limit.quota_address_*)")
		}
	}
	return nil
}

// quotaID spends one query of an ID number, named by its keyed hash, never in clear.
func (a *API) quotaID(idHash string) error {
	if l := a.doors.quotaID; l != nil {
		if ok, wait := l.Allow(idHash); !ok {
			return a.throttled("quota_id", "quota_id_limited", "idNumber", wait,
				"too many quota queries for this ID number (rate_limit.quota_id_*)")
		}
	}
	return nil
}

// authBlocked refuses every bearer token from an address over its limit of
// failures: a right token answered differently would confirm a guess.
func (a *API) authBlocked(r *http.Request) error {
	if wait := a.authWait(r); wait > 0 {
		return a.throttled("failed_auth", "auth_failures_limited", "Authorization", wait,
			"too many failed tokens from this address (rate_limit.failed_auth_*)")
	}
	return nil
}

// authWait is how long the request's address must wait before its tokens are tried again.
func (a *API) authWait(r *http.Request) time.Duration {
	if l := a.doors.failedAuth; l != nil {
		return l.Wait(publicweb.ClientKey(r))
	}
	return 0
}

// authFailed spends one of the address's failures.
func (a *API) authFailed(r *http.Request) {
	if l := a.doors.failedAuth; l != nil {
		l.Allow(publicweb.ClientKey(r))
	}
}

// setRetryAfter tells a throttled client how long to wait.
func setRetryAfter(w http.ResponseWriter, err error) {
	var t *throttledError
	if errors.As(err, &t) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(t.wait.Seconds())))))
	}
}
