package loadgen

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cbec-platform/cbec/client"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/xmlsig"
)

// ErrNoJSONAPI is returned for Format "json" when the server has no JSON
// submission API (POST /api/v1/documents/{type} answers 404): contract §3
// defines CEB XML only.
var ErrNoJSONAPI = errors.New("--format json: the server offers no JSON API for CEB documents (POST /api/v1/documents/{type} answers 404); use --format xml")

// Config is one run of the traffic generator.
type Config struct {
	Server string // setup goes through this server; it takes traffic too
	// Peers are further nodes of Server's deployment (one database). Each
	// sender and each receipt poller is bound to one node, round robin, as
	// a load balancer hands each keep-alive connection to one node.
	Peers        []string
	AdminToken   string
	Seed         uint64
	RunID        string // 5 characters in enterprise codes and document numbers; random when empty
	Format       string // "xml" (default) or "json"
	Concurrency  int    // parallel senders
	Rate         float64
	Duration     time.Duration // timed phase; 0 means until Declarations are sent
	Declarations int           // stop after this many declarations; 0 means no count limit
	Drain        time.Duration // how long to wait for outstanding final receipts after sending
	Mix          Mix
	Parties      PartyCounts
	Algorithm    xmlsig.Algorithm
	SignAll      bool // sign orders, payments and waybills too
	Pregen       int  // declarations built and signed before the clock starts; 0 picks a default
	PollInterval time.Duration
	FetchTax     bool           // after the run, read each released inventory's computed tax from the API
	Progress     func(Progress) // called about once a second; may be nil
	Name         string         // names the target in Alternate's errors and turns; Server when empty
	Warn         func(string)   // setup warnings; may be nil
}

// Progress is a live view of a run.
type Progress struct {
	Phase       string // "preparing", "sending", "draining"
	Elapsed     time.Duration
	Prepared    int // declarations built and signed
	Sent        int // declarations whose inventory was posted
	Final       int // inventories with a final receipt
	Outstanding int
	Errors      int
	Target      int // Config.Declarations
	// In a run in slices (Alternate): this slice's number, from 1, and the
	// slices planned; 0 otherwise. Elapsed and the counts cover all slices.
	Slice, Slices int
}

// maxPregen bounds what is held in memory before the clock starts (a single
// signed declaration is about 14 KB across its four messages).
const maxPregen = 5000

