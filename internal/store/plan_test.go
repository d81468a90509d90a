package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/store"
)

// plan is the engine's plan of query, one line a step: SQLite's EXPLAIN
// QUERY PLAN details, PostgreSQL's EXPLAIN lines.
func plan(t *testing.T, db *store.DB, query string, args ...any) string {
	t.Helper()
	explain := "EXPLAIN QUERY PLAN "
	if db.Engine == store.Postgres {
		explain = "EXPLAIN "
	}
	rows, err := db.Query(context.Background(), explain+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var cols []any
		if db.Engine == store.SQLite {
			var id, parent, unused int
			cols = []any{&id, &parent, &unused}
		}
		var line string
		if err := rows.Scan(append(cols, &line)...); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
