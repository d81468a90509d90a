package store

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// A decision's update, which changes no indexed column, must not make SQLite
// rewrite the entries of the indexes by order, waybill and invt_no: it names
// none of their columns, so only the two partial indexes (waiting, pending),
// whose conditions it changes, are touched. The full update touches all five.
func TestKeptKeysTouchOnlyThePartialIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "", filepath.Join(t.TempDir(), "db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	indexWrites := func(u updateStatement) int {
		t.Helper()
		rows, err := db.write.QueryContext(ctx, "EXPLAIN "+u.query, make([]any, len(u.args))...)
		if err != nil {
			t.Fatalf("explain %s: %v", u.query, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			v := make([]any, len(cols))
			p := make([]any, len(cols))
			for i := range v {
				p[i] = &v[i]
			}
			if err := rows.Scan(p...); err != nil {
				t.Fatal(err)
			}
			if op, _ := v[1].(string); op == "IdxDelete" {
				n++
			}
		}
		return n
	}
	if n := indexWrites(updateInventoryAll); n != 5 {
		t.Errorf("the full update deletes entries of %d indexes, want 5:\n%s", n, updateInventoryAll.query)
	}
	if n := indexWrites(updateInventoryKept); n != 2 {
		t.Errorf("the update that keeps the keys deletes entries of %d indexes, want 2 (the partial ones):\n%s", n, updateInventoryKept.query)
	}
	for _, col := range []string{"ebp_code", "order_no", "logistics_code", "logistics_no", "invt_no"} {
		if strings.Contains(updateInventoryKept.query, " "+col+"=") {
			t.Errorf("the update that keeps the keys sets %s", col)
		}
	}
}