func (c Config) withDefaults() (Config, error) {
	if c.Format == "" {
		c.Format = "xml"
	}
	if c.Format != "xml" && c.Format != "json" {
		return c, fmt.Errorf("format %q: want xml or json", c.Format)
	}
	if c.Duration <= 0 && c.Declarations <= 0 {
		return c, errors.New("a run needs a duration or a number of declarations, or it would never end")
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	seen := map[string]bool{strings.TrimRight(c.Server, "/"): true}
	for _, p := range c.Peers {
		u := strings.TrimRight(p, "/")
		if seen[u] {
			// The same node twice would count its load and its CPU twice.
			return c, fmt.Errorf("server %q is given twice", p)
		}
		seen[u] = true
	}
	if n := 1 + len(c.Peers); c.Concurrency < n {
		return c, fmt.Errorf("concurrency %d: fewer senders than the %d servers would leave a server without traffic", c.Concurrency, n)
	}
	if c.Rate < 0 {
		return c, fmt.Errorf("rate %v: must not be negative", c.Rate)
	}
	for name, v := range map[string]float64{"bonded": c.Mix.Bonded, "batch": c.Mix.Batch, "bad": c.Mix.Bad,
		"resend": c.Mix.Resend, "modify": c.Mix.Modify, "heavy": c.Mix.Heavy} {
		if v < 0 || v > 1 {
			return c, fmt.Errorf("mix %s %v: want a share between 0 and 1", name, v)
		}
	}
	if c.Mix.BatchLen <= 0 || c.Mix.BatchLen > 100 {
		c.Mix.BatchLen = 100
	}
	if c.Drain <= 0 {
		c.Drain = 30 * time.Second
	}
	if c.RunID == "" {
		c.RunID = NewRunID()
	}
	if c.Parties == (PartyCounts{}) {
		c.Parties = DefaultParties
	}
	if c.Algorithm == "" {
		c.Algorithm = xmlsig.SM2SM3
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 50 * time.Millisecond
	}
	if c.Pregen <= 0 {
		switch {
		case c.Declarations > 0:
			c.Pregen = c.Declarations
		case c.Rate > 0:
			c.Pregen = int(c.Rate * c.Duration.Seconds())
		default:
			c.Pregen = 2000
		}
	}
	c.Pregen = min(c.Pregen, maxPregen)
	if c.Declarations > 0 {
		c.Pregen = min(c.Pregen, c.Declarations)
	}
	if c.Warn == nil {
		c.Warn = func(string) {}
	}
	return c, nil
}

// prepared is a batch with its messages built and signed.
type prepared struct {
	b    *Batch
	msgs *Messages
}

// node is one server a run drives.
type node struct {
	c        *Client
	smp      *sampler
	messages atomic.Int64 // CEB messages posted to it
}

// runner holds one run's state.
type runner struct {
	cfg     Config
	c       *Client // the first server: setup and the figures read back after the run
	nodes   []*node // every server, the first one first
	ps      *Parties
	gen     *Generator
	bl      *Builder
	tr      *tracker
	errs    Counter
	latency map[string]*Recorder // HTTP round trip by message type
	stock   chan struct{}        // one slot per built, unsent declaration

	// The generator: building runs only while the run prepares or sends
	// (gate), stops for good with stopGen, and reports a failure on buildErr.
	ready    chan *prepared
	gate     *gate
	stopGen  context.CancelFunc
	buildErr chan error
	built    chan struct{}
	failed   error
	feedSeq  []int64 // per agent, the last receipt seen in its feed: a later slice reads on from there

	prepared  atomic.Int64
	sent      atomic.Int64
	aborted   atomic.Int64   // declarations not completed because a document was refused
	refused   atomic.Int64   // declarations whose inventory message was refused
	resent    atomic.Int64   // order messages sent a second time, same guid
	changed   atomic.Int64   // appType 2 changes of orders
	starved   atomic.Int64   // nanoseconds senders waited for a built declaration
	exhausted atomic.Bool    // a sender found the generator done: nothing is left to send but what is held
	held      chan *prepared // batches taken by senders when their slice's clock ran out

	start    time.Time     // the first slice's start
	sendTime time.Duration // Σ over the slices: slice start → end of sending
	runTime  time.Duration // Σ over the slices: slice start → its last final receipt (or end of sending)
	slices   int           // timed phases run
	slice    [2]int        // in a run in slices: this slice's number and how many are planned (Progress)
}

// Run registers the run's enterprises and reference data on the server,
// builds and signs traffic, drives the server, follows the receipts and
// returns the report. It stops by itself: after Duration (or Declarations)
// and at most Drain more for outstanding receipts.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	r, err := open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer r.close()
	if err := r.prepare(ctx); err != nil {
		return nil, err
	}
	if _, err := r.timed(ctx, r.cfg.Duration); err != nil {
		return nil, err
	}
	return r.finish(ctx)
}

