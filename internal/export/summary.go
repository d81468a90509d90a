package export

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/intake"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
)

// Summary is one summary declaration (汇总申报) with its lines and the
// explanation of its grouping.
type Summary struct {
	SumNo       string          `json:"sumNo"`
	Month       string          `json:"month"`
	EbcCode     string          `json:"ebcCode"`
	AgentCode   string          `json:"agentCode"`
	TrafMode    string          `json:"trafMode"`
	OwnerCode   string          `json:"ownerCode"`
	Country     string          `json:"country"`
	PortCode    string          `json:"portCode"`
	Source      string          `json:"source"`
	Lists       int             `json:"lists"`
	Totals      []CurrencyTotal `json:"totals"` // one per currency of its lines
	Late        bool            `json:"late"`
	DueAt       time.Time       `json:"dueAt"`
	CreatedAt   time.Time       `json:"createdAt"`
	Explanation string          `json:"explanation"`
	Lines       []SummaryLine   `json:"lines"`
}

// SummaryLine is one line: a 10-digit HS code, declared unit and currency.
type SummaryLine struct {
	Gseqno   int      `json:"gseqno"`
	Gcode    string   `json:"gcode"`
	Unit     string   `json:"unit"`
	Currency string   `json:"currency"`
	Qty      string   `json:"qty"`
	Value    string   `json:"value"`
	From     []string `json:"from"` // invtNo#gnum of each inventory line merged
	totalFen int64
}

// CurrencyTotal is a sum of values in one currency: values in different
// currencies are never added together.
type CurrencyTotal struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

// fenByCurrency sums values in fen per currency code.
type fenByCurrency map[string]int64

// totals lists the sums by currency code.
func (m fenByCurrency) totals() []CurrencyTotal {
	out := []CurrencyTotal{}
	for _, c := range slices.Sorted(maps.Keys(m)) {
		out = append(out, CurrencyTotal{Currency: c, Value: fen(m[c])})
	}
	return out
}

// lineTotals sums a summary's lines per currency.
func lineTotals(lines []SummaryLine) fenByCurrency {
	m := fenByCurrency{}
	for _, l := range lines {
		m[l.Currency] += l.totalFen
	}
	return m
}

// describeTotals renders totals for receipts and explanations: "142 155.00, 502 25.00".
func describeTotals(ts []CurrencyTotal) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.Currency + " " + t.Value
	}
	return strings.Join(parts, ", ")
}

// listLine is a released B inventory line to merge.
type listLine struct {
	invID, invtNo, logisticsNo, agent string
	gnum                              int
	gcode, unit, currency, qty        string
	totalFen                          int64
	group                             groupKey
}

// groupKey is the grouping of rules §11: consignor, transport mode,
// seller/producer, destination country, exit customs — within one month.
type groupKey struct{ month, ebc, traf, owner, country, port, customs string }

