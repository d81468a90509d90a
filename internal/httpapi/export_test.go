package httpapi_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/config"
)

// The parties of the export tests.
const (
	xSeller  = "3301960A01" // ebp and ebc: an exporter selling on its own platform
	xPay     = "4403169X01"
	xCarrier = "4401962X01"
	xAgent   = "330766X001"
)

// clock is a movable injected clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var cstZone = time.FixedZone("CST", 8*3600)

type xfixture struct {
	t    *testing.T
	s    *apptest.Server
	keys map[string]string
	clk  *clock
	seq  int
}

func newExportFixture(t *testing.T, engine apptest.Engine, tweak ...func(*config.Config)) *xfixture {
	clk := &clock{t: time.Date(2026, 11, 5, 10, 0, 0, 0, cstZone)}
	// No random inspection unless a test asks for it: decisions must be deterministic.
	base := func(c *config.Config) {
		c.Clock = clk.Now
		for class := range c.Rules.InspectionRates {
			c.Rules.InspectionRates[class] = "0"
		}
	}
	s := apptest.Start(t, engine, append([]func(*config.Config){base}, tweak...)...)
	f := &xfixture{t: t, s: s, keys: map[string]string{}, clk: clk}
	for code, roles := range map[string][]string{xSeller: {"ebp", "ebc"}, xPay: {"pay"}, xCarrier: {"logistics"}, xAgent: {"agent"}} {
		f.keys[code] = s.Register(code, roles...)
	}
	if r := s.JSON("POST", "/api/v1/entrustments", f.keys[xSeller], map[string]any{"agentCode": xAgent}); r.Status != 201 {
		t.Fatalf("entrust the agent: %d %s", r.Status, r.Body)
	}
	return f
}

// xline is one goods line of an export.
type xline struct{ item, hs, qty, price string }

// xdecl is one export; tests change fields to break one rule at a time.
type xdecl struct {
	orderNo, copNo, logisticsNo, tradeMode, flag, country, ieFlag, licenseNo string
	lines                                                                    []xline
	invLines                                                                 []xline
	invFreight                                                               string
	orderTotal, charge, wbEbc                                                string
	currency                                                                 string // of the goods and the payment; "" is CNY (142)
}

// cur is the export's currency code.
func (d *xdecl) cur() string { return or(d.currency, "142") }

func (f *xfixture) newDecl(lines ...xline) *xdecl {
	f.seq++
	n := fmt.Sprintf("%s%04d", time.Now().Format("150405"), f.seq)
	if len(lines) == 0 {
		lines = []xline{{"TEE-1", "6109100010", "10", "15.5"}}
	}
	return &xdecl{orderNo: "XO" + n, copNo: "XC" + n, logisticsNo: "XL" + n, tradeMode: "9610", flag: "B", country: "502", ieFlag: "E", lines: lines}
}

func lineTotal(l xline) string {
	var q, p float64
	fmt.Sscan(l.qty, &q)
	fmt.Sscan(l.price, &p)
	return fmt.Sprintf("%.2f", q*p)
}

func (d *xdecl) goods() string {
	var sum float64
	for _, l := range d.lines {
		var v float64
		fmt.Sscan(lineTotal(l), &v)
		sum += v
	}
	return fmt.Sprintf("%.2f", sum)
}

func exportTransfer(code string) ceb.ExportBaseTransfer {
	return ceb.ExportBaseTransfer{CopCode: code, CopName: "企业" + code, DxpMode: "DXP", DxpId: "DXPENT" + code}
}

const xTime = "20261105101500"

func (d *xdecl) order() []byte {
	o := ceb.ExportOrder{OrderHead: ceb.ExportOrderHead{Guid: guid(), AppType: "1", AppTime: xTime, AppStatus: "2", OrderType: "E", OrderNo: d.orderNo,
		EbpCode: xSeller, EbpName: "出口平台", EbcCode: xSeller, EbcName: "出口企业", GoodsValue: or(d.orderTotal, d.goods()), Freight: "5", Currency: d.cur()}}
	for i, l := range d.lines {
		o.OrderList = append(o.OrderList, ceb.ExportOrderList{Gnum: fmt.Sprint(i + 1), ItemNo: l.item, ItemName: l.item, Unit: "011", Currency: d.cur(),
			Qty: l.qty, Price: l.price, TotalPrice: lineTotal(l)})
	}
	return mustEncode(&ceb.CEB303Message{Guid: guid(), Version: "1.0", Order: []ceb.ExportOrder{o}, BaseTransfer: exportTransfer(xSeller)})
}

func (d *xdecl) receipt() []byte {
	var g float64
	fmt.Sscan(d.goods(), &g)
	r := ceb.Receipts{Guid: guid(), AppType: "1", AppTime: xTime, AppStatus: "2", EbpCode: xSeller, EbpName: "出口平台", EbcCode: xSeller, EbcName: "出口企业",
		OrderNo: d.orderNo, PayCode: xPay, PayName: "支付", PayNo: "PN" + d.orderNo, Charge: or(d.charge, fmt.Sprintf("%.2f", g+5)), Currency: d.cur(), AccountingDate: xTime}
	return mustEncode(&ceb.CEB403Message{Guid: guid(), Version: "1.0", Receipts: []ceb.Receipts{r}, BaseTransfer: exportTransfer(xPay)})
}

func (d *xdecl) waybill() []byte {
	w := ceb.ExportLogistics{Guid: guid(), AppType: "1", AppTime: xTime, AppStatus: "2", LogisticsCode: xCarrier, LogisticsName: "物流", LogisticsNo: d.logisticsNo,
		Freight: "5", InsuredFee: "0", Currency: "142", GrossWeight: "2", PackNo: "1", GoodsInfo: "服装", EbcCode: or(d.wbEbc, xSeller), EbcName: "出口企业"}
	return mustEncode(&ceb.CEB505Message{Guid: guid(), Version: "1.0", Logistics: []ceb.ExportLogistics{w}, BaseTransfer: exportTransfer(xCarrier)})
}

