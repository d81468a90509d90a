package trace

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/engine"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// Service runs recalls, holds, notices and lab applications, and answers
// lookups. What every lookup needs besides the code's own row (holds, recalls,
// warnings, policies, finished lab tests) is kept in memory, rebuilt after
// every change made here and every few seconds for changes of other nodes.
type Service struct {
	DB      *store.DB
	Ref     clearance.Reference
	Parties *enterprise.Cache
	Now     func() time.Time
	Log     *slog.Logger
	// Refresh is how often the in-memory facts are rebuilt (default 5 s).
	Refresh time.Duration

	facts atomic.Pointer[facts]
}

// facts is the in-memory snapshot of the small tables.
type facts struct {
	holds    []store.ProductHold // active only
	recalls  []store.Recall      // newest first
	warnings []store.Notice
	policies []store.Notice
	lab      []store.LabApplication // finished (passed or failed), newest first
}

// keep bounds how many of each kind the snapshot holds.
const keep = 2000

// Reload rebuilds the in-memory facts from the database.
func (s *Service) Reload(ctx context.Context) (err error) {
	defer errs.Wrap(&err, "trace.Reload")
	var f facts
	if f.holds, err = s.DB.ProductHolds(ctx, true); err != nil {
		return err
	}
	if f.recalls, err = s.DB.Recalls(ctx, "", keep); err != nil {
		return err
	}
	if f.warnings, err = s.DB.Notices(ctx, "warning", keep); err != nil {
		return err
	}
	if f.policies, err = s.DB.Notices(ctx, "policy", keep); err != nil {
		return err
	}
	apps, err := s.DB.LabApplications(ctx, "", "", "", keep)
	if err != nil {
		return err
	}
	for _, a := range apps {
		if a.Status == "passed" || a.Status == "failed" {
			f.lab = append(f.lab, a)
		}
	}
	s.facts.Store(&f)
	return nil
}

// Run rebuilds the facts every Refresh until ctx ends.
func (s *Service) Run(ctx context.Context) {
	every := s.Refresh
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
				s.Log.Warn("reloading recalls, holds and notices failed", "error", err)
			}
		}
	}
}

func (s *Service) snapshot() *facts {
	if f := s.facts.Load(); f != nil {
		return f
	}
	return &facts{}
}

// reloadAfter rebuilds the facts after a change; a failure is logged, the periodic reload repairs it.
func (s *Service) reloadAfter(ctx context.Context) {
	if err := s.Reload(context.WithoutCancel(ctx)); err != nil {
		s.Log.Warn("reloading after a change failed; the periodic reload will", "error", err)
	}
}

// product is what a piece, line or filing is matched on.
type product struct{ ebc, item, gtin string }

func (p product) matches(ebc, item, gtin string) bool {
	return (ebc != "" && item != "" && p.ebc == ebc && p.item == item) || (gtin != "" && p.gtin == gtin)
}

// HoldCheck is the engine check that holds (300) inventories declaring a
// product under an active hold: a recall or a failed lab test. The batch of
// a declared piece is not known before release, so a batch-limited hold holds
// every inventory of the product for an officer to review.
type HoldCheck struct{ S *Service }

// Check implements engine.Check.
func (h HoldCheck) Check(ctx context.Context, tx *store.Tx, d *engine.Decision) (*engine.Outcome, error) {
	holds := h.S.snapshot().holds
	if len(holds) == 0 || d.Doc == nil {
		return nil, nil
	}
	for _, l := range d.Doc.Lines {
		p := product{ebc: d.Doc.EbcCode, item: l.ItemNo, gtin: GTIN14(strings.TrimSpace(l.BarCode))}
		if f, ok := h.S.Ref.Product(d.Doc.EbcCode, l.ItemNo); ok && f.GTIN != "" {
			p.gtin = GTIN14(f.GTIN)
		}
		for _, hd := range holds {
			if !p.matches(hd.EbcCode, hd.ItemNo, GTIN14(hd.GTIN)) {
				continue
			}
			code := "2310"
			if hd.Source == "lab" {
				code = "2311"
			}
			return &engine.Outcome{Status: "300", Finding: clearance.Finding{Code: code,
				Detail: "hold " + hd.ID + ", line " + strconv.Itoa(l.Gnum) + " item " + l.ItemNo + ": " + hd.Reason}}, nil
		}
	}
	return nil, nil
}

// Lookup is what the public page of a code shows. It never holds the buyer's
// personal data: the code's row has none.
type Lookup struct {
	Code     string
	Verdict  Verdict
	Found    bool
	Piece    store.TraceCode
	Seller   string // the e-commerce enterprise's name
	Recalls  []store.Recall
	Warnings []store.Notice
	Lab      []store.LabApplication
}

