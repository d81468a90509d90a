package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/loadgen"
)

// `cbec bench --ceiling` drives the ceiling harness and then a real server
// with the same traffic, and reports both rates and their ratio.
func TestBenchCeiling(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end bench skipped in -short mode")
	}
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		srv := apptest.Start(t, engine)
		code, out, errOut := run(t, "bench", "--ceiling", "--server", srv.URL, "--admin-token", apptest.AdminToken,
			"--seed", "7", "--concurrency", "2", "--rate", "40", "--duration", "1s", "--drain", "15s",
			"--mix", "bonded=0.3,batch=0.1,bad=0.1", "--json")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		if !strings.Contains(errOut, "ceiling [") {
			t.Errorf("no progress of the ceiling run on standard error:\n%s", errOut)
		}
		var rep loadgen.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		c := rep.Ceiling
		if c == nil {
			t.Fatalf("no ceiling in the report:\n%s", out)
		}
		t.Logf("server %.1f/s, ceiling %.1f/s, ratio %.2f", rep.DeclarationsPerSecond, c.DeclarationsPerSecond, rep.CeilingRatio)
		if rep.DeclarationsPerSecond <= 0 || c.DeclarationsPerSecond <= 0 || rep.CeilingRatio <= 0 {
			t.Errorf("rates %v and %v, ratio %v: want all above 0", rep.DeclarationsPerSecond, c.DeclarationsPerSecond, rep.CeilingRatio)
		}
		if c.Server == rep.Server || c.Seed != rep.Seed || c.Concurrency != rep.Concurrency {
			t.Errorf("ceiling ran %s seed %d concurrency %d; the server run %s seed %d concurrency %d",
				c.Server, c.Seed, c.Concurrency, rep.Server, rep.Seed, rep.Concurrency)
		}
		// Storage off, every sent declaration completes and nothing is refused.
		if d := c.Declarations; d.Sent == 0 || d.Final != d.Sent || c.ErrorsTotal != 0 {
			t.Errorf("ceiling: %+v, errors %v %v", d, c.Errors, c.ErrorExamples)
		}
		var text strings.Builder
		if err := rep.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text.String(), "Against the ceiling:") {
			t.Errorf("the text report lacks the ratio:\n%s", text.String())
		}
	})
}