func (d *xdecl) inventory() []byte {
	inv := ceb.ExportInventory{InventoryHead: ceb.ExportInventoryHead{Guid: guid(), AppType: "1", AppTime: xTime, AppStatus: "2", CustomsCode: "8010",
		EbpCode: xSeller, EbpName: "出口平台", OrderNo: d.orderNo, LogisticsCode: xCarrier, LogisticsName: "物流", LogisticsNo: d.logisticsNo, CopNo: d.copNo,
		IeFlag: d.ieFlag, PortCode: "8012", IeDate: "20261105", StatisticsFlag: d.flag, AgentCode: xAgent, AgentName: "报关行", EbcCode: xSeller, EbcName: "出口企业",
		OwnerCode: xSeller, OwnerName: "出口企业", TradeMode: d.tradeMode, TrafMode: "4", LicenseNo: d.licenseNo, Country: d.country, POD: "1401",
		Freight: or(d.invFreight, "5"), FCurrency: "142", FFlag: "3", InsuredFee: "0", ICurrency: "142", IFlag: "3", WrapType: "2", PackNo: "1", GrossWeight: "2", NetWeight: "1.8"}}
	lines := d.lines
	if d.invLines != nil {
		lines = d.invLines
	}
	for i, l := range lines {
		inv.InventoryList = append(inv.InventoryList, ceb.ExportInventoryList{Gnum: fmt.Sprint(i + 1), ItemNo: l.item, ItemName: l.item, Gcode: l.hs, Gname: l.item,
			Gmodel: "规格", BarCode: "无", Country: d.country, Currency: d.cur(), Qty: l.qty, Qty1: l.qty, Unit: "011", Unit1: "011", Price: l.price, TotalPrice: lineTotal(l)})
	}
	return mustEncode(&ceb.CEB603Message{Guid: guid(), Version: "1.0", Inventory: []ceb.ExportInventory{inv}, BaseTransfer: exportTransfer(xAgent)})
}

func arrival(nos ...string) []byte {
	a := ceb.Arrival{ArrivalHead: ceb.ArrivalHead{Guid: guid(), AppType: "1", AppTime: xTime, AppStatus: "2", CustomsCode: "8010", CopNo: "ARR" + nos[0],
		OperatorCode: xCarrier, OperatorName: "物流", IeFlag: "E", TrafMode: "4", BillNo: "BILL1", DomesticTrafNo: "渝A12345", LogisticsCode: xCarrier, LogisticsName: "物流",
		MsgCount: "1", MsgSeqNo: "1"}}
	for i, n := range nos {
		a.ArrivalList = append(a.ArrivalList, ceb.ArrivalList{Gnum: fmt.Sprint(i + 1), LogisticsNo: n})
	}
	return mustEncode(&ceb.CEB507Message{Guid: guid(), Version: "1.0", Arrival: []ceb.Arrival{a}, BaseTransfer: exportTransfer(xCarrier)})
}

func departure(nos ...string) []byte {
	d := ceb.Departure{DepartureHead: ceb.DepartureHead{Guid: guid(), AppType: "1", AppTime: xTime, AppStatus: "2", CustomsCode: "8010", CopNo: "DEP" + nos[0],
		LogisticsCode: xCarrier, LogisticsName: "物流", TrafMode: "4", TrafName: "CA123", VoyageNo: "CA123", BillNo: "BILL1", LeaveTime: "20261105180000",
		MsgCount: "1", MsgSeqNo: "1"}}
	for i, n := range nos {
		d.DepartureList = append(d.DepartureList, ceb.DepartureList{Gnum: fmt.Sprint(i + 1), LogisticsNo: n})
	}
	return mustEncode(&ceb.CEB509Message{Guid: guid(), Version: "1.0", Departure: []ceb.Departure{d}, BaseTransfer: exportTransfer(xCarrier)})
}

// post sends a message and returns the HTTP status and the receipt's first status and info.
func (f *xfixture) post(sender string, xml []byte) (int, string, string) {
	f.t.Helper()
	r := f.s.Do("POST", "/api/v1/ceb", f.keys[sender], "application/xml", xml)
	st := regexp.MustCompile(`<returnStatus>([^<]*)</returnStatus>`).FindSubmatch(r.Body)
	in := regexp.MustCompile(`<returnInfo>([^<]*)</returnInfo>`).FindSubmatch(r.Body)
	if st == nil || in == nil {
		f.t.Fatalf("from %s: HTTP %d without a receipt: %s", sender, r.Status, r.Body)
	}
	return r.Status, string(st[1]), string(in[1])
}

// must posts a message that must get returnStatus want.
func (f *xfixture) must(sender string, xml []byte, want string) string {
	f.t.Helper()
	st, rs, info := f.post(sender, xml)
	if st != 200 || rs != want {
		f.t.Fatalf("from %s: HTTP %d, returnStatus %s (want %s) %s", sender, st, rs, want, info)
	}
	return info
}

// send posts order, receipt of payment and waybill, then the inventory, and returns the inventory's receipt.
func (f *xfixture) send(d *xdecl) (string, string) {
	f.t.Helper()
	f.must(xSeller, d.order(), "120")
	f.must(xPay, d.receipt(), "120")
	f.must(xCarrier, d.waybill(), "120")
	_, rs, info := f.post(xAgent, d.inventory())
	return rs, info
}

