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

// listLines takes the stored lines of released B inventories for merging.
func listLines(stored []store.ExportListLine) []listLine {
	out := make([]listLine, len(stored))
	for i, l := range stored {
		out[i] = listLine{invID: l.InventoryID, invtNo: l.InvtNo, logisticsNo: l.LogisticsNo, agent: l.AgentCode, gnum: l.Gnum,
			gcode: l.Gcode, unit: l.Unit, currency: l.Currency, qty: l.Qty, totalFen: l.TotalFen,
			group: groupKey{month: monthOf(l.ReleasedAt), ebc: l.EbcCode, traf: l.TrafMode, owner: l.OwnerCode, country: l.Country,
				port: l.PortCode, customs: l.CustomsCode}}
	}
	return out
}

// released lists the unsummarized lines of released B inventories released
// in month m (all consignors, or one).
func released(ctx context.Context, tx *store.Tx, m Month, ebcCode string) ([]listLine, error) {
	lines, err := tx.UnsummarizedExportLines(ctx, m.Start, m.End, ebcCode)
	if err != nil {
		return nil, err
	}
	return listLines(lines), nil
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
		var lines []store.ExportSummaryLine
		var items []store.ExportSummaryItem
		for _, sl := range merged[g] {
			lines = append(lines, store.ExportSummaryLine{Gseqno: sl.Gseqno, Gcode: sl.Gcode, Unit: sl.Unit, Currency: sl.Currency, Qty: sl.Qty,
				TotalFen: sl.totalFen, Lines: len(sl.From)})
		}
		result := ceb.SummaryResult{SummaryResultHead: ceb.SummaryResultHead{Guid: ceb.NewGuid(), CustomsCode: customs, SumNo: sumNo,
			OpDate: ceb.FormatReturnTime(now), DeclSeqNo: "D" + sumNo[1:], DecState: "10", AgentCode: sum.AgentCode, AgentName: sum.AgentCode,
			EbcCode: g.ebc, EbcName: g.ebc, DeclAgentCode: sum.AgentCode, DeclAgentName: sum.AgentCode, GrossWeight: "0", NetWeight: "0",
			MsgCount: "1", MsgSeqNo: "1", Note: fmt.Sprintf("%d lists, %d lines, totals %s", sum.Lists, len(sum.Lines), describeTotals(sum.Totals))}}
		for _, sl := range merged[g] {
			for _, from := range sl.From {
				invtNo, gnum, _ := strings.Cut(from, "#")
				var item store.ExportSummaryItem
				var lno string
				for _, l := range ls {
					if l.invtNo == invtNo && fmt.Sprint(l.gnum) == gnum {
						item, lno = store.ExportSummaryItem{Gseqno: sl.Gseqno, InventoryID: l.invID, Gnum: l.gnum}, l.logisticsNo
					}
				}
				items = append(items, item)
				result.SummaryResultList = append(result.SummaryResultList, ceb.SummaryResultList{InvtNo: invtNo, LogisticsNo: lno,
					Gseqno: fmt.Sprint(sl.Gseqno), Gnum: gnum, Gcode: sl.Gcode})
			}
		}
		if err := tx.InsertExportSummary(ctx, &store.ExportSummary{SumNo: sumNo, Month: g.month, EbcCode: g.ebc, AgentCode: sum.AgentCode,
			TrafMode: g.traf, OwnerCode: g.owner, Country: g.country, PortCode: g.port, CustomsCode: g.customs, Source: source, CopNo: copNo,
			Lists: sum.Lists, Late: sum.Late, DueAt: due, CreatedAt: now, Explanation: sum.Explanation}, lines, items); err != nil {
			return nil, err
		}
		for id := range invs {
			ok, err := tx.SummarizeExportInventory(ctx, id, sumNo)
			if err != nil {
				return nil, err
			}
			if !ok {
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
		lines, err := released(ctx, tx, m, ebcCode)
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
func (s *Service) RunDue(ctx context.Context) (out []Summary, err error) {
	defer errs.Wrap(&err, "export.RunDue")
	now := s.Now()
	times, err := s.DB.UnsummarizedExportReleaseTimes(ctx)
	if err != nil {
		return nil, err
	}
	months := map[string]bool{}
	for _, at := range times {
		months[monthOf(at)] = true
	}
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
func (s *Service) MonthReport(ctx context.Context, month, ebcCode string) (_ *Report, err error) {
	defer errs.Wrap(&err, "export.MonthReport(%s, %s)", month, ebcCode)
	m, month, err := ParseMonth("month", month)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	r := &Report{Month: month, Deadline: s.Params.Deadline(month).In(cst), Summaries: []Summary{}, Late: []string{}, Unsummarized: []string{}}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		nos, err := tx.ExportSummaryNos(ctx, month, ebcCode)
		if err != nil {
			return err
		}
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
			totals, err := tx.ExportSummaryListTotals(ctx, no)
			if err != nil {
				return err
			}
			for c, v := range totals {
				lists[c] += v
			}
			for c, v := range lineTotals(sum.Lines) {
				lines[c] += v
			}
		}
		r.ListsTotals, r.LinesTotals = lists.totals(), lines.totals()
		open, err := released(ctx, tx, m, ebcCode)
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

// Summary reads one summary declaration.
func (s *Service) Summary(ctx context.Context, sumNo string) (out *Summary, err error) {
	defer errs.Wrap(&err, "export.Summary(%s)", sumNo)
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.summary(ctx, tx, sumNo)
		return err
	})
	return out, err
}

func (s *Service) summary(ctx context.Context, tx *store.Tx, sumNo string) (*Summary, error) {
	head, lines, items, err := tx.ExportSummary(ctx, sumNo)
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.New(errs.NotFound, "summary_not_found", "sumNo", "no summary declaration %s", sumNo)
	}
	if err != nil {
		return nil, err
	}
	sum := Summary{SumNo: head.SumNo, Month: head.Month, EbcCode: head.EbcCode, AgentCode: head.AgentCode, TrafMode: head.TrafMode,
		OwnerCode: head.OwnerCode, Country: head.Country, PortCode: head.PortCode, Source: head.Source, Lists: head.Lists, Late: head.Late,
		DueAt: head.DueAt.In(cst), CreatedAt: head.CreatedAt.In(cst), Explanation: head.Explanation}
	for _, l := range lines {
		sum.Lines = append(sum.Lines, SummaryLine{Gseqno: l.Gseqno, Gcode: l.Gcode, Unit: l.Unit, Currency: l.Currency, Qty: l.Qty,
			Value: fen(l.TotalFen), totalFen: l.TotalFen})
	}
	sum.Totals = lineTotals(sum.Lines).totals()
	for _, it := range items {
		if it.Gseqno >= 1 && it.Gseqno <= len(sum.Lines) {
			sum.Lines[it.Gseqno-1].From = append(sum.Lines[it.Gseqno-1].From, fmt.Sprintf("%s#%d", it.InvtNo, it.Gnum))
		}
	}
	return &sum, nil
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
				stored, err := tx.UnsummarizedExportLinesOf(ctx, l.InvtNo, h.EbcCode)
				if err != nil {
					return nothingYet, err
				}
				lines := listLines(stored)
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
