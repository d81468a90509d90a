package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/store"
)

type backupCmd struct {
	Out string `arg:"" help:"File to write the backup to (the database after a manifest with its SHA-256); it must not exist." placeholder:"FILE"`
	dbFlags
}

// Run writes an online, consistent copy of the SQLite database (VACUUM INTO)
// with a manifest holding its SHA-256; the server may keep running. PostgreSQL is backed up with pg_dump.
func (c *backupCmd) Run(e *env) error {
	cfg, err := e.load(func(cfg *config.Config) { c.dbFlags.apply(cfg) })
	if err != nil {
		return err
	}
	if cfg.DB != "" {
		return errors.New("backup: the database is PostgreSQL; back it up with pg_dump --format=custom --file=FILE and restore with pg_restore --clean --dbname=URL FILE (see docs/runbook.md)")
	}
	db, err := openUnmigrated(e, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	sum, err := db.Backup(e.ctx, c.Out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s in %s (integrity checked; manifest with the database's sha256 %s); keep the data folder's secret.key (or CBEC_SECRET_KEY) with it\n",
		db.Location, c.Out, time.Since(start).Round(time.Millisecond), sum)
	return nil
}

type restoreCmd struct {
	From  string `arg:"" help:"Backup file written by cbec backup; refused when it does not match its manifest." type:"existingfile" placeholder:"FILE"`
	Force bool   `help:"Replace a database already in the data folder (it is kept beside as cbec.db.replaced-TIME)."`
	dbFlags
}

// Run checks a backup against its manifest and puts it in place as the data
// folder's database; the server must be stopped.
func (c *restoreCmd) Run(e *env) error {
	cfg, err := e.load(func(cfg *config.Config) { c.dbFlags.apply(cfg) })
	if err != nil {
		return err
	}
	if cfg.DB != "" {
		return errors.New("restore: the database is PostgreSQL; restore a pg_dump file with pg_restore --clean --dbname=URL FILE")
	}
	if err := store.RestoreSQLite(e.ctx, c.From, cfg.Data, c.Force, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "restored %s into %s; start the server with the same secret key\n", c.From, cfg.Data)
	return nil
}
