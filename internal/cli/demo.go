package cli

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/cbec-platform/cbec/internal/app"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/loadgen"
)

// demoCmd plays a realistic day of traffic through the HTTP API, against a
// running server or one it starts itself.
type demoCmd struct {
	Server       string        `help:"URL of a running cbec server; when empty the demo starts its own on a free loopback port (default: none)." env:"CBEC_SERVER" placeholder:"URL"`
	AdminToken   string        `help:"Administrator token of --server (default: none; required with --server)." env:"CBEC_ADMIN_TOKEN" placeholder:"TOKEN"`
	Data         string        `help:"Data folder of the demo's own server (default: a temporary folder, removed afterwards)." placeholder:"DIR"`
	Declarations int           `help:"Declarations in the day (default 2000)." default:"2000"`
	Buyers       int           `help:"Distinct buyers (default 1500)." default:"1500"`
	Concurrency  int           `help:"Parallel senders (default 4)." default:"4"`
	Rate         float64       `help:"Declarations per second; 0 as fast as the server answers (default 0)." default:"0"`
	Mix          string        `help:"Traffic shape as NAME=SHARE pairs among bonded, batch, bad, resend, modify, heavy (default bonded=0.4,batch=0.005,bad=0.08,resend=0.03,modify=0.03,heavy=0.03)." default:"bonded=0.4,batch=0.005,bad=0.08,resend=0.03,modify=0.03,heavy=0.03"`
	Seed         uint64        `help:"Seed of the generator; 0 picks one and prints it (default 0)." default:"0"`
	Drain        time.Duration `help:"How long to wait at most for the last final receipts (default 60s)." default:"60s"`
	JSON         bool          `name:"json" help:"Print the full report as JSON instead of the summary."`
}

func (c *demoCmd) Run(e *env) error {
	mix, err := loadgen.ParseMix(c.Mix, loadgen.Mix{})
	if err != nil {
		return err
	}
	mix.Buyers = c.Buyers
	server, token := c.Server, c.AdminToken
	if server == "" {
		var stop func()
		server, token, stop, err = c.startServer(e)
		if err != nil {
			return err
		}
		defer stop()
	} else if token == "" {
		return fmt.Errorf("demo: --admin-token (or CBEC_ADMIN_TOKEN) is needed with --server")
	}
	seed := pickSeed(c.Seed, e.stderr)
	bar := progressbar.NewOptions(c.Declarations,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription("preparing"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
	)
	cfg := loadgen.Config{
		Server: server, AdminToken: token, Seed: seed, Concurrency: c.Concurrency,
		Rate: c.Rate, Declarations: c.Declarations, Drain: c.Drain, Mix: mix, FetchTax: true,
		Progress: func(p loadgen.Progress) {
			if p.Phase == "preparing" {
				bar.Describe(fmt.Sprintf("preparing %d", p.Prepared))
				return
			}
			bar.Describe(fmt.Sprintf("%s: sent %d, errors %d, final", p.Phase, p.Sent, p.Errors))
			_ = bar.Set(p.Final)
		},
		Warn: func(s string) { fmt.Fprintln(e.stderr, "\nwarning:", s) },
	}
	rep, err := loadgen.Run(e.ctx, cfg)
	if err != nil {
		_ = bar.Exit()
		fmt.Fprintln(e.stderr)
		return fmt.Errorf("demo: %w", err)
	}
	_ = bar.Finish()
	fmt.Fprintln(e.stderr)
	if c.JSON {
		if err := rep.WriteJSON(e.stdout); err != nil {
			return err
		}
		return runEpilogues(e.ctx, server, token, e.stderr)
	}
	writeDemoSummary(e, rep)
	return runEpilogues(e.ctx, server, token, e.stdout)
}

// runEpilogues tells what follows the day of imports: an exporter's month
// (rules §11) and a bonded warehouse's book, return, cancel, gate and bill
// (rules §6–§8).
func runEpilogues(ctx context.Context, server, token string, out io.Writer) error {
	if err := runExportDemo(ctx, server, token, out); err != nil {
		return err
	}
	return loadgen.BondedWarehouse(ctx, server, token, out)
}

// startServer runs a platform in this process on a free loopback port.
func (c *demoCmd) startServer(e *env) (url, token string, stop func(), err error) {
	dir, cleanup := c.Data, func() {}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "cbec-demo-*"); err != nil {
			return "", "", nil, fmt.Errorf("demo: data folder: %w", err)
		}
		cleanup = func() { os.RemoveAll(dir) }
	}
	var raw [24]byte
	_, _ = crand.Read(raw[:]) // crypto/rand.Read never fails
	token = "demo-" + hex.EncodeToString(raw[:])
	cfg, err := e.load(func(cfg *config.Config) {
		cfg.Addr, cfg.Data, cfg.DB, cfg.AdminToken, cfg.LogLevel = "127.0.0.1:0", dir, "", token, "error"
	})
	if err != nil {
		cleanup()
		return "", "", nil, err
	}
	ctx, cancel := context.WithCancel(e.ctx)
	a, err := app.OpenServer(ctx, cfg, e.logger(cfg), e.stderr)
	if err != nil {
		cancel()
		cleanup()
		return "", "", nil, fmt.Errorf("demo: start server: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	fmt.Fprintf(e.stderr, "demo server on http://%s (data in %s)\n", a.Addr(), dir)
	return "http://" + a.Addr(), token, func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintln(e.stderr, "demo server:", err)
		}
		a.Close()
		cleanup()
	}, nil
}

