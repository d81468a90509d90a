package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/money"
)

// Report is the outcome of a run. The JSON names are stable: scripts and CI
// read them (docs/bench.md explains each).
type Report struct {
	Server          string  `json:"server"`
	RunID           string  `json:"runId"`
	Seed            uint64  `json:"seed"`
	Format          string  `json:"format"`
	Concurrency     int     `json:"concurrency"`
	Rate            float64 `json:"rate"`
	DurationSeconds float64 `json:"durationSeconds"`
	Mix             Mix     `json:"mix"`
	StartedAt       string  `json:"startedAt"`
	SendSeconds     float64 `json:"sendSeconds"` // start → last message sent
	RunSeconds      float64 `json:"runSeconds"`  // start → last final receipt

	Declarations          DeclarationCounts `json:"declarations"`
	DeclarationsPerSecond float64           `json:"declarationsPerSecond"`
	SentPerSecond         float64           `json:"sentDeclarationsPerSecond"`

	// Pregen declarations were built and signed before the clock started;
	// GeneratorWaitShare is the share of the senders' time in the sending
	// phase spent waiting for the generator to build more. Well above 0, the
	// run measured the generator rather than the server.
	Pregen             int     `json:"pregen"`
	GeneratorWaitShare float64 `json:"generatorWaitShare"`
	// Ceiling is the run of the same traffic against the ceiling harness
	// (`cbec bench --ceiling`, docs/performance.md "The ceiling"), and
	// CeilingRatio this run's DeclarationsPerSecond over the ceiling's.
	Ceiling      *Report `json:"ceiling,omitempty"`
	CeilingRatio float64 `json:"ceilingRatio,omitempty"`
	// A run in slices (Alternate: `cbec bench --ceiling`) took turns with
	// another target in slices of SliceSeconds; Slices is how many this run
	// had. Its times and rates are sums over those slices alone.
	SliceSeconds float64 `json:"sliceSeconds,omitempty"`
	Slices       int     `json:"slices,omitempty"`
	// Turns are the slices of every target of the run in slices in the
	// order they ran (Alternate); `cbec bench --ceiling` puts them in the
	// server's report, not in its Ceiling.
	Turns []Turn `json:"turns,omitempty"`

	HTTPRoundTrip                map[string]Summary `json:"httpRoundTrip"`
	InventoryToFirstReceipt      Summary            `json:"inventoryToFirstReceipt"`
	InventoryToFinalReceipt      Summary            `json:"inventoryToFinalReceipt"`
	InventoryToFinalReceiptP99Ms float64            `json:"inventoryToFinalReceiptP99Ms"`

	FinalStatuses    map[string]int            `json:"finalStatuses"`
	RejectionReasons map[string]int            `json:"rejectionReasons"`
	BadDocuments     map[string]map[string]int `json:"badDocuments"`
	ValidRejected    int                       `json:"validRejected"`
	// AnnualLimitReached counts frequent buyers' declarations refused at
	// their annual limit (1313): the traffic asks for them, so they are no
	// fault and not in ValidRejected.
	AnnualLimitReached int               `json:"annualLimitReached"`
	BadReleased        int               `json:"badReleased"`
	Errors             map[string]int    `json:"errors"`
	ErrorsTotal        int               `json:"errorsTotal"`
	ErrorExamples      map[string]string `json:"errorExamples,omitempty"` // the first answer of each kind of refused message
	// ReceiptsMissedByFeed counts final receipts the feed's after=SEQ paging
	// skipped and a full re-read found: a server-side ordering problem.
	ReceiptsMissedByFeed int `json:"receiptsMissedByFeed"`

	Tax TaxSummary `json:"tax"`

	// Over several servers: CPU summed over the nodes, RSS the largest
	// node's, the window the longest; Nodes has each node's own.
	ServerCPUSeconds   float64 `json:"serverCpuSeconds"`
	ServerMaxRssBytes  int64   `json:"serverMaxRssBytes"`
	ServerMetricsNote  string  `json:"serverMetricsNote,omitempty"`
	ServerSampleWindow float64 `json:"serverSampleSeconds"`

	Nodes []NodeReport `json:"nodes,omitempty"` // only for a run over several servers
}

