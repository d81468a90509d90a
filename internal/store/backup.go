package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Backup writes a consistent copy of the embedded SQLite database to path
// while the platform runs (VACUUM INTO on a connection of its own: readers and
// the writer go on). PostgreSQL is backed up with pg_dump instead.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.Engine != SQLite {
		return errors.New("backup: the database is PostgreSQL; use pg_dump --format=custom --file=FILE DBNAME, and pg_restore to restore")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s exists already; choose a new file", path)
	}
	conn, err := sql.Open("sqlite", "file:"+db.Location+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return CheckSQLiteFile(ctx, path)
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
// replaced by force is kept beside it as cbec.db.replaced-<time>. The server
// must be stopped.
func RestoreSQLite(ctx context.Context, from, dir string, force bool, now time.Time) error {
	if err := CheckSQLiteFile(ctx, from); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	target := filepath.Join(dir, "cbec.db")
	if _, err := os.Stat(target); err == nil {
		if !force {
			return fmt.Errorf("restore: %s holds a database already; stop the server and pass --force to replace it", dir)
		}
		keep := target + ".replaced-" + now.UTC().Format("20060102T150405Z")
		if err := os.Rename(target, keep); err != nil {
			return fmt.Errorf("restore: keep the old database: %w", err)
		}
		for _, ext := range []string{"-wal", "-shm"} {
			_ = os.Rename(target+ext, keep+ext)
		}
	}
	tmp := target + ".restoring"
	if err := copyFile(from, tmp); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
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

// Digest lists, per table, the row count and a SHA-256 of every row in
// primary-key order: two databases with equal digests hold the same data.
func (db *DB) Digest(ctx context.Context) (map[string]string, error) {
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