// released lists the unsummarized lines of released B inventories, filtered by where.
func (s *Service) released(ctx context.Context, tx *store.Tx, where string, args ...any) ([]listLine, error) {
	rows, err := tx.Query(ctx, `SELECT i.id, i.invt_no, i.logistics_no, i.agent_code, i.released_at, i.ebc_code, i.traf_mode, i.owner_code, i.country,
		i.port_code, i.customs_code, l.gnum, l.gcode, l.unit, l.currency, l.qty, l.total_fen
		FROM export_inventories i JOIN export_lines l ON l.inventory_id = i.id
		WHERE i.statistics_flag = 'B' AND i.status IN ('800', '899') AND i.cancelled = $1 AND i.sum_no = '' AND i.released_at IS NOT NULL AND `+where+`
		ORDER BY i.released_at, i.invt_no, l.gnum`, append([]any{false}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []listLine
	for rows.Next() {
		var l listLine
		var at store.Time
		if err := rows.Scan(&l.invID, &l.invtNo, &l.logisticsNo, &l.agent, &at, &l.group.ebc, &l.group.traf, &l.group.owner, &l.group.country,
			&l.group.port, &l.group.customs, &l.gnum, &l.gcode, &l.unit, &l.currency, &l.qty, &l.totalFen); err != nil {
			return nil, err
		}
		l.group.month = monthOf(at.Time)
		out = append(out, l)
	}
	return out, rows.Err()
}

// merge groups lines into summary declarations: one per group key, and in
// each one line per HS code, unit and currency. Quantities and values are
// added exactly, so the summary's lines add up to its lists.
func merge(lines []listLine) ([]groupKey, map[groupKey][]*SummaryLine, map[groupKey][]listLine, error) {
	var keys []groupKey
	byGroup := map[groupKey][]listLine{}
	for _, l := range lines {
		if _, ok := byGroup[l.group]; !ok {
			keys = append(keys, l.group)
		}
		byGroup[l.group] = append(byGroup[l.group], l)
	}
	out := map[groupKey][]*SummaryLine{}
	for _, g := range keys {
		idx := map[[3]string]*SummaryLine{}
		qty := map[*SummaryLine]money.Decimal{}
		for _, l := range byGroup[g] {
			k := [3]string{l.gcode, l.unit, l.currency}
			sl, ok := idx[k]
			if !ok {
				sl = &SummaryLine{Gcode: l.gcode, Unit: l.unit, Currency: l.currency}
				idx[k] = sl
				out[g] = append(out[g], sl)
				qty[sl] = money.DecimalFromInt(0)
			}
			q, err := decimal("qty", l.qty)
			if err != nil {
				return nil, nil, nil, err
			}
			if qty[sl], err = qty[sl].Add(q); err != nil {
				return nil, nil, nil, err
			}
			sl.totalFen += l.totalFen
			sl.From = append(sl.From, fmt.Sprintf("%s#%d", l.invtNo, l.gnum))
		}
		slices.SortFunc(out[g], func(a, b *SummaryLine) int {
			return strings.Compare(a.Gcode+a.Unit+a.Currency, b.Gcode+b.Unit+b.Currency)
		})
		for i, sl := range out[g] {
			sl.Gseqno, sl.Qty, sl.Value = i+1, qty[sl].String(), fen(sl.totalFen)
		}
	}
	return keys, out, byGroup, nil
}

// summarize merges the given lines into summary declarations in tx and sends
// each one's CEB792 to the consignor and the declaring agent.
func (s *Service) summarize(ctx context.Context, tx *store.Tx, lines []listLine, source, copNo string, now time.Time) ([]Summary, error) {
	keys, merged, byGroup, err := merge(lines)
	if err != nil {
		return nil, err
	}
	var out []Summary
	for _, g := range keys {
		customs := g.customs
		if len(customs) != 4 {
			customs = "0000"
		}
		sumNo, err := serialNo(ctx, tx, customs+"%[2]sH%09[3]d", now)
		if err != nil {
			return nil, err
		}
		ls := byGroup[g]
		invs := map[string]bool{}
		for _, l := range ls {
			invs[l.invID] = true
		}
		due := s.Params.Deadline(g.month)
		sum := Summary{SumNo: sumNo, Month: g.month, EbcCode: g.ebc, AgentCode: ls[0].agent, TrafMode: g.traf, OwnerCode: g.owner, Country: g.country,
			PortCode: g.port, Source: source, Lists: len(invs), Late: now.After(due), DueAt: due.In(cst), CreatedAt: now}
		for _, sl := range merged[g] {
			sum.Lines = append(sum.Lines, *sl)
		}
		sum.Totals = lineTotals(sum.Lines).totals()
		sum.Explanation = explain(sum, len(ls))
		if _, err := tx.Exec(ctx, `INSERT INTO export_summaries (sum_no, month, ebc_code, agent_code, traf_mode, owner_code, country, port_code,
			customs_code, source, cop_no, lists, late, due_at, created_at, explanation) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`,
			sumNo, g.month, g.ebc, sum.AgentCode, g.traf, g.owner, g.country, g.port, g.customs, source, copNo, sum.Lists, sum.Late, due, now, sum.Explanation); err != nil {
			return nil, err
		}
		for _, sl := range merged[g] {
			if _, err := tx.Exec(ctx, `INSERT INTO export_summary_lines (sum_no, gseqno, gcode, unit, currency, qty, total_fen, lines) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
				sumNo, sl.Gseqno, sl.Gcode, sl.Unit, sl.Currency, sl.Qty, sl.totalFen, len(sl.From)); err != nil {
				return nil, err
			}
		}
		result := ceb.SummaryResult{SummaryResultHead: ceb.SummaryResultHead{Guid: ceb.NewGuid(), CustomsCode: customs, SumNo: sumNo,
			OpDate: ceb.FormatReturnTime(now), DeclSeqNo: "D" + sumNo[1:], DecState: "10", AgentCode: sum.AgentCode, AgentName: sum.AgentCode,
			EbcCode: g.ebc, EbcName: g.ebc, DeclAgentCode: sum.AgentCode, DeclAgentName: sum.AgentCode, GrossWeight: "0", NetWeight: "0",
			MsgCount: "1", MsgSeqNo: "1", Note: fmt.Sprintf("%d lists, %d lines, totals %s", sum.Lists, len(sum.Lines), describeTotals(sum.Totals))}}
		for _, sl := range merged[g] {
			for _, from := range sl.From {
				invtNo, gnum, _ := strings.Cut(from, "#")
				var id, lno string
				for _, l := range ls {
					if l.invtNo == invtNo && fmt.Sprint(l.gnum) == gnum {
						id, lno = l.invID, l.logisticsNo
					}
				}
				if _, err := tx.Exec(ctx, `INSERT INTO export_summary_items (sum_no, gseqno, inventory_id, gnum) VALUES ($1,$2,$3,$4)`, sumNo, sl.Gseqno, id, gnum); err != nil {
					return nil, err
				}
				result.SummaryResultList = append(result.SummaryResultList, ceb.SummaryResultList{InvtNo: invtNo, LogisticsNo: lno,
					Gseqno: fmt.Sprint(sl.Gseqno), Gnum: gnum, Gcode: sl.Gcode})
			}
		}
		for id := range invs {
			res, err := tx.Exec(ctx, `UPDATE export_inventories SET sum_no = $2 WHERE id = $1 AND sum_no = ''`, id, sumNo)
			if err != nil {
				return nil, err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return nil, errs.New(errs.Conflict, "summary_raced", "month", "an inventory of %s was summarized meanwhile; run again", g.month)
			}
		}
		xml, err := ceb.Encode(&ceb.CEB792Message{Guid: ceb.NewGuid(), Version: "1.0", SummaryResult: []ceb.SummaryResult{result}})
		if err != nil {
			return nil, fmt.Errorf("write CEB792 %s: %w", sumNo, err)
		}
		info := clearance.Finding{Code: "2803", Detail: fmt.Sprintf("summary declaration %s: %d lists, %d lines, totals %s", sumNo, sum.Lists, len(sum.Lines), describeTotals(sum.Totals))}.Info()
		for _, to := range uniq(g.ebc, sum.AgentCode) {
			if err := tx.AddReceipt(ctx, &store.Receipt{EnterpriseCode: to, MessageType: "CEB792Message", CopNo: copNo, ReturnStatus: "399",
				ReturnInfo: info, XML: string(xml), CreatedAt: now}); err != nil {
				return nil, err
			}
		}
		out = append(out, sum)
	}
	return out, nil
}

func uniq(codes ...string) []string {
	var out []string
	for _, c := range codes {
		if c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// explain says why the lists form this summary and how its lines were made.
func explain(s Summary, lines int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d released B lists of %s (%d goods lines) share consignor ebcCode=%s, transport mode %s, seller/producer %s, destination country %s and exit customs %s (rules §11);",
		s.Lists, s.Month, lines, s.EbcCode, s.TrafMode, s.OwnerCode, s.Country, s.PortCode)
	for _, l := range s.Lines {
		fmt.Fprintf(&b, " line %d = HS %s, unit %s, currency %s: %d list lines (%s), qty %s, value %s;", l.Gseqno, l.Gcode, l.Unit, l.Currency,
			len(l.From), strings.Join(l.From, ", "), l.Qty, l.Value)
	}
	fmt.Fprintf(&b, " totals per currency %s", describeTotals(s.Totals))
	return b.String()
}

// Summarize merges a month's released, unsummarized B lists (all consignors,
// or one) into summary declarations, now.
func (s *Service) Summarize(ctx context.Context, month, ebcCode, source string) ([]Summary, error) {
	m, month, err := ParseMonth("month", month)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var out []Summary
	err = s.Batch.Do(ctx, func(tx *store.Tx) error {
		where, args := `i.released_at >= $2 AND i.released_at < $3`, []any{m.Start, m.End}
		if ebcCode != "" {
			where, args = where+` AND i.ebc_code = $4`, append(args, ebcCode)
		}
		lines, err := s.released(ctx, tx, where, args...)
		if err != nil {
			return err
		}
		out, err = s.summarize(ctx, tx, lines, source, "", now)
		return err
	})
	if out == nil {
		out = []Summary{}
	}
	return out, wrap("summarize "+month, err)
}

// RunDue summarizes every month whose deadline is within the lead time (or
// past) and that still has unsummarized released B lists.
func (s *Service) RunDue(ctx context.Context) ([]Summary, error) {
	now := s.Now()
	rows, err := s.DB.Query(ctx, `SELECT DISTINCT released_at FROM export_inventories WHERE statistics_flag = 'B' AND status IN ('800', '899')
		AND cancelled = $1 AND sum_no = '' AND released_at IS NOT NULL`, false)
	if err != nil {
		return nil, err
	}
	months := map[string]bool{}
	for rows.Next() {
		var at store.Time
		if err := rows.Scan(&at); err != nil {
			rows.Close()
			return nil, err
		}
		months[monthOf(at.Time)] = true
	}
	rows.Close()
	var out []Summary
	for _, month := range slices.Sorted(mapsKeys(months)) {
		// December's deadline falls inside December: its lists are merged as
		// they come during the lead time, each tick taking the new ones.
		if now.Before(s.Params.Deadline(month).Add(-s.Params.SummaryLead)) {
			continue
		}
		sums, err := s.Summarize(ctx, month, "", "job")
		if err != nil {
			return out, err
		}
		out = append(out, sums...)
	}
	return out, nil
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Run is the summary job: it merges due months by itself until ctx ends;
// every 10 s in between it sweeps the waiting export inventories (Sweep).
func (s *Service) Run(ctx context.Context) {
	every := s.Params.SummaryInterval
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	sweep := time.NewTicker(10 * time.Second)
	defer sweep.Stop()
	for {
		if sums, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("export summary run failed; retried at the next tick", "error", err)
		} else if len(sums) > 0 {
			s.Log.Info("export summaries made", "count", len(sums))
		}
	wait:
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-sweep.C:
			if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.Log.Warn("export sweep failed; retried at the next tick", "error", err)
			}
			goto wait
		}
	}
}

// Report is a month's summary declarations with the deadline flags.
type Report struct {
	Month        string    `json:"month"`
	Deadline     time.Time `json:"deadline"`
	Summaries    []Summary `json:"summaries"`
	Late         []string  `json:"late"`         // sumNo of summaries made after the deadline
	Unsummarized []string  `json:"unsummarized"` // invtNo of released B lists not yet in a summary
	Missing      bool      `json:"missing"`      // the deadline passed with lists unsummarized
	// Σ values of the summarized lists and of the summaries' lines, per
	// currency: the two are equal.
	ListsTotals []CurrencyTotal `json:"listsTotals"`
	LinesTotals []CurrencyTotal `json:"linesTotals"`
}

// MonthReport explains a month's summaries (all consignors, or one).
func (s *Service) MonthReport(ctx context.Context, month, ebcCode string) (*Report, error) {
	m, month, err := ParseMonth("month", month)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	r := &Report{Month: month, Deadline: s.Params.Deadline(month).In(cst), Summaries: []Summary{}, Late: []string{}, Unsummarized: []string{}}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		where, args := `month = $1`, []any{month}
		if ebcCode != "" {
			where, args = where+` AND ebc_code = $2`, append(args, ebcCode)
		}
		rows, err := tx.Query(ctx, `SELECT sum_no FROM export_summaries WHERE `+where+` ORDER BY sum_no`, args...)
		if err != nil {
			return err
		}
		var nos []string
		for rows.Next() {
			var no string
			if err := rows.Scan(&no); err != nil {
				rows.Close()
				return err
			}
			nos = append(nos, no)
		}
		rows.Close()
		lists, lines := fenByCurrency{}, fenByCurrency{}
		for _, no := range nos {
			sum, err := s.summary(ctx, tx, no)
			if err != nil {
				return err
			}
			r.Summaries = append(r.Summaries, *sum)
			if sum.Late {
				r.Late = append(r.Late, no)
			}
			if err := listTotals(ctx, tx, no, lists); err != nil {
				return err
			}
			for c, v := range lineTotals(sum.Lines) {
				lines[c] += v
			}
		}
		r.ListsTotals, r.LinesTotals = lists.totals(), lines.totals()
		w, a := `i.released_at >= $2 AND i.released_at < $3`, []any{m.Start, m.End}
		if ebcCode != "" {
			w, a = w+` AND i.ebc_code = $4`, append(a, ebcCode)
		}
		open, err := s.released(ctx, tx, w, a...)
		if err != nil {
			return err
		}
		for _, l := range open {
			if !slices.Contains(r.Unsummarized, l.invtNo) {
				r.Unsummarized = append(r.Unsummarized, l.invtNo)
			}
		}
		return nil
	})
	r.Missing = len(r.Unsummarized) > 0 && now.After(r.Deadline)
	return r, err
}

// listTotals adds the values of a summary's lists, per currency, to m.
func listTotals(ctx context.Context, tx *store.Tx, sumNo string, m fenByCurrency) error {
	rows, err := tx.Query(ctx, `SELECT l.currency, SUM(l.total_fen) FROM export_lines l JOIN export_inventories i ON i.id = l.inventory_id
		WHERE i.sum_no = $1 GROUP BY l.currency`, sumNo)
	if err != nil {
		return fmt.Errorf("lists of summary %s: %w", sumNo, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var v int64
		if err := rows.Scan(&c, &v); err != nil {
			return fmt.Errorf("lists of summary %s: %w", sumNo, err)
		}
		m[c] += v
	}
	return rows.Err()
}

// Summary reads one summary declaration.
func (s *Service) Summary(ctx context.Context, sumNo string) (*Summary, error) {
	var out *Summary
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.summary(ctx, tx, sumNo)
		return err
	})
	return out, err
}

func (s *Service) summary(ctx context.Context, tx *store.Tx, sumNo string) (*Summary, error) {
	var sum Summary
	var due, created store.Time
	err := tx.QueryRow(ctx, `SELECT sum_no, month, ebc_code, agent_code, traf_mode, owner_code, country, port_code, source, lists, late, due_at, created_at, explanation
		FROM export_summaries WHERE sum_no = $1`, sumNo).Scan(&sum.SumNo, &sum.Month, &sum.EbcCode, &sum.AgentCode, &sum.TrafMode, &sum.OwnerCode,
		&sum.Country, &sum.PortCode, &sum.Source, &sum.Lists, &sum.Late, &due, &created, &sum.Explanation)
	if err != nil {
		return nil, errs.New(errs.NotFound, "summary_not_found", "sumNo", "no summary declaration %s", sumNo)
	}
	sum.DueAt, sum.CreatedAt = due.In(cst), created.In(cst)
	rows, err := tx.Query(ctx, `SELECT gseqno, gcode, unit, currency, qty, total_fen FROM export_summary_lines WHERE sum_no = $1 ORDER BY gseqno`, sumNo)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var l SummaryLine
		if err := rows.Scan(&l.Gseqno, &l.Gcode, &l.Unit, &l.Currency, &l.Qty, &l.totalFen); err != nil {
			rows.Close()
			return nil, err
		}
		l.Value = fen(l.totalFen)
		sum.Lines = append(sum.Lines, l)
	}
	rows.Close()
	sum.Totals = lineTotals(sum.Lines).totals()
	rows, err = tx.Query(ctx, `SELECT s.gseqno, i.invt_no, s.gnum FROM export_summary_items s JOIN export_inventories i ON i.id = s.inventory_id
		WHERE s.sum_no = $1 ORDER BY s.gseqno, i.invt_no, s.gnum`, sumNo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var g, gnum int
		var invtNo string
		if err := rows.Scan(&g, &invtNo, &gnum); err != nil {
			return nil, err
		}
		if g >= 1 && g <= len(sum.Lines) {
			sum.Lines[g-1].From = append(sum.Lines[g-1].From, fmt.Sprintf("%s#%d", invtNo, gnum))
		}
	}
	return &sum, rows.Err()
}

// summaryDocuments takes summary applications (CEB701 → 702): the listed
// inventories must be released B lists of the consignor not yet summarized;
// they are merged by the rules §11 grouping, and each summary's CEB792 follows.
func (s *Service) summaryDocuments(ctx context.Context, _ *intake.Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]intake.Doc, []ceb.Problem, error) {
	m := d.Message.(*ceb.CEB701Message)
	keys := ceb.DocumentKeys(m)
	var out []intake.Doc
	for i := range m.SummaryApply {
		a := m.SummaryApply[i]
		h := a.SummaryApplyHead
		if err := intake.MayAct(sender, fmt.Sprintf("SummaryApply[%d]/SummaryApplyHead/agentCode", i+1), declarers, h.AgentCode, h.EbcCode); err != nil {
			return nil, nil, err
		}
		k := keys[i]
		if k["msgSeqNo"] == "" {
			k["msgSeqNo"] = "1"
		}
		out = append(out, &doc{keys: k, copNo: h.CopNo, apply: func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
			if err := preNo(ctx, tx, k, "S", now); err != nil {
				return nothingYet, err
			}
			if len(a.SummaryApplyList) == 0 {
				return intake.Refused("1414", "SummaryApplyList is empty: list the invtNo of each inventory to summarize"), nil
			}
			var all []listLine
			for j, l := range a.SummaryApplyList {
				lines, err := s.released(ctx, tx, `i.invt_no = $2 AND i.ebc_code = $3`, l.InvtNo, h.EbcCode)
				if err != nil {
					return nothingYet, err
				}
				if len(lines) == 0 {
					return intake.Refused("1414", "SummaryApplyList[%d].invtNo=%s is not a released B list of ebcCode=%s waiting for a summary", j+1, l.InvtNo, h.EbcCode), nil
				}
				all = append(all, lines...)
			}
			sums, err := s.summarize(ctx, tx, all, "ceb701", h.CopNo, now)
			if err != nil {
				return nothingYet, err
			}
			var nos []string
			for _, sum := range sums {
				nos = append(nos, sum.SumNo)
			}
			k["sumNo"] = nos[0]
			b, _ := json.Marshal(nos)
			return intake.Result{Status: "399", Finding: clearance.Finding{Code: "2803", Detail: fmt.Sprintf("%d summary declarations %s", len(nos), b)}}, nil
		}})
	}
	return out, nil, nil
}
