package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// The entrustments API (contract §8): who may grant, see and revoke, and the
// errors naming the field.
func TestEntrustmentsAPI(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		s := f.s
		f.keys[otherAgent] = s.Register(otherAgent, "agent")
		f.keys[otherEbc] = s.Register(otherEbc, "ebc")
		for _, c := range []struct {
			name, token string
			body        map[string]any
			want        int
			field       string
		}{
			{"no key", "", map[string]any{"agentCode": otherAgent}, http.StatusUnauthorized, ""},
			{"not an ebc", f.keys[payer], map[string]any{"agentCode": otherAgent}, http.StatusForbidden, ""},
			{"no agent", f.keys[platform], map[string]any{}, http.StatusBadRequest, "agentCode"},
			{"unknown agent", f.keys[platform], map[string]any{"agentCode": "0000000000"}, http.StatusBadRequest, "agentCode"},
			{"not an agent", f.keys[platform], map[string]any{"agentCode": carrier}, http.StatusBadRequest, "agentCode"},
			{"bad time", f.keys[platform], map[string]any{"agentCode": otherAgent, "validFrom": "2026-12-01"}, http.StatusBadRequest, "validFrom"},
			{"end before start", f.keys[platform], map[string]any{"agentCode": otherAgent, "validFrom": "2026-12-01T00:00:00+08:00",
				"validUntil": "2026-11-01T00:00:00+08:00"}, http.StatusBadRequest, "validUntil"},
			{"unknown field", f.keys[platform], map[string]any{"agentCode": otherAgent, "ebcCode": otherEbc}, http.StatusBadRequest, "ebcCode"},
		} {
			r := s.JSON("POST", "/api/v1/entrustments", c.token, c.body)
			if r.Status != c.want || !strings.Contains(string(r.Body), c.field) {
				t.Errorf("%s: want %d naming %q, got %d %s", c.name, c.want, c.field, r.Status, r.Body)
			}
		}
		r := s.JSON("POST", "/api/v1/entrustments", f.keys[platform], map[string]any{"agentCode": otherAgent,
			"validFrom": "2026-12-01T00:00:00+08:00", "validUntil": "2027-12-31T23:59:59+08:00"})
		var got struct {
			ID, EbcCode, AgentCode, ValidFrom string
			ValidUntil                        *string
		}
		r.JSON(t, &got)
		if r.Status != http.StatusCreated || got.ID == "" || got.EbcCode != platform || got.AgentCode != otherAgent ||
			got.ValidFrom != "2026-11-30T16:00:00Z" || got.ValidUntil == nil || *got.ValidUntil != "2027-12-31T15:59:59Z" {
			t.Errorf("grant: %d %s", r.Status, r.Body)
		}
		list := func(code string) []string {
			var page struct {
				Entrustments []struct{ ID, EbcCode, AgentCode string }
			}
			s.Do("GET", "/api/v1/entrustments", f.keys[code], "", nil).JSON(t, &page)
			var out []string
			for _, e := range page.Entrustments {
				out = append(out, e.EbcCode+">"+e.AgentCode)
			}
			return out
		}
		if l := list(platform); len(l) != 2 {
			t.Errorf("the ebc sees %v, want its two entrustments", l)
		}
		if l := list(otherAgent); len(l) != 1 || l[0] != platform+">"+otherAgent {
			t.Errorf("the agent sees %v", l)
		}
		if l := list(otherEbc); len(l) != 0 {
			t.Errorf("an unrelated ebc sees %v", l)
		}
		if r := s.Do("GET", "/api/v1/entrustments", "", "", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("list without key: %d", r.Status)
		}
		for _, code := range []string{otherAgent, otherEbc} {
			if r := s.Do("DELETE", "/api/v1/entrustments/"+got.ID, f.keys[code], "", nil); r.Status != http.StatusNotFound {
				t.Errorf("revoke by %s: want 404, got %d %s", code, r.Status, r.Body)
			}
		}
		if r := s.Do("DELETE", "/api/v1/entrustments/nosuch", f.keys[platform], "", nil); r.Status != http.StatusNotFound {
			t.Errorf("revoke unknown: %d", r.Status)
		}
		for range 2 {
			if r := s.Do("DELETE", "/api/v1/entrustments/"+got.ID, f.keys[platform], "", nil); r.Status != http.StatusNoContent {
				t.Errorf("revoke: want 204, got %d %s", r.Status, r.Body)
			}
		}
		var page struct{ Entrustments []struct{ RevokedAt *string } }
		s.Do("GET", "/api/v1/entrustments", f.keys[otherAgent], "", nil).JSON(t, &page)
		if len(page.Entrustments) != 1 || page.Entrustments[0].RevokedAt == nil {
			t.Errorf("after revocation the agent sees %+v", page.Entrustments)
		}
	})
}

// The enterprise console shows the entrustments: the ebc grants and revokes
// them there, the agent sees those it holds.
func TestEntrustmentsConsole(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	s := f.s
	f.keys[otherAgent] = s.Register(otherAgent, "agent")
	page := func(method, path, token, form string) *apptest.Response {
		t.Helper()
		var ct string
		if form != "" {
			ct = "application/x-www-form-urlencoded"
		}
		return s.Do(method, path, token, ct, []byte(form))
	}
	r := page("POST", "/console/entrustments", f.keys[platform], "action=grant&agent="+otherAgent+"&from=2026-12-01&until=2027-12-31")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "<td>"+otherAgent+"</td>") || !strings.Contains(string(r.Body), "2027-12-31 23:59") {
		t.Fatalf("grant in the console: %d %s", r.Status, r.Body)
	}
	if r := page("POST", "/console/entrustments", f.keys[platform], "action=grant&agent="+otherAgent+"&until=31.12.2027"); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "validUntil") {
		t.Errorf("a bad date: %d %s", r.Status, r.Body)
	}
	if r := page("GET", "/console/entrustments", f.keys[otherAgent], ""); !strings.Contains(string(r.Body), platform) || strings.Contains(string(r.Body), ">Revoke<") {
		t.Errorf("the agent's page: %s", r.Body)
	}
	if r := page("GET", "/console/entrustments", apptest.AdminToken, ""); r.Status != http.StatusForbidden {
		t.Errorf("the operator's page: %d", r.Status)
	}
	var list struct {
		Entrustments []struct{ ID, AgentCode string }
	}
	s.Do("GET", "/api/v1/entrustments", f.keys[otherAgent], "", nil).JSON(t, &list)
	if len(list.Entrustments) != 1 {
		t.Fatalf("the agent holds %+v", list.Entrustments)
	}
	if r := page("POST", "/console/entrustments", f.keys[otherAgent], "action=revoke&id="+list.Entrustments[0].ID); r.Status != http.StatusNotFound {
		t.Errorf("the agent revokes: %d", r.Status)
	}
	r = page("POST", "/console/entrustments", f.keys[platform], "action=revoke&id="+list.Entrustments[0].ID)
	if r.Status != http.StatusOK || strings.Count(string(r.Body), ">Revoke<") != 1 {
		t.Errorf("after revoking one of two, one Revoke button should remain: %d %s", r.Status, r.Body)
	}
}
