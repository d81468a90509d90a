package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cbec-platform/cbec/internal/app"
	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/refdata"
	"github.com/cbec-platform/cbec/internal/store"
)

// The reference-data commands load the CSV files of contract §6 straight
// into the database, for an operator on the machine; the HTTP API does the
// same remotely. A running server picks the new versions up at its next
// reload (within 30 s).

type tariffCmd struct {
	Import tariffImportCmd `cmd:"" help:"Load a tariff CSV as a new version of the tariff table."`
}

type listCmd struct {
	Import listImportCmd `cmd:"" help:"Load a positive-list or negative-list CSV as a new version of that list."`
}

type productCmd struct {
	Import productImportCmd `cmd:"" help:"File an e-commerce enterprise's products from a CSV; filings with the same item number are replaced."`
}

// versionFlags say when an uploaded table takes effect.
type versionFlags struct {
	EffectiveFrom string `help:"RFC 3339 time with its zone from which the version is in force, e.g. 2027-01-01T00:00:00+08:00 (default now)." placeholder:"TIME"`
	Replace       bool   `help:"The file is the whole table: rows it lacks are no longer in force from its effective date (default: it replaces only the rows with the same key)."`
}

func (f versionFlags) upload() (refdata.Upload, error) {
	u := refdata.Upload{Replace: f.Replace, By: "cli"}
	if f.EffectiveFrom != "" {
		t, err := time.Parse(time.RFC3339, f.EffectiveFrom)
		if err != nil {
			return u, fmt.Errorf("--effective-from %q: want an RFC 3339 time with a zone, e.g. 2027-01-01T00:00:00+08:00", f.EffectiveFrom)
		}
		u.EffectiveFrom = t
	}
	return u, nil
}

type tariffImportCmd struct {
	File string `arg:"" type:"existingfile" help:"CSV with the columns hs_code, name, vat_rate, consumption_tax_rate, consumption_tax_threshold, consumption_tax_unit, duty_rate (and the optional ones of docs/catalog.md)."`
	versionFlags
	dbFlags
}

func (c *tariffImportCmd) Run(e *env) error {
	return importVersion(e, c.dbFlags, c.File, c.versionFlags, (*refdata.Service).ImportTariff)
}

type listImportCmd struct {
	Positive bool   `xor:"list" required:"" help:"The file is the positive list (hs_code, name, remark_kind, remark)."`
	Negative bool   `xor:"list" required:"" help:"The file is the negative list (hs_prefix, gtin, name, kind, reason)."`
	File     string `arg:"" type:"existingfile" help:"CSV file."`
	versionFlags
	dbFlags
}

func (c *listImportCmd) Run(e *env) error {
	imp := (*refdata.Service).ImportPositiveList
	if c.Negative {
		imp = (*refdata.Service).ImportNegativeList
	}
	return importVersion(e, c.dbFlags, c.File, c.versionFlags, imp)
}

type productImportCmd struct {
	EBC  string `name:"ebc" required:"" help:"Customs code of the e-commerce enterprise (role ebc) the products are filed under." placeholder:"CODE"`
	File string `arg:"" type:"existingfile" help:"CSV with the columns item_no, name, hs_code, gtin, brand, origin_country, spec, legal_unit, item_record_no."`
	dbFlags
}

func (c *productImportCmd) Run(e *env) error {
	svc, db, err := reference(e, c.dbFlags)
	if err != nil {
		return err
	}
	defer db.Close()
	ent, err := db.GetEnterprise(e.ctx, c.EBC)
	if ee, ok := errs.As(err); ok && ee.Kind == errs.NotFound {
		return fmt.Errorf("--ebc: %s", ee.Message)
	}
	if err != nil {
		return fmt.Errorf("--ebc: %w", err)
	}
	if !ent.HasRole(enterprise.RoleSeller) {
		return fmt.Errorf("--ebc: enterprise %s does not hold the role ebc; only an e-commerce enterprise files products", ent.Code)
	}
	if !ent.Active() {
		return fmt.Errorf("--ebc: enterprise %s is disabled", ent.Code)
	}
	f, err := os.Open(c.File)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := svc.ImportProducts(e.ctx, ent.Code, f)
	if err != nil {
		return reportProblems(e, c.File, err)
	}
	fmt.Fprintf(e.stdout, "filed %d products of %s\n", n, ent.Code)
	return nil
}

// reference opens the database and a reference-data service on it, seeding
// the starter tables first when the database has none: an import into a new
// database must add to the starter set, not take its place.
func reference(e *env, f dbFlags) (*refdata.Service, *store.DB, error) {
	cfg, err := e.load(func(c *config.Config) { f.apply(c); c.LogLevel = "warn" })
	if err != nil {
		return nil, nil, err
	}
	db, err := app.OpenDB(e.ctx, cfg, e.logger(cfg))
	if err != nil {
		return nil, nil, err
	}
	svc := refdata.NewService(db, refdata.Options{})
	if _, err := svc.Seed(e.ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return svc, db, nil
}

func importVersion(e *env, dbf dbFlags, path string, vf versionFlags,
	imp func(*refdata.Service, context.Context, io.Reader, refdata.Upload) (refdata.VersionInfo, error)) error {
	u, err := vf.upload()
	if err != nil {
		return err
	}
	svc, db, err := reference(e, dbf)
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	v, err := imp(svc, e.ctx, f, u)
	if err != nil {
		return reportProblems(e, path, err)
	}
	if v.ID == 0 {
		fmt.Fprintln(e.stdout, "nothing imported: the file has no data rows")
		return nil
	}
	state := "in force now"
	if v.EffectiveFrom.After(time.Now()) {
		state = "scheduled"
	}
	fmt.Fprintf(e.stdout, "imported %d rows as %s version %d, effective from %s (%s)\n",
		v.Rows, v.Kind, v.ID, v.EffectiveFrom.Format(time.RFC3339), state)
	return nil
}

// reportProblems prints every problem of a refused file, one a line, and
// ends the command with status 1; other errors are returned as they are.
func reportProblems(e *env, path string, err error) error {
	probs, ok := catalog.AsProblems(err)
	if !ok {
		return err
	}
	fmt.Fprintf(e.stderr, "cbec: %s was not imported: %d problem(s)\n", path, len(probs))
	for _, p := range probs {
		fmt.Fprintf(e.stderr, "  %s\n", p)
	}
	return exitError(1)
}