func (f *xfixture) status(copNo string) (status, invtNo string) {
	f.t.Helper()
	var v struct{ Status, InvtNo string }
	r := f.s.Do("GET", "/api/v1/export/inventories/"+copNo, f.keys[xAgent], "", nil)
	if r.Status != 200 {
		f.t.Fatalf("export inventory %s: %d %s", copNo, r.Status, r.Body)
	}
	r.JSON(f.t, &v)
	return v.Status, v.InvtNo
}

func TestExportHappyPathToDeparture(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newExportFixture(t, engine)
		d := f.newDecl()
		rs, info := f.send(d)
		if rs != "120" || code(info) != "1401" {
			t.Fatalf("inventory: want 120 awaiting arrival, got %s %s", rs, info)
		}
		// Release is refused before the arrival: the departure of an unreleased parcel is refused.
		if _, rs, info := f.post(xCarrier, departure(d.logisticsNo)); rs != "100" || code(info) != "1411" || !strings.Contains(info, "no arrival") {
			t.Fatalf("departure before arrival: %s %s", rs, info)
		}
		if st, _ := f.status(d.copNo); st != "120" {
			t.Fatalf("status before arrival %s", st)
		}
		f.must(xCarrier, arrival(d.logisticsNo), "120")
		if st, _ := f.status(d.copNo); st != "800" {
			t.Fatalf("status after arrival %s", st)
		}
		f.must(xCarrier, departure(d.logisticsNo), "120")
		if st, _ := f.status(d.copNo); st != "899" {
			t.Fatalf("status after departure %s", st)
		}
		// The agent's feed shows 120 → 800 → 899 as CEB604 receipts.
		var page struct{ Receipts []feedReceipt }
		f.s.Do("GET", "/api/v1/receipts?after=0&limit=100", f.keys[xAgent], "", nil).JSON(t, &page)
		var seen []string
		for _, r := range page.Receipts {
			if r.CopNo == d.copNo && r.MessageType == "CEB604Message" {
				seen = append(seen, r.ReturnStatus+":"+code(r.ReturnInfo))
			}
		}
		if strings.Join(seen, " ") != "120:1401 800:2600 899:2801" {
			t.Errorf("feed: %v", seen)
		}
	})
}

func TestExportMismatches(t *testing.T) {
	f := newExportFixture(t, apptest.SQLite)
	cases := []struct {
		name   string
		break_ func(d *xdecl)
		code   string
	}{
		{"order goods value", func(d *xdecl) { d.orderTotal = "999.00" }, "1402"},
		{"receipt charge", func(d *xdecl) { d.charge = "1.00" }, "1403"},
		{"inventory qty", func(d *xdecl) { d.invLines = []xline{{"TEE-1", "6109100010", "11", "15.5"}} }, "1404"},
		{"waybill consignor", func(d *xdecl) { d.wbEbc = "1105910159" }, "1405"},
		{"prohibited goods", func(d *xdecl) { d.lines = []xline{{"GUN-1", "9303100000", "1", "100"}} }, "1406"},
		{"simplified with licence", func(d *xdecl) { d.flag, d.licenseNo = "A", "LIC001" }, "1407"},
		{"9810 without warehouse", func(d *xdecl) { d.tradeMode = "9810" }, "1408"},
		{"import flag", func(d *xdecl) { d.ieFlag = "I" }, "1409"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := f.newDecl()
			c.break_(d)
			rs, info := f.send(d)
			if rs != "100" || code(info) != c.code {
				t.Fatalf("want 100 %s, got %s %s", c.code, rs, info)
			}
		})
	}
	// An overseas warehouse filed for the country lets the 9810 export through.
	r := f.s.JSON("POST", "/api/v1/export/warehouses", apptest.AdminToken, map[string]any{"code": "OW-US-1", "ebcCode": xSeller, "name": "洛杉矶海外仓",
		"country": "502", "address": "Los Angeles"})
	if r.Status != 201 {
		t.Fatalf("file warehouse: %d %s", r.Status, r.Body)
	}
	d := f.newDecl()
	d.tradeMode = "9810"
	if rs, info := f.send(d); rs != "120" || code(info) != "1401" {
		t.Fatalf("9810 with a filed warehouse: %s %s", rs, info)
	}
}

// The schema's decimal allows "5." and "+5"; the platform's amounts do not,
// and a released export's freight is summed in the forex report: such a
// freight is refused at once, naming the field, instead of failing that
// report once the export is released.
func TestExportFreightRefusedUnlessReadable(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newExportFixture(t, engine)
		for _, freight := range []string{"5.", "+5"} {
			d := f.newDecl()
			d.invFreight = freight
			if rs, info := f.send(d); rs != "100" || code(info) != "1404" || !strings.Contains(info, "InventoryHead.freight") {
				t.Errorf("freight %q: want 100 1404 naming InventoryHead.freight, got %s %s", freight, rs, info)
			}
		}
		d := f.newDecl()
		d.invFreight = "5.00"
		if rs, info := f.send(d); rs != "120" {
			t.Errorf("freight 5.00: %s %s", rs, info)
		}
	})
}

