package store

import (
	"context"
	"testing"
)

// A transaction binds each cached statement once (Tx.stmt), however many of
// its jobs run the query.
func TestStatementBoundOncePerTransaction(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "", t.TempDir(), Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const query = "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3)"
	if _, err := db.write.ExecContext(ctx, "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT, updated_at TEXT)"); err != nil {
		t.Fatal(err)
	}
	run := func(check bool) {
		if err := db.InTx(ctx, func(tx *Tx) error {
			for _, name := range []string{"a", "b", "c"} {
				if _, err := tx.Exec(ctx, query, name, "v", "t"); err != nil {
					return err
				}
			}
			if !check {
				return nil
			}
			bound, _ := tx.db.bind(query, nil)
			first := tx.stmt(ctx, bound)
			if first == nil {
				t.Fatal("the statement is not cached")
			}
			if again := tx.stmt(ctx, bound); again != first || len(tx.stmts) != 1 {
				t.Errorf("bound %d statements for one query (the same one again: %v)", len(tx.stmts), again == first)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	run(false) // the writer's cache prepares the statement before the next transaction
	if _, err := db.write.ExecContext(ctx, "DELETE FROM settings"); err != nil {
		t.Fatal(err)
	}
	run(true)
}
