package httpapi_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/store"
)

// allowLoopback is the operator's allow-list of a deployment whose receivers
// are on the same machine, as the delivery tests' receivers are.
func allowLoopback(c *config.Config) { c.Webhook.Allow = []string{"127.0.0.0/8"} }

// Issue 16 item 4: a webhook may not point inside the operator's network.
// Every such URL is refused with a 400 naming the field, and nothing is stored.
func TestWebhookRefusesInternalAddresses(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		for _, u := range []string{
			"http://127.0.0.1:9/hook", "http://127.1.2.3/", "http://localhost:8080/", "http://LOCALHOST./x", "http://api.localhost/",
			"http://169.254.169.254/latest/meta-data", "http://10.0.0.5/", "http://172.16.0.1/", "http://192.168.1.1/",
			"http://100.64.0.1/", "http://0.0.0.0/", "http://224.0.0.1/", "http://255.255.255.255/",
			"http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/", "http://[fe80::1]/", "http://[fd00::1]/",
			"http://[ff02::1]/", "http://[::]/", "http://2130706433/", "http://0x7f.0.0.1/", "http://017700000001/",
		} {
			r := f.s.JSON("PUT", "/api/v1/webhook", f.keys[agent], map[string]any{"url": u})
			var e struct {
				Error struct{ Code, Field, Message string }
			}
			if r.Status == 400 {
				r.JSON(t, &e)
			}
			if r.Status != 400 || e.Error.Field != "url" || e.Error.Code != "webhook_address" {
				t.Errorf("%s: %d %s, want 400 webhook_address on url", u, r.Status, r.Body)
			}
		}
		if r := f.s.JSON("GET", "/api/v1/webhook", f.keys[agent], nil); r.Status != 404 {
			t.Errorf("a refused registration stored something: %d %s", r.Status, r.Body)
		}
	})
}

// webhookState is what the enterprise sees of its endpoint.
type webhookState struct {
	Failures  int
	LastError string
}

func (f *fixture) webhookFailed(t *testing.T) webhookState {
	t.Helper()
	var st webhookState
	waitFor(t, func() bool {
		f.s.JSON("GET", "/api/v1/webhook", f.keys[agent], nil).JSON(t, &st)
		return st.Failures > 0
	})
	return st
}

// Issue 16 item 4: the address is checked again when delivering, after name
// resolution, so an endpoint stored earlier (or a name that now resolves
// inside) is not reached; the enterprise sees a category, not the cause.
func TestWebhookDeliveryRefusesInternalAddress(t *testing.T) {
	var hits atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer hook.Close()
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		// As if registered before the rule, or under a name resolving elsewhere then.
		if err := f.s.App.DB.PutWebhook(t.Context(), &store.Webhook{EnterpriseCode: agent,
			URL: strings.Replace(hook.URL, "127.0.0.1", "localhost", 1), Secret: "s", UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		d := f.newDecl()
		f.send(d)
		st := f.webhookFailed(t)
		if hits.Load() != 0 {
			t.Errorf("the receiver on a loopback address was reached %d times", hits.Load())
		}
		if st.LastError != "address not allowed" {
			t.Errorf("last error %q, want the category %q", st.LastError, "address not allowed")
		}
	})
}

// Issue 16 item 4: a redirect is not followed (it could point anywhere), and
// errors show a category without the internal detail of the cause.
func TestWebhookNoRedirectsAndCuratedErrors(t *testing.T) {
	var inner atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inner.Add(1) }))
	defer target.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/hook"
	closed.Close() // nothing listens there any more: connection refused
	for _, c := range []struct{ name, url, want string }{
		{"redirect", redirect.URL, "endpoint answered a redirect (not followed)"},
		{"closed port", closedURL, "could not connect"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, apptest.SQLite, allowLoopback)
			if r := f.s.JSON("PUT", "/api/v1/webhook", f.keys[agent], map[string]any{"url": c.url}); r.Status != 200 {
				t.Fatalf("register: %d %s", r.Status, r.Body)
			}
			f.send(f.newDecl())
			if st := f.webhookFailed(t); st.LastError != c.want {
				t.Errorf("last error %q, want %q", st.LastError, c.want)
			}
		})
	}
	if inner.Load() != 0 {
		t.Errorf("the redirect was followed %d times", inner.Load())
	}
}

// A host name on the operator's allow-list is reached by name, although it
// resolves to a loopback address; the allow-list opens nothing else.
func TestWebhookAllowListByName(t *testing.T) {
	var hits atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer hook.Close()
	f := newFixture(t, apptest.SQLite, func(c *config.Config) { c.Webhook.Allow = []string{"localhost"} })
	if r := f.s.JSON("PUT", "/api/v1/webhook", f.keys[agent], map[string]any{"url": hook.URL}); r.Status != 400 {
		t.Errorf("the address behind the allowed name: %d %s", r.Status, r.Body)
	}
	named := strings.Replace(hook.URL, "127.0.0.1", "localhost", 1)
	if r := f.s.JSON("PUT", "/api/v1/webhook", f.keys[agent], map[string]any{"url": named}); r.Status != 200 {
		t.Fatalf("allowed name: %d %s", r.Status, r.Body)
	}
	f.send(f.newDecl())
	waitFor(t, func() bool { return hits.Load() > 0 })
}
