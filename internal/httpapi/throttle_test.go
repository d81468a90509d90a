package httpapi_test

import (
	"math/rand/v2"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/ident"
)

// slowRefill makes the count of a limit exact: a token comes back only after
// hours, so only the burst decides, however slowly the test runs.
const slowRefill = 0.0001

// throttled checks a 429 with a Retry-After of whole seconds.
func throttled(t *testing.T, what string, r *apptest.Response, code string) {
	t.Helper()
	if r.Status != 429 {
		t.Errorf("%s: %d %s, want 429", what, r.Status, r.Body)
		return
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("%s: Retry-After %q", what, r.Header.Get("Retry-After"))
	}
	if code != "" && !strings.Contains(string(r.Body), `"code":"`+code+`"`) {
		t.Errorf("%s: %s, want code %s", what, r.Body, code)
	}
}

// metric reads one sample of /metrics.
func metric(t *testing.T, s *apptest.Server, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(s.Do("GET", "/metrics", "", "", nil).Body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// Issue 16 item 5: the quota query is limited per client address and per ID
// number, by one limiter shared by the API and the public page, so names
// cannot be tried against a known ID number.
func TestQuotaQueryThrottled(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		s := apptest.Start(t, engine, func(c *config.Config) {
			c.RateLimit.QuotaAddressPerMinute, c.RateLimit.QuotaAddressBurst = slowRefill, 6
			c.RateLimit.QuotaIDPerMinute, c.RateLimit.QuotaIDBurst = slowRefill, 2
		})
		r := rand.New(rand.NewPCG(16, 5))
		known, other := ident.RandomResidentID(r), ident.RandomResidentID(r)
		api := func(name, id string) *apptest.Response {
			return s.Do("GET", "/api/v1/quota?"+url.Values{"name": {name}, "idNumber": {id}}.Encode(), "", "", nil)
		}
		page := func(name, id string) *apptest.Response {
			return s.Do("POST", "/quota", "", "application/x-www-form-urlencoded", []byte(url.Values{"name": {name}, "idNumber": {id}}.Encode()))
		}
		if got := api("张三", known); got.Status != 200 {
			t.Fatalf("first query: %d %s", got.Status, got.Body)
		}
		if got := page("李四", known); got.Status != 200 {
			t.Fatalf("second query, on the page: %d", got.Status)
		}
		throttled(t, "third name for the same ID, API", api("王五", known), "quota_id_limited")
		throttled(t, "fourth name for the same ID, page", page("赵六", known), "")
		// Another ID number is not held by the first one's limit ...
		if got := api("张三", other); got.Status != 200 {
			t.Errorf("another ID number: %d %s", got.Status, got.Body)
		}
		if got := page("张三", other); got.Status != 200 {
			t.Errorf("another ID number, page: %d", got.Status)
		}
		// ... but the address has spent its six queries.
		throttled(t, "seventh query from the address", api("张三", ident.RandomResidentID(r)), "quota_address_limited")
		if n := metric(t, s, `cbec_throttled_total{limit="quota_id"}`); n != 2 {
			t.Errorf("quota_id throttled %v times in /metrics, want 2", n)
		}
		if n := metric(t, s, `cbec_throttled_total{limit="quota_address"}`); n != 1 {
			t.Errorf("quota_address throttled %v times in /metrics, want 1", n)
		}
	})
}

// Issue 16 item 9: failed bearer tokens are limited per address; once the
// address is over its limit, every token from it is answered 429 (a right
// one too, or the answer would tell a guessed token from a wrong one).
func TestFailedTokensThrottled(t *testing.T) {
	s := apptest.Start(t, apptest.SQLite, func(c *config.Config) {
		c.RateLimit.FailedAuthPerMinute, c.RateLimit.FailedAuthBurst = slowRefill, 3
	})
	key := s.Register("1105910159", "ebp")
	if got := s.Do("GET", "/api/v1/receipts", key, "", nil); got.Status != 200 {
		t.Fatalf("right key: %d %s", got.Status, got.Body)
	}
	for i := range 3 {
		if got := s.Do("GET", "/api/v1/enterprises", "wrong-admin-token-"+strconv.Itoa(i), "", nil); got.Status != 401 {
			t.Fatalf("wrong token %d: %d %s", i, got.Status, got.Body)
		}
	}
	throttled(t, "fourth wrong token", s.Do("GET", "/api/v1/enterprises", "wrong-admin-token-3", "", nil), "auth_failures_limited")
	throttled(t, "right key from the same address", s.Do("GET", "/api/v1/receipts", key, "", nil), "auth_failures_limited")
	throttled(t, "right admin token from the same address", s.Do("GET", "/api/v1/enterprises", apptest.AdminToken, "", nil), "auth_failures_limited")
	if got := s.Do("GET", "/api/v1/quota?name=x&idNumber=1", "", "", nil); got.Status != 400 {
		t.Errorf("a route without a token is not held: %d", got.Status)
	}
	if n := metric(t, s, `cbec_throttled_total{limit="failed_auth"}`); n != 3 {
		t.Errorf("failed_auth throttled %v times in /metrics, want 3", n)
	}
}