// open sets up a run on its servers: the enterprises, their reference data
// and the generator. The runner's clients are closed by close.
func open(ctx context.Context, cfg Config) (_ *runner, err error) {
	cfg, err = cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, tr: newTracker(), latency: map[string]*Recorder{}, gate: newGate()}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	for _, u := range append([]string{cfg.Server}, cfg.Peers...) {
		c, err := NewClient(u, cfg.AdminToken, cfg.Concurrency+cfg.Parties.Agents)
		if err != nil {
			return nil, err
		}
		r.nodes = append(r.nodes, &node{c: c, smp: &sampler{}})
		if err := c.Healthy(ctx, 10*time.Second); err != nil {
			return nil, err
		}
	}
	c := r.nodes[0].c
	ps, err := NewParties(cfg.RunID, cfg.Parties, cfg.Algorithm)
	if err != nil {
		return nil, err
	}
	if err := Register(ctx, c, ps); err != nil {
		return nil, err
	}
	for _, n := range r.nodes[1:] {
		if err := SameDeployment(ctx, n.c, ps); err != nil {
			return nil, err
		}
	}
	if err := ProbeCEB(ctx, c, ps.Platform.Key, cfg.Format); err != nil {
		return nil, err
	}
	if err := LoadReferenceData(ctx, c, ps, cfg.Warn); err != nil {
		return nil, err
	}
	if cfg.Mix.Bonded > 0 {
		if err := LoadBondedStock(ctx, c, ps, cfg.Warn); err != nil {
			return nil, err
		}
	}
	gen, err := NewGenerator(cfg.Seed, cfg.RunID, cfg.Mix, cfg.Parties)
	if err != nil {
		return nil, err
	}
	r.c, r.ps, r.gen = c, ps, gen
	r.bl = &Builder{Parties: ps, SignAll: cfg.SignAll, JSON: cfg.Format == "json"}
	r.feedSeq = make([]int64, len(ps.Agents))
	for _, t := range []string{TypeOrder, TypePayment, TypeWaybill, TypeInventory} {
		r.latency[t] = &Recorder{}
	}
	return r, nil
}

// close stops the generator and closes the clients.
func (r *runner) close() {
	if r.stopGen != nil {
		r.stopGen()
	}
	for _, n := range r.nodes {
		n.c.Close()
	}
}

// prepare starts the generator and builds Pregen declarations before the
// clock starts.
func (r *runner) prepare(ctx context.Context) error {
	var genCtx context.Context
	genCtx, r.stopGen = context.WithCancel(ctx)
	r.ready = make(chan *prepared, max(r.cfg.Pregen, 4*r.cfg.Concurrency)+1)
	// The stock holds Pregen declarations plus one batch, so preparing can
	// always reach Pregen whatever the batch sizes.
	r.stock = make(chan struct{}, r.cfg.Pregen+r.cfg.Mix.BatchLen)
	r.held = make(chan *prepared, r.cfg.Concurrency)
	r.buildErr = make(chan error, 1)
	r.built = make(chan struct{})
	r.gate.open()
	go r.produce(genCtx, r.ready, r.buildErr, r.built)

	r.progress(ctx, "preparing", time.Now(), func() bool {
		select {
		case <-r.built:
			return true
		default:
			return int(r.prepared.Load()) >= r.cfg.Pregen
		}
	})
	// Building goes on only while the run sends: in a run in slices the
	// time between its slices belongs to another target's.
	r.gate.shut()
	return r.buildFailed()
}

// buildFailed is the generator's error, if it has failed.
func (r *runner) buildFailed() error {
	if r.failed == nil {
		select {
		case r.failed = <-r.buildErr:
		default:
		}
	}
	return r.failed
}

// phase is one timed phase as timed ran it: its instants (with their
// monotonic readings) and what it sent and saw complete.
type phase struct {
	start, sendEnd, end time.Time
	sent, final         int
}