func TestExportMonthSummaries(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newExportFixture(t, engine)
		tee := xline{"TEE-1", "6109100010", "10", "15.5"}
		cup := xline{"CUP-1", "6912001000", "3", "7.25"}
		a, b, c, simple := f.newDecl(tee, cup), f.newDecl(tee), f.newDecl(cup), f.newDecl(tee)
		c.country = "303"
		simple.flag = "A"
		var nos []string
		for _, d := range []*xdecl{a, b, c, simple} {
			if rs, info := f.send(d); rs != "120" {
				t.Fatalf("%s: %s %s", d.copNo, rs, info)
			}
			nos = append(nos, d.logisticsNo)
		}
		f.must(xCarrier, arrival(nos...), "120")
		ex := f.s.App.Export
		// Too early: the month has not ended.
		f.clk.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, cstZone))
		if sums, err := ex.RunDue(t.Context()); err != nil || len(sums) != 0 {
			t.Fatalf("run on Dec 1: %v %v", sums, err)
		}
		var rep struct {
			Deadline  time.Time
			Summaries []struct {
				SumNo, Country, Explanation string
				Totals                      []currencyTotal
				Lists                       int
				Late                        bool
			}
			Unsummarized             []string
			Missing                  bool
			ListsTotals, LinesTotals []currencyTotal
		}
		f.s.Do("GET", "/api/v1/export/summaries?month=2026-11", apptest.AdminToken, "", nil).JSON(t, &rep)
		if len(rep.Unsummarized) != 3 || rep.Missing || !rep.Deadline.Equal(time.Date(2026, 12, 11, 0, 0, 0, 0, cstZone)) {
			t.Fatalf("report before the run: %+v", rep)
		}
		// Within the lead time before the deadline (Dec 10, 72 h): the job merges the month by itself.
		f.clk.Set(time.Date(2026, 12, 8, 9, 0, 0, 0, cstZone))
		sums, err := ex.RunDue(t.Context())
		if err != nil || len(sums) != 2 {
			t.Fatalf("run on Dec 8: %d summaries, %v", len(sums), err)
		}
		f.s.Do("GET", "/api/v1/export/summaries?month=2026-11", f.keys[xSeller], "", nil).JSON(t, &rep)
		if len(rep.Summaries) != 2 || len(rep.Unsummarized) != 0 || rep.Missing || !slices.Equal(rep.ListsTotals, rep.LinesTotals) {
			t.Fatalf("report after the run: %+v", rep)
		}
		// a + b + c, the simplified list stays out: 155 + 21.75 + 155 + 21.75 = 353.50.
		if !slices.Equal(rep.ListsTotals, []currencyTotal{{"142", "353.50"}}) {
			t.Errorf("lists totals %v", rep.ListsTotals)
		}
		for _, s := range rep.Summaries {
			if s.Late || s.Explanation == "" {
				t.Errorf("summary %+v", s)
			}
			if s.Country == "502" && (s.Lists != 2 || !slices.Equal(s.Totals, []currencyTotal{{"142", "331.75"}}) || !strings.Contains(s.Explanation, "HS 6109100010")) {
				t.Errorf("502 summary: %+v", s)
			}
		}
		var sum struct {
			Lines []struct {
				Gcode, Qty, Value string
				From              []string
			}
		}
		f.s.Do("GET", "/api/v1/export/summaries/"+rep.Summaries[0].SumNo, f.keys[xSeller], "", nil).JSON(t, &sum)
		if len(sum.Lines) == 0 || len(sum.Lines[0].From) == 0 {
			t.Errorf("summary lines: %+v", sum)
		}
		// Nothing is left to merge; a second run does nothing.
		if again, err := ex.RunDue(t.Context()); err != nil || len(again) != 0 {
			t.Fatalf("second run: %v %v", again, err)
		}
		csv := f.s.Do("GET", "/api/v1/export/refund?month=2026-11&format=csv", f.keys[xSeller], "", nil)
		if csv.Status != 200 || !strings.HasPrefix(string(csv.Body), "sum_no,month") || strings.Count(string(csv.Body), "\n") != 4 {
			t.Errorf("refund csv: %d %s", csv.Status, csv.Body)
		}
		var fx struct {
			Rows []struct{ Country, Due, Settled, Unsettled string }
		}
		f.s.Do("GET", "/api/v1/export/forex", f.keys[xSeller], "", nil).JSON(t, &fx)
		if len(fx.Rows) != 2 {
			t.Errorf("forex rows: %+v", fx)
		}
		for _, r := range fx.Rows {
			if r.Unsettled != "0.00" || r.Due != r.Settled {
				t.Errorf("forex: %+v", r)
			}
		}
	})
}

func refund(invtNo, coElNo, logisticsNo, hs, qty string) []byte {
	r := ceb.ExportInvtRefund{InvtRefundHead: ceb.ExportInvtRefundHead{Guid: guid(), AppType: "1", AppTime: xTime, AppStatus: "2", CustomsCode: "8010",
		EbpCode: xSeller, EbpName: "出口平台", EbcCode: xSeller, EbcName: "出口企业", LogisticsNo: logisticsNo, LogisticsCode: xCarrier, LogisticsName: "物流",
		CoElNo: coElNo, InvtNo: invtNo, TradeMode: "9610", AgentCode: xAgent, AgentName: "报关行", BillNo: "RB1", IeFlag: "I", TrafMode: "4", TrafName: "CA124",
		PortCode: "8012", Reason: "买家退货", Country: "502", VoyageNo: "CA124"},
		InvtRefundList: []ceb.ExportInvtRefundList{{Gnum: "1", Gcode: hs, Gname: "退货", Gmodel: "规格", Qty: qty, Qty1: qty, Unit: "011", Unit1: "011"}}}
	return mustEncode(&ceb.CEB213Message{Guid: guid(), Version: "1.0", InvtRefund: []ceb.ExportInvtRefund{r}, BaseTransfer: exportTransfer(xSeller)})
}

func tally(coElNo, logisticsNo string) []byte {
	d := ceb.InvtRefundDetail{Guid: guid(), AppType: "1", AppTime: xTime, AppStatus: "2", CustomsCode: "8010", OperatorCode: xCarrier, OperatorName: "物流",
		LogisticsCode: xCarrier, LogisticsName: "物流", LogisticsNo: logisticsNo, CoElNo: coElNo, BillNo: "RB1", IeFlag: "I", TrafMode: "4", TrafName: "CA124",
		VoyageNo: "CA124", Location: "重庆监管场所"}
	return mustEncode(&ceb.CEB215Message{Guid: guid(), Version: "1.0", InvtRefundDetail: []ceb.InvtRefundDetail{d}, BaseTransfer: exportTransfer(xCarrier)})
}

