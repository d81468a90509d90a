package cli

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

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
		if !strings.Contains(errOut, "ceiling slice 1/1 [") {
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
		if err := loadgen.CheckTurns(rep.Turns, []*loadgen.Report{c, &rep}); err != nil || len(rep.Turns) != 2 {
			t.Errorf("turns %+v: want the ceiling's slice and the server's: %v", rep.Turns, err)
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

// `cbec bench --ceiling` takes turns: the ceiling's first slice, the
// server's, the ceiling's second, the server's; each side's report is its
// own slices summed, and the ratio is the quotient of those rates. The
// report's turns say so without a stopwatch: they alternate, none overlaps
// the next, and each side's add up to its sending time and its counts.
func TestBenchCeilingTakesTurns(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end bench skipped in -short mode")
	}
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		srv := apptest.Start(t, engine)
		code, out, errOut := run(t, "bench", "--ceiling", "--ceiling-slice", "1s", "--server", srv.URL, "--admin-token", apptest.AdminToken,
			"--seed", "8", "--concurrency", "4", "--rate", "20", "--duration", "2s", "--drain", "15s",
			"--mix", "bonded=0.3,bad=0.1", "--json")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		var rep loadgen.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		c := rep.Ceiling
		if c == nil {
			t.Fatalf("no ceiling in the report:\n%s", out)
		}

		// Each slice ends with progress lines of its drain, the last one
		// after its last final receipt: the sides' slices in turn, the
		// counts going on from one slice to the next.
		line := regexp.MustCompile(`(?m)^(ceiling|server ) slice (\d)/2 \[ *\d+s\] draining +sent (\d+) · final (\d+)`)
		type turn struct {
			side        string
			slice, sent int
		}
		var turns []turn
		for _, m := range line.FindAllStringSubmatch(errOut, -1) {
			n, _ := strconv.Atoi(m[2])
			sent, _ := strconv.Atoi(m[3])
			tu := turn{strings.TrimSpace(m[1]), n, sent}
			if k := len(turns) - 1; k >= 0 && turns[k].side == tu.side && turns[k].slice == tu.slice {
				turns[k] = tu
				continue
			}
			turns = append(turns, tu)
		}
		want := []turn{{"ceiling", 1, 0}, {"server", 1, 0}, {"ceiling", 2, 0}, {"server", 2, 0}}
		if len(turns) != len(want) {
			t.Fatalf("turns %+v, want the ceiling's and the server's slices in turn:\n%s", turns, errOut)
		}
		for i, w := range want {
			if turns[i].side != w.side || turns[i].slice != w.slice {
				t.Errorf("turn %d: %+v, want %s slice %d", i, turns[i], w.side, w.slice)
			}
		}
		sides := []*loadgen.Report{c, &rep}
		if err := loadgen.CheckTurns(rep.Turns, sides); err != nil {
			t.Errorf("the report's turns are not the sides' slices:\n%v", err)
		}
		if len(rep.Turns) != len(want) {
			t.Fatalf("the report has %d turns, want %d: %+v", len(rep.Turns), len(want), rep.Turns)
		}
		sentSoFar := map[string]int{}
		for i, tu := range rep.Turns {
			t.Logf("%s %d: %s → %s → %s, sent %d, final %d", tu.Side, tu.Slice, tu.StartedAt.Format(time.RFC3339Nano),
				tu.SendingEndedAt.Format(time.RFC3339Nano), tu.EndedAt.Format(time.RFC3339Nano), tu.Sent, tu.Final)
			// The progress line that closed the slice counted what the
			// side had sent so far.
			sentSoFar[tu.Side] += tu.Sent
			if tu.Side != want[i].side || tu.Slice != want[i].slice || sentSoFar[tu.Side] != turns[i].sent {
				t.Errorf("turn %d: %s slice %d, %d sent so far; the progress lines say %s slice %d, %d sent",
					i+1, tu.Side, tu.Slice, sentSoFar[tu.Side], turns[i].side, turns[i].slice, turns[i].sent)
			}
			// At a fixed rate a slice sends until its second is over.
			if s := tu.SendingEndedAt.Sub(tu.StartedAt); s < time.Second {
				t.Errorf("turn %d: %s slice %d sent for %v, less than its second", i+1, tu.Side, tu.Slice, s)
			}
		}
		for i, side := range sides {
			first, last := turns[i], turns[i+2]
			d := side.Declarations
			t.Logf("%s: %d slices of %v s, sent %d (%d in the first), final %d, %.2f s sending, %.2f s, %.1f/s",
				first.side, side.Slices, side.SliceSeconds, d.Sent, first.sent, d.Final, side.SendSeconds, side.RunSeconds, side.DeclarationsPerSecond)
			if first.sent == 0 || last.sent <= first.sent || d.Sent != last.sent {
				t.Errorf("%s: sent %d after its first slice, %d after its second, %d in the report: want both slices sending and counted",
					first.side, first.sent, last.sent, d.Sent)
			}
			if side.Slices != 2 || side.SliceSeconds != 1 {
				t.Errorf("%s: %d slices of %v s, want 2 of 1", first.side, side.Slices, side.SliceSeconds)
			}
			rate := float64(d.Final-side.ReceiptsMissedByFeed) / side.RunSeconds
			if d.Final == 0 || math.Abs(side.DeclarationsPerSecond-rate) > 1e-9*rate {
				t.Errorf("%s: %v complete/s, want %d complete over %v s", first.side, side.DeclarationsPerSecond, d.Final, side.RunSeconds)
			}
			if n := side.HTTPRoundTrip[loadgen.TypeInventory].Count; n != d.Sent {
				t.Errorf("%s: %d inventory round trips, want one per declaration sent in both slices (%d)", first.side, n, d.Sent)
			}
		}
		if d := c.Declarations; d.Final != d.Sent || d.Outstanding != 0 || c.ErrorsTotal != 0 {
			t.Errorf("ceiling: %+v, errors %v", d, c.Errors)
		}
		if want := rep.DeclarationsPerSecond / c.DeclarationsPerSecond; math.Abs(rep.CeilingRatio-want) > 1e-9*want {
			t.Errorf("ratio %v, want %v / %v", rep.CeilingRatio, rep.DeclarationsPerSecond, c.DeclarationsPerSecond)
		}
		var text strings.Builder
		if err := rep.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text.String(), "taking turns in slices of 1s: 2 for the server") {
			t.Errorf("the text report does not say the sides took turns:\n%s", text.String())
		}
		if turnLine := regexp.MustCompile(`(?m)^  (ceiling|server) +[12]  from 20\d\d-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d) +\d+ sent in \d+\.\d{3} s`); len(turnLine.FindAllString(text.String(), -1)) != 4 {
			t.Errorf("the text report does not list the 4 turns:\n%s", text.String())
		}
	})
}

// A flag that only means something with another is refused without it, so an
// operator never believes a setting took effect that was ignored.
func TestBenchCeilingSliceNeedsCeiling(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--ceiling-slice", "2s", "--server", "http://127.0.0.1:1", "--admin-token", "t", "--duration", "1s"},
		{"bench", "--ceiling", "--ceiling-slice", "0s", "--server", "http://127.0.0.1:1", "--admin-token", "t", "--duration", "1s"},
	} {
		code, _, errOut := run(t, args...)
		if code == 0 || !strings.Contains(errOut, "--ceiling-slice") {
			t.Errorf("%v: exit %d, stderr %q: want a refusal naming --ceiling-slice", args, code, errOut)
		}
	}
}
