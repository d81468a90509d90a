package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/refdata"
)

var _ refdata.Store = (*DB)(nil)

// versionTables names each versioned table's version and row tables. The
// names are constants, never input, so they may be spliced into SQL.
var versionTables = map[refdata.Kind]struct{ versions, rows string }{
	refdata.Tariff:       {"tariff_versions", "tariff_rows"},
	refdata.PositiveList: {"positive_list_versions", "positive_list_rows"},
	refdata.NegativeList: {"negative_list_versions", "negative_list_rows"},
}

// referenceRowsPerInsert bounds a multi-row INSERT of reference data: 200
// rows of 14 columns stay far below both engines' limits on bound
// parameters, and save a round trip per row on PostgreSQL.
const referenceRowsPerInsert = 200

// insertRows inserts rows into table, per at a time; values returns one row's
// column values in the order of columns. The inserts are queued (Tx.later):
// an error may come from a later statement or the commit, naming the table.
func insertRows(ctx context.Context, tx *Tx, table, columns string, n, per int, values func(i int) []any, suffix string) error {
	return eachInsert(table, columns, n, per, values, suffix, func(query string, args []any) error {
		return tx.later(ctx, "insert into "+table, query, args...)
	})
}

// eachInsert builds the multi-row INSERTs of insertRows and gives each to
// run, for a caller that needs what a statement returns or how many rows it
// stored.
func eachInsert(table, columns string, n, per int, values func(i int) []any, suffix string, run func(query string, args []any) error) error {
	width := len(strings.Split(columns, ","))
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		var b strings.Builder
		args := make([]any, 0, (end-start)*width)
		b.WriteString("INSERT INTO " + table + " (" + columns + ") VALUES ")
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for c := range width {
				if c > 0 {
					b.WriteByte(',')
				}
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(len(args) + c + 1))
			}
			b.WriteByte(')')
			args = append(args, values(i)...)
		}
		b.WriteString(suffix)
		if err := run(b.String(), args); err != nil {
			return err
		}
	}
	return nil
}

// addVersion stores a version header and its rows in tx and sets v.ID.
func addVersion(ctx context.Context, tx *Tx, v *refdata.VersionInfo, columns string, n int, values func(i int) []any) error {
	t, ok := versionTables[v.Kind]
	if !ok {
		return fmt.Errorf("unknown reference table %q", v.Kind)
	}
	err := tx.QueryRow(ctx, `INSERT INTO `+t.versions+` (effective_from, replace_all, uploaded_by, uploaded_at, row_count)
		VALUES ($1,$2,$3,$4,$5) RETURNING id`, v.EffectiveFrom, v.Replace, v.UploadedBy, v.UploadedAt, n).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("store %s version: %w", v.Kind, classify(err))
	}
	v.Rows = n
	id := v.ID
	return insertRows(ctx, tx, t.rows, "version_id,"+columns, n, referenceRowsPerInsert, func(i int) []any {
		return append([]any{id}, values(i)...)
	}, "")
}

const tariffColumns = `hs_code, name, vat_rate, consumption_tax_rate, consumption_tax_threshold, consumption_tax_unit,
	consumption_tax_threshold_piece, consumption_tax_specific, consumption_tax_specific_unit, consumption_tax_specific_below,
	litres_per_tonne, legal_unit, duty_rate`

func tariffValues(r catalog.TariffRow) []any {
	return []any{r.HSCode, r.Name, r.VATRate.String(), r.CTRate.String(), r.CTThreshold.String(), string(r.CTUnit),
		r.CTThresholdPiece.String(), r.CTSpecific.String(), string(r.CTSpecificUnit), r.CTSpecificBelow.String(),
		r.LitresPerTonne.String(), string(r.LegalUnit), r.DutyRate.String()}
}

const positiveColumns = `hs_code, name, remark_kind, remark`

func positiveValues(e catalog.PositiveListEntry) []any {
	return []any{e.HSCode, e.Name, string(e.RemarkKind), e.Remark}
}

const negativeColumns = `position, hs_prefix, gtin, name, kind, reason`

// AddTariffVersion stores a tariff version and its rows in one transaction.
func (db *DB) AddTariffVersion(ctx context.Context, v *refdata.VersionInfo, rows []catalog.TariffRow) error {
	return db.InTx(ctx, func(tx *Tx) error { return addTariff(ctx, tx, v, rows) })
}