func TestExportReturns(t *testing.T) {
	f := newExportFixture(t, apptest.SQLite)
	tee := f.newDecl(xline{"TEE-1", "6109100010", "10", "15.5"})
	tea := f.newDecl(xline{"TEA-1", "0902109000", "2", "50"})
	for _, d := range []*xdecl{tee, tea} {
		if rs, info := f.send(d); rs != "120" {
			t.Fatalf("%s %s", rs, info)
		}
	}
	f.must(xCarrier, arrival(tee.logisticsNo, tea.logisticsNo), "120")
	f.must(xCarrier, departure(tee.logisticsNo, tea.logisticsNo), "120")
	_, teeNo := f.status(tee.copNo)
	_, teaNo := f.status(tea.copNo)

	// Inside the window: three of ten shirts come back, exempt on 46.50.
	f.clk.Set(time.Date(2027, 2, 1, 10, 0, 0, 0, cstZone))
	info := f.must(xSeller, refund(teeNo, "RT1", "RL1", "6109100010", "3"), "120")
	if code(info) != "2804" || !strings.Contains(info, "46.50") || !strings.Contains(info, "no quota") {
		t.Errorf("return: %s", info)
	}
	if info := f.must(xCarrier, tally("RT1", "RL1"), "120"); code(info) != "2805" {
		t.Errorf("tally: %s", info)
	}
	if _, rs, info := f.post(xCarrier, tally("RT1", "RL1")); rs != "100" || code(info) != "1418" {
		t.Errorf("second tally: %s %s", rs, info)
	}
	// More than was exported is refused.
	if _, rs, info := f.post(xSeller, refund(teeNo, "RT2", "RL2", "6109100010", "8")); rs != "100" || code(info) != "1417" {
		t.Errorf("too many: %s %s", rs, info)
	}
	// Food is refused with the reason.
	if _, rs, info := f.post(xSeller, refund(teaNo, "RT3", "RL3", "0902109000", "1")); rs != "100" || code(info) != "1416" || !strings.Contains(info, "food") {
		t.Errorf("food: %s %s", rs, info)
	}
	// Outside the six months: refused.
	f.clk.Set(time.Date(2027, 5, 6, 10, 0, 0, 0, cstZone))
	if _, rs, info := f.post(xSeller, refund(teeNo, "RT4", "RL4", "6109100010", "1")); rs != "100" || code(info) != "1415" {
		t.Errorf("late: %s %s", rs, info)
	}
}

func TestExportInspection(t *testing.T) {
	f := newExportFixture(t, apptest.SQLite, func(c *config.Config) { c.Rules.InspectionRates["general"] = "1" })
	ok, bad := f.newDecl(), f.newDecl()
	for _, d := range []*xdecl{ok, bad} {
		if rs, info := f.send(d); rs != "120" {
			t.Fatalf("%s %s", rs, info)
		}
	}
	f.must(xCarrier, arrival(ok.logisticsNo, bad.logisticsNo), "120")
	if st, _ := f.status(ok.copNo); st != "500" {
		t.Fatalf("an arrived export of a general-class consignor at rate 1: status %s", st)
	}
	if _, rs, info := f.post(xCarrier, departure(ok.logisticsNo)); rs != "100" || code(info) != "1411" {
		t.Errorf("departure under inspection: %s %s", rs, info)
	}
	if r := f.s.JSON("POST", "/api/v1/export/inventories/"+ok.copNo+"/inspection", apptest.AdminToken, map[string]any{"passed": true}); r.Status != 400 {
		t.Errorf("inspection without a note: %d %s", r.Status, r.Body)
	}
	r := f.s.JSON("POST", "/api/v1/export/inventories/"+ok.copNo+"/inspection", apptest.AdminToken, map[string]any{"passed": true, "note": "goods match"})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"Status":"800"`) {
		t.Fatalf("passed inspection: %d %s", r.Status, r.Body)
	}
	r = f.s.JSON("POST", "/api/v1/export/inventories/"+bad.copNo+"/inspection", apptest.AdminToken, map[string]any{"passed": false, "note": "undeclared batteries"})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"ReasonCode":"1419"`) {
		t.Fatalf("failed inspection: %d %s", r.Status, r.Body)
	}
	if r := f.s.JSON("POST", "/api/v1/export/inventories/"+bad.copNo+"/inspection", apptest.AdminToken, map[string]any{"passed": true, "note": "again"}); r.Status != 409 {
		t.Errorf("second decision: %d %s", r.Status, r.Body)
	}
	f.must(xCarrier, departure(ok.logisticsNo), "120")
}

func summaryApply(invtNos ...string) []byte {
	a := ceb.SummaryApply{SummaryApplyHead: ceb.SummaryApplyHead{Guid: guid(), AppType: "1", AppTime: xTime, AppStatus: "2", CustomsCode: "8010",
		CopNo: "SUM" + invtNos[0], AgentCode: xAgent, AgentName: "报关行", EbcCode: xSeller, EbcName: "出口企业", DeclAgentCode: xAgent, DeclAgentName: "报关行",
		SummaryFlag: "1", ItemNameFlag: "1", MsgCount: "1", MsgSeqNo: "1"}}
	for _, n := range invtNos {
		a.SummaryApplyList = append(a.SummaryApplyList, ceb.SummaryApplyList{InvtNo: n})
	}
	return mustEncode(&ceb.CEB701Message{Guid: guid(), Version: "1.0", SummaryApply: []ceb.SummaryApply{a}, BaseTransfer: exportTransfer(xAgent)})
}

