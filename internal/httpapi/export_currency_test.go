package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
)

type currencyTotal struct{ Currency, Value string }

// TestExportSummaryTotalsPerCurrency: a summary declaration merging lists in
// CNY and in USD, and the month's report, total each currency on its own;
// 155 CNY and 25 USD never become "180.00".
func TestExportSummaryTotalsPerCurrency(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newExportFixture(t, engine)
		cny := f.newDecl(xline{"TEE-1", "6109100010", "10", "15.5"})
		usd := f.newDecl(xline{"TEE-1", "6109100010", "10", "2.5"})
		usd.currency = "502"
		for _, d := range []*xdecl{cny, usd} {
			if rs, info := f.send(d); rs != "120" {
				t.Fatalf("%s: %s %s", d.copNo, rs, info)
			}
		}
		f.must(xCarrier, arrival(cny.logisticsNo, usd.logisticsNo), "120")
		f.clk.Set(time.Date(2026, 12, 8, 9, 0, 0, 0, cstZone))
		if sums, err := f.s.App.Export.RunDue(t.Context()); err != nil || len(sums) != 1 {
			t.Fatalf("run: %d summaries, %v", len(sums), err)
		}
		want := []currencyTotal{{"142", "155.00"}, {"502", "25.00"}}
		same := func(got []currencyTotal) bool {
			return len(got) == len(want) && got[0] == want[0] && got[1] == want[1]
		}

		r := f.s.Do("GET", "/api/v1/export/summaries?month=2026-11", f.keys[xSeller], "", nil)
		var rep struct {
			Summaries []struct {
				SumNo       string
				Totals      []currencyTotal
				Explanation string
			}
			ListsTotals, LinesTotals []currencyTotal
		}
		r.JSON(t, &rep)
		if len(rep.Summaries) != 1 {
			t.Fatalf("report: %s", r.Body)
		}
		if s := rep.Summaries[0]; !same(s.Totals) || strings.Contains(s.Explanation, "180.00") {
			t.Errorf("summary totals: want %v, got %v; explanation %q", want, s.Totals, s.Explanation)
		}
		if !same(rep.ListsTotals) || !same(rep.LinesTotals) {
			t.Errorf("report totals: want lists = lines = %v, got %v and %v", want, rep.ListsTotals, rep.LinesTotals)
		}
		if strings.Contains(string(r.Body), "180.00") {
			t.Errorf("the report adds CNY and USD: %s", r.Body)
		}

		var one struct{ Totals []currencyTotal }
		f.s.Do("GET", "/api/v1/export/summaries/"+rep.Summaries[0].SumNo, f.keys[xSeller], "", nil).JSON(t, &one)
		if !same(one.Totals) {
			t.Errorf("one summary's totals: %v", one.Totals)
		}
		// The CEB792 in the consignor's feed: its receipt and its note too.
		var page struct{ Receipts []feedReceipt }
		f.s.Do("GET", "/api/v1/receipts?after=0&limit=100", f.keys[xSeller], "", nil).JSON(t, &page)
		found := false
		for _, rc := range page.Receipts {
			if rc.MessageType == "CEB792Message" {
				found = true
				if strings.Contains(rc.ReturnInfo+rc.XML, "180.00") || !strings.Contains(rc.ReturnInfo, "155.00") || !strings.Contains(rc.ReturnInfo, "25.00") {
					t.Errorf("CEB792 receipt: %s\n%s", rc.ReturnInfo, rc.XML)
				}
			}
		}
		if !found {
			t.Error("no CEB792 in the consignor's feed")
		}
	})
}
