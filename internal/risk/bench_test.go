package risk

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
)

// products is a reference with product filings only.
type products map[string]catalog.Product

func (p products) Product(ebc, item string) (catalog.Product, bool) {
	v, ok := p[ebc+"/"+item]
	return v, ok
}
func (products) Tariff(string) (catalog.TariffRow, bool) { return catalog.TariffRow{}, false }
func (products) Positive(string) (catalog.PositiveListEntry, bool) {
	return catalog.PositiveListEntry{}, false
}
func (products) Negative(catalog.Goods) []catalog.NegativeListEntry { return nil }

func dec(s string) money.Decimal {
	d, err := money.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// testSubject is a three-line inventory with its documents and parties.
func testSubject() (*Service, *subject) {
	s := &Service{Ref: products{"1105910159/MILK-1": {Brand: "Aptamil", GTIN: "4008976022329", OriginCountry: "304"},
		"1105910159/CREAM-1": {Brand: "La Mer", OriginCountry: "502"}},
		SingleLimit: money.FromFen(500000), AnnualLimit: money.FromFen(2600000), Now: time.Now}
	doc := &clearance.Inventory{CopNo: "COP1", OrderNo: "ORD1", EbpCode: "1105910159", EbcCode: "1105910159", AgentCode: "330766K00Q",
		LogisticsCode: "4401962010", TradeMode: "9610", CustomsCode: "8010", PortCode: "8010",
		BuyerID: clearance.Protected{Hash: "b1"}, BuyerName: clearance.Protected{Hash: "n1"}, Freight: dec("10"),
		Lines: []clearance.InventoryLine{
			{Gnum: 1, ItemNo: "MILK-1", Gcode: "1901101000", Gname: "奶粉", Country: "304", Qty: dec("2"), Price: dec("200"), TotalPrice: dec("400")},
			{Gnum: 2, ItemNo: "CREAM-1", Gcode: "3304990099", Gname: "面霜", Country: "502", Qty: dec("1"), Price: dec("900"), TotalPrice: dec("900")},
			{Gnum: 3, ItemNo: "BAG-1", Gcode: "4202210000", Gname: "手提包", Country: "305", Qty: dec("1"), Price: dec("1500"), TotalPrice: dec("1500")},
		}}
	ebc := &enterprise.Enterprise{Code: "1105910159", CreditClass: enterprise.CreditGeneral}
	c := &clearance.Case{Inventory: doc, Parties: map[string]*enterprise.Enterprise{ebc.Code: ebc},
		Order:   &clearance.Order{ActuralPaid: dec("3087.5"), PayCode: "4403169D3W", ConsigneeAddress: clearance.Protected{Hash: "a1", Masked: "重庆市渝北区****"}},
		Payment: &clearance.Payment{AmountPaid: dec("3087.5"), PayerID: clearance.Protected{Hash: "b1"}},
		Waybill: &clearance.Waybill{Freight: dec("10"), Weight: dec("3.2")}}
	inv := &store.Inventory{ID: "i1", DutiableFen: 281000, Tax: 27750, Regime: "retail"}
	return s, &subject{inv: inv, doc: doc, c: c, parties: c.Parties, now: time.Now(),
		counters: counters{addrToday: 2, phoneToday: 1, phone30d: 4, buyer30dFen: 900000, ebcDays: 400}}
}

// hundredRules are 100 active rules of the kinds officers write: watch lists,
// thresholds, counters, parties; a few of them hit the test inventory.
func hundredRules(t testing.TB, s *Service) []*compiled {
	env, err := s.cel()
	if err != nil {
		t.Fatal(err)
	}
	shapes := []string{
		`hs_codes.exists(h, h.startsWith("%02d"))`,
		`dutiable_fen > single_limit_fen * 9%d / 100 && dutiable_fen <= single_limit_fen`,
		`orders_per_address_today > %d`,
		`buyer_value_30d_fen > %d00000`,
		`"%03d" in origins`,
		`lines.exists(l, l.total_fen > %d0000 && l.brand == "La Mer")`,
		`ebc_class == "dishonest" && line_count > %d`,
		`ebc_days_known < %d && dutiable_fen > 100000`,
		`parcels_per_phone_30d > %d && !buyer_is_payer`,
		`brands.exists(b, b == "Brand%d") || gtins.exists(g, g == "69%011d")`,
	}
	var out []*compiled
	for i := 0; i < 100; i++ {
		shape := shapes[i%len(shapes)]
		expr := fmt.Sprintf(shape, i)
		if i%len(shapes) == 9 {
			expr = fmt.Sprintf(shape, i, i)
		}
		action := []string{ActionReview, ActionInspect, ActionScore, ActionReject}[i%4]
		c, err := compile(env, &Rule{ID: fmt.Sprint("R", i), Version: 1, Expr: expr, Action: action, Score: 10, State: "active"})
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		out = append(out, c)
	}
	return out
}

func TestHundredRulesEvaluate(t *testing.T) {
	s, sub := testSubject()
	rules := hundredRules(t, s)
	v, err := s.vars(sub)
	if err != nil {
		t.Fatal(err)
	}
	hits, err := evaluate(rules, v.activation(), sub.doc, sub.now)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || len(hits) == len(rules) {
		t.Fatalf("hits: %d of %d", len(hits), len(rules))
	}
	if o := outcome(hits, 100); o == nil {
		t.Fatal("no outcome")
	}
}

func TestOutcomePrecedence(t *testing.T) {
	h := func(action string, score int64) hit {
		return hit{ID: "R" + action, Version: 1, Action: action, Score: score}
	}
	for _, c := range []struct {
		hits []hit
		want string
	}{
		{nil, ""},
		{[]hit{h(ActionInspect, 0), h(ActionReview, 0)}, "300/2410"},
		{[]hit{h(ActionInspect, 0), h(ActionReject, 0)}, "100/1500"},
		{[]hit{h(ActionInspect, 0)}, "500/2411"},
		{[]hit{h(ActionScore, 60), h(ActionInspect, 0)}, "500/2411"},
		{[]hit{h(ActionScore, 60), {ID: "x", Action: ActionScore, Score: 40}}, "300/2412"},
	} {
		got := ""
		if o := outcome(c.hits, 100); o != nil {
			got = o.Status + "/" + o.Finding.Code
		}
		if got != c.want {
			t.Errorf("%v: want %q, got %q", c.hits, c.want, got)
		}
	}
}

func TestCompileErrorsNamePosition(t *testing.T) {
	s := &Service{}
	env, _ := s.cel()
	for _, expr := range []string{"dutiable_fen >", "1 +", "line_count > 'a'"} {
		_, err := compile(env, &Rule{Expr: expr})
		if err == nil {
			t.Errorf("%q compiled", expr)
		}
	}
	if _, err := compile(env, &Rule{Expr: "dutiable_fen > "}); err == nil || !strings.Contains(err.Error(), "line 1, column") {
		t.Errorf("no position: %v", err)
	}
}

// BenchmarkHundredRules measures what the check costs per inventory beyond
// its counter queries: building the variables and evaluating 100 active rules.
func BenchmarkHundredRules(b *testing.B) {
	s, sub := testSubject()
	rules := hundredRules(b, s)
	b.ReportAllocs()
	start := cpuTime(b)
	for b.Loop() {
		v, err := s.vars(sub)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := evaluate(rules, v.activation(), sub.doc, sub.now); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time, not wall time: the machine is shared, and the budget is "on one core".
	b.ReportMetric(float64((cpuTime(b)-start).Microseconds())/float64(b.N), "cpu-µs/inventory")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A rule whose worst case could stall clearance is refused when it is saved;
// ordinary loops over the lines pass.
func TestCostlyRulesAreRefused(t *testing.T) {
	s := &Service{}
	env, _ := s.cel()
	for _, expr := range []string{
		`lines.exists(l, l.hs.startsWith("3304"))`,
		`lines.filter(l, l.total_fen > 100000).size() > 2`,
		`lines.exists(a, lines.exists(b, a.item_no == b.item_no && a.gnum != b.gnum))`,
	} {
		if _, err := compile(env, &Rule{Expr: expr}); err != nil {
			t.Errorf("%s refused: %v", expr, err)
		}
	}
	costly := `lines.exists(a, lines.exists(b, lines.exists(c, lines.exists(d, a.gnum + b.gnum + c.gnum + d.gnum == 7))))`
	_, err := compile(env, &Rule{Expr: costly})
	if err == nil || !strings.Contains(err.Error(), "may cost up to") {
		t.Errorf("costly rule: %v", err)
	}
}

// An amount or quantity that does not fit the rules' integer variables is an
// error naming it, not a zero a rule would read as "nothing".
func TestVarsRefuseAmountsTheyCannotHold(t *testing.T) {
	for name, spoil := range map[string]func(*subject){
		"lines[1].qty":        func(sub *subject) { sub.doc.Lines[1].Qty = dec("1" + strings.Repeat("0", 30)) },
		"lines[0].totalPrice": func(sub *subject) { sub.doc.Lines[0].TotalPrice = dec("9" + strings.Repeat("0", 25)) },
		"payment.amountPaid":  func(sub *subject) { sub.c.Payment.AmountPaid = dec("5" + strings.Repeat("0", 25)) },
		"inventory.freight":   func(sub *subject) { sub.doc.Freight = dec("7" + strings.Repeat("0", 25)) },
		"waybill.freight":     func(sub *subject) { sub.c.Waybill.Freight = dec("3" + strings.Repeat("0", 25)) },
		"order.acturalPaid":   func(sub *subject) { sub.c.Order.ActuralPaid = dec("2" + strings.Repeat("0", 25)) },
	} {
		s, sub := testSubject()
		spoil(sub)
		if _, err := s.vars(sub); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s too large: err %v, want one naming it", name, err)
		}
	}
	s, sub := testSubject()
	v, err := s.vars(sub)
	if err != nil || v["freight_fen"] != int64(1000) || v["lines"].([]map[string]any)[0]["qty_milli"] != int64(2000) {
		t.Errorf("vars of a sound inventory: %v, freight_fen %v", err, v["freight_fen"])
	}
}