func cancel(invtNo, reason string) []byte {
	c := ceb.ExportInvtCancel{Guid: guid(), AppType: "1", AppTime: xTime, AppStatus: "2", CustomsCode: "8010", CopNo: "CAN" + invtNo, InvtNo: invtNo,
		Reason: reason, AgentCode: xAgent, AgentName: "报关行", EbcCode: xSeller, EbcName: "出口企业"}
	return mustEncode(&ceb.CEB605Message{Guid: guid(), Version: "1.0", InvtCancel: []ceb.ExportInvtCancel{c}, BaseTransfer: exportTransfer(xAgent)})
}

func waybillList(nos ...string) []byte {
	w := ceb.WayBill{WayBillHead: ceb.WayBillHead{Guid: guid(), AppType: "1", AppTime: xTime, AppStatus: "2", CustomsCode: "8010", CopNo: "WBL" + nos[0],
		AgentCode: xAgent, AgentName: "报关行", TrafMode: "4", TrafName: "CA123", VoyageNo: "CA123", BillNo: "BILL1", GrossWeight: "4",
		LogisticsCode: xCarrier, LogisticsName: "物流", MsgCount: "1", MsgSeqNo: "1"}}
	for i, n := range nos {
		w.WayBillList = append(w.WayBillList, ceb.WayBillList{Gnum: fmt.Sprint(i + 1), LogisticsNo: n})
	}
	return mustEncode(&ceb.CEB607Message{Guid: guid(), Version: "1.0", WayBill: []ceb.WayBill{w}, BaseTransfer: exportTransfer(xAgent)})
}

func TestExportApplicationCancelAndLateFlags(t *testing.T) {
	f := newExportFixture(t, apptest.SQLite)
	a, b, c := f.newDecl(), f.newDecl(), f.newDecl()
	for _, d := range []*xdecl{a, b, c} {
		if rs, info := f.send(d); rs != "120" {
			t.Fatalf("%s %s", rs, info)
		}
	}
	if info := f.must(xAgent, waybillList(a.logisticsNo, b.logisticsNo), "120"); code(info) != "1800" {
		t.Errorf("waybill list: %s", info)
	}
	if _, rs, info := f.post(xAgent, waybillList("NOSUCHWAYBILL")); rs != "100" || code(info) != "1412" {
		t.Errorf("waybill list with an unknown waybill: %s %s", rs, info)
	}
	f.must(xCarrier, arrival(a.logisticsNo, b.logisticsNo, c.logisticsNo), "120")
	_, aNo := f.status(a.copNo)
	_, bNo := f.status(b.copNo)
	_, cNo := f.status(c.copNo)
	if _, rs, info := f.post(xAgent, cancel(bNo, "")); rs != "100" || code(info) != "1413" {
		t.Errorf("cancel without a reason: %s %s", rs, info)
	}
	if info := f.must(xAgent, cancel(bNo, "buyer withdrew"), "399"); code(info) != "2802" {
		t.Errorf("cancel: %s", info)
	}
	if _, rs, info := f.post(xAgent, summaryApply(aNo, bNo)); rs != "100" || code(info) != "1414" || !strings.Contains(info, bNo) {
		t.Errorf("summary of a cancelled list: %s %s", rs, info)
	}
	if info := f.must(xAgent, summaryApply(aNo), "399"); code(info) != "2803" {
		t.Errorf("summary application: %s", info)
	}
	if _, rs, info := f.post(xAgent, cancel(aNo, "too late")); rs != "100" || code(info) != "1413" {
		t.Errorf("cancel of a summarized list: %s %s", rs, info)
	}
	var page struct{ Receipts []feedReceipt }
	f.s.Do("GET", "/api/v1/receipts?after=0&limit=200", f.keys[xAgent], "", nil).JSON(t, &page)
	n792 := 0
	for _, r := range page.Receipts {
		if r.MessageType == "CEB792Message" && strings.Contains(r.XML, aNo) {
			n792++
		}
	}
	if n792 != 1 {
		t.Errorf("CEB792 for the application: %d", n792)
	}
	// After the deadline, list c is flagged missing; summarized then, its summary is late.
	f.clk.Set(time.Date(2026, 12, 12, 9, 0, 0, 0, cstZone))
	var rep struct {
		Late, Unsummarized []string
		Missing            bool
	}
	f.s.Do("GET", "/api/v1/export/summaries?month=2026-11", apptest.AdminToken, "", nil).JSON(t, &rep)
	if !rep.Missing || len(rep.Unsummarized) != 1 || rep.Unsummarized[0] != cNo {
		t.Fatalf("report past the deadline: %+v", rep)
	}
	r := f.s.JSON("POST", "/api/v1/export/summaries/run", apptest.AdminToken, map[string]any{"month": "2026-11"})
	if r.Status != 200 {
		t.Fatalf("run: %d %s", r.Status, r.Body)
	}
	f.s.Do("GET", "/api/v1/export/summaries?month=2026-11", apptest.AdminToken, "", nil).JSON(t, &rep)
	if rep.Missing || len(rep.Late) != 1 {
		t.Errorf("report after the late run: %+v", rep)
	}
	if r := f.s.JSON("POST", "/api/v1/export/summaries/run", apptest.AdminToken, map[string]any{"month": "November"}); r.Status != 400 || !strings.Contains(string(r.Body), "month_invalid") {
		t.Errorf("bad month: %d %s", r.Status, r.Body)
	}
}

