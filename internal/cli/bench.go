package cli

import (
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/cbec-platform/cbec/internal/ceiling"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/loadgen"
	"github.com/cbec-platform/cbec/internal/xmlsig"
)

// benchCmd drives a running server with generated traffic and reports
// throughput and latency (docs/bench.md).
type benchCmd struct {
	Server       []string       `help:"URL of the running cbec server; several nodes of one deployment (one database) as a comma-separated list or by repeating the flag: setup goes through the first, the senders are spread over all (default http://127.0.0.1:8080)." env:"CBEC_SERVER" default:"http://127.0.0.1:8080" placeholder:"URL"`
	AdminToken   string         `help:"Administrator token of the (first) server; the run registers its own enterprises with it (required)." env:"CBEC_ADMIN_TOKEN" required:"" placeholder:"TOKEN"`
	Format       string         `help:"Document format: xml (CEB XML to POST /api/v1/ceb, contract §3) or json (the platform's POST /api/v1/documents/{type}, unsigned: needs a server with signature policy optional or none) (default xml)." enum:"xml,json" default:"xml"`
	Concurrency  int            `help:"Parallel senders (default 8)." default:"8" env:"CBEC_BENCH_CONCURRENCY"`
	Rate         float64        `help:"Declarations per second to offer; 0 sends as fast as the server answers (default 0)." default:"0" env:"CBEC_BENCH_RATE"`
	Duration     time.Duration  `help:"How long to send (default 30s)." default:"30s" env:"CBEC_BENCH_DURATION"`
	Drain        time.Duration  `help:"After sending, how long to wait at most for outstanding final receipts (default 30s)." default:"30s"`
	Declarations int            `help:"Stop after this many declarations even before --duration; 0 for no limit (default 0)." default:"0"`
	Mix          string         `help:"Traffic shape as NAME=SHARE pairs: bonded (1210 share), batch (share of 100-document messages), bad (share of deliberately bad declarations) (default bonded=0.3,batch=0.05,bad=0.05)." default:"bonded=0.3,batch=0.05,bad=0.05"`
	Buyers       int            `help:"Distinct buyers to draw from; 0 gives every declaration its own buyer (default 0)." default:"0"`
	Seed         uint64         `help:"Seed of the generator; the same seed gives the same documents. 0 picks one and prints it (default 0)." default:"0"`
	Algorithm    string         `help:"Signature algorithm of the generated enterprises' certificates: sm2 or rsa (default sm2)." enum:"sm2,rsa" default:"sm2"`
	SignAll      bool           `help:"Sign orders, payments and waybills too, not only inventories (default false)."`
	Pregen       int            `help:"Declarations to build and sign before the clock starts; 0 picks rate × duration, at most 5000 (default 0)." default:"0"`
	JSON         bool           `name:"json" help:"Print the report as JSON instead of text."`
	Ceiling      bool           `help:"Drive the ceiling with the same traffic (seed, concurrency, rate, duration, mix), taking turns with --server in slices of --ceiling-slice: this process's own copy of the platform's HTTP stack with storage switched off, on the default settings or those of --config. The report adds the ceiling's rate and the ratio of the two (docs/performance.md, The ceiling)."`
	CeilingSlice *time.Duration `name:"ceiling-slice" help:"With --ceiling (refused without it), the length of each turn: the ceiling sends for this long, then --server, and so on until each has sent for --duration, so that both see the machine in the same state; each turn ends with the final receipts of what it sent (default 5s)."`
}

func (c *benchCmd) Run(e *env) error {
	mix, err := loadgen.ParseMix(c.Mix, loadgen.Mix{})
	if err != nil {
		return err
	}
	mix.Buyers = c.Buyers
	seed := pickSeed(c.Seed, e.stderr)
	if len(c.Server) == 0 {
		return fmt.Errorf("bench: --server: give at least one URL")
	}
	cfg := loadgen.Config{
		Server: c.Server[0], Peers: c.Server[1:], AdminToken: c.AdminToken, Seed: seed, Format: c.Format,
		Concurrency: c.Concurrency, Rate: c.Rate, Duration: c.Duration, Drain: c.Drain,
		Declarations: c.Declarations, Mix: mix, Algorithm: algorithm(c.Algorithm), SignAll: c.SignAll, Pregen: c.Pregen,
		Progress: func(p loadgen.Progress) { fmt.Fprintln(e.stderr, p.Line()) },
		Warn:     func(s string) { fmt.Fprintln(e.stderr, "warning:", s) },
	}
	slice := 5 * time.Second
	if c.CeilingSlice != nil {
		if !c.Ceiling {
			return fmt.Errorf("bench: --ceiling-slice: only with --ceiling, whose turns it sets")
		}
		slice = *c.CeilingSlice
	}
	var rep *loadgen.Report
	if c.Ceiling {
		if rep, err = runCeiling(e, cfg, slice); err != nil {
			return err
		}
	} else if rep, err = loadgen.Run(e.ctx, cfg); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if c.JSON {
		return rep.WriteJSON(e.stdout)
	}
	return rep.WriteText(e.stdout)
}

// runCeiling runs cfg's traffic against a ceiling started in this process
// (package ceiling) and against the server, taking turns in slices so that
// both see the machine in the same state, and returns the server's report
// with the ceiling's and the turns of both. The ceiling runs from before its
// first slice to after its last: its start is paid once, and between its
// slices it is idle.
func runCeiling(e *env, cfg loadgen.Config, slice time.Duration) (rep *loadgen.Report, err error) {
	if slice <= 0 {
		return nil, fmt.Errorf("bench: --ceiling-slice %v: must be above 0", slice)
	}
	if cfg.Duration <= 0 {
		return nil, fmt.Errorf("bench: --ceiling takes turns in slices of --duration: give a duration above 0")
	}
	pcfg, err := e.load(func(c *config.Config) { c.LogLevel = "error" })
	if err != nil {
		return nil, err
	}
	srv, err := ceiling.Start(pcfg, e.logger(pcfg))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer func() {
		if serr := srv.Stop(); serr != nil && err == nil {
			err = fmt.Errorf("bench: ceiling: %w", serr)
		}
	}()
	ccfg := cfg
	ccfg.Server, ccfg.Peers, ccfg.AdminToken, ccfg.Name = srv.URL, nil, srv.AdminToken, "ceiling"
	ccfg.Progress = func(p loadgen.Progress) { fmt.Fprintln(e.stderr, "ceiling", p.Line()) }
	cfg.Progress = func(p loadgen.Progress) { fmt.Fprintln(e.stderr, "server ", p.Line()) }
	cfg.Name = "server" // the side in the turns, as in the progress lines
	reps, turns, err := loadgen.Alternate(e.ctx, slice, ccfg, cfg)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	reps[1].WithCeiling(reps[0])
	reps[1].Turns = turns
	return reps[1], nil
}

// pickSeed returns seed, or a fresh one (announced on w, so the run can be
// repeated) when seed is 0.
func pickSeed(seed uint64, w io.Writer) uint64 {
	if seed != 0 {
		return seed
	}
	var b [8]byte
	_, _ = crand.Read(b[:]) // crypto/rand.Read never fails
	seed = binary.LittleEndian.Uint64(b[:])>>1 | 1
	fmt.Fprintf(w, "seed %d (repeat the same documents with --seed %d)\n", seed, seed)
	return seed
}

func algorithm(name string) xmlsig.Algorithm {
	if name == "rsa" {
		return xmlsig.RSASHA1
	}
	return xmlsig.SM2SM3
}
