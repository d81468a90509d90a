package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/store"
)

type backupCmd struct {
	Out string `arg:"" help:"File to write the backup to; it must not exist." placeholder:"FILE"`
	dbFlags
}

// Run writes an online, consistent copy of the SQLite database (VACUUM INTO);
// the server may keep running. PostgreSQL is backed up with pg_dump.
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
	if err := db.Backup(e.ctx, c.Out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s in %s (integrity checked); keep the data folder's secret.key (or CBEC_SECRET_KEY) with it\n",
		db.Location, c.Out, time.Since(start).Round(time.Millisecond))
	return nil
}

type restoreCmd struct {
	From  string `arg:"" help:"Backup file written by cbec backup." type:"existingfile" placeholder:"FILE"`
	Force bool   `help:"Replace a database already in the data folder (it is kept beside as cbec.db.replaced-TIME)."`
	dbFlags
}

// Run puts a backup in place as the data folder's database; the server must be stopped.
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
