package store

import (
	"context"
	"embed"
	"fmt"
	"github.com/cbec-platform/cbec/internal/errs"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// The migrations are embedded in the binary, one folder per engine with the same
// file names. Tests check that the folders agree, that both engines end with
// the same tables, columns, keys and indexes (TestMigrationParity), and that
// the Down sections undo the Up sections (TestMigrationsDownAndUp).
//
//go:embed migrations
var migrations embed.FS

// Migrate applies every pending migration. On PostgreSQL a session lock makes
// concurrent starts of several nodes safe.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) (err error) {
	defer errs.Wrap(&err, "store.Migrate")
	p, err := db.migrator(log)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", db.Engine, err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return db.loadWaitingKeys(ctx)
}

// MigrationStatus reports the current and the newest schema version.
func (db *DB) MigrationStatus(ctx context.Context) (current, newest int64, err error) {
	defer errs.Wrap(&err, "store.MigrationStatus")
	p, err := db.migrator(slog.New(slog.DiscardHandler))
	if err != nil {
		return 0, 0, err
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read schema version: %w", err)
	}
	srcs := p.ListSources()
	if len(srcs) > 0 {
		newest = srcs[len(srcs)-1].Version
	}
	return current, newest, nil
}

func (db *DB) migrator(log *slog.Logger) (*goose.Provider, error) {
	dir, err := fs.Sub(migrations, "migrations/"+string(db.Engine))
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", db.Engine, err)
	}
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithSlog(log)}
	if db.Engine == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.write, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}
