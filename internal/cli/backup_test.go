package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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

// A backup carries a manifest with the SHA-256 of its content: a single byte
// changed anywhere in the file (the header, the manifest, the database pages,
// the end) makes restore refuse it, and a refused restore leaves the data
// folder as it was.
func TestRestoreRefusesAnyChangedByte(t *testing.T) {
	src := t.TempDir()
	if code, _, errOut := run(t, "enterprise", "add", "1105910159", "--data", src, "--name", "示例平台", "--role", "ebp"); code != 0 {
		t.Fatalf("enterprise add: %d %s", code, errOut)
	}
	file := filepath.Join(t.TempDir(), "backup.cbec")
	if code, out, errOut := run(t, "backup", "--data", src, file); code != 0 || !strings.Contains(out, "sha256 ") {
		t.Fatalf("backup: %d %s %s", code, out, errOut)
	}
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// Every byte of the first 512 (magic, manifest, its checksum, the first
	// page), then 300 positions spread over the rest, and the last byte.
	var positions []int
	for i := 0; i < 512 && i < len(good); i++ {
		positions = append(positions, i)
	}
	for i := 0; i < 300; i++ {
		positions = append(positions, 512+i*(len(good)-513)/300)
	}
	positions = append(positions, len(good)-1)
	ctx := context.Background()
	dst := t.TempDir()
	bad := filepath.Join(t.TempDir(), "changed.cbec")
	restored := 0
	for _, pos := range positions {
		b := slices.Clone(good)
		b[pos] ^= 0x01
		if err := os.WriteFile(bad, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := store.RestoreSQLite(ctx, bad, dst, true, time.Now()); err == nil {
			restored++
			t.Errorf("a backup with byte %d of %d changed was restored", pos, len(good))
			os.RemoveAll(dst)
		}
	}
	if entries, _ := os.ReadDir(dst); len(entries) != 0 {
		t.Errorf("refused restores left %d files in the data folder", len(entries))
	}
	// Cut short or with bytes added, it is refused too; the intact file restores.
	for name, b := range map[string][]byte{"truncated": good[:len(good)-1], "extended": append(slices.Clone(good), 0)} {
		if err := os.WriteFile(bad, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := store.RestoreSQLite(ctx, bad, dst, false, time.Now()); err == nil {
			t.Errorf("a %s backup was restored", name)
		}
	}
	if code, _, errOut := run(t, "restore", "--data", dst, file); code != 0 {
		t.Fatalf("restore of the intact backup: %d %s", code, errOut)
	}
	t.Logf("%d changed copies of a %d-byte backup, %d restored", len(positions), len(good), restored)
}
