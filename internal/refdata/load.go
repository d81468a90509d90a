package refdata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/errs"
)

// StarterEffectiveFrom is when the seeded starter tables take effect: the
// day the current CBEC retail import rules (limits 5,000 / 26,000 CNY,
// 70 % of VAT and consumption tax) came into force. Any past date would do;
// a fixed one makes every installation's version 1 the same.
var StarterEffectiveFrom = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)

// StarterUploader is the uploader of the seeded versions in listings.
const StarterUploader = "starter"

// productOverlap is how far before the newest filing seen a reload looks
// again: long enough for a slow transaction stored with an earlier time to
// have committed, and for modest clock differences between nodes.
const productOverlap = 2 * time.Minute

// Open seeds the starter data into an empty database, loads everything
// stored and keeps reloading it in the background until ctx ends.
func Open(ctx context.Context, st Store, opt Options) (_ *Service, err error) {
	defer errs.Wrap(&err, "refdata.Open")
	s := NewService(st, opt)
	if _, err := s.Seed(ctx); err != nil {
		return nil, err
	}
	if err := s.Load(ctx); err != nil {
		return nil, err
	}
	go s.Run(ctx)
	return s, nil
}

// Seed stores the embedded starter tables (internal/catalog) as version 1 of
// each table, if the database has none yet. Seeded tells whether it did.
func (s *Service) Seed(ctx context.Context) (seeded bool, err error) {
	defer errs.Wrap(&err, "refdata.Seed")
	if s.store == nil {
		return false, errNoStore
	}
	start, err := catalog.LoadStarter()
	if err != nil {
		return false, fmt.Errorf("starter reference data: %w", err)
	}
	seeded, err = s.store.SeedReference(ctx, Starter{
		EffectiveFrom: StarterEffectiveFrom, At: s.now(),
		Tariff: start.Tariff, PositiveList: start.PositiveList, NegativeList: start.NegativeList,
	})
	if err != nil {
		return false, fmt.Errorf("seed starter reference data: %w", err)
	}
	if seeded {
		s.log.Info("starter reference data stored", "tariff_rows", len(start.Tariff),
			"positive_list_rows", len(start.PositiveList), "negative_list_rows", len(start.NegativeList),
			"effective_from", StarterEffectiveFrom)
	}
	return seeded, nil
}

var errNoStore = errors.New("reference data: this service has no database")

// Load reads every stored version and filing. It is Reload under another
// name: the first reload finds everything new.
func (s *Service) Load(ctx context.Context) error { return s.Reload(ctx) }

// Reload picks up the versions and filings stored since the last look, by
// this node or any other sharing the database, and publishes them.
func (s *Service) Reload(ctx context.Context) (err error) {
	defer errs.Wrap(&err, "refdata.Reload")
	if s.store == nil {
		return errNoStore
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	t := s.state.Load().tables
	changed := false
	var c bool
	if t.tariff, c, err = loadNew(ctx, s.store, Tariff, t.tariff, s.store.TariffRows); err != nil {
		return err
	}
	changed = changed || c
	if t.positive, c, err = loadNew(ctx, s.store, PositiveList, t.positive, s.store.PositiveListRows); err != nil {
		return err
	}
	changed = changed || c
	if t.negative, c, err = loadNew(ctx, s.store, NegativeList, t.negative, s.store.NegativeListRows); err != nil {
		return err
	}
	if changed || c {
		s.publish(t)
	}
	return s.reloadProducts(ctx)
}

// loadNew adds the stored versions of a table that vs does not hold yet.
// Versions are immutable, so a known id needs no second look.
func loadNew[T any](ctx context.Context, st Store, kind Kind, vs []version[T],
	rows func(context.Context, int64) ([]T, error)) ([]version[T], bool, error) {
	infos, err := st.ReferenceVersions(ctx, kind)
	if err != nil {
		return vs, false, fmt.Errorf("reload %s versions: %w", kind, err)
	}
	known := make(map[int64]bool, len(vs))
	for _, v := range vs {
		known[v.info.ID] = true
	}
	changed := false
	for _, info := range infos {
		if known[info.ID] {
			continue
		}
		r, err := rows(ctx, info.ID)
		if err != nil {
			return vs, false, fmt.Errorf("reload %s version %d: %w", kind, info.ID, err)
		}
		vs, _ = insertVersion(vs, version[T]{info: info, rows: r})
		changed = true
	}
	return vs, changed, nil
}

// reloadProducts applies the filings updated since a little before the
// newest one seen (writeMu held).
func (s *Service) reloadProducts(ctx context.Context) error {
	s.productLook = time.Now()
	since := time.Time{}
	if !s.productMark.IsZero() {
		since = s.productMark.Add(-productOverlap)
	}
	var batch []catalog.Product
	mark := s.productMark
	err := s.store.ProductFilingsSince(ctx, since, func(f Filing) error {
		batch = append(batch, f.Product)
		if f.UpdatedAt.After(mark) {
			mark = f.UpdatedAt
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reload product filings: %w", err)
	}
	s.products.Store(s.products.Load().with(batch))
	s.productMark = mark
	return nil
}

// RefreshProducts reloads the product filings unless a reload has begun
// since missedAt. A filing stored through another node is in this node's
// memory only after its next reload; an inventory that found no filing at
// missedAt asks for one now rather than be rejected as not filed (1350).
// Callers missing at the same moment share one reload.
func (s *Service) RefreshProducts(ctx context.Context, missedAt time.Time) (err error) {
	defer errs.Wrap(&err, "refdata.RefreshProducts")
	if s.store == nil {
		return errNoStore
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.productLook.After(missedAt) {
		return nil
	}
	return s.reloadProducts(ctx)
}

// Run reloads every ReloadEvery until ctx ends, so that nodes sharing one
// PostgreSQL database converge on what any of them imported. A failed
// reload is logged and the data in memory keeps serving.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(s.reloadEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rctx, cancel := context.WithTimeout(ctx, s.reloadEvery)
		err := s.Reload(rctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			s.log.Warn("reference data reload failed; serving what is in memory", "error", err)
		}
	}
}