// NodeReport is one server's share of a run over several.
type NodeReport struct {
	Server        string  `json:"server"`
	Messages      int64   `json:"messages"` // CEB messages posted to it
	Requests      int64   `json:"requests"` // every HTTP request, setup, feed polls and metrics included
	CPUSeconds    float64 `json:"cpuSeconds"`
	MaxRssBytes   int64   `json:"maxRssBytes"`
	SampleSeconds float64 `json:"sampleSeconds"`
	MetricsNote   string  `json:"metricsNote,omitempty"`
}

// DeclarationCounts follow declarations through the run.
type DeclarationCounts struct {
	Prepared    int `json:"prepared"`      // built and signed
	Sent        int `json:"sent"`          // inventory posted
	Final       int `json:"final"`         // inventory reached a final status: complete
	Outstanding int `json:"outstanding"`   // no final receipt by the end of the drain
	Aborted     int `json:"aborted"`       // order, payment or waybill refused: inventory not sent
	Refused     int `json:"refused"`       // inventory message refused (HTTP error)
	Resent      int `json:"resentOrders"`  // order messages sent twice with the same guid
	Changed     int `json:"changedOrders"` // orders followed by an appType 2 change
}

// TaxSummary is the tax of released inventories.
type TaxSummary struct {
	Released           int    `json:"releasedInventories"`
	DeclaredOnReleased string `json:"declaredOnReleased"` // Σ order taxTotal of released inventories
	FromReceipts       string `json:"fromReceipts"`       // Σ tax amounts found in their receipts
	ReceiptsWithTax    int    `json:"receiptsWithTax"`
	FromAPI            string `json:"fromApi,omitempty"`            // Σ taxTotal of GET /api/v1/inventories/{copNo} (demo)
	InventoriesFromAPI int    `json:"inventoriesFromApi,omitempty"` // how many inventories that sum covers
}

// outcome names a final status for the report: the status, and for a
// rejection or processing error its reason code.
func outcome(status, info string) string {
	if status == "100" || strings.HasPrefix(status, "-") {
		if code := ReasonCode(info); code != "" {
			return status + " Code:" + code
		}
	}
	return status
}

// annualLimitCode is the refusal of a buyer over the annual limit (docs/reasons.md).
const annualLimitCode = "1313"

func released(status string) bool { return status == "800" || status == "899" }

func rejected(status string) bool { return status == "100" || strings.HasPrefix(status, "-") }

