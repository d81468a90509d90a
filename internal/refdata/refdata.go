// Package refdata serves the reference data in force — product filings, the
// tariff table, the positive and negative lists — from memory, for the
// clearance checks, and keeps it in step with what operators and enterprises
// load.
//
// The tables are versioned: every upload is a version with the instant it
// takes effect, stored for good. The table in force at a moment is every
// version effective by then laid over the earlier ones, so an upload replaces
// the rows with the same key (contract §6) and a table loaded for a future
// date takes effect on that date by itself. Lookups read an immutable
// snapshot through one atomic pointer: no lock, no allocation, whatever the
// number of goroutines judging inventories.
package refdata

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cbec-platform/cbec/internal/catalog"
)

// Service holds the tables in force. It is safe for concurrent use.
type Service struct {
	store       Store // nil for a service built by New
	now         func() time.Time
	log         *slog.Logger
	reloadEvery time.Duration

	// writeMu serialises imports and reloads, so that a reload never lays
	// rows it read before an import over what the import applied.
	writeMu     sync.Mutex
	productMark time.Time // newest filing time seen by a reload; guarded by writeMu
	productLook time.Time // when the last reload of the filings began; guarded by writeMu

	state    atomic.Pointer[state]
	products atomic.Pointer[productIndex]
}

// Options tune a Service.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ReloadEvery is how often Run rereads the database to pick up what
	// other nodes stored; zero means DefaultReloadEvery.
	ReloadEvery time.Duration
	// Log receives reload failures; nil discards them.
	Log *slog.Logger
}

// DefaultReloadEvery is the reload period when Options leave it zero.
const DefaultReloadEvery = 30 * time.Second

// NewService returns a service reading and writing st, holding nothing yet:
// call Load (or use Open).
func NewService(st Store, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.ReloadEvery <= 0 {
		opt.ReloadEvery = DefaultReloadEvery
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: st, now: opt.Now, log: opt.Log, reloadEvery: opt.ReloadEvery}
	s.state.Store(newState(tables{}, s.now()))
	s.products.Store(&productIndex{})
	return s
}

// New returns a service holding the given tables in memory only, in force
// since the beginning of time; imports fail as it has no store. It serves
// tests and tools that need reference data without a database.
func New(tariff []catalog.TariffRow, positive []catalog.PositiveListEntry, negative []catalog.NegativeListEntry, products []catalog.Product) *Service {
	s := NewService(nil, Options{})
	info := func(k Kind, n int) VersionInfo { return VersionInfo{Kind: k, ID: 1, UploadedBy: "memory", Rows: n} }
	var t tables
	t.tariff, _ = insertVersion(nil, version[catalog.TariffRow]{info(Tariff, len(tariff)), tariff})
	t.positive, _ = insertVersion(nil, version[catalog.PositiveListEntry]{info(PositiveList, len(positive)), positive})
	t.negative, _ = insertVersion(nil, version[catalog.NegativeListEntry]{info(NegativeList, len(negative)), negative})
	s.state.Store(newState(t, s.now()))
	s.PutProducts(products)
	return s
}

// tables holds every version of the three versioned tables, each slice
// sorted by effective date and id. It is never modified once published.
type tables struct {
	tariff   []version[catalog.TariffRow]
	positive []version[catalog.PositiveListEntry]
	negative []version[catalog.NegativeListEntry]
}

// state is the reference data in force during [at, until): the snapshot
// lookups read. until is the next effective date of a stored version, zero
// when no version is waiting.
type state struct {
	tables   tables
	at       time.Time
	until    time.Time
	tariff   inForce[catalog.TariffRow]
	positive inForce[catalog.PositiveListEntry]
	negative *negativeIndex
}

func newState(t tables, at time.Time) *state {
	st := &state{
		tables:   t,
		at:       at,
		tariff:   fold(t.tariff, at, tariffKey),
		positive: fold(t.positive, at, positiveKey),
	}
	st.negative = newNegativeIndex(fold(t.negative, at, negativeKey))
	st.until = nextChange(t, at)
	return st
}