func TestExportDocumentWait(t *testing.T) {
	f := newExportFixture(t, apptest.SQLite)
	d := f.newDecl()
	f.must(xSeller, d.order(), "120")
	f.must(xPay, d.receipt(), "120")
	if _, rs, info := f.post(xAgent, d.inventory()); rs != "120" || code(info) != "1801" || !strings.Contains(info, "waybill (CEB505)") {
		t.Fatalf("inventory without its waybill: %s %s", rs, info)
	}
	ex := f.s.App.Export
	f.clk.Set(f.clk.Now().Add(time.Hour))
	if n, err := ex.Sweep(t.Context()); err != nil || n != 0 {
		t.Fatalf("sweep within the wait: %d %v", n, err)
	}
	f.clk.Set(f.clk.Now().Add(24 * time.Hour))
	if n, err := ex.Sweep(t.Context()); err != nil || n != 1 {
		t.Fatalf("sweep past the wait: %d %v", n, err)
	}
	if st, _ := f.status(d.copNo); st != "100" {
		t.Fatalf("status after the wait: %s", st)
	}
	var page struct{ Receipts []feedReceipt }
	f.s.Do("GET", "/api/v1/receipts?after=0&limit=100", f.keys[xAgent], "", nil).JSON(t, &page)
	last := page.Receipts[len(page.Receipts)-1]
	if last.CopNo != d.copNo || code(last.ReturnInfo) != "1301" {
		t.Errorf("last receipt: %+v", last)
	}
}

// TestExportEmergencyMeasure: an export under a measure is held on arrival
// and cannot be released while it lasts; lifting the measure judges it again,
// as it does held imports (docs/risk.md), instead of leaving it at 300.
func TestExportEmergencyMeasure(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newExportFixture(t, engine)
		r := f.s.JSON("POST", "/api/v1/risk/measures", apptest.AdminToken, map[string]any{"kind": "hs_prefix", "value": "6109",
			"reason": "出口服装涉嫌侵权", "legalBasis": "海关总署公告", "author": "李科长"})
		if r.Status != 201 {
			t.Fatalf("start measure: %d %s", r.Status, r.Body)
		}
		var m struct{ ID string }
		r.JSON(t, &m)
		d, other := f.newDecl(), f.newDecl(xline{"BAG-1", "4202210000", "1", "80"})
		for _, x := range []*xdecl{d, other} {
			if rs, info := f.send(x); rs != "120" {
				t.Fatalf("%s %s", rs, info)
			}
			f.must(xCarrier, arrival(x.logisticsNo), "120")
		}
		if st, _ := f.status(d.copNo); st != "300" {
			t.Fatalf("an export under a measure on arrival: status %s", st)
		}
		if st, _ := f.status(other.copNo); st != "800" {
			t.Fatalf("an export under no measure on arrival: status %s", st)
		}
		if r := f.s.JSON("POST", "/api/v1/export/inventories/"+d.copNo+"/inspection", apptest.AdminToken, map[string]any{"passed": true, "note": "ok"}); r.Status != 409 || !strings.Contains(string(r.Body), "measure_in_force") {
			t.Errorf("release under the measure: %d %s", r.Status, r.Body)
		}
		var lifted struct{ JudgedAgain []string }
		r = f.s.JSON("POST", "/api/v1/risk/measures/"+m.ID+"/lift", apptest.AdminToken, map[string]any{"reason": "复核无侵权", "author": "李科长"})
		if r.Status != 200 {
			t.Fatalf("lift: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &lifted)
		if len(lifted.JudgedAgain) != 1 || lifted.JudgedAgain[0] != d.copNo {
			t.Errorf("lift: want the held export judged again, got %s", r.Body)
		}
		// Judged again at once: matched and arrived, no other measure, so released.
		if st, _ := f.status(d.copNo); st != "800" {
			t.Fatalf("after the lift: want the held export judged again (800), status %s", st)
		}
		var page struct{ Receipts []feedReceipt }
		f.s.Do("GET", "/api/v1/receipts?after=0&limit=100", f.keys[xAgent], "", nil).JSON(t, &page)
		var seen []string
		for _, rc := range page.Receipts {
			if rc.CopNo == d.copNo && rc.MessageType == "CEB604Message" {
				seen = append(seen, rc.ReturnStatus+"/"+code(rc.ReturnInfo))
			}
		}
		if got := strings.Join(seen, " "); !strings.HasSuffix(got, "300/2420 120/2421 800/2600") {
			t.Errorf("the agent's receipts of the export: want … 300/2420 120/2421 800/2600, got %s", got)
		}
		if r := f.s.JSON("POST", "/api/v1/export/inventories/"+d.copNo+"/inspection", apptest.AdminToken, map[string]any{"passed": true, "note": "late"}); r.Status != 409 {
			t.Errorf("an officer's release after the judgement: want 409, got %d %s", r.Status, r.Body)
		}
	})
}