// timed runs one timed phase of d (0: until the declarations run out) and
// its drain: senders finish the batch under way when the clock runs out,
// and the receipts feed is followed until what was sent has its final
// receipt or Drain has passed. The phase counts from its start to the last
// final receipt it saw, or to the end of sending if that was later. It
// returns the phase, or nil when there was nothing left to send.
func (r *runner) timed(ctx context.Context, d time.Duration) (*phase, error) {
	// Receipts, metrics and senders start together.
	feedCtx, stopFeeds := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFeeds()
	var feeds sync.WaitGroup
	for i, a := range r.ps.Agents {
		feeds.Go(func() { poll(feedCtx, r.feedClient(i), a, r.tr, r.cfg.PollInterval, &r.errs, &r.feedSeq[i]) })
	}
	for _, n := range r.nodes {
		feeds.Go(func() { n.smp.run(feedCtx, n.c, time.Second) })
	}

	start := time.Now()
	if r.start.IsZero() {
		r.start = start
	}
	sent := r.sent.Load()
	taken := sent + r.aborted.Load()
	_, finals := r.tr.counts()
	r.gate.open()
	sendCtx := ctx
	if d > 0 {
		var cancel context.CancelFunc
		sendCtx, cancel = context.WithDeadline(ctx, start.Add(d))
		defer cancel()
	}
	p := &pacer{start: start, rate: r.cfg.Rate}
	var senders sync.WaitGroup
	for i := range r.cfg.Concurrency {
		n := r.nodes[i%len(r.nodes)]
		senders.Go(func() { r.sendLoop(sendCtx, ctx, n, r.ready, p) })
	}
	stopProgress := r.progressTicker(ctx, "sending", start)
	senders.Wait()
	if r.cfg.Rate > 0 && d > 0 {
		// At a fixed rate the stock is rate × duration; a 100-document batch
		// spends 100 declarations' worth of time at once, so the senders can
		// finish early. The phase still lasts the duration, or the figures
		// per second would be taken over a burst.
		<-sendCtx.Done()
	}
	sendEnd := time.Now()
	r.gate.shut()
	stopProgress()

	// Drain: wait for the final receipts of what was sent, within bounds.
	drainCtx, cancelDrain := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Drain)
	defer cancelDrain()
	stall := &stallWatch{}
	r.progress(drainCtx, "draining", start, func() bool {
		out, finals := r.tr.counts()
		if out <= 0 || ctx.Err() != nil {
			return true
		}
		if stall.stalled(finals, 2*time.Second) {
			r.reread(drainCtx)
		}
		return false
	})
	stopFeeds()
	feeds.Wait()

	if r.done() && r.sent.Load()+r.aborted.Load() == taken && r.slices > 0 {
		// Nothing was left to send: no slice, and no time, for this target.
		return nil, r.buildFailed()
	}
	end := sendEnd
	r.tr.mu.Lock()
	if r.tr.lastFinal.After(end) {
		end = r.tr.lastFinal
	}
	ph := &phase{start: start, sendEnd: sendEnd, end: end, sent: int(r.sent.Load() - sent), final: r.tr.finals - finals}
	r.tr.mu.Unlock()
	r.sendTime += sendEnd.Sub(start)
	r.runTime += end.Sub(start)
	r.slices++
	return ph, r.buildFailed()
}

// done tells whether everything the generator will build has been sent.
func (r *runner) done() bool { return r.exhausted.Load() && len(r.held) == 0 }

// finish stops the generator and makes the report of the run's timed phases.
func (r *runner) finish(ctx context.Context) (*Report, error) {
	r.stopGen()
	if err := r.buildFailed(); err != nil {
		return nil, err
	}
	rep := r.report()
	if r.cfg.FetchTax {
		r.fetchTax(ctx, rep)
	}
	return rep, nil
}

// Alternate drives several targets in turn, in timed slices of at most
// slice each: the first config's first slice, then the second's, and so
// on, then every config's second slice, until each has sent for its
// Duration (or run out of Declarations). Targets that take turns see the
// machine in the same state, where runs one after the other would each see
// another minute's load. Each target's setup (enterprises, certificates,
// reference data, the stock of built declarations) is done once, before the
// first slice; its generator builds only during its own slices. Each slice
// ends as a run does: its senders finish the batches under way and the
// feed is followed until what it sent has a final receipt (at most Drain).
// A target's report covers all its slices: every latency sample and count
// of them all, and the times summed over its slices, so its rates are per
// second it had the machine. The turns are every slice in the order they
// ran, on one clock (Turn).
func Alternate(ctx context.Context, slice time.Duration, cfgs ...Config) (reps []*Report, turns []Turn, err error) {
	if slice <= 0 {
		return nil, nil, fmt.Errorf("slice %v: must be above 0", slice)
	}
	var runners []*runner
	defer func() {
		for _, r := range runners {
			r.close()
		}
	}()
	name := func(cfg Config) string { return cmp.Or(cfg.Name, cfg.Server) }
	for _, cfg := range cfgs {
		if cfg.Duration <= 0 {
			return nil, nil, fmt.Errorf("%s: a run in slices needs a duration to divide", name(cfg))
		}
		r, err := open(ctx, cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name(cfg), err)
		}
		runners = append(runners, r)
		if err := r.prepare(ctx); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name(cfg), err)
		}
	}
	var origin time.Time // the first slice's start: the clock of the turns
	for k := 0; ctx.Err() == nil; k++ {
		ran := 0
		for _, r := range runners {
			left := r.cfg.Duration - time.Duration(k)*slice
			if left <= 0 || r.done() || ctx.Err() != nil {
				continue
			}
			r.slice = [2]int{k + 1, int((r.cfg.Duration + slice - 1) / slice)}
			ph, err := r.timed(ctx, min(slice, left))
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", name(r.cfg), err)
			}
			ran++
			if ph == nil {
				continue
			}
			if origin.IsZero() {
				origin = ph.start
			}
			turns = append(turns, ph.turn(name(r.cfg), r.slices, origin))
		}
		if ran == 0 {
			break
		}
	}
	for _, r := range runners {
		rep, err := r.finish(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name(r.cfg), err)
		}
		rep.Slices, rep.SliceSeconds = r.slices, slice.Seconds()
		reps = append(reps, rep)
	}
	return reps, turns, nil
}