// nextChange returns the earliest effective date after at, zero if none.
func nextChange(t tables, at time.Time) time.Time {
	var next time.Time
	consider := func(from time.Time) {
		if from.After(at) && (next.IsZero() || from.Before(next)) {
			next = from
		}
	}
	for _, v := range t.tariff {
		consider(v.info.EffectiveFrom)
	}
	for _, v := range t.positive {
		consider(v.info.EffectiveFrom)
	}
	for _, v := range t.negative {
		consider(v.info.EffectiveFrom)
	}
	return next
}

// current returns the snapshot in force now. Only when a waiting version's
// date has come does it build a new one; otherwise it costs one atomic load
// (and a clock read while a version is waiting).
func (s *Service) current() *state {
	st := s.state.Load()
	if st.until.IsZero() {
		return st
	}
	now := s.now()
	if now.Before(st.until) {
		return st
	}
	next := newState(st.tables, now)
	// A concurrent import may have published meanwhile; its state is newer
	// in content, so keep it and let the next lookup advance it if needed.
	if s.state.CompareAndSwap(st, next) {
		return next
	}
	return s.state.Load()
}

// at returns the snapshot for any moment: the current one when it covers the
// moment, else one built for the purpose (for queries about the past or the
// future, not for the clearance path).
func (s *Service) at(t time.Time) *state {
	st := s.current()
	if !t.Before(st.at) && (st.until.IsZero() || t.Before(st.until)) {
		return st
	}
	return newState(st.tables, t)
}

// publish replaces the tables (with writeMu held) and rebuilds the snapshot.
func (s *Service) publish(t tables) {
	s.state.Store(newState(t, s.now()))
}

// Tariff returns the tariff row in force of a 10-digit HS code.
func (s *Service) Tariff(hsCode string) (catalog.TariffRow, bool) {
	e, ok := s.current().tariff.rows[hsCode]
	return e.Row, ok
}

// Positive returns the positive-list entry in force covering a 10-digit HS
// code: an entry for the code itself wins over the one of its 8-digit line.
func (s *Service) Positive(hsCode string) (catalog.PositiveListEntry, bool) {
	e, ok := matchPositive(s.current(), hsCode)
	return e.Row, ok
}

func matchPositive(st *state, hsCode string) (sourced[catalog.PositiveListEntry], bool) {
	if len(hsCode) != 10 {
		return sourced[catalog.PositiveListEntry]{}, false
	}
	if e, ok := st.positive.rows[hsCode]; ok {
		return e, true
	}
	e, ok := st.positive.rows[hsCode[:8]]
	return e, ok
}

// Negative returns the negative-list entries in force matching the goods,
// prohibited ones first.
func (s *Service) Negative(g catalog.Goods) []catalog.NegativeListEntry {
	return s.current().negative.match(g)
}

// Product returns the filing of an e-commerce enterprise's item.
func (s *Service) Product(ebcCode, itemNo string) (catalog.Product, bool) {
	p, ok := s.products.Load().byEBC[ebcCode][itemNo]
	return p, ok
}

// PutProducts adds or replaces filings in memory only (see ImportProducts
// for the stored kind).
func (s *Service) PutProducts(ps []catalog.Product) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.products.Store(s.products.Load().with(ps))
}

// productIndex holds the filings by enterprise, then item number. It is
// copied on write one enterprise at a time: an upload copies the map of the
// enterprise it concerns, not every filing on the platform.
type productIndex struct {
	byEBC map[string]map[string]catalog.Product
}

// with returns ix with ps laid over it; ix itself is unchanged. Filings equal
// to the ones held are skipped, so a reload that finds nothing new copies
// nothing.
func (ix *productIndex) with(ps []catalog.Product) *productIndex {
	var out *productIndex
	copied := map[string]bool{}
	for _, p := range ps {
		if old, ok := ix.byEBC[p.EBCCode][p.ItemNo]; ok && old == p {
			continue
		}
		if out == nil {
			out = &productIndex{byEBC: make(map[string]map[string]catalog.Product, len(ix.byEBC)+1)}
			for k, v := range ix.byEBC {
				out.byEBC[k] = v
			}
		}
		if !copied[p.EBCCode] {
			old := ix.byEBC[p.EBCCode]
			m := make(map[string]catalog.Product, len(old)+1)
			for k, v := range old {
				m[k] = v
			}
			out.byEBC[p.EBCCode] = m
			copied[p.EBCCode] = true
		}
		out.byEBC[p.EBCCode][p.ItemNo] = p
	}
	if out == nil {
		return ix
	}
	return out
}
