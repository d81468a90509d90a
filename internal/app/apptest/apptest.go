// Package apptest starts a real cbec server on a random loopback port for
// HTTP-level tests, on SQLite or PostgreSQL, and offers small request helpers.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/logging"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// AdminToken is the administrator token of test servers.
const AdminToken = "test-admin-token-0123456789"

// Server is a running test server.
type Server struct {
	URL  string
	App  *app.App
	t    testing.TB
	stop func() error
}

// Engine chooses the database of a test server.
type Engine func(t testing.TB, cfg *config.Config)

// SQLite puts the server on a fresh embedded database.
func SQLite(t testing.TB, cfg *config.Config) { cfg.Data = t.TempDir() }

// Postgres puts the server on a fresh schema of the test PostgreSQL, or skips.
func Postgres(t testing.TB, cfg *config.Config) { cfg.DB = storetest.PostgresDSN(t) }

// Engines runs fn once per engine.
func Engines(t *testing.T, fn func(t *testing.T, engine Engine)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres) })
}

// Start runs a server until the test ends; tweak may change the configuration.
func Start(t testing.TB, engine Engine, tweak ...func(*config.Config)) *Server {
	t.Helper()
	cfg := Config(t.TempDir()) // the data folder also holds the vault's key on PostgreSQL
	engine(t, &cfg)
	for _, f := range tweak {
		f(&cfg)
	}
	srv, err := launch(cfg, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	srv.t = t
	t.Cleanup(func() {
		if err := srv.stop(); err != nil { // stopping again after Stop returns the same
			t.Errorf("serve: %v", err)
		}
	})
	return srv
}

// Config is the configuration of test servers: a free loopback port,
// AdminToken, warnings only, the embedded database in data.
func Config(data string) config.Config {
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.AdminToken = AdminToken
	cfg.LogLevel = "warn"
	cfg.Data = data
	// A test server on PostgreSQL has its schema to itself: it takes the lead
	// of the periodic jobs (two intervals after the first try) at once.
	cfg.LeaderInterval = config.Duration(100 * time.Millisecond)
	return cfg
}

// Launch runs a server on cfg outside a test, for runnable examples; its
// logs go to logs, and stop shuts it down. Use Start in tests: the request
// helpers of Server need a test.
func Launch(cfg config.Config, logs io.Writer) (srv *Server, stop func() error, err error) {
	srv, err = launch(cfg, logs)
	if err != nil {
		return nil, nil, err
	}
	return srv, srv.stop, nil
}

func launch(cfg config.Config, logs io.Writer) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := logging.New(logs, cfg.LogLevel, "text")
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.OpenServer(ctx, cfg, log, io.Discard)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("open app: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	var stopErr error
	stop := sync.OnceFunc(func() {
		cancel()
		stopErr = <-done
		a.Close()
	})
	return &Server{URL: "http://" + a.Addr(), App: a, stop: func() error { stop(); return stopErr }}, nil
}

// testWriter sends server logs to the test log, shown only on failure.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// Response is a finished request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Do sends a request with a bearer token (none when token is empty).
func (s *Server) Do(method, path, token, contentType string, body []byte) *Response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// JSON sends v as JSON.
func (s *Server) JSON(method, path, token string, v any) *Response {
	s.t.Helper()
	var body []byte
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			s.t.Fatal(err)
		}
	}
	return s.Do(method, path, token, "application/json", body)
}

// Register registers an enterprise as the administrator and returns its API key.
func (s *Server) Register(code string, roles ...string) string {
	s.t.Helper()
	r := s.JSON("POST", "/api/v1/enterprises", AdminToken, map[string]any{"code": code, "name": "企业 " + code, "roles": roles})
	if r.Status != http.StatusCreated {
		s.t.Fatalf("register %s: %d %s", code, r.Status, r.Body)
	}
	var out struct{ APIKey string }
	r.JSON(s.t, &out)
	return out.APIKey
}

// Stop shuts the server down now (it is also stopped when the test ends).
func (s *Server) Stop() { _ = s.stop() }
