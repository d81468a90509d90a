package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// Every route the server registers must be described, with an example, in the
// OpenAPI document it serves.
func TestOpenAPICoversRoutes(t *testing.T) {
	s := apptest.Start(t, apptest.SQLite)
	r := s.Do("GET", "/api/v1/openapi.json", "", "", nil)
	if r.Status != 200 {
		t.Fatalf("openapi: %d", r.Status)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	r.JSON(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			key := strings.ToUpper(method) + " " + path
			documented[key] = true
			if !strings.Contains(string(op), `"example`) && !strings.Contains(string(op), `#/components/`) {
				t.Errorf("%s has no example", key)
			}
		}
	}
	routes := s.App.API.Routes()
	if len(routes) == 0 {
		t.Fatal("no routes registered")
	}
	for _, route := range routes {
		// OpenAPI has no exact-match marker: "GET /x/{$}" is documented as "GET /x/".
		route = strings.TrimSuffix(route, "{$}")
		if !documented[route] {
			t.Errorf("route %s is not in the OpenAPI document", route)
		}
		delete(documented, route)
	}
	for extra := range documented {
		t.Errorf("OpenAPI documents %s, which the server does not serve", extra)
	}
}

// The OpenAPI examples of a few answers are held against the real answers:
// the same keys (spelt the same), and times in the same form (the server
// answers these in UTC). The console's documented sign-in route exists.
func TestOpenAPIExamplesMatchAnswers(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		j := newJointLine(t, engine)
		s := j.f.s
		var doc struct {
			Paths      map[string]map[string]json.RawMessage `json:"paths"`
			Components struct {
				SecuritySchemes map[string]struct {
					Description string `json:"description"`
				} `json:"securitySchemes"`
			} `json:"components"`
		}
		s.Do("GET", "/api/v1/openapi.json", "", "", nil).JSON(t, &doc)
		example := func(method, path string) any {
			t.Helper()
			var op struct {
				Responses map[string]struct {
					Content map[string]struct {
						Example any `json:"example"`
					} `json:"content"`
				} `json:"responses"`
			}
			if err := json.Unmarshal(doc.Paths[path][method], &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			for _, st := range []string{"200", "201"} {
				if r, ok := op.Responses[st]; ok {
					return r.Content["application/json"].Example
				}
			}
			t.Fatalf("%s %s has no success example", method, path)
			return nil
		}
		compare := func(route string, ex any, body []byte) {
			t.Helper()
			var answer any
			if err := json.Unmarshal(body, &answer); err != nil {
				t.Fatalf("%s: %v %s", route, err, body)
			}
			want, got := shape(ex, ""), shape(answer, "")
			for k, v := range got {
				if w, ok := want[k]; v == "empty list" {
					continue
				} else if !ok {
					t.Errorf("%s: the answer has %s, the example not", route, k)
				} else if w != v {
					t.Errorf("%s: %s is %s in the answer, %s in the example", route, k, v, w)
				}
			}
		missing:
			for k := range want {
				if _, ok := got[k]; ok {
					continue
				}
				for p, kind := range got {
					if kind == "empty list" && strings.HasPrefix(k, p) {
						continue missing // the answer's list is empty: nothing to hold its elements against
					}
				}
				t.Errorf("%s: the example has %s, the answer not", route, k)
			}
		}
		// The risk view of an inventory (admin).
		r := s.Do("GET", "/api/v1/risk/inventories/"+agent+"/"+j.selected.copNo, apptest.AdminToken, "", nil)
		compare("risk view", example("get", "/api/v1/risk/inventories/{agentCode}/{copNo}"), r.Body)
		// A parcel decided by customs' finding (console).
		id := j.scan(t, j.selected.logisticsNo)
		b, _ := json.Marshal(map[string]string{"result": "release"})
		resp, body := rawDo(t, s, "POST", "/console/officer/parcels/"+id+"/finding", j.customs.cookie, "application/json", string(b), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("finding: %d %s", resp.StatusCode, body)
		}
		compare("parcel finding", example("post", "/console/officer/parcels/{id}/finding"), []byte(body))
		// Officers sign in where the document says.
		if d := doc.Components.SecuritySchemes["officerSession"].Description; !strings.Contains(d, "/console/officer/login") {
			t.Errorf("officerSession names the wrong sign-in route: %s", d)
		}
		if _, ok := doc.Paths["/console/officer/login"]["post"]; !ok {
			t.Error("POST /console/officer/login is not documented")
		}
	})
}

// shape lists a JSON value's key paths (list elements as []) with the kind of
// each leaf; a time's kind says whether it is in UTC.
func shape(v any, path string) map[string]string {
	out := map[string]string{}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			for p, kind := range shape(e, path+"."+k) {
				out[p] = kind
			}
		}
	case []any:
		if len(x) == 0 {
			out[path+"[]"] = "empty list"
		}
		for _, e := range x {
			for p, kind := range shape(e, path+"[]") {
				out[p] = kind
			}
		}
	case string:
		if tm, err := time.Parse(time.RFC3339Nano, x); err == nil {
			_, off := tm.Zone()
			out[path] = fmt.Sprintf("time %+d s from UTC", off)
		} else {
			out[path] = "string"
		}
	case nil:
		out[path] = "null"
	default:
		out[path] = fmt.Sprintf("%T", x)
	}
	return out
}