// writeDemoSummary prints what happened to the day's declarations.
func writeDemoSummary(e *env, rep *loadgen.Report) {
	d := rep.Declarations
	count := func(match func(status string) bool) int {
		n := 0
		for s, v := range rep.FinalStatuses {
			if match(s) {
				n += v
			}
		}
		return n
	}
	w := e.stdout
	fmt.Fprintf(w, "A day of cross-border e-commerce through %s\n\n", rep.Server)
	fmt.Fprintf(w, "  declarations sent            %6d  (%d resubmitted with the same guid, %d orders changed with appType 2)\n", d.Sent, d.Resent, d.Changed)
	fmt.Fprintf(w, "  released (800/899)           %6d\n", count(func(s string) bool { return s == "800" || s == "899" }))
	fmt.Fprintf(w, "  rejected (100)               %6d\n", count(func(s string) bool { return s == "100" || strings.HasPrefix(s, "-") }))
	reasons := make([]string, 0, len(rep.RejectionReasons))
	for r := range rep.RejectionReasons {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool { return rep.RejectionReasons[reasons[i]] > rep.RejectionReasons[reasons[j]] })
	for _, r := range reasons {
		fmt.Fprintf(w, "      %-24s %6d\n", r, rep.RejectionReasons[r])
	}
	fmt.Fprintf(w, "  inspected (500–599)          %6d\n", count(func(s string) bool { return len(s) == 3 && s[0] == '5' }))
	fmt.Fprintf(w, "  manual review (300)          %6d\n", rep.FinalStatuses["300"])
	fmt.Fprintf(w, "  no final receipt yet         %6d\n", d.Outstanding)
	if d.Aborted+d.Refused > 0 {
		fmt.Fprintf(w, "  refused at submission        %6d\n", d.Aborted+d.Refused)
	}
	fmt.Fprintf(w, "  deliberately bad documents: %d released by mistake; valid declarations rejected: %d\n", rep.BadReleased, rep.ValidRejected)
	if rep.AnnualLimitReached > 0 {
		fmt.Fprintf(w, "  frequent buyers at their annual limit: %d refused with 1313, as expected (the demo has a few buyers buy until the limit stops them)\n", rep.AnnualLimitReached)
	}
	taxLine := fmt.Sprintf("%s CNY declared on %d released inventories", rep.Tax.DeclaredOnReleased, rep.Tax.Released)
	switch {
	case rep.Tax.InventoriesFromAPI > 0:
		taxLine = fmt.Sprintf("%s CNY computed by the server for %d released inventories (%s)", rep.Tax.FromAPI, rep.Tax.InventoriesFromAPI, taxLine)
	case rep.Tax.ReceiptsWithTax > 0:
		taxLine = fmt.Sprintf("%s CNY from %d receipts (%s)", rep.Tax.FromReceipts, rep.Tax.ReceiptsWithTax, taxLine)
	}
	fmt.Fprintf(w, "  total tax                    %s\n", taxLine)
	f := rep.InventoryToFinalReceipt
	fmt.Fprintf(w, "  inventory → final receipt    p50 %.0f ms, p99 %.0f ms (%d inventories)\n", f.P50, f.P99, f.Count)
	fmt.Fprintf(w, "  throughput                   %.1f complete declarations/s\n", rep.DeclarationsPerSecond)
	if rep.ErrorsTotal > 0 {
		fmt.Fprintf(w, "\n  errors by kind:\n")
		for _, k := range sortedErrorKinds(rep.Errors) {
			fmt.Fprintf(w, "    %6d  %s\n", rep.Errors[k], k)
		}
	}
}

func sortedErrorKinds(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}
