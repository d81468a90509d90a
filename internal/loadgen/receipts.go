package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cbec-platform/cbec/client"
)

// IsFinal tells whether an inventory status ends its automatic processing:
// rejected (100), manual review (300), inspection or detention (500–599),
// returned (700), released (800), closed (899), or a processing error (< 0).
// 2, 120 and 399 are steps on the way.
func IsFinal(status string) bool {
	if strings.HasPrefix(status, "-") {
		return true
	}
	n, err := strconv.Atoi(status)
	if err != nil {
		return false
	}
	switch {
	case n == 100, n == 300, n >= 500 && n <= 599, n == 700, n == 800, n == 899:
		return true
	}
	return false
}

var reasonCodeRE = regexp.MustCompile(`\[Code:\s*(-?[0-9]+)`)

// ReasonCode extracts the machine code of a returnInfo, e.g. "1332" from
// "[Code:1332;Desc:…]"; empty when there is none.
func ReasonCode(info string) string {
	if m := reasonCodeRE.FindStringSubmatch(info); m != nil {
		return m[1]
	}
	return ""
}

// taxRE finds a tax amount in a receipt's returnInfo. The contract does not
// fix how the computed tax is written, so this accepts the usual spellings
// (税款, 税额, 综合税, tax, taxTotal) followed by a decimal amount.
var taxRE = regexp.MustCompile(`(?i)(?:taxTotal|tax|税款|税额|综合税)[^0-9\-\]]{0,8}([0-9]+(?:\.[0-9]{1,2})?)`)

// inventory is what the run knows about one sent inventory.
type inventory struct {
	decl   *Declaration
	agent  *Party // who declared it, whose key reads it back
	sent   time.Time
	first  time.Time // first receipt
	final  time.Time // first final receipt
	status string    // final status
	info   string    // its returnInfo
	tax    string    // tax amount a receipt reported, if any
}

// tracker matches receipts to inventories by copNo.
type tracker struct {
	mu          sync.Mutex
	byCop       map[string]*inventory
	outstanding int
	finals      int
	lastFinal   time.Time
	missed      int       // final receipts found only by a full re-read of a feed
	first       *Recorder // inventory submission → first receipt
	toFinal     *Recorder // inventory submission → final receipt
	onFinal     func(inv *inventory)
}

func newTracker() *tracker {
	return &tracker{byCop: map[string]*inventory{}, first: &Recorder{}, toFinal: &Recorder{}}
}

// sent registers inventories just before their message goes out.
func (t *tracker) sent(decls []*Declaration, agent *Party, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, d := range decls {
		t.byCop[d.CopNo] = &inventory{decl: d, agent: agent, sent: at}
	}
	t.outstanding += len(decls)
}

// refused drops inventories whose message the server refused outright: no
// receipt will come for them.
func (t *tracker) refused(decls []*Declaration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, d := range decls {
		if inv, ok := t.byCop[d.CopNo]; ok && inv.final.IsZero() {
			delete(t.byCop, d.CopNo)
			t.outstanding--
		}
	}
}

// receipt records one CEB622 receipt.
func (t *tracker) receipt(copNo, status, info string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	inv, ok := t.byCop[copNo]
	if !ok {
		return
	}
	if m := taxRE.FindStringSubmatch(info); m != nil {
		inv.tax = m[1]
	}
	if inv.first.IsZero() {
		inv.first = at
		t.first.Add(at.Sub(inv.sent))
	}
	if !inv.final.IsZero() || !IsFinal(status) {
		return
	}
	inv.final, inv.status, inv.info = at, status, info
	t.toFinal.Add(at.Sub(inv.sent))
	t.outstanding--
	t.finals++
	t.lastFinal = at
	if t.onFinal != nil {
		t.onFinal(inv)
	}
}

// reread records a receipt found by a full re-read of a feed. A final one
// the poller had not seen was skipped by the feed's after=SEQ paging; it
// counts toward the outcomes but not toward latencies or the rate, since
// when it was issued is unknown.
func (t *tracker) reread(copNo, status, info string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	inv, ok := t.byCop[copNo]
	if !ok || !inv.final.IsZero() {
		return
	}
	if inv.first.IsZero() {
		inv.first = at
	}
	if !IsFinal(status) {
		return
	}
	inv.final, inv.status, inv.info = at, status, info
	t.outstanding--
	t.finals++
	t.missed++
	if t.onFinal != nil {
		t.onFinal(inv)
	}
}

func (t *tracker) counts() (outstanding, finals int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.outstanding, t.finals
}

// each calls fn for every tracked inventory.
func (t *tracker) each(fn func(*inventory)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, inv := range t.byCop {
		fn(inv)
	}
}

// pollPage is the page size; a full page is followed by the next at once.
const pollPage = 500

// poll follows one agent's receipt feed after *seq until ctx ends, feeding
// CEB622 receipts to the tracker and keeping in *seq the last one seen, for
// the next slice of the run to read on from. interval is the pause after a
// page that was not full; it bounds the resolution of the receipt latencies.
func poll(ctx context.Context, c *Client, agent *Party, t *tracker, interval time.Duration, errs *Counter, seq *int64) {
	opt := client.FollowOptions{PageSize: pollPage, Interval: interval, WithoutXML: true,
		OnError: func(err error) error { errs.Add(feedError(err)); return nil }}
	_ = c.As(agent.Key).Follow(ctx, *seq, opt, func(r client.Receipt) error {
		*seq = max(*seq, r.Seq)
		if r.MessageType == "CEB622Message" && r.CopNo != "" {
			t.receipt(r.CopNo, r.ReturnStatus, r.ReturnInfo, time.Now())
		}
		return nil
	}) // it ends when ctx does
}

// feedError is the error kind of a page of the feed that could not be read.
func feedError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case client.StatusOf(err) != 0:
		return "receipts feed: HTTP " + strconv.Itoa(client.StatusOf(err))
	case errors.As(err, &syn), errors.As(err, &typ):
		return "receipts feed: bad JSON"
	}
	return "receipts feed: transport"
}

// rereadFeed reads one agent's whole feed from the start and hands every
// CEB622 receipt to tracker.reread. The poller follows a feed by sequence
// number; if the server makes a receipt visible after one with a higher
// number (transactions committing out of order), the poller has already
// moved past it. Reading everything again whenever the drain stalls finds
// such receipts and makes the problem visible in the report.
func rereadFeed(ctx context.Context, c *Client, agent *Party, t *tracker, errs *Counter) {
	opt := client.FollowOptions{PageSize: client.MaxPage, WithoutXML: true, UntilCaughtUp: true}
	err := c.As(agent.Key).Follow(ctx, 0, opt, func(r client.Receipt) error {
		if r.MessageType == "CEB622Message" && r.CopNo != "" {
			t.reread(r.CopNo, r.ReturnStatus, r.ReturnInfo, time.Now())
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		if kind := feedError(err); kind == "receipts feed: bad JSON" {
			errs.Add(kind)
		} else {
			errs.Add("receipts feed: re-read failed")
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
