package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/config"
)

type errBody struct {
	Error struct {
		Kind, Code, Field, Message string
	}
	Problems []struct{ Code, Field string }
}

func TestEnterpriseRegistry(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		s := apptest.Start(t, engine)
		admin := apptest.AdminToken

		r := s.JSON("POST", "/api/v1/enterprises", admin, map[string]any{
			"code": "1105910159", "name": "测试企业", "uscc": "91500000MA5U00000W",
			"roles": []string{"ebp", "ebc"}, "creditClass": "general"})
		if r.Status != http.StatusCreated {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
		var created struct{ Code, APIKey string }
		r.JSON(t, &created)
		if created.Code != "1105910159" || !strings.HasPrefix(created.APIKey, "cbec_") {
			t.Fatalf("register answer: %+v", created)
		}

		cases := []struct {
			name         string
			method, path string
			token        string
			body         any
			status       int
			code, field  string
		}{
			{"duplicate code", "POST", "/api/v1/enterprises", admin, map[string]any{"code": "1105910159", "name": "x", "roles": []string{"ebc"}}, 409, "code_taken", "code"},
			{"duplicate uscc", "POST", "/api/v1/enterprises", admin, map[string]any{"code": "1105910160", "name": "x", "uscc": "91500000MA5U00000W", "roles": []string{"ebc"}}, 409, "uscc_taken", "uscc"},
			{"bad credit code", "POST", "/api/v1/enterprises", admin, map[string]any{"code": "1105910160", "name": "x", "uscc": "91500000MA5U00000X", "roles": []string{"ebc"}}, 400, "uscc_invalid", "uscc"},
			{"unknown role", "POST", "/api/v1/enterprises", admin, map[string]any{"code": "1105910160", "name": "x", "roles": []string{"ebc", "shipper"}}, 400, "role_unknown", "roles"},
			{"unknown credit class", "POST", "/api/v1/enterprises", admin, map[string]any{"code": "1105910160", "name": "x", "roles": []string{"ebc"}, "creditClass": "good"}, 400, "credit_class_unknown", "creditClass"},
			{"bad customs code", "POST", "/api/v1/enterprises", admin, map[string]any{"code": "11059", "name": "x", "roles": []string{"ebc"}}, 400, "code_format", "code"},
			{"unknown field", "POST", "/api/v1/enterprises", admin, map[string]any{"code": "1105910160", "name": "x", "roles": []string{"ebc"}, "colour": "red"}, 400, "json_unknown_field", "colour"},
			{"wrong type", "POST", "/api/v1/enterprises", admin, map[string]any{"code": "1105910160", "name": 7, "roles": []string{"ebc"}}, 400, "json_type", "name"},
			{"bad certificate", "POST", "/api/v1/enterprises", admin, map[string]any{"code": "1105910160", "name": "x", "roles": []string{"ebc"}, "certificates": []string{"not a pem"}}, 400, "certificate_invalid", "certificates[0]"},
			{"no credentials", "POST", "/api/v1/enterprises", "", map[string]any{}, 401, "credentials_missing", "Authorization"},
			{"wrong token", "GET", "/api/v1/enterprises", "cbec_nope", nil, 401, "bad_credentials", "Authorization"},
			{"enterprise on admin API", "GET", "/api/v1/enterprises", created.APIKey, nil, 403, "admin_only", "Authorization"},
			{"enterprise reads another", "GET", "/api/v1/enterprises/330766K00Q", created.APIKey, nil, 403, "not_your_enterprise", "code"},
			{"not found", "GET", "/api/v1/enterprises/330766K00Q", admin, nil, 404, "enterprise_not_found", "code"},
			{"bad list filter", "GET", "/api/v1/enterprises?role=captain", admin, nil, 400, "role_unknown", "role"},
			{"bad limit", "GET", "/api/v1/enterprises?limit=0", admin, nil, 400, "limit_range", "limit"},
			{"code is immutable", "PATCH", "/api/v1/enterprises/1105910159", admin, map[string]any{"code": "1105910160"}, 400, "code_immutable", "code"},
		}
		for _, c := range cases {
			r := s.JSON(c.method, c.path, c.token, c.body)
			if r.Status != c.status {
				t.Errorf("%s: status %d, want %d (%s)", c.name, r.Status, c.status, r.Body)
				continue
			}
			var e errBody
			r.JSON(t, &e)
			if e.Error.Code != c.code || e.Error.Field != c.field || e.Error.Message == "" {
				t.Errorf("%s: error %+v, want code %s field %s", c.name, e.Error, c.code, c.field)
			}
		}
		// A failed registration leaves nothing behind.
		if r := s.JSON("GET", "/api/v1/enterprises/1105910160", admin, nil); r.Status != 404 {
			t.Errorf("failed registrations left 1105910160 behind: %d", r.Status)
		}

		// Several problems are reported together.
		r = s.JSON("POST", "/api/v1/enterprises", admin, map[string]any{"code": "bad", "uscc": "91500000MA5U00000X", "roles": []string{"x"}})
		var multi errBody
		r.JSON(t, &multi)
		if r.Status != 400 || len(multi.Problems) != 4 {
			t.Errorf("want 4 problems (code, name, uscc, roles), got %d: %s", len(multi.Problems), r.Body)
		}

		// The enterprise reads itself with its key.
		if r := s.JSON("GET", "/api/v1/enterprises/1105910159", created.APIKey, nil); r.Status != 200 {
			t.Errorf("self read: %d %s", r.Status, r.Body)
		}

		// Update, then the change is visible.
		r = s.JSON("PATCH", "/api/v1/enterprises/1105910159", admin, map[string]any{"creditClass": "advanced", "abnormalList": true})
		var ent struct {
			CreditClass  string
			AbnormalList bool
			Roles        []string
			Status       string
		}
		r.JSON(t, &ent)
		if r.Status != 200 || ent.CreditClass != "advanced" || !ent.AbnormalList || len(ent.Roles) != 2 {
			t.Errorf("update: %d %s", r.Status, r.Body)
		}

		// Rotating the key: the old one stops working, the new one works.
		r = s.JSON("POST", "/api/v1/enterprises/1105910159/keys", admin, nil)
		var rotated struct{ APIKey string }
		r.JSON(t, &rotated)
		if r.Status != 201 || rotated.APIKey == created.APIKey {
			t.Fatalf("rotate: %d %s", r.Status, r.Body)
		}
		if r := s.JSON("GET", "/api/v1/enterprises/1105910159", created.APIKey, nil); r.Status != 401 {
			t.Errorf("old key after rotation: %d", r.Status)
		}
		if r := s.JSON("GET", "/api/v1/enterprises/1105910159", rotated.APIKey, nil); r.Status != 200 {
			t.Errorf("new key after rotation: %d", r.Status)
		}

		// Disabling revokes the keys.
		r = s.JSON("POST", "/api/v1/enterprises/1105910159/disable", admin, nil)
		r.JSON(t, &ent)
		if r.Status != 200 || ent.Status != "disabled" {
			t.Errorf("disable: %d %s", r.Status, r.Body)
		}
		if r := s.JSON("GET", "/api/v1/enterprises/1105910159", rotated.APIKey, nil); r.Status != 401 {
			t.Errorf("key of a disabled enterprise: %d", r.Status)
		}
		if r := s.JSON("POST", "/api/v1/enterprises/1105910159/keys", admin, nil); r.Status != 409 {
			t.Errorf("key for a disabled enterprise: %d, want 409", r.Status)
		}
	})
}