func (r *runner) report() *Report {
	rep := &Report{
		Server: r.c.Base(), RunID: r.cfg.RunID, Seed: r.cfg.Seed, Format: r.cfg.Format,
		Concurrency: r.cfg.Concurrency, Rate: r.cfg.Rate, DurationSeconds: r.cfg.Duration.Seconds(), Mix: r.cfg.Mix, Pregen: r.cfg.Pregen,
		StartedAt:     r.start.UTC().Format(time.RFC3339),
		SendSeconds:   r.sendTime.Seconds(),
		RunSeconds:    r.runTime.Seconds(),
		HTTPRoundTrip: map[string]Summary{}, FinalStatuses: map[string]int{}, RejectionReasons: map[string]int{},
		BadDocuments: map[string]map[string]int{},
	}
	for t, rec := range r.latency {
		rep.HTTPRoundTrip[t] = rec.Summary()
	}
	rep.InventoryToFirstReceipt = r.tr.first.Summary()
	rep.InventoryToFinalReceipt = r.tr.toFinal.Summary()
	rep.InventoryToFinalReceiptP99Ms = rep.InventoryToFinalReceipt.P99

	var declared, fromReceipts money.Amount
	errs := r.errs.Map()
	r.tr.each(func(inv *inventory) {
		if inv.final.IsZero() {
			rep.Declarations.Outstanding++
			return
		}
		rep.Declarations.Final++
		o := outcome(inv.status, inv.info)
		rep.FinalStatuses[inv.status]++
		if rejected(inv.status) {
			rep.RejectionReasons[o]++
			errs["receipt "+o]++
		}
		if bad := inv.decl.Bad; bad != Valid {
			if rep.BadDocuments[string(bad)] == nil {
				rep.BadDocuments[string(bad)] = map[string]int{}
			}
			rep.BadDocuments[string(bad)][o]++
			if released(inv.status) {
				rep.BadReleased++
			}
		} else if rejected(inv.status) {
			if inv.decl.Frequent && ReasonCode(inv.info) == annualLimitCode {
				rep.AnnualLimitReached++
			} else {
				rep.ValidRejected++
			}
		}
		if released(inv.status) {
			rep.Tax.Released++
			declared = mustAdd(declared, inv.decl.TaxTotal)
			if a, err := money.ParseAmount(inv.tax); err == nil && inv.tax != "" {
				fromReceipts = mustAdd(fromReceipts, a)
				rep.Tax.ReceiptsWithTax++
			}
		}
	})
	rep.Tax.DeclaredOnReleased, rep.Tax.FromReceipts = declared.String(), fromReceipts.String()
	r.tr.mu.Lock()
	rep.ReceiptsMissedByFeed = r.tr.missed
	r.tr.mu.Unlock()
	if rep.ReceiptsMissedByFeed > 0 {
		errs["receipts feed: final receipts skipped by after=SEQ paging, found on a full re-read"] = rep.ReceiptsMissedByFeed
	}
	rep.Errors = errs
	if ex := r.errs.Examples(); len(ex) > 0 {
		rep.ErrorExamples = ex
	}
	for _, n := range errs {
		rep.ErrorsTotal += n
	}
	rep.Declarations.Prepared = int(r.prepared.Load())
	rep.Declarations.Sent = int(r.sent.Load())
	rep.Declarations.Aborted = int(r.aborted.Load())
	rep.Declarations.Refused = int(r.refused.Load())
	rep.Declarations.Resent = int(r.resent.Load())
	rep.Declarations.Changed = int(r.changed.Load())

	if rep.RunSeconds > 0 {
		// Receipts found only by the re-read have no known time: not counted.
		rep.DeclarationsPerSecond = float64(rep.Declarations.Final-rep.ReceiptsMissedByFeed) / rep.RunSeconds
	}
	if rep.SendSeconds > 0 {
		rep.SentPerSecond = float64(rep.Declarations.Sent) / rep.SendSeconds
		rep.GeneratorWaitShare = time.Duration(r.starved.Load()).Seconds() / (rep.SendSeconds * float64(r.cfg.Concurrency))
	}

	r.serverFigures(rep)
	return rep
}

// serverFigures fills in what the nodes' /metrics said: for one server as
// ever, for several the sums and maxima and each node's own figures.
func (r *runner) serverFigures(rep *Report) {
	var missing []string
	sampled := 0
	for _, n := range r.nodes {
		s := n.smp.result()
		nr := NodeReport{Server: n.c.Base(), Messages: n.messages.Load(), Requests: n.c.requests.Load()}
		if s.ok {
			nr.CPUSeconds, nr.MaxRssBytes, nr.SampleSeconds = s.cpu, s.rssMax, s.seconds
			rep.ServerCPUSeconds += nr.CPUSeconds
			rep.ServerMaxRssBytes = max(rep.ServerMaxRssBytes, nr.MaxRssBytes)
			rep.ServerSampleWindow = max(rep.ServerSampleWindow, nr.SampleSeconds)
			sampled++
		} else {
			nr.MetricsNote = "server metrics unavailable: " + s.unavailableReasons
			missing = append(missing, n.c.Base()+": "+s.unavailableReasons)
		}
		if len(r.nodes) > 1 {
			rep.Nodes = append(rep.Nodes, nr)
		}
	}
	switch {
	case len(missing) == 0:
	case len(r.nodes) == 1:
		rep.ServerMetricsNote = "server metrics unavailable: " + r.nodes[0].smp.result().unavailableReasons
	default:
		// Sums over only some nodes would understate the load: say which are missing.
		rep.ServerMetricsNote = fmt.Sprintf("metrics of %d of %d servers unavailable (%s); the totals cover the others",
			len(missing), len(r.nodes), strings.Join(missing, "; "))
		if sampled == 0 {
			rep.ServerMetricsNote = "server metrics unavailable: " + strings.Join(missing, "; ")
		}
	}
}

// generatorBound is the share of time waiting for the generator above which
// the report says the run measured the generator.
const generatorBound = 0.05

