package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/store"
)

// sqlitePlan is SQLite's plan of query, its steps' details joined by "\n".
func sqlitePlan(t *testing.T, db *store.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.Query(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}
