package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/store"
)

// cbec backup copies the database, refuses to overwrite; cbec restore puts it
// in a fresh folder, refuses to replace a database without --force; the
// restored database holds the same data, table by table.
func TestBackupRestoreCommands(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	if code, _, errOut := run(t, "enterprise", "add", "1105910159", "--data", src, "--name", "示例平台", "--role", "ebp"); code != 0 {
		t.Fatalf("enterprise add: %d %s", code, errOut)
	}
	file := filepath.Join(t.TempDir(), "backup.db")
	code, out, errOut := run(t, "backup", "--data", src, file)
	if code != 0 || !strings.Contains(out, "backed up") {
		t.Fatalf("backup: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := run(t, "backup", "--data", src, file); code == 0 || !strings.Contains(errOut, "exists already") {
		t.Fatalf("backup over a file: %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "backup", "--db", "postgres://nobody@127.0.0.1:1/none", file+"2"); code == 0 || !strings.Contains(errOut, "pg_dump") {
		t.Fatalf("backup of PostgreSQL: %d %s", code, errOut)
	}
	if code, out, errOut := run(t, "restore", "--data", dst, file); code != 0 || !strings.Contains(out, "restored") {
		t.Fatalf("restore: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := run(t, "restore", "--data", dst, file); code == 0 || !strings.Contains(errOut, "--force") {
		t.Fatalf("restore over a database: %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "restore", "--force", "--data", dst, file); code != 0 {
		t.Fatalf("restore --force: %d %s", code, errOut)
	}
	notDB := filepath.Join(t.TempDir(), "not.db")
	if err := os.WriteFile(notDB, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := run(t, "restore", "--data", t.TempDir(), notDB); code == 0 {
		t.Fatal("restored a file that is no database")
	}
	ctx := context.Background()
	digest := func(dir string) map[string]string {
		db, err := store.Open(ctx, "", dir, store.Options{Synchronous: "NORMAL", MaxConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		d, err := db.Digest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b := digest(src), digest(dst)
	if len(a) < 20 || len(a) != len(b) {
		t.Fatalf("%d tables, restored %d", len(a), len(b))
	}
	for table, want := range a {
		if b[table] != want {
			t.Errorf("%s: restored %s, original %s", table, b[table], want)
		}
	}
}
