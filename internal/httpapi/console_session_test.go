package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/config"
)

// consoleClient signs in to the enterprise console with a key and keeps the cookie it is given.
type consoleClient struct {
	t      *testing.T
	s      *apptest.Server
	cookie *http.Cookie
}

func consoleSignIn(t *testing.T, s *apptest.Server, key string) *consoleClient {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/console/login", strings.NewReader(url.Values{"token": {key}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c := &consoleClient{t: t, s: s}
	for _, ck := range resp.Cookies() {
		if ck.Name == "cbec_console" {
			c.cookie = ck
		}
	}
	if resp.StatusCode != http.StatusSeeOther || c.cookie == nil {
		t.Fatalf("sign in: %d, cookie %v", resp.StatusCode, c.cookie)
	}
	return c
}

func (c *consoleClient) do(method, path string) int {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.s.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: c.cookie.Name, Value: c.cookie.Value})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Issue 16 item 6: the enterprise console has real sessions: the cookie is a
// random id (stored only hashed), never the API key; HttpOnly, SameSite
// Strict; ended by logout and by rotating the key.
func TestConsoleSessions(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		s := apptest.Start(t, engine)
		const code = "4401962010"
		key := s.Register(code, "logistics")
		c := consoleSignIn(t, s, key)
		ck := c.cookie
		if ck.Value == key || strings.Contains(ck.Value, key) {
			t.Fatalf("the console cookie is the API key")
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console" || ck.Secure {
			t.Errorf("cookie attributes over plain http: %+v (Secure is set over TLS or with secure_cookies)", ck)
		}
		sum := sha256.Sum256([]byte(ck.Value))
		var stored int
		if err := s.App.DB.QueryRow(t.Context(), `SELECT COUNT(*) FROM console_sessions WHERE id_hash = $1 AND enterprise_code = $2`,
			hex.EncodeToString(sum[:]), code).Scan(&stored); err != nil || stored != 1 {
			t.Errorf("session stored hashed: %d, %v", stored, err)
		}
		if st := c.do("GET", "/console/manifests"); st != 200 {
			t.Fatalf("signed in: %d", st)
		}
		if st := c.do("POST", "/console/logout"); st != http.StatusSeeOther {
			t.Fatalf("logout: %d", st)
		}
		if st := c.do("GET", "/console/manifests"); st != http.StatusUnauthorized {
			t.Errorf("the cookie still works after logout: %d", st)
		}

		// Rotating the key ends the sessions opened with it.
		c = consoleSignIn(t, s, key)
		admin := consoleSignIn(t, s, apptest.AdminToken)
		if r := s.Do("POST", "/api/v1/enterprises/"+code+"/keys", apptest.AdminToken, "", nil); r.Status != 200 && r.Status != 201 {
			t.Fatalf("rotate: %d %s", r.Status, r.Body)
		}
		if st := c.do("GET", "/console/manifests"); st != http.StatusUnauthorized {
			t.Errorf("the session outlived the key's rotation: %d", st)
		}
		if st := admin.do("GET", "/console/tickets"); st != 200 {
			t.Errorf("the administrator's session: %d", st)
		}
	})
}

// With secure_cookies (a deployment behind a TLS-terminating proxy) the
// cookie is Secure even though the request reached the server over http.
func TestConsoleCookieSecureBehindTLS(t *testing.T) {
	s := apptest.Start(t, apptest.SQLite, func(c *config.Config) { c.SecureCookies = true })
	c := consoleSignIn(t, s, s.Register("4401962010", "logistics"))
	if !c.cookie.Secure {
		t.Errorf("cookie without Secure behind TLS: %+v", c.cookie)
	}
}