func addTariff(ctx context.Context, tx *Tx, v *refdata.VersionInfo, rows []catalog.TariffRow) error {
	v.Kind = refdata.Tariff
	return addVersion(ctx, tx, v, tariffColumns, len(rows), func(i int) []any { return tariffValues(rows[i]) })
}

// AddPositiveListVersion stores a positive-list version and its entries.
func (db *DB) AddPositiveListVersion(ctx context.Context, v *refdata.VersionInfo, rows []catalog.PositiveListEntry) error {
	return db.InTx(ctx, func(tx *Tx) error { return addPositive(ctx, tx, v, rows) })
}

func addPositive(ctx context.Context, tx *Tx, v *refdata.VersionInfo, rows []catalog.PositiveListEntry) error {
	v.Kind = refdata.PositiveList
	return addVersion(ctx, tx, v, positiveColumns, len(rows), func(i int) []any { return positiveValues(rows[i]) })
}

// AddNegativeListVersion stores a negative-list version and its entries, in
// list order.
func (db *DB) AddNegativeListVersion(ctx context.Context, v *refdata.VersionInfo, rows []catalog.NegativeListEntry) error {
	return db.InTx(ctx, func(tx *Tx) error { return addNegative(ctx, tx, v, rows) })
}

func addNegative(ctx context.Context, tx *Tx, v *refdata.VersionInfo, rows []catalog.NegativeListEntry) error {
	v.Kind = refdata.NegativeList
	return addVersion(ctx, tx, v, negativeColumns, len(rows), func(i int) []any {
		e := rows[i]
		return []any{i + 1, e.HSPrefix, e.GTIN, e.Name, string(e.Kind), e.Reason}
	})
}

// seedSetting marks a database whose starter data has been stored.
const seedSetting = "reference_starter_seeded"

