package store

import (
	"context"
	"fmt"
	"time"
)

// ExportSummary is a summary declaration (汇总申报, package export) as stored.
type ExportSummary struct {
	SumNo, Month, EbcCode, AgentCode, TrafMode, OwnerCode, Country, PortCode, CustomsCode string
	Source, CopNo                                                                         string
	Lists                                                                                 int
	Late                                                                                  bool
	DueAt, CreatedAt                                                                      time.Time
	Explanation                                                                           string
}

// ExportSummaryLine is one line of a summary declaration: one HS code, unit and currency.
type ExportSummaryLine struct {
	Gseqno                     int
	Gcode, Unit, Currency, Qty string
	TotalFen                   int64
	Lines                      int // inventory lines merged into it
}

// ExportSummaryItem is an inventory line merged into line Gseqno of a summary.
type ExportSummaryItem struct {
	Gseqno      int
	InventoryID string
	InvtNo      string // of the inventory; read only
	Gnum        int
}

// ExportListLine is a line of a released B export inventory not yet in a
// summary declaration, with the inventory's grouping columns.
type ExportListLine struct {
	InventoryID, InvtNo, LogisticsNo, AgentCode     string
	ReleasedAt                                      time.Time
	EbcCode, TrafMode, OwnerCode, Country, PortCode string
	CustomsCode                                     string
	Gnum                                            int
	Gcode, Unit, Currency, Qty                      string
	TotalFen                                        int64
}

// unsummarizedLines selects the lines of released (800, 899), uncancelled B
// inventories without a summary; $1 is false, the caller's filter follows.
const unsummarizedLines = `SELECT i.id, i.invt_no, i.logistics_no, i.agent_code, i.released_at, i.ebc_code, i.traf_mode, i.owner_code, i.country,
		i.port_code, i.customs_code, l.gnum, l.gcode, l.unit, l.currency, l.qty, l.total_fen
		FROM export_inventories i JOIN export_lines l ON l.inventory_id = i.id
		WHERE i.statistics_flag = 'B' AND i.status IN ('800', '899') AND i.cancelled = $1 AND i.sum_no = '' AND i.released_at IS NOT NULL AND `

const unsummarizedOrder = ` ORDER BY i.released_at, i.invt_no, l.gnum`

