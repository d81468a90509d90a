package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// FuzzHTTPBodies sends arbitrary bodies to every route that takes one
// (POST, PUT, PATCH), as JSON, CSV or XML, with the administrator token or
// an enterprise key holding every role. Whatever the body, the answer is
// never a 5xx other than 503: a panic in a handler is recovered as a 500
// and fails the target. Run it with
//
//	go test ./internal/httpapi -run '^$' -fuzz FuzzHTTPBodies -parallel 1 -fuzztime 10m
func FuzzHTTPBodies(f *testing.F) {
	// The server's log goes nowhere: testing.F may not log from inside the
	// fuzz target, and a server goroutine logging there would crash the worker.
	s := apptest.Start(quietF{f}, apptest.SQLite)
	const code, ems = "1105910159", "T8010W000001"
	key := s.Register(code, accessRoles...)
	s.JSON("POST", "/api/v1/books", apptest.AdminToken, map[string]string{"emsNo": ems, "operatorCode": code, "name": "仓"})
	var routes []string
	for _, r := range s.App.API.Routes() {
		method, path, _ := strings.Cut(r, " ")
		// Routes that would lock the fuzzing enterprise out are left aside.
		if (method == "POST" || method == "PUT" || method == "PATCH") && !strings.HasSuffix(path, "/disable") && !strings.HasSuffix(path, "/keys") {
			routes = append(routes, r)
		}
	}
	slices.Sort(routes)
	seeds := [][]byte{[]byte("{}"), []byte(`{"items":[{"itemRecordNo":"1","qty":"1"}]}`)}
	for _, file := range []string{"../../examples/order.xml", "../../examples/products.csv"} {
		if b, err := os.ReadFile(file); err == nil {
			seeds = append(seeds, b)
		}
	}
	seeds = append(seeds, []byte("entry_no,item_record_no,qty\nE1,1,1\n"))
	for i := range routes {
		for k, b := range seeds {
			f.Add(uint16(i), uint8(k), b)
		}
	}
	client := &http.Client{Timeout: 30 * time.Second}
	f.Fuzz(func(t *testing.T, which uint16, kind uint8, body []byte) {
		if len(body) > 1<<20 {
			return // the body limit is tested on its own (TestHostileHugeBody)
		}
		route := routes[int(which)%len(routes)]
		method, path, _ := strings.Cut(route, " ")
		path = strings.ReplaceAll(path, "{emsNo}", ems)
		path = fill(path, code)
		req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", []string{"application/json", "text/csv", "application/xml"}[kind%3])
		token := apptest.AdminToken
		if kind/3%2 == 1 {
			token = key
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", route, err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("%s with %q: HTTP %d %s", route, body, resp.StatusCode, answer)
		}
	})
}

// quietF is a testing.F whose Log discards.
type quietF struct{ *testing.F }

func (quietF) Log(...any) {}
