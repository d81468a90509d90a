package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/trace"
)

type traceCmd struct {
	Codes  traceCodesCmd  `cmd:"" help:"List the most recently released traceability codes with their public lookup URLs."`
	Lookup traceLookupCmd `cmd:"" help:"Show what a traceability code's public page shows, as JSON (no buyer data)."`
}

type traceCodesCmd struct {
	Limit int    `help:"How many codes (default 10)." default:"10"`
	Base  string `help:"Origin of the public pages, put before each path (default http://127.0.0.1:8080)." default:"http://127.0.0.1:8080" placeholder:"URL"`
	dbFlags
}

func (c *traceCodesCmd) Run(e *env) error {
	if c.Limit < 1 || c.Limit > 10000 {
		return fmt.Errorf("--limit %d: want 1 to 10000", c.Limit)
	}
	_, db, err := registry(e, c.dbFlags)
	if err != nil {
		return err
	}
	defer db.Close()
	codes, err := db.RecentTraceCodes(e.ctx, c.Limit)
	if err != nil {
		return err
	}
	if len(codes) == 0 {
		fmt.Fprintln(e.stderr, "no traceability codes yet: they are issued when inventories are released (try cbec demo --data DIR)")
		return nil
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CODE\tRELEASED\tPRODUCT\tURL")
	for _, t := range codes {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", trace.Group(t.Code), t.ReleasedAt.Local().Format(time.DateTime), t.Name,
			strings.TrimRight(c.Base, "/")+trace.LookupPath(t.Code, t.GTIN))
	}
	return w.Flush()
}

type traceLookupCmd struct {
	Code string `arg:"" help:"The code, as printed or typed (case, spaces and dashes do not matter)."`
	dbFlags
}

func (c *traceLookupCmd) Run(e *env) error {
	_, db, err := registry(e, c.dbFlags)
	if err != nil {
		return err
	}
	defer db.Close()
	cfg, err := e.load(func(cf *config.Config) { c.dbFlags.apply(cf); cf.LogLevel = "warn" })
	if err != nil {
		return err
	}
	svc := &trace.Service{DB: db, Parties: enterprise.NewCache(db, time.Minute), Now: time.Now, Log: e.logger(cfg)}
	if err := svc.Reload(e.ctx); err != nil {
		return err
	}
	l, err := svc.Lookup(e.ctx, c.Code)
	if err != nil {
		return err
	}
	verdict := map[trace.Verdict]string{trace.WellFormed: "not genuine: no such code", trace.Mistyped: "mistyped: the check character does not match",
		trace.Malformed: "not a code: wrong length or characters"}[l.Verdict]
	out := map[string]any{"code": l.Code, "genuine": l.Found}
	if l.Found {
		p := l.Piece
		out["product"] = map[string]any{"name": p.Name, "brand": p.Brand, "gtin": p.GTIN, "hsCode": p.HSCode, "originCountry": p.OriginCountry,
			"batch": p.Batch, "producedOn": p.ProducedOn}
		out["seller"] = map[string]string{"code": p.EbcCode, "name": l.Seller}
		out["entry"] = map[string]any{"customsCode": p.CustomsCode, "portCode": p.PortCode, "releasedAt": p.ReleasedAt, "inspected": p.Inspected}
		out["state"] = p.State
		var recalls, warnings []string
		for _, r := range l.Recalls {
			recalls = append(recalls, r.ID+" "+r.Title)
		}
		for _, n := range l.Warnings {
			warnings = append(warnings, n.ID+" "+n.Title)
		}
		out["recalls"], out["warnings"] = recalls, warnings
	} else {
		out["verdict"] = verdict
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