func (t *Tx) listLines(ctx context.Context, what, where string, args ...any) ([]ExportListLine, error) {
	rows, err := t.Query(ctx, unsummarizedLines+where+unsummarizedOrder, append([]any{false}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("unsummarized export lines %s: %w", what, err)
	}
	list, err := Collect(rows, func(r Scanner) (ExportListLine, error) {
		var l ExportListLine
		var at Time
		err := r.Scan(&l.InventoryID, &l.InvtNo, &l.LogisticsNo, &l.AgentCode, &at, &l.EbcCode, &l.TrafMode, &l.OwnerCode, &l.Country,
			&l.PortCode, &l.CustomsCode, &l.Gnum, &l.Gcode, &l.Unit, &l.Currency, &l.Qty, &l.TotalFen)
		l.ReleasedAt = at.UTC()
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("unsummarized export lines %s: %w", what, err)
	}
	return list, nil
}

// UnsummarizedExportLines lists the lines of released B export inventories
// without a summary declaration released in [from, to) (all consignors, or
// ebcCode's), in the order they were released.
func (t *Tx) UnsummarizedExportLines(ctx context.Context, from, to time.Time, ebcCode string) ([]ExportListLine, error) {
	what := fmt.Sprintf("released %s to %s of %q", from.Format(time.RFC3339), to.Format(time.RFC3339), ebcCode)
	if ebcCode == "" {
		return t.listLines(ctx, what, `i.released_at >= $2 AND i.released_at < $3`, from, to)
	}
	return t.listLines(ctx, what, `i.released_at >= $2 AND i.released_at < $3 AND i.ebc_code = $4`, from, to, ebcCode)
}

// UnsummarizedExportLinesOf lists the lines of export inventory invtNo of
// ebcCode when it is a released B inventory without a summary declaration.
func (t *Tx) UnsummarizedExportLinesOf(ctx context.Context, invtNo, ebcCode string) ([]ExportListLine, error) {
	return t.listLines(ctx, invtNo+" of "+ebcCode, `i.invt_no = $2 AND i.ebc_code = $3`, invtNo, ebcCode)
}

// UnsummarizedExportReleaseTimes lists the distinct release times of
// released B export inventories without a summary declaration.
func (db *DB) UnsummarizedExportReleaseTimes(ctx context.Context) ([]time.Time, error) {
	rows, err := db.Query(ctx, `SELECT DISTINCT released_at FROM export_inventories WHERE statistics_flag = 'B' AND status IN ('800', '899')
		AND cancelled = $1 AND sum_no = '' AND released_at IS NOT NULL`, false)
	if err != nil {
		return nil, fmt.Errorf("release times of unsummarized exports: %w", err)
	}
	list, err := Collect(rows, func(r Scanner) (time.Time, error) {
		var at Time
		err := r.Scan(&at)
		return at.UTC(), err
	})
	if err != nil {
		return nil, fmt.Errorf("release times of unsummarized exports: %w", err)
	}
	return list, nil
}

// InsertExportSummary stores a summary declaration with its lines and items.
func (t *Tx) InsertExportSummary(ctx context.Context, s *ExportSummary, lines []ExportSummaryLine, items []ExportSummaryItem) error {
	if _, err := t.Exec(ctx, `INSERT INTO export_summaries (sum_no, month, ebc_code, agent_code, traf_mode, owner_code, country, port_code,
		customs_code, source, cop_no, lists, late, due_at, created_at, explanation) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`,
		s.SumNo, s.Month, s.EbcCode, s.AgentCode, s.TrafMode, s.OwnerCode, s.Country, s.PortCode, s.CustomsCode, s.Source, s.CopNo, s.Lists,
		s.Late, s.DueAt, s.CreatedAt, s.Explanation); err != nil {
		return fmt.Errorf("store summary declaration %s: %w", s.SumNo, err)
	}
	for _, l := range lines {
		if _, err := t.Exec(ctx, `INSERT INTO export_summary_lines (sum_no, gseqno, gcode, unit, currency, qty, total_fen, lines) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
			s.SumNo, l.Gseqno, l.Gcode, l.Unit, l.Currency, l.Qty, l.TotalFen, l.Lines); err != nil {
			return fmt.Errorf("store line %d of summary declaration %s: %w", l.Gseqno, s.SumNo, err)
		}
	}
	for _, it := range items {
		if _, err := t.Exec(ctx, `INSERT INTO export_summary_items (sum_no, gseqno, inventory_id, gnum) VALUES ($1,$2,$3,$4)`,
			s.SumNo, it.Gseqno, it.InventoryID, it.Gnum); err != nil {
			return fmt.Errorf("store item %s#%d of summary declaration %s: %w", it.InventoryID, it.Gnum, s.SumNo, err)
		}
	}
	return nil
}

// SummarizeExportInventory puts export inventory id into summary declaration
// sumNo; false when it is in one already.
func (t *Tx) SummarizeExportInventory(ctx context.Context, id, sumNo string) (bool, error) {
	res, err := t.Exec(ctx, `UPDATE export_inventories SET sum_no = $2 WHERE id = $1 AND sum_no = ''`, id, sumNo)
	return changedOne(res, err, "put export inventory "+id+" into summary declaration "+sumNo)
}

// ExportSummary reads summary declaration sumNo with its lines (by gseqno)
// and items (by gseqno, invtNo, gnum); a NotFound error when there is none.
func (t *Tx) ExportSummary(ctx context.Context, sumNo string) (*ExportSummary, []ExportSummaryLine, []ExportSummaryItem, error) {
	var s ExportSummary
	var due, created Time
	err := t.QueryRow(ctx, `SELECT sum_no, month, ebc_code, agent_code, traf_mode, owner_code, country, port_code, customs_code, source, cop_no,
		lists, late, due_at, created_at, explanation FROM export_summaries WHERE sum_no = $1`, sumNo).Scan(&s.SumNo, &s.Month, &s.EbcCode,
		&s.AgentCode, &s.TrafMode, &s.OwnerCode, &s.Country, &s.PortCode, &s.CustomsCode, &s.Source, &s.CopNo, &s.Lists, &s.Late, &due, &created,
		&s.Explanation)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read summary declaration %s: %w", sumNo, classify(err))
	}
	s.DueAt, s.CreatedAt = due.UTC(), created.UTC()
	rows, err := t.Query(ctx, `SELECT gseqno, gcode, unit, currency, qty, total_fen, lines FROM export_summary_lines WHERE sum_no = $1 ORDER BY gseqno`, sumNo)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("lines of summary declaration %s: %w", sumNo, err)
	}
	lines, err := Collect(rows, func(r Scanner) (ExportSummaryLine, error) {
		var l ExportSummaryLine
		err := r.Scan(&l.Gseqno, &l.Gcode, &l.Unit, &l.Currency, &l.Qty, &l.TotalFen, &l.Lines)
		return l, err
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("lines of summary declaration %s: %w", sumNo, err)
	}
	rows, err = t.Query(ctx, `SELECT s.gseqno, s.inventory_id, i.invt_no, s.gnum FROM export_summary_items s JOIN export_inventories i ON i.id = s.inventory_id
		WHERE s.sum_no = $1 ORDER BY s.gseqno, i.invt_no, s.gnum`, sumNo)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("items of summary declaration %s: %w", sumNo, err)
	}
	items, err := Collect(rows, func(r Scanner) (ExportSummaryItem, error) {
		var it ExportSummaryItem
		err := r.Scan(&it.Gseqno, &it.InventoryID, &it.InvtNo, &it.Gnum)
		return it, err
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("items of summary declaration %s: %w", sumNo, err)
	}
	return &s, lines, items, nil
}

// ExportSummaryNos lists the numbers of a month's summary declarations (all
// consignors, or ebcCode's), in order.
func (t *Tx) ExportSummaryNos(ctx context.Context, month, ebcCode string) ([]string, error) {
	q, args := `SELECT sum_no FROM export_summaries WHERE month = $1`, []any{month}
	if ebcCode != "" {
		q, args = q+` AND ebc_code = $2`, append(args, ebcCode)
	}
	rows, err := t.Query(ctx, q+` ORDER BY sum_no`, args...)
	ids, err := textList(rows, err)
	if err != nil {
		return nil, fmt.Errorf("summary declarations of %s of %q: %w", month, ebcCode, err)
	}
	return ids, nil
}

// ExportSummaryListTotals sums the values of the inventory lines of summary
// declaration sumNo's inventories per currency.
func (t *Tx) ExportSummaryListTotals(ctx context.Context, sumNo string) (map[string]int64, error) {
	rows, err := t.Query(ctx, `SELECT l.currency, SUM(l.total_fen) FROM export_lines l JOIN export_inventories i ON i.id = l.inventory_id
		WHERE i.sum_no = $1 GROUP BY l.currency`, sumNo)
	if err != nil {
		return nil, fmt.Errorf("lists of summary declaration %s: %w", sumNo, err)
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var c string
		var v int64
		if err := rows.Scan(&c, &v); err != nil {
			return nil, fmt.Errorf("lists of summary declaration %s: %w", sumNo, err)
		}
		m[c] += v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lists of summary declaration %s: %w", sumNo, err)
	}
	return m, nil
}

// ExportRefundRow is a summary line with its summary's head, for the tax refund.
type ExportRefundRow struct {
	SumNo, Month, EbcCode, OwnerCode, Country, PortCode string
	Line                                                ExportSummaryLine
	OpenLists                                           int // inventories behind the line not yet closed (departed)
}

// ExportRefundRows lists a month's summary lines (all consignors, or
// ebcCode's) by sumNo and gseqno.
func (db *DB) ExportRefundRows(ctx context.Context, month, ebcCode string) ([]ExportRefundRow, error) {
	q := `SELECT s.sum_no, s.month, s.ebc_code, s.owner_code, s.country, s.port_code, l.gseqno, l.gcode, l.unit, l.qty, l.currency, l.total_fen, l.lines,
		(SELECT COUNT(*) FROM export_summary_items x JOIN export_inventories i ON i.id = x.inventory_id WHERE x.sum_no = s.sum_no AND x.gseqno = l.gseqno AND i.closed_at IS NULL)
		FROM export_summaries s JOIN export_summary_lines l ON l.sum_no = s.sum_no WHERE s.month = $1`
	args := []any{month}
	if ebcCode != "" {
		q, args = q+` AND s.ebc_code = $2`, append(args, ebcCode)
	}
	rows, err := db.Query(ctx, q+` ORDER BY s.sum_no, l.gseqno`, args...)
	if err != nil {
		return nil, fmt.Errorf("refund lines of %s of %q: %w", month, ebcCode, err)
	}
	list, err := Collect(rows, func(r Scanner) (ExportRefundRow, error) {
		var v ExportRefundRow
		l := &v.Line
		err := r.Scan(&v.SumNo, &v.Month, &v.EbcCode, &v.OwnerCode, &v.Country, &v.PortCode, &l.Gseqno, &l.Gcode, &l.Unit, &l.Qty, &l.Currency,
			&l.TotalFen, &l.Lines, &v.OpenLists)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("refund lines of %s of %q: %w", month, ebcCode, err)
	}
	return list, nil
}
