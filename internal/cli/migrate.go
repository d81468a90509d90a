package cli

import (
	"fmt"

	"github.com/cbec-platform/cbec/internal/app"
	"github.com/cbec-platform/cbec/internal/config"
)

type migrateCmd struct {
	Status bool `help:"Only print the current and newest schema version."`
	dbFlags
	logFlags
}

func (c *migrateCmd) Run(e *env) error {
	cfg, err := e.load(func(cfg *config.Config) { c.dbFlags.apply(cfg); c.logFlags.apply(cfg) })
	if err != nil {
		return err
	}
	log := e.logger(cfg)
	if c.Status {
		db, err := openUnmigrated(e, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		cur, newest, err := db.MigrationStatus(e.ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "schema version %d, newest %d (%s)\n", cur, newest, db.Engine)
		return nil
	}
	db, err := app.OpenDB(e.ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	cur, _, err := db.MigrationStatus(e.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s database at %s is at schema version %d\n", db.Engine, db.Location, cur)
	return nil
}