func TestExportForexAndNoInvoice(t *testing.T) {
	f := newExportFixture(t, apptest.SQLite)
	d := f.newDecl()
	d.tradeMode = "9710" // B2B: the payment may follow the goods
	f.must(xSeller, d.order(), "120")
	f.must(xCarrier, d.waybill(), "120")
	if _, rs, info := f.post(xAgent, d.inventory()); rs != "120" || code(info) != "1401" {
		t.Fatalf("9710 without a receipt of payment: %s %s", rs, info)
	}
	f.must(xCarrier, arrival(d.logisticsNo), "120")
	type row struct{ Due, Settled, Unsettled, Overdue string }
	forex := func() row {
		var fx struct{ Rows []row }
		f.s.Do("GET", "/api/v1/export/forex", f.keys[xSeller], "", nil).JSON(t, &fx)
		if len(fx.Rows) != 1 {
			t.Fatalf("forex rows: %+v", fx)
		}
		return fx.Rows[0]
	}
	if r := forex(); r.Due != "160.00" || r.Unsettled != "160.00" || r.Overdue != "0.00" {
		t.Errorf("forex before payment: %+v", r)
	}
	f.clk.Set(f.clk.Now().AddDate(0, 0, 181))
	if r := forex(); r.Overdue != "160.00" {
		t.Errorf("forex after 181 days: %+v", r)
	}
	f.must(xPay, d.receipt(), "120")
	if r := forex(); r.Settled != "160.00" || r.Unsettled != "0.00" || r.Overdue != "0.00" {
		t.Errorf("forex after payment: %+v", r)
	}
	if r := f.s.Do("GET", "/api/v1/export/forex?ebcCode=1105910159", f.keys[xSeller], "", nil); r.Status != 403 {
		t.Errorf("another consignor's forex: %d", r.Status)
	}

	reg := map[string]any{"date": "2026-11-03", "name": "纯棉T恤", "unit": "件", "qty": "100", "unitPrice": "12.50", "amount": "1250.00"}
	if r := f.s.JSON("POST", "/api/v1/export/no-invoice", f.keys[xSeller], reg); r.Status != 201 {
		t.Fatalf("无票免税: %d %s", r.Status, r.Body)
	}
	reg["amount"] = "1200.00"
	if r := f.s.JSON("POST", "/api/v1/export/no-invoice", f.keys[xSeller], reg); r.Status != 400 || !strings.Contains(string(r.Body), "amount_mismatch") {
		t.Errorf("amount ≠ qty × unitPrice: %d %s", r.Status, r.Body)
	}
	var ref struct {
		NoInvoice []struct{ EbcCode, Amount string }
	}
	f.s.Do("GET", "/api/v1/export/refund?month=2026-11", f.keys[xSeller], "", nil).JSON(t, &ref)
	if len(ref.NoInvoice) != 1 || ref.NoInvoice[0].EbcCode != xSeller || ref.NoInvoice[0].Amount != "1250.00" {
		t.Errorf("refund data: %+v", ref)
	}
}

// December is summarized by its last working day, inside the month: the job
// merges the lists released so far, and the next run those released after.
func TestExportDecemberSummary(t *testing.T) {
	f := newExportFixture(t, apptest.SQLite)
	ex := f.s.App.Export
	f.clk.Set(time.Date(2026, 12, 28, 10, 0, 0, 0, cstZone))
	a, b := f.newDecl(), f.newDecl()
	f.send(a)
	f.must(xCarrier, arrival(a.logisticsNo), "120")
	if sums, err := ex.RunDue(t.Context()); err != nil || len(sums) != 0 {
		t.Fatalf("Dec 28, before the lead time: %v %v", sums, err)
	}
	f.clk.Set(time.Date(2026, 12, 29, 9, 0, 0, 0, cstZone)) // deadline Jan 1 00:00 (Thu Dec 31) − 72 h
	if sums, err := ex.RunDue(t.Context()); err != nil || len(sums) != 1 || sums[0].Late {
		t.Fatalf("Dec 29: %+v %v", sums, err)
	}
	f.clk.Set(time.Date(2026, 12, 30, 15, 0, 0, 0, cstZone))
	f.send(b)
	f.must(xCarrier, arrival(b.logisticsNo), "120")
	if sums, err := ex.RunDue(t.Context()); err != nil || len(sums) != 1 || sums[0].Late || sums[0].Month != "2026-12" {
		t.Fatalf("Dec 30: %+v %v", sums, err)
	}
}

// Ownership and entrustment hold for exports too (issue 16, rules §12): an
// enterprise that is not the owner cannot modify or delete the order or the
// inventory, and an agent the exporter has not entrusted cannot declare.
func TestExportOwnership(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newExportFixture(t, engine)
		const intruder, stranger = "1105910170", "330766D00X"
		f.keys[intruder] = f.s.Register(intruder, "ebp", "ebc")
		f.keys[stranger] = f.s.Register(stranger, "agent")
		d := f.newDecl()
		f.must(xSeller, d.order(), "120")
		f.must(xAgent, d.inventory(), "120")
		as := func(xml []byte, appType string, from, to string) []byte {
			s := strings.Replace(string(xml), "<ceb:appType>1</ceb:appType>", "<ceb:appType>"+appType+"</ceb:appType>", 1)
			return []byte(strings.ReplaceAll(s, from, to))
		}
		for _, appType := range []string{"2", "3"} {
			for _, c := range []struct {
				what string
				xml  []byte
			}{
				{"order", as(d.order(), appType, "<ceb:ebcCode>"+xSeller, "<ceb:ebcCode>"+intruder)},
				{"inventory", as(d.inventory(), appType, "<ceb:ebcCode>"+xSeller, "<ceb:ebcCode>"+intruder)},
			} {
				if st, rs, info := f.post(intruder, c.xml); st != 200 || rs != "100" || code(info) != "1106" {
					t.Errorf("%s appType %s by another exporter: want 100 [Code:1106], got %d %s %s", c.what, appType, st, rs, info)
				}
			}
		}
		other := f.newDecl()
		f.must(xSeller, other.order(), "120")
		if st, rs, info := f.post(stranger, as(other.inventory(), "1", xAgent, stranger)); st != 200 || rs != "100" || code(info) != "1108" {
			t.Errorf("an agent not entrusted: want 100 [Code:1108], got %d %s %s", st, rs, info)
		}
		f.must(xAgent, other.inventory(), "120")
		f.must(xPay, d.receipt(), "120")
		f.must(xCarrier, d.waybill(), "120")
		if st, _ := f.status(d.copNo); st != "120" && st != "800" {
			t.Errorf("the exporter's inventory is %s after the intrusions", st)
		}
	})
}
