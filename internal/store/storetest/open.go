package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"testing"

	"github.com/cbec-platform/cbec/internal/store"
)

// PostgresEnv names the environment variable that holds the DSN of a
// PostgreSQL server for tests; .ci/run sets it.
const PostgresEnv = "CBEC_TEST_POSTGRES"

// OpenSQLite returns a fresh migrated SQLite database in a temporary folder.
func OpenSQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), "", t.TempDir(), store.Options{})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), quiet()); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return db
}

// PostgresDSN returns a DSN for a fresh, empty schema on the test server, which
// is dropped when the test ends. It skips the test when no server is configured.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a DSN (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable); .ci/run does", PostgresEnv)
	}
	admin, err := store.Open(context.Background(), base, "", store.Options{MaxConns: 1})
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if err := admin.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(context.Background(), "CREATE SCHEMA "+schema)
		return err
	}); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := store.Open(context.Background(), base, "", store.Options{MaxConns: 1})
		if err != nil {
			return
		}
		defer admin.Close()
		_ = admin.InTx(context.Background(), func(tx *store.Tx) error {
			_, err := tx.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			return err
		})
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenPostgres returns a fresh migrated database in its own schema on the test
// server, or skips the test when none is configured.
func OpenPostgres(t testing.TB) *store.DB {
	t.Helper()
	dsn := PostgresDSN(t)
	db, err := store.Open(context.Background(), dsn, "", store.Options{MaxConns: 4})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), quiet()); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return db
}

// Engines runs fn once per engine: SQLite always, PostgreSQL when configured.
func Engines(t *testing.T, fn func(t *testing.T, open Opener)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, OpenSQLite) })
	t.Run("postgres", func(t *testing.T) { fn(t, OpenPostgres) })
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
