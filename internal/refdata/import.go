package refdata

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/errs"
)

// Upload says how an uploaded table is published.
type Upload struct {
	// EffectiveFrom is when the version takes effect; zero means now. A
	// future date loads the table ahead; it takes effect by itself then.
	EffectiveFrom time.Time
	// Replace makes the upload the whole table (see VersionInfo.Replace).
	Replace bool
	// By names the uploader in listings: "admin", "cli".
	By string
}

// ImportTariff parses a tariff CSV (contract §6), stores it as a new version
// and publishes it. A file with any problem is refused whole with a
// *catalog.ProblemsError naming every problem.
func (s *Service) ImportTariff(ctx context.Context, r io.Reader, u Upload) (_ VersionInfo, err error) {
	defer errs.Wrap(&err, "refdata.ImportTariff")
	return importVersion(ctx, s, Tariff, r, u, catalog.ParseTariffCSV, s.storeTariff,
		func(t *tables) *[]version[catalog.TariffRow] { return &t.tariff })
}

// ImportPositiveList does the same for the positive list.
func (s *Service) ImportPositiveList(ctx context.Context, r io.Reader, u Upload) (_ VersionInfo, err error) {
	defer errs.Wrap(&err, "refdata.ImportPositiveList")
	return importVersion(ctx, s, PositiveList, r, u, catalog.ParsePositiveListCSV, s.storePositive,
		func(t *tables) *[]version[catalog.PositiveListEntry] { return &t.positive })
}

// ImportNegativeList does the same for the negative list (columns hs_prefix,
// gtin, name, kind, reason; see catalog.ParseNegativeListCSV).
func (s *Service) ImportNegativeList(ctx context.Context, r io.Reader, u Upload) (_ VersionInfo, err error) {
	defer errs.Wrap(&err, "refdata.ImportNegativeList")
	return importVersion(ctx, s, NegativeList, r, u, catalog.ParseNegativeListCSV, s.storeNegative,
		func(t *tables) *[]version[catalog.NegativeListEntry] { return &t.negative })
}

// The store methods are reached through these so that a service without a
// store (New) fails cleanly instead of calling a nil interface.
func (s *Service) storeTariff(ctx context.Context, v *VersionInfo, rows []catalog.TariffRow) error {
	return s.store.AddTariffVersion(ctx, v, rows)
}

func (s *Service) storePositive(ctx context.Context, v *VersionInfo, rows []catalog.PositiveListEntry) error {
	return s.store.AddPositiveListVersion(ctx, v, rows)
}

func (s *Service) storeNegative(ctx context.Context, v *VersionInfo, rows []catalog.NegativeListEntry) error {
	return s.store.AddNegativeListVersion(ctx, v, rows)
}

