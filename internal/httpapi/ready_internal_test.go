package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/store"
)

// When the database does not answer, /readyz tells the caller so in the
// platform's words; the driver's own error, which may name hosts, ports or
// files, goes to the log only.
func TestReadyzKeepsTheDriverErrorInTheLog(t *testing.T) {
	db, err := store.Open(context.Background(), "", t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a := &API{Ready: db.Ping, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/readyz", nil)
	if err := a.readyz(rec, req); err != nil {
		a.writeError(rec, req, err)
	}
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	const raw = "sql: database is closed"
	if rec.Code != http.StatusServiceUnavailable || body.Error.Code != "not_ready" || body.Error.Message != "not ready: the database does not answer" {
		t.Errorf("HTTP %d %+v", rec.Code, body.Error)
	}
	if strings.Contains(rec.Body.String(), raw) {
		t.Errorf("the driver's error reached the caller: %s", rec.Body)
	}
	if !strings.Contains(logs.String(), raw) {
		t.Errorf("the driver's error is not in the log: %s", logs.String())
	}
}