func TestEnterpriseListPagesAndFilters(t *testing.T) {
	s := apptest.Start(t, apptest.SQLite)
	for _, c := range []string{"1000000001", "1000000002", "1000000003", "1000000004", "1000000005"} {
		s.Register(c, "ebc")
	}
	s.Register("2000000001", "agent", "logistics")
	var page struct {
		Enterprises []struct{ Code string }
		Next        string
	}
	var seen []string
	after := ""
	for range 10 {
		r := s.JSON("GET", "/api/v1/enterprises?limit=2&after="+after, apptest.AdminToken, nil)
		r.JSON(t, &page)
		for _, e := range page.Enterprises {
			seen = append(seen, e.Code)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if len(seen) != 6 {
		t.Errorf("paged through %d enterprises, want 6: %v", len(seen), seen)
	}
	r := s.JSON("GET", "/api/v1/enterprises?role=logistics", apptest.AdminToken, nil)
	r.JSON(t, &page)
	if len(page.Enterprises) != 1 || page.Enterprises[0].Code != "2000000001" {
		t.Errorf("role filter: %s", r.Body)
	}
}

func TestDataSurvivesRestart(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		var cfgSeen config.Config
		keep := func(c *config.Config) { cfgSeen = *c }
		first := apptest.Start(t, engine, keep)
		key := first.Register("1105910159", "ebc")
		first.Stop()
		second := apptest.Start(t, func(t testing.TB, c *config.Config) { c.Data, c.DB = cfgSeen.Data, cfgSeen.DB })
		if r := second.JSON("GET", "/api/v1/enterprises/1105910159", key, nil); r.Status != 200 {
			t.Errorf("after restart: %d %s", r.Status, r.Body)
		}
	})
}

func TestOperationalEndpoints(t *testing.T) {
	s := apptest.Start(t, apptest.SQLite)
	r := s.Do("GET", "/readyz", "", "", nil)
	if r.Status != 200 {
		t.Errorf("readyz: %d", r.Status)
	}
	if id := r.Header.Get("X-Request-Id"); len(id) != 16 {
		t.Errorf("request id %q", id)
	}
	req := s.Do("GET", "/healthz", "", "", nil)
	if req.Status != 200 {
		t.Errorf("healthz: %d", req.Status)
	}
	m := string(s.Do("GET", "/metrics", "", "", nil).Body)
	for _, want := range []string{`cbec_http_requests_total{method="GET",route="GET /readyz",status="200"} 1`,
		"cbec_http_request_duration_seconds_bucket", "go_goroutines", "go_sql_open_connections"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	big := make([]byte, 11<<20)
	r = s.Do("POST", "/api/v1/enterprises", apptest.AdminToken, "application/json", big)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d %s", r.Status, r.Body)
	}
}