// gate lets the generator build while it is open and holds it while shut.
type gate struct {
	mu sync.Mutex
	ch chan struct{} // closed while the gate is open
}

func newGate() *gate { return &gate{ch: make(chan struct{})} }

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.ch:
	default:
		close(g.ch)
	}
}

func (g *gate) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.ch:
		g.ch = make(chan struct{})
	default:
	}
}

// wait blocks while the gate is shut; false if ctx ended first.
func (g *gate) wait(ctx context.Context) bool {
	g.mu.Lock()
	ch := g.ch
	g.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	}
}

// stallWatch notices that the number of final receipts has not moved for a
// while; it fires again after each further quiet period.
type stallWatch struct {
	finals int
	since  time.Time
}

func (w *stallWatch) stalled(finals int, after time.Duration) bool {
	now := time.Now()
	if w.since.IsZero() || finals != w.finals || now.Sub(w.since) < after {
		if finals != w.finals || w.since.IsZero() {
			w.finals, w.since = finals, now
		}
		return false
	}
	w.since = now
	return true
}

// reread reads every agent's feed from the start, to find final receipts
// the poller's paging skipped.
func (r *runner) reread(ctx context.Context) {
	var wg sync.WaitGroup
	for i, a := range r.ps.Agents {
		wg.Go(func() { rereadFeed(ctx, r.feedClient(i), a, r.tr, &r.errs) })
	}
	wg.Wait()
}

// feedClient is the node that agent number i reads its feed from.
func (r *runner) feedClient(i int) *Client { return r.nodes[i%len(r.nodes)].c }

// generationLimit is how many declarations a run can send at most: the
// count asked for, or at a fixed rate what the duration allows. Building
// more would only take CPU from the server on a shared machine. 0 means no
// limit (as fast as possible for a duration).
func (c Config) generationLimit() int {
	switch {
	case c.Declarations > 0:
		return c.Declarations
	case c.Rate > 0 && c.Duration > 0:
		return int(math.Ceil(c.Rate*c.Duration.Seconds())) + 1
	}
	return 0
}

// produce draws batches in order (so a seed gives the same traffic) and
// builds and signs them on two goroutines (signing is the costly part).
func (r *runner) produce(ctx context.Context, ready chan<- *prepared, errc chan<- error, done chan<- struct{}) {
	batches := make(chan *Batch, 16)
	go func() {
		defer close(batches)
		n, limit := 0, r.cfg.generationLimit()
		for limit == 0 || n < limit {
			if !r.gate.wait(ctx) {
				return
			}
			var b *Batch
			var err error
			if left := limit - n; limit > 0 && left < r.cfg.Mix.BatchLen {
				b, err = r.gen.nextAtMost(left)
			} else {
				b, err = r.gen.Next()
			}
			if err != nil {
				r.fail(errc, err)
				return
			}
			n += len(b.Decls)
			if !r.acquire(ctx, len(b.Decls)) {
				return
			}
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for b := range batches {
				if !r.gate.wait(ctx) {
					return
				}
				msgs, err := r.bl.Build(b, time.Now())
				if err != nil {
					r.fail(errc, err)
					return
				}
				select {
				case ready <- &prepared{b: b, msgs: msgs}:
					r.prepared.Add(int64(len(b.Decls)))
				case <-ctx.Done():
					return
				}
			}
		})
	}
	wg.Wait()
	close(ready)
	close(done)
}

