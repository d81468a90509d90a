package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

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
		if !documented[route] {
			t.Errorf("route %s is not in the OpenAPI document", route)
		}
		delete(documented, route)
	}
	for extra := range documented {
		t.Errorf("OpenAPI documents %s, which the server does not serve", extra)
	}
}