// Lookup reads a code as typed or scanned.
func (s *Service) Lookup(ctx context.Context, raw string) (_ *Lookup, err error) {
	defer errs.Wrap(&err, "trace.Lookup")
	code := Normalize(raw)
	l := &Lookup{Code: code, Verdict: Check(code)}
	if l.Verdict != WellFormed {
		return l, nil
	}
	c, err := s.DB.TraceCode(ctx, code)
	if err != nil || c == nil {
		return l, err
	}
	l.Found, l.Piece = true, *c
	if p, err := s.Parties.Get(ctx, c.EbcCode); err == nil && p != nil {
		l.Seller = p.Name
	}
	f := s.snapshot()
	p := product{ebc: c.EbcCode, item: c.ItemNo, gtin: GTIN14(c.GTIN)}
	for _, r := range f.recalls {
		if recallReaches(r, c, p) {
			l.Recalls = append(l.Recalls, r)
		}
	}
	l.Warnings = warningsOf(f, p)
	l.Lab = labOf(f, p)
	return l, nil
}

// recallReaches tells whether a recall concerns a piece: same product, batch
// and production date when the recall names them, released before it closed.
func recallReaches(r store.Recall, c *store.TraceCode, p product) bool {
	m := r.Match
	if !p.matches(m.EbcCode, m.ItemNo, GTIN14(m.GTIN)) {
		return false
	}
	if m.Batch != "" && m.Batch != c.Batch {
		return false
	}
	if (m.ProducedFrom != "" || m.ProducedTo != "") && c.ProducedOn == "" {
		return false
	}
	if (m.ProducedFrom != "" && c.ProducedOn < m.ProducedFrom) || (m.ProducedTo != "" && c.ProducedOn > m.ProducedTo) {
		return false
	}
	return r.ClosedAt == nil || c.ReleasedAt.Before(*r.ClosedAt)
}

func warningsOf(f *facts, p product) []store.Notice {
	var out []store.Notice
	for _, n := range f.warnings {
		if p.matches(n.EbcCode, n.ItemNo, GTIN14(n.GTIN)) {
			out = append(out, n)
		}
	}
	return out
}

func labOf(f *facts, p product) []store.LabApplication {
	var out []store.LabApplication
	for _, a := range f.lab {
		if p.matches(a.EbcCode, a.ItemNo, GTIN14(a.GTIN)) {
			out = append(out, a)
		}
	}
	return out
}

// ProductPage is what the public page of a filed product shows.
type ProductPage struct {
	EbcCode, ItemNo, Name, Brand, GTIN, OriginCountry, HSCode, Seller string
	Recalls                                                           []store.Recall
	Warnings                                                          []store.Notice
	Lab                                                               []store.LabApplication
}

// Product reads a filed product's public page; not found when it is not filed.
func (s *Service) Product(ctx context.Context, ebcCode, itemNo string) (*ProductPage, error) {
	fl, ok := s.Ref.Product(ebcCode, itemNo)
	if !ok {
		return nil, errs.New(errs.NotFound, "product_not_found", "itemNo", "no product %s filed by %s", itemNo, ebcCode)
	}
	pg := &ProductPage{EbcCode: ebcCode, ItemNo: itemNo, Name: fl.Name, Brand: fl.Brand, GTIN: fl.GTIN, OriginCountry: fl.OriginCountry, HSCode: fl.HSCode}
	if e, err := s.Parties.Get(ctx, ebcCode); err == nil && e != nil {
		pg.Seller = e.Name
	}
	f := s.snapshot()
	p := product{ebc: ebcCode, item: itemNo, gtin: GTIN14(fl.GTIN)}
	for _, r := range f.recalls {
		if p.matches(r.Match.EbcCode, r.Match.ItemNo, GTIN14(r.Match.GTIN)) {
			pg.Recalls = append(pg.Recalls, r)
		}
	}
	pg.Warnings, pg.Lab = warningsOf(f, p), labOf(f, p)
	return pg, nil
}

// Recalls lists recalls for the public page, newest first.
func (s *Service) Recalls() []store.Recall { return s.snapshot().recalls }

// Warnings lists published risk warnings, newest first.
func (s *Service) Warnings() []store.Notice { return s.snapshot().warnings }

// Policies lists published policy notices, newest first.
func (s *Service) Policies() []store.Notice { return s.snapshot().policies }

// Holds lists the active product holds.
func (s *Service) Holds() []store.ProductHold { return slices.Clone(s.snapshot().holds) }

// newID makes a readable unique id: prefix, China date, 8 random symbols.
func newID(prefix string, now time.Time) string {
	r, err := Symbols(nil, 8)
	if err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return prefix + now.In(cst).Format("20060102") + "-" + string(r)
}

var cst = time.FixedZone("CST", 8*3600)