// acquire takes n slots of the stock of built but unsent declarations,
// waiting while it is full: building further ahead would only hold memory
// and take CPU from the server. False when ctx ended.
func (r *runner) acquire(ctx context.Context, n int) bool {
	for range n {
		select {
		case r.stock <- struct{}{}:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// release frees the slots of n sent declarations.
func (r *runner) release(n int) {
	for range n {
		<-r.stock
	}
}

func (r *runner) fail(errc chan<- error, err error) {
	select {
	case errc <- fmt.Errorf("build traffic: %w", err):
	default:
	}
}

// nextAtMost returns a batch of at most n declarations, for the tail of a
// run with a fixed number of declarations.
func (g *Generator) nextAtMost(n int) (*Batch, error) {
	b, err := g.Next()
	if err != nil || len(b.Decls) <= n {
		return b, err
	}
	b.Decls = b.Decls[:n]
	return b, nil
}

// pacer spaces declarations at a fixed rate across all senders.
type pacer struct {
	mu       sync.Mutex
	start    time.Time
	rate     float64 // declarations per second; 0 = no pacing
	reserved float64
}

// wait blocks until n more declarations may go; false if ctx ended first.
func (p *pacer) wait(ctx context.Context, n int) bool {
	if p.rate <= 0 {
		return ctx.Err() == nil
	}
	p.mu.Lock()
	at := p.start.Add(time.Duration(p.reserved / p.rate * float64(time.Second)))
	p.reserved += float64(n)
	p.mu.Unlock()
	if d := time.Until(at); d > 0 {
		sleep(ctx, d)
	}
	return ctx.Err() == nil
}

// sendLoop sends prepared batches until the timed phase (timed) ends or
// nothing is left. Requests use ctx, so a batch under way is finished when
// the clock runs out and abandoned only when the whole run is cancelled.
//
// The time a sender waits for the generator to build a declaration is
// counted (starved): a run whose senders wait measured the generator.
//
// A batch taken when the clock runs out is held for the run's next slice.
func (r *runner) sendLoop(timed, ctx context.Context, n *node, ready <-chan *prepared, p *pacer) {
	for timed.Err() == nil {
		var pr *prepared
		var ok bool
		select {
		case pr, ok = <-r.held:
		case pr, ok = <-ready:
		default:
			t0 := time.Now()
			select {
			case <-timed.Done():
				return
			case pr, ok = <-ready:
			}
			r.starved.Add(int64(time.Since(t0)))
		}
		if !ok {
			r.exhausted.Store(true)
			return
		}
		if !p.wait(timed, len(pr.b.Decls)) {
			r.held <- pr // never blocks: each sender holds back at most one batch
			return
		}
		r.send(ctx, n, pr)
		r.release(len(pr.b.Decls))
	}
}

// send posts one batch's messages in the order enterprises send them. A
// declaration whose order, payment or waybill was refused is not completed:
// its inventory would only wait for the missing document.
func (r *runner) send(ctx context.Context, n *node, pr *prepared) {
	ps, b, m := r.ps, pr.b, pr.msgs
	ok := r.post(ctx, n, TypeOrder, ps.Platform.Key, m.Order)
	for _, extra := range m.Extra {
		r.post(ctx, n, TypeOrder, ps.Platform.Key, extra)
	}
	if b.Resend {
		r.resent.Add(1)
	}
	if b.Modify {
		r.changed.Add(1)
	}
	ok = r.post(ctx, n, TypePayment, ps.Pays[b.Pay%len(ps.Pays)].Key, m.Payment) && ok
	ok = r.post(ctx, n, TypeWaybill, ps.Logistics[b.Logi%len(ps.Logistics)].Key, m.Waybill) && ok
	if !ok {
		r.aborted.Add(int64(len(b.Decls)))
		return
	}
	agent := ps.Agents[b.Agent%len(ps.Agents)]
	r.tr.sent(b.Decls, agent, time.Now())
	if !r.post(ctx, n, TypeInventory, agent.Key, m.Inventory) {
		r.tr.refused(b.Decls)
		r.refused.Add(int64(len(b.Decls)))
	}
	r.sent.Add(int64(len(b.Decls)))
}

// post sends one message to node n and records its round trip and any
// error; true when the server answered 200.
func (r *runner) post(ctx context.Context, n *node, msgType, key string, body []byte) bool {
	api := n.c.As(key)
	t0 := time.Now()
	n.messages.Add(1)
	var ans client.Answer
	var err error
	if r.cfg.Format == "json" {
		ans, err = api.SubmitJSON(ctx, msgType, body)
	} else {
		ans, err = api.SubmitCEB(ctx, body)
	}
	r.latency[msgType].Add(time.Since(t0))
	var ce *client.Error
	switch {
	case errors.As(err, &ce):
		kind := msgType + ": HTTP " + strconv.Itoa(ce.Status)
		if r.cfg.Format == "json" && ce.Status == http.StatusBadRequest && ce.Code != "" {
			kind += " " + ce.Code
		}
		r.errs.AddExample(kind, ce.Message)
	case err != nil:
		r.errs.AddExample(msgType+": transport error", err.Error())
	case ans.Status == http.StatusOK:
		if msgType != TypeInventory { // inventory outcomes are counted from the receipt feed
			r.countReceiptProblems(msgType, ans.Body)
		}
		return true
	case !ans.JSON && bytes.Contains(ans.Body, []byte("CEB900")):
		kind := msgType + ": HTTP 400 CEB900"
		if code := firstElement(ans.Body, "returnStatus"); code != "" {
			kind += " " + code
		}
		r.errs.AddExample(kind, firstElement(ans.Body, "returnInfo"))
	default: // a message refused as a whole, as JSON
		r.errs.AddExample(msgType+": HTTP "+strconv.Itoa(ans.Status), string(ans.Body))
	}
	return false
}

// okReceiptStatus are the statuses of a synchronous receipt that mean the
// document was taken.
var okReceiptStatus = map[string]bool{"1": true, "2": true, "3": true, "120": true, "399": true}

// countReceiptProblems counts documents of a synchronous receipt that were
// not taken, by status and reason code, with a plain byte scan (no XML
// parsing on the hot path).
func (r *runner) countReceiptProblems(msgType string, resp []byte) {
	field, info := nextElement, "returnInfo"
	status := "returnStatus"
	if r.cfg.Format == "json" { // the JSON receipt names fields as the Go structs do
		field, status, info = nextJSONString, "ReturnStatus", "ReturnInfo"
	}
	rest := resp
	for {
		st, after := field(rest, status)
		if after == nil {
			return
		}
		rest = after
		if okReceiptStatus[st] {
			continue
		}
		text, _ := field(rest, info)
		kind := msgType + ": receipt " + st
		if code := ReasonCode(text); code != "" {
			kind += " Code:" + code
		}
		r.errs.Add(kind)
	}
}

// nextElement finds the text of the next <name>…</name> (any prefix) in b
// and returns it with the rest of b after it; rest is nil when none is left.
func nextElement(b []byte, name string) (string, []byte) {
	for {
		i := bytes.Index(b, []byte(name+">"))
		if i < 0 {
			return "", nil
		}
		// Skip closing tags: the match must follow '<' or '<prefix:'.
		j := i - 1
		for j >= 0 && b[j] != '<' && b[j] != '/' && b[j] != '>' {
			j--
		}
		if j < 0 || b[j] != '<' {
			b = b[i+len(name)+1:]
			continue
		}
		start := i + len(name) + 1
		end := bytes.IndexByte(b[start:], '<')
		if end < 0 {
			return "", nil
		}
		return string(b[start : start+end]), b[start+end:]
	}
}

// nextJSONString finds the next "name":"value" in b (values without escaped
// quotes, as statuses and codes are) and returns the value and the rest.
func nextJSONString(b []byte, name string) (string, []byte) {
	key := []byte(`"` + name + `":"`)
	i := bytes.Index(b, key)
	if i < 0 {
		return "", nil
	}
	start := i + len(key)
	end := bytes.IndexByte(b[start:], '"')
	if end < 0 {
		return "", nil
	}
	return string(b[start : start+end]), b[start+end:]
}

func firstElement(b []byte, name string) string {
	v, _ := nextElement(b, name)
	return v
}

// progressTicker reports progress each second until the returned stop is called.
func (r *runner) progressTicker(ctx context.Context, phase string, since time.Time) (stop func()) {
	if r.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				r.cfg.Progress(r.snapshot(phase, since))
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// progress polls until cond holds or ctx ends, reporting each second.
func (r *runner) progress(ctx context.Context, phase string, since time.Time, cond func() bool) {
	last := time.Now()
	for !cond() && ctx.Err() == nil {
		sleep(ctx, 20*time.Millisecond)
		if r.cfg.Progress != nil && time.Since(last) >= time.Second {
			last = time.Now()
			r.cfg.Progress(r.snapshot(phase, since))
		}
	}
	if r.cfg.Progress != nil {
		r.cfg.Progress(r.snapshot(phase, since))
	}
}

// Line formats p as the one-line status bench prints each second.
func (p Progress) Line() string {
	rate := 0.0
	if s := p.Elapsed.Seconds(); s > 0 {
		rate = float64(p.Final) / s
	}
	if p.Phase == "preparing" {
		return fmt.Sprintf("[%5.0fs] preparing: %d declarations built and signed", p.Elapsed.Seconds(), p.Prepared)
	}
	slice := ""
	if p.Slices > 0 {
		slice = fmt.Sprintf("slice %d/%d ", p.Slice, p.Slices)
	}
	return fmt.Sprintf("%s[%5.0fs] %-8s sent %d · final %d · outstanding %d · %.1f final/s · errors %d",
		slice, p.Elapsed.Seconds(), p.Phase, p.Sent, p.Final, p.Outstanding, rate, p.Errors)
}

// snapshot is the run's progress; Elapsed adds the time of the run's
// earlier slices to the time since since.
func (r *runner) snapshot(phase string, since time.Time) Progress {
	out, finals := r.tr.counts()
	return Progress{Phase: phase, Elapsed: r.runTime + time.Since(since), Prepared: int(r.prepared.Load()),
		Sent: int(r.sent.Load()), Final: finals, Outstanding: out, Errors: r.errs.Total(), Target: r.cfg.Declarations,
		Slice: r.slice[0], Slices: r.slice[1]}
}

// fetchTax reads the tax the server computed for each released inventory
// from GET /api/v1/inventories/{copNo} (the declaring agent's key) and adds
// it to the report. It gives up quietly if the server has no such endpoint.
func (r *runner) fetchTax(ctx context.Context, rep *Report) {
	var done []*inventory
	r.tr.each(func(inv *inventory) {
		if released(inv.status) && inv.agent != nil {
			done = append(done, inv)
		}
	})
	var sum money.Amount
	n := 0
	for _, inv := range done {
		if ctx.Err() != nil {
			break
		}
		var v struct {
			TaxTotal money.Amount `json:"taxTotal"`
		}
		err := r.c.As(inv.agent.Key).Call(ctx, http.MethodGet, "/api/v1/inventories/"+url.PathEscape(inv.decl.CopNo), nil, &v)
		if IsNotFound(err) && n == 0 {
			return // no inventory API on this server
		}
		if err != nil {
			continue
		}
		sum = mustAdd(sum, v.TaxTotal)
		n++
	}
	rep.Tax.FromAPI, rep.Tax.InventoriesFromAPI = sum.String(), n
}
