package cli

import (
	"net/http"
	_ "net/http/pprof" // profiles on --debug-addr only
	"os"
	"runtime/debug"

	"github.com/cbec-platform/cbec/internal/app"
	"github.com/cbec-platform/cbec/internal/config"
)

type serveCmd struct {
	Addr            *string `help:"Address to listen on (default ${setting_addr})." env:"CBEC_ADDR" placeholder:"HOST:PORT"`
	SignaturePolicy *string `help:"Message signatures: none ignores them, optional verifies those present, required also refuses CEB621/623/625/711 without one (default ${setting_signature_policy})." env:"CBEC_SIGNATURE_POLICY" placeholder:"POLICY"`
	OTLPEndpoint    *string `help:"Send OpenTelemetry traces over OTLP/HTTP to this collector, e.g. http://127.0.0.1:4318 (default: none, tracing off)." env:"CBEC_OTLP_ENDPOINT" placeholder:"URL"`
	DebugAddr       string  `help:"Serve Go profiles (net/http/pprof) on this separate address, e.g. 127.0.0.1:6060 (default: off). Never expose it publicly." env:"CBEC_DEBUG_ADDR" placeholder:"HOST:PORT"`
	dbFlags
	logFlags
}

func (c *serveCmd) Run(e *env) error {
	cfg, err := e.load(func(cfg *config.Config) {
		set(&cfg.Addr, c.Addr)
		set(&cfg.SignaturePolicy, c.SignaturePolicy) // checked with the rest by config.Validate
		set(&cfg.OTLPEndpoint, c.OTLPEndpoint)
		c.dbFlags.apply(cfg)
		c.logFlags.apply(cfg)
	})
	if err != nil {
		return err
	}
	log := e.logger(cfg)
	tuneGC()
	a, err := app.OpenServer(e.ctx, cfg, log, e.stdout)
	if err != nil {
		return err
	}
	defer a.Close()
	if c.DebugAddr != "" {
		go func() {
			// pprof registers on the default mux, which nothing else uses.
			if err := http.ListenAndServe(c.DebugAddr, nil); err != nil {
				log.Error("debug listener stopped", "addr", c.DebugAddr, "error", err)
			}
		}()
	}
	return a.Serve(e.ctx)
}

// Garbage collection defaults of the server, unless the operator set Go's
// own GOGC or GOMEMLIMIT. Under load the collector took about a tenth of the
// server's CPU at Go's default of 100; at 200 the heap may grow to three
// times the live data between collections and clearance ran about 10 %
// faster (docs/performance.md), and the soft limit makes the collector work
// harder before the process grows past it.
const (
	gcPercent = 200
	gcLimit   = 384 << 20
)

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcLimit)
	}
}