// WithCeiling adds the ceiling's run of the same traffic and the ratio of
// this run's complete declarations per second to the ceiling's.
func (rep *Report) WithCeiling(c *Report) {
	rep.Ceiling = c
	if c.DeclarationsPerSecond > 0 {
		rep.CeilingRatio = rep.DeclarationsPerSecond / c.DeclarationsPerSecond
	}
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// WriteText writes the report for people.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	d := rep.Declarations
	fmt.Fprintf(&b, "cbec bench against %s (run %s, seed %d, %s, concurrency %d, rate %s)\n",
		rep.Server, rep.RunID, rep.Seed, rep.Format, rep.Concurrency, rateText(rep.Rate))
	fmt.Fprintf(&b, "\nDeclarations: %d sent in %.1f s (%.1f/s), %d complete, %d outstanding, %d aborted, %d refused\n",
		d.Sent, rep.SendSeconds, rep.SentPerSecond, d.Final, d.Outstanding, d.Aborted, d.Refused)
	fmt.Fprintf(&b, "Complete declarations per second: %.1f (all four documents through to the final receipt, over %.1f s)\n",
		rep.DeclarationsPerSecond, rep.RunSeconds)
	if c := rep.Ceiling; c != nil {
		fmt.Fprintf(&b, "Ceiling (the same traffic against this process's HTTP stack with storage switched off): %.1f complete/s (%d sent, %d complete, %d errors, inventory p99 %.1f ms)\n",
			c.DeclarationsPerSecond, c.Declarations.Sent, c.Declarations.Final, c.ErrorsTotal, c.HTTPRoundTrip[TypeInventory].P99)
		fmt.Fprintf(&b, "Against the ceiling: %.0f %% (%.1f / %.1f)\n", 100*rep.CeilingRatio, rep.DeclarationsPerSecond, c.DeclarationsPerSecond)
		if rep.Slices > 0 {
			fmt.Fprintf(&b, "  taking turns in slices of %s: %d for the server (%.1f s to the last final receipt), %d for the ceiling (%.1f s)\n",
				time.Duration(rep.SliceSeconds*float64(time.Second)), rep.Slices, rep.RunSeconds, c.Slices, c.RunSeconds)
		}
		if c.GeneratorWaitShare >= generatorBound {
			fmt.Fprintf(&b, "  note: the ceiling's senders waited for the generator %.0f %% of the time: the ceiling measured how fast the generator builds, so its rate is a lower bound and the ratio an upper one (docs/bench.md)\n",
				100*c.GeneratorWaitShare)
		}
	}

	if rep.GeneratorWaitShare >= generatorBound {
		fmt.Fprintf(&b, "The senders waited for the generator %.0f %% of the time: the rate above is partly how fast this machine builds and signs declarations (--pregen)\n",
			100*rep.GeneratorWaitShare)
	}
	fmt.Fprintf(&b, "\nLatency (ms)                          count      p50      p90      p99      max\n")
	for _, t := range []string{TypeOrder, TypePayment, TypeWaybill, TypeInventory} {
		writeSummary(&b, "HTTP "+t, rep.HTTPRoundTrip[t])
	}
	writeSummary(&b, "inventory → first receipt", rep.InventoryToFirstReceipt)
	writeSummary(&b, "inventory → final receipt", rep.InventoryToFinalReceipt)

	fmt.Fprintf(&b, "\nFinal statuses:")
	for _, k := range sortedKeys(rep.FinalStatuses) {
		fmt.Fprintf(&b, "  %s×%d", k, rep.FinalStatuses[k])
	}
	fmt.Fprintln(&b)
	if len(rep.BadDocuments) > 0 {
		fmt.Fprintf(&b, "Bad documents (kind → outcome):\n")
		for _, k := range BadKinds {
			m := rep.BadDocuments[string(k)]
			if m == nil {
				continue
			}
			fmt.Fprintf(&b, "  %-18s", k)
			for _, o := range sortedKeys(m) {
				fmt.Fprintf(&b, "  %s×%d", o, m[o])
			}
			fmt.Fprintln(&b)
		}
	}
	fmt.Fprintf(&b, "Valid declarations rejected: %d; bad declarations released: %d\n", rep.ValidRejected, rep.BadReleased)
	if rep.AnnualLimitReached > 0 {
		fmt.Fprintf(&b, "Frequent buyers stopped by their annual limit (1313, expected: the traffic is built to reach it): %d\n", rep.AnnualLimitReached)
	}
	if rep.ReceiptsMissedByFeed > 0 {
		fmt.Fprintf(&b, "WARNING: %d final receipts were skipped by the feed's after=SEQ paging (receipts became visible out of sequence order) and found only on a full re-read; their latencies are not counted\n", rep.ReceiptsMissedByFeed)
	}
	fmt.Fprintf(&b, "\nErrors by kind (%d):\n", rep.ErrorsTotal)
	for _, k := range sortedKeys(rep.Errors) {
		fmt.Fprintf(&b, "  %6d  %s\n", rep.Errors[k], k)
		if ex := rep.ErrorExamples[k]; ex != "" {
			fmt.Fprintf(&b, "          first: %s\n", ex)
		}
	}
	switch {
	case len(rep.Nodes) > 0:
		writeNodes(&b, rep)
	case rep.ServerMetricsNote != "":
		fmt.Fprintf(&b, "\nServer: %s\n", rep.ServerMetricsNote)
	default:
		fmt.Fprintf(&b, "\nServer: %.2f CPU seconds over %.1f s sampled (%.0f %% of one core), max RSS %.1f MiB\n",
			rep.ServerCPUSeconds, rep.ServerSampleWindow, 100*rep.ServerCPUSeconds/max(rep.ServerSampleWindow, 1e-9),
			float64(rep.ServerMaxRssBytes)/(1<<20))
	}
	writeTurns(&b, rep.Turns)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeNodes writes each server's share of a run over several.
func writeNodes(b *strings.Builder, rep *Report) {
	fmt.Fprintf(b, "\nServers                                  messages  requests  CPU s  %% of a core  max RSS MiB\n")
	for _, n := range rep.Nodes {
		if n.MetricsNote != "" {
			fmt.Fprintf(b, "  %-38s %8d  %8d  %s\n", n.Server, n.Messages, n.Requests, n.MetricsNote)
			continue
		}
		fmt.Fprintf(b, "  %-38s %8d  %8d  %5.1f  %11.0f  %11.1f\n", n.Server, n.Messages, n.Requests, n.CPUSeconds,
			100*n.CPUSeconds/max(n.SampleSeconds, 1e-9), float64(n.MaxRssBytes)/(1<<20))
	}
	if rep.ServerMetricsNote != "" {
		fmt.Fprintf(b, "  %s\n", rep.ServerMetricsNote)
	}
	if rep.ServerSampleWindow > 0 {
		fmt.Fprintf(b, "  all servers: %.2f CPU seconds over %.1f s (%.0f %% of one core), largest RSS %.1f MiB\n",
			rep.ServerCPUSeconds, rep.ServerSampleWindow, 100*rep.ServerCPUSeconds/rep.ServerSampleWindow,
			float64(rep.ServerMaxRssBytes)/(1<<20))
	}
}

// writeTurns lists a run's slices in the order they ran, after the rest of
// the report: a long run has hundreds.
func writeTurns(b *strings.Builder, turns []Turn) {
	if len(turns) == 0 {
		return
	}
	fmt.Fprintf(b, "\nTurns (sending: start → end of sending; in all: start → last final receipt)\n")
	for _, t := range turns {
		fmt.Fprintf(b, "  %-8s %4d  from %s  %6d sent in %.3f s  %6d final  %.3f s in all\n", t.Side, t.Slice,
			t.StartedAt.Format("2006-01-02T15:04:05.000Z07:00"), t.Sent, t.SendingEndedAt.Sub(t.StartedAt).Seconds(),
			t.Final, t.EndedAt.Sub(t.StartedAt).Seconds())
	}
}

func writeSummary(b *strings.Builder, name string, s Summary) {
	fmt.Fprintf(b, "  %-34s %7d %8.1f %8.1f %8.1f %8.1f\n", name, s.Count, s.P50, s.P90, s.P99, s.Max)
}

func rateText(r float64) string {
	if r <= 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%g/s", r)
}
