package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/cbec-platform/cbec/internal/errs"
	"io"
	"os"
	"path/filepath"
	"time"
)

// A backup file is a manifest followed by the SQLite database:
//
//	cbec-backup 1
//	{"engine":"sqlite","createdAt":"…","size":N,"sha256":"…"}
//	manifest-sha256 <SHA-256 of the manifest line>
//	<N bytes: the database>
//
// The manifest holds the SHA-256 and size of the database and is itself
// covered by the line after it, so a byte changed anywhere in the file, or
// one cut off or added, makes restore refuse it.
const backupMagic = "cbec-backup 1"

// backupManifest describes a backup's content.
type backupManifest struct {
	Engine    string    `json:"engine"`
	CreatedAt time.Time `json:"createdAt"`
	Size      int64     `json:"size"`
	SHA256    string    `json:"sha256"`
}

// Backup writes a consistent copy of the embedded SQLite database to path
// while the platform runs (VACUUM INTO on a connection of its own: readers and
// the writer go on), checks it, and wraps it with its manifest. It returns the
// SHA-256 of the database in the file. PostgreSQL is backed up with pg_dump.
func (db *DB) Backup(ctx context.Context, path string) (_ string, err error) {
	defer errs.Wrap(&err, "store.Backup(%q)", path)
	if db.Engine != SQLite {
		return "", errors.New("backup: the database is PostgreSQL; use pg_dump --format=custom --file=FILE DBNAME, and pg_restore to restore")
	}
	if _, err := os.Stat(path); err == nil {
		return "", fmt.Errorf("backup: %s exists already; choose a new file", path)
	}
	copyPath := path + ".vacuum"
	_ = os.Remove(copyPath) // left by an interrupted backup
	defer os.Remove(copyPath)
	conn, err := sql.Open("sqlite", "file:"+db.Location+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, copyPath); err != nil {
		return "", fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := CheckSQLiteFile(ctx, copyPath); err != nil {
		return "", err
	}
	sum, size, err := hashFile(copyPath)
	if err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	m, _ := json.Marshal(backupManifest{Engine: "sqlite", CreatedAt: time.Now().UTC(), Size: size, SHA256: sum})
	ms := sha256.Sum256(m)
	header := backupMagic + "\n" + string(m) + "\nmanifest-sha256 " + hex.EncodeToString(ms[:]) + "\n"
	if err := writeBackup(path, header, copyPath); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("backup to %s: %w", path, err)
	}
	return sum, nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// writeBackup creates path (never over an existing file) with the header
// followed by the database copy, synced to disk.
func writeBackup(path, header, copyPath string) error {
	in, err := os.Open(copyPath)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(out, header); err != nil {
		out.Close()
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// CheckSQLiteFile verifies that path is an intact cbec SQLite database.
func CheckSQLiteFile(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	defer conn.Close()
	var res string
	if err := conn.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("check %s: not a SQLite database: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("check %s: integrity check failed: %s", path, res)
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('messages', 'enterprises')`).Scan(&n); err != nil || n != 2 {
		return fmt.Errorf("check %s: not a cbec database (no messages and enterprises tables)", path)
	}
	return nil
}

// RestoreSQLite puts the backup file from in place as the database of the
// data folder dir. The folder must hold no database unless force; a database
// replaced by force is kept beside it as cbec.db.replaced-<time>. The
// backup's manifest is checked first and its database written beside the
// target and checked in full; only then is anything in the folder replaced,
// so a refused restore changes nothing. It is refused while a server serves
// the folder, and no server starts on it until the restore is done.
func RestoreSQLite(ctx context.Context, from, dir string, force bool, now time.Time) error {
	target := filepath.Join(dir, "cbec.db")
	if _, err := os.Stat(target); err == nil && !force {
		return fmt.Errorf("restore: %s holds a database already; stop the server and pass --force to replace it", dir)
	}
	if _, err := os.Stat(dir); err == nil {
		release, err := holdOffServers(target)
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		defer release()
	}
	f, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	m, err := readManifest(r)
	if err != nil {
		return fmt.Errorf("restore: %s: %w", from, err)
	}
	createdDir := false
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		createdDir = true
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	tmp := target + ".restoring"
	refuse := func(err error) error {
		os.Remove(tmp)
		if createdDir {
			os.Remove(dir)
		}
		return fmt.Errorf("restore: %s: %w", from, err)
	}
	if err := copyChecked(r, tmp, m); err != nil {
		return refuse(err)
	}
	if err := CheckSQLiteFile(ctx, tmp); err != nil {
		return refuse(err)
	}
	if _, err := os.Stat(target); err == nil {
		keep := target + ".replaced-" + now.UTC().Format("20060102T150405Z")
		if err := os.Rename(target, keep); err != nil {
			return refuse(fmt.Errorf("keep the old database: %w", err))
		}
		for _, ext := range []string{"-wal", "-shm"} {
			_ = os.Rename(target+ext, keep+ext)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return refuse(err)
	}
	return nil
}

// readManifest reads and checks a backup's header.
func readManifest(r *bufio.Reader) (*backupManifest, error) {
	line := func() (string, error) {
		var b []byte
		for {
			part, err := r.ReadSlice('\n')
			b = append(b, part...)
			if err == nil {
				return string(b[:len(b)-1]), nil
			}
			if !errors.Is(err, bufio.ErrBufferFull) || len(b) > 4096 {
				return "", errors.New("not a cbec backup (no manifest; backups written before manifests came in are plain SQLite files: check them with sqlite3 and copy them in place by hand)")
			}
		}
	}
	magic, err := line()
	if err != nil {
		return nil, err
	}
	if magic != backupMagic {
		return nil, errors.New("not a cbec backup, or a changed one (the first line is not \"" + backupMagic + "\")")
	}
	manifest, err := line()
	if err != nil {
		return nil, err
	}
	check, err := line()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(manifest))
	if check != "manifest-sha256 "+hex.EncodeToString(sum[:]) {
		return nil, errors.New("the manifest was changed (its SHA-256 does not match)")
	}
	var m backupManifest
	if err := json.Unmarshal([]byte(manifest), &m); err != nil {
		return nil, fmt.Errorf("the manifest cannot be read: %w", err)
	}
	if m.Engine != "sqlite" || m.Size <= 0 || len(m.SHA256) != 64 {
		return nil, errors.New("the manifest names no SQLite database with a size and SHA-256")
	}
	return &m, nil
}

// copyChecked writes exactly the manifest's size from r to path and checks
// the SHA-256 and that nothing follows.
func copyChecked(r io.Reader, path string, m *backupManifest) error {
	out, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.CopyN(io.MultiWriter(out, h), r, m.Size)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	switch {
	case n < m.Size:
		return fmt.Errorf("the database is cut short: %d of %d bytes", n, m.Size)
	case err != nil:
		return err
	}
	if extra, _ := io.Copy(io.Discard, r); extra > 0 {
		return fmt.Errorf("%d bytes follow the database the manifest describes", extra)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.SHA256 {
		return fmt.Errorf("the database was changed: SHA-256 %s, the manifest says %s", got, m.SHA256)
	}
	return nil
}

// Digest lists, per table, the row count and a SHA-256 of every row in
// primary-key order: two databases with equal digests hold the same data.
func (db *DB) Digest(ctx context.Context) (_ map[string]string, err error) {
	defer errs.Wrap(&err, "store.Digest")
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if db.Engine == Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	out := map[string]string{}
	for _, t := range tables {
		d, err := db.digestTable(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("digest %s: %w", t, err)
		}
		out[t] = d
	}
	return out, nil
}
