package cli

import (
	"encoding/json"

	"github.com/cbec-platform/cbec/internal/app"
	"github.com/cbec-platform/cbec/internal/config"
)

type exportCmd struct {
	Summarize exportSummarizeCmd `cmd:"" help:"Merge a month's released B export lists into summary declarations now (rules §11) and print them."`
	Report    exportReportCmd    `cmd:"" help:"Print a month's summary declarations with the deadline flags (late, unsummarized, missing)."`
}

type exportSummarizeCmd struct {
	Month   string `required:"" help:"Month of release, YYYY-MM." placeholder:"2026-11"`
	EbcCode string `help:"Only this consignor (default: all)." placeholder:"CODE"`
	dbFlags
	logFlags
}

type exportReportCmd struct {
	Month   string `required:"" help:"Month of release, YYYY-MM." placeholder:"2026-11"`
	EbcCode string `help:"Only this consignor (default: all)." placeholder:"CODE"`
	dbFlags
	logFlags
}

// openApp opens the platform on the configured database without serving.
func openApp(e *env, db dbFlags, lf logFlags) (*app.App, error) {
	cfg, err := e.load(func(cfg *config.Config) { db.apply(cfg); lf.apply(cfg) })
	if err != nil {
		return nil, err
	}
	return app.Open(e.ctx, cfg, e.logger(cfg), e.stderr)
}

func (c *exportSummarizeCmd) Run(e *env) error {
	a, err := openApp(e, c.dbFlags, c.logFlags)
	if err != nil {
		return err
	}
	defer a.Close()
	defer a.Batch.Close()
	sums, err := a.Export.Summarize(e.ctx, c.Month, c.EbcCode, "cli")
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"month": c.Month, "summaries": sums})
}

func (c *exportReportCmd) Run(e *env) error {
	a, err := openApp(e, c.dbFlags, c.logFlags)
	if err != nil {
		return err
	}
	defer a.Close()
	defer a.Batch.Close()
	rep, err := a.Export.MonthReport(e.ctx, c.Month, c.EbcCode)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