// dbTime is the precision both engines keep: a time read back must equal the
// one published in memory.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func importVersion[T any](ctx context.Context, s *Service, kind Kind, r io.Reader, u Upload,
	parse func(io.Reader) ([]T, error),
	add func(context.Context, *VersionInfo, []T) error,
	slot func(*tables) *[]version[T]) (VersionInfo, error) {
	if s.store == nil {
		return VersionInfo{}, errNoStore
	}
	rows, err := parse(r)
	if err != nil {
		return VersionInfo{}, fmt.Errorf("import %s: %w", kind, err)
	}
	if len(rows) == 0 {
		// A header-only file is valid and imports nothing (docs/catalog.md):
		// no version is stored. As the whole table it would empty it, which
		// is far more likely a wrong file than an intent.
		if u.Replace {
			return VersionInfo{}, fmt.Errorf("import %s: %w", kind, noRows())
		}
		return VersionInfo{Kind: kind}, nil
	}
	now := dbTime(s.now())
	v := VersionInfo{Kind: kind, EffectiveFrom: dbTime(u.EffectiveFrom), Replace: u.Replace,
		UploadedBy: u.By, UploadedAt: now, Rows: len(rows)}
	if u.EffectiveFrom.IsZero() {
		v.EffectiveFrom = now
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := add(ctx, &v, rows); err != nil {
		return VersionInfo{}, fmt.Errorf("import %s: %w", kind, err)
	}
	t := s.state.Load().tables
	p := slot(&t)
	*p, _ = insertVersion(*p, version[T]{info: v, rows: rows})
	s.publish(t)
	return v, nil
}

// noRows refuses a replacing upload without rows.
func noRows() error {
	return &catalog.ProblemsError{Problems: []catalog.Problem{{Line: 2,
		Message: "no data rows after the header: as the whole table (replace) this would empty it"}}}
}

// ImportProducts parses an enterprise's product-filing CSV and stores every
// row under ebcCode, replacing earlier filings of the same item numbers, then
// serves them at once. It returns the number of rows filed.
func (s *Service) ImportProducts(ctx context.Context, ebcCode string, r io.Reader) (_ int, err error) {
	defer errs.Wrap(&err, "refdata.ImportProducts(%q)", ebcCode)
	if s.store == nil {
		return 0, errNoStore
	}
	ps, err := catalog.ParseProductsCSV(r)
	if err != nil {
		return 0, err
	}
	if len(ps) == 0 {
		return 0, nil
	}
	for i := range ps {
		ps[i].EBCCode = ebcCode
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.store.PutProductFilings(ctx, ebcCode, ps, dbTime(s.now())); err != nil {
		return 0, err
	}
	s.products.Store(s.products.Load().with(ps))
	return len(ps), nil
}

// Versions lists the versions of a table this node holds, oldest first by
// effective date.
func (s *Service) Versions(kind Kind) []VersionInfo {
	t := s.current().tables
	switch kind {
	case Tariff:
		return infos(t.tariff)
	case PositiveList:
		return infos(t.positive)
	case NegativeList:
		return infos(t.negative)
	}
	return nil
}

func infos[T any](vs []version[T]) []VersionInfo {
	out := make([]VersionInfo, len(vs))
	for i, v := range vs {
		out[i] = v.info
	}
	return out
}

// TariffAt returns the tariff row of a 10-digit HS code in force at a moment
// and the version it comes from.
func (s *Service) TariffAt(hsCode string, at time.Time) (catalog.TariffRow, int64, bool) {
	e, ok := s.at(at).tariff.rows[hsCode]
	return e.Row, e.Version, ok
}

// PositiveAt returns the positive-list entry governing an HS code at a
// moment, and its version: for 10 digits the code's own entry or its 8-digit
// line's, for 8 digits the line's entry.
func (s *Service) PositiveAt(hsCode string, at time.Time) (catalog.PositiveListEntry, int64, bool) {
	st := s.at(at)
	if len(hsCode) == 8 {
		e, ok := st.positive.rows[hsCode]
		return e.Row, e.Version, ok
	}
	e, ok := matchPositive(st, hsCode)
	return e.Row, e.Version, ok
}

// NegativeAt returns the whole negative list in force at a moment, in list
// order.
func (s *Service) NegativeAt(at time.Time) []catalog.NegativeListEntry {
	return append([]catalog.NegativeListEntry(nil), s.at(at).negative.entries...)
}

// ProductFiling reads one stored filing (with its upload time).
func (s *Service) ProductFiling(ctx context.Context, ebcCode, itemNo string) (_ Filing, err error) {
	defer errs.Wrap(&err, "refdata.ProductFiling(%q, %q)", ebcCode, itemNo)
	if s.store == nil {
		return Filing{}, errNoStore
	}
	return s.store.ProductFiling(ctx, ebcCode, itemNo)
}

// ProductFilings lists an enterprise's stored filings by item number.
func (s *Service) ProductFilings(ctx context.Context, ebcCode, after string, limit int) (_ []Filing, err error) {
	defer errs.Wrap(&err, "refdata.ProductFilings(%q, %q, %d)", ebcCode, after, limit)
	if s.store == nil {
		return nil, errNoStore
	}
	return s.store.ProductFilings(ctx, ebcCode, after, limit)
}