// SeedReference stores the starter tables as the first version of each table
// that has none, once per database. The marker row is inserted first: when
// several nodes start together on PostgreSQL the others wait on it and then
// find it taken, so the starter is never stored twice.
func (db *DB) SeedReference(ctx context.Context, s refdata.Starter) (_ bool, err error) {
	defer errs.Wrap(&err, "store.SeedReference")
	seeded := false
	err = db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
			seedSetting, s.EffectiveFrom.UTC().Format(time.RFC3339), s.At)
		if err != nil {
			return fmt.Errorf("mark starter: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		seeded = true
		version := func() *refdata.VersionInfo {
			return &refdata.VersionInfo{EffectiveFrom: s.EffectiveFrom, UploadedBy: refdata.StarterUploader, UploadedAt: s.At}
		}
		steps := []struct {
			kind refdata.Kind
			add  func() error
		}{
			{refdata.Tariff, func() error { return addTariff(ctx, tx, version(), s.Tariff) }},
			{refdata.PositiveList, func() error { return addPositive(ctx, tx, version(), s.PositiveList) }},
			{refdata.NegativeList, func() error { return addNegative(ctx, tx, version(), s.NegativeList) }},
		}
		for _, step := range steps {
			var count int
			err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+versionTables[step.kind].versions).Scan(&count)
			if err != nil {
				return fmt.Errorf("count %s versions: %w", step.kind, classify(err))
			}
			if count > 0 {
				continue // loaded by an operator before the first start
			}
			if err := step.add(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return seeded, nil
}

// ReferenceVersions lists a table's versions by id.
func (db *DB) ReferenceVersions(ctx context.Context, kind refdata.Kind) ([]refdata.VersionInfo, error) {
	t, ok := versionTables[kind]
	if !ok {
		return nil, fmt.Errorf("unknown reference table %q", kind)
	}
	rows, err := db.Query(ctx, `SELECT id, effective_from, replace_all, uploaded_by, uploaded_at, row_count FROM `+t.versions+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list %s versions: %w", kind, err)
	}
	defer rows.Close()
	var out []refdata.VersionInfo
	for rows.Next() {
		v := refdata.VersionInfo{Kind: kind}
		var from, at Time
		if err := rows.Scan(&v.ID, &from, &v.Replace, &v.UploadedBy, &at, &v.Rows); err != nil {
			return nil, fmt.Errorf("list %s versions: %w", kind, err)
		}
		v.EffectiveFrom, v.UploadedAt = from.UTC(), at.UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s versions: %w", kind, classify(err))
	}
	return out, nil
}

// versionRows reads the rows of one version, calling scan on each.
func (db *DB) versionRows(ctx context.Context, kind refdata.Kind, columns, order string, id int64, scan func(scanner) error) error {
	rows, err := db.Query(ctx, `SELECT `+columns+` FROM `+versionTables[kind].rows+` WHERE version_id = $1 ORDER BY `+order, id)
	if err != nil {
		return fmt.Errorf("read %s version %d: %w", kind, id, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("read %s version %d: %w", kind, id, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s version %d: %w", kind, id, classify(err))
	}
	return nil
}

// TariffRows reads a tariff version's rows by HS code.
func (db *DB) TariffRows(ctx context.Context, id int64) (_ []catalog.TariffRow, err error) {
	defer errs.Wrap(&err, "store.TariffRows(%d)", id)
	var out []catalog.TariffRow
	err = db.versionRows(ctx, refdata.Tariff, tariffColumns, "hs_code", id, func(s scanner) error {
		var r catalog.TariffRow
		var vat, ct, thr, unit, thrPiece, spec, specUnit, specBelow, lpt, legal, duty string
		if err := s.Scan(&r.HSCode, &r.Name, &vat, &ct, &thr, &unit, &thrPiece, &spec, &specUnit, &specBelow, &lpt, &legal, &duty); err != nil {
			return err
		}
		r.CTUnit, r.CTSpecificUnit, r.LegalUnit = catalog.Unit(unit), catalog.Unit(specUnit), catalog.Unit(legal)
		d := decimals{hs: r.HSCode}
		r.VATRate, r.CTRate, r.CTThreshold = d.parse("vat_rate", vat), d.parse("consumption_tax_rate", ct), d.parse("consumption_tax_threshold", thr)
		r.CTThresholdPiece, r.CTSpecific = d.parse("consumption_tax_threshold_piece", thrPiece), d.parse("consumption_tax_specific", spec)
		r.CTSpecificBelow, r.LitresPerTonne = d.parse("consumption_tax_specific_below", specBelow), d.parse("litres_per_tonne", lpt)
		r.DutyRate = d.parse("duty_rate", duty)
		if d.err != nil {
			return d.err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// decimals parses a row's stored decimal columns, keeping the first error.
type decimals struct {
	hs  string
	err error
}

func (d *decimals) parse(column, s string) money.Decimal {
	v, err := money.ParseDecimal(s)
	if err != nil && d.err == nil {
		d.err = fmt.Errorf("stored %s of %s: %w", column, d.hs, err)
	}
	return v
}

// PositiveListRows reads a positive-list version's entries by HS code.
func (db *DB) PositiveListRows(ctx context.Context, id int64) (_ []catalog.PositiveListEntry, err error) {
	defer errs.Wrap(&err, "store.PositiveListRows(%d)", id)
	var out []catalog.PositiveListEntry
	err = db.versionRows(ctx, refdata.PositiveList, positiveColumns, "hs_code", id, func(s scanner) error {
		var e catalog.PositiveListEntry
		var kind string
		if err := s.Scan(&e.HSCode, &e.Name, &kind, &e.Remark); err != nil {
			return err
		}
		e.RemarkKind = catalog.RemarkKind(kind)
		if e.RemarkKind == catalog.RemarkYearlyCap {
			// The cap was checked at upload; it is kept as the text written.
			q, err := catalog.ParseQuantity(e.Remark)
			if err != nil {
				return fmt.Errorf("stored yearly cap of %s: %w", e.HSCode, err)
			}
			e.YearlyCap = &q
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// NegativeListRows reads a negative-list version's entries in list order.
func (db *DB) NegativeListRows(ctx context.Context, id int64) (_ []catalog.NegativeListEntry, err error) {
	defer errs.Wrap(&err, "store.NegativeListRows(%d)", id)
	var out []catalog.NegativeListEntry
	err = db.versionRows(ctx, refdata.NegativeList, negativeColumns, "position", id, func(s scanner) error {
		var e catalog.NegativeListEntry
		var pos int
		var kind string
		if err := s.Scan(&pos, &e.HSPrefix, &e.GTIN, &e.Name, &kind, &e.Reason); err != nil {
			return err
		}
		e.Kind = catalog.NegativeKind(kind)
		out = append(out, e)
		return nil
	})
	return out, err
}

const productColumns = `ebc_code, item_no, name, hs_code, gtin, brand, origin_country, spec, legal_unit, item_record_no, updated_at`

// PutProductFilings stores filings under ebcCode, replacing those with the
// same item number, in one transaction.
func (db *DB) PutProductFilings(ctx context.Context, ebcCode string, ps []catalog.Product, at time.Time) error {
	// The engines disagree on a key repeated within one upsert (SQLite lets
	// the last win, PostgreSQL fails), so refuse it here on both.
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		if seen[p.ItemNo] {
			return errs.Invalidf("item_no", "item_no_repeated", "item %s appears twice in one upload", p.ItemNo)
		}
		seen[p.ItemNo] = true
	}
	err := db.InTx(ctx, func(tx *Tx) error {
		return insertRows(ctx, tx, "product_filings", productColumns, len(ps), referenceRowsPerInsert, func(i int) []any {
			p := ps[i]
			return []any{ebcCode, p.ItemNo, p.Name, p.HSCode, p.GTIN, p.Brand, p.OriginCountry, p.Spec, p.LegalUnit, p.ItemRecordNo, at}
		}, ` ON CONFLICT (ebc_code, item_no) DO UPDATE SET name = excluded.name, hs_code = excluded.hs_code,
			gtin = excluded.gtin, brand = excluded.brand, origin_country = excluded.origin_country, spec = excluded.spec,
			legal_unit = excluded.legal_unit, item_record_no = excluded.item_record_no, updated_at = excluded.updated_at`)
	})
	if err != nil {
		return fmt.Errorf("store product filings of %s: %w", ebcCode, err)
	}
	return nil
}

func scanFiling(s scanner) (refdata.Filing, error) {
	var f refdata.Filing
	var at Time
	err := s.Scan(&f.EBCCode, &f.ItemNo, &f.Name, &f.HSCode, &f.GTIN, &f.Brand, &f.OriginCountry, &f.Spec, &f.LegalUnit, &f.ItemRecordNo, &at)
	f.UpdatedAt = at.UTC()
	return f, err
}

// ProductFilingsSince calls fn for every filing updated at or after since.
func (db *DB) ProductFilingsSince(ctx context.Context, since time.Time, fn func(refdata.Filing) error) (err error) {
	defer errs.Wrap(&err, "store.ProductFilingsSince")
	rows, err := db.Query(ctx, `SELECT `+productColumns+` FROM product_filings WHERE updated_at >= $1 ORDER BY updated_at`, since)
	if err != nil {
		return fmt.Errorf("read product filings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		f, err := scanFiling(rows)
		if err != nil {
			return fmt.Errorf("read product filings: %w", err)
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read product filings: %w", classify(err))
	}
	return nil
}

// ProductFiling reads one filing.
func (db *DB) ProductFiling(ctx context.Context, ebcCode, itemNo string) (refdata.Filing, error) {
	f, err := scanFiling(db.QueryRow(ctx, `SELECT `+productColumns+` FROM product_filings WHERE ebc_code = $1 AND item_no = $2`, ebcCode, itemNo))
	if err != nil {
		if errs.KindOf(classify(err)) == errs.NotFound {
			return f, errs.New(errs.NotFound, "product_not_found", "itemNo", "enterprise %s has filed no item %s", ebcCode, itemNo)
		}
		return f, fmt.Errorf("read product filing %s/%s: %w", ebcCode, itemNo, classify(err))
	}
	return f, nil
}

// ProductFilings lists an enterprise's filings by item number, after the
// item number after, at most limit of them.
func (db *DB) ProductFilings(ctx context.Context, ebcCode, after string, limit int) ([]refdata.Filing, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := db.Query(ctx, `SELECT `+productColumns+` FROM product_filings WHERE ebc_code = $1 AND item_no > $2 ORDER BY item_no LIMIT $3`,
		ebcCode, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list product filings of %s: %w", ebcCode, err)
	}
	defer rows.Close()
	out := []refdata.Filing{}
	for rows.Next() {
		f, err := scanFiling(rows)
		if err != nil {
			return nil, fmt.Errorf("list product filings of %s: %w", ebcCode, err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list product filings of %s: %w", ebcCode, classify(err))
	}
	return out, nil
}
