package httpapi_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/config"
)

var (
	milk   = line{item: "MILK-1", hs: "1901101000", name: "婴儿配方奶粉", unit1: "035", qty: "2", qty1: "1.6", price: "200"}
	cream  = line{item: "CREAM-1", hs: "3304990099", name: "精华面霜", unit1: "036", qty: "1", qty1: "50", price: "1000"}
	bag    = line{item: "BAG-1", hs: "4202210000", name: "皮革手提包", unit1: "007", qty: "1", qty1: "1", price: "6000"}
	sugar  = line{item: "SUGAR-1", hs: "1701999000", name: "精制糖", unit1: "035", qty: "3", qty1: "3", price: "20"}
	cherry = line{item: "CHERRY-1", hs: "0809290000", name: "鲜甜樱桃", unit1: "035", qty: "1", qty1: "2", price: "100"}
	ink    = line{item: "INK-1", hs: "3215190000", name: "打印机墨盒", unit1: "035", qty: "1", qty1: "0.1", price: "100"}
)

// Each rejection of rules §3, §4 and §6 comes back 100 with its code and both values.
func TestClearanceRejections(t *testing.T) {
	cases := []struct {
		name   string
		code   string
		want   string // a fragment of returnInfo: the values involved
		break_ func(d *decl)
	}{
		{"order does not balance", "1310", "acturalPaid=447.00", func(d *decl) { d.acturalPaid, d.amountPaid = "447.00", "447.00" }},
		{"line total is not price × qty", "1311", "totalPrice=390", func(d *decl) {
			l := milk
			l.totalPrice = "390"
			d.priced([]line{l}, "10", "36.40")
		}},
		{"goods value differs from lines", "1312", "goodsValue=390", func(d *decl) { d.goodsValue, d.acturalPaid, d.amountPaid = "390", "437.31", "437.31" }},
		{"payment amount differs", "1332", "PaymentHead.amountPaid=500, OrderHead.acturalPaid=447.31", func(d *decl) { d.amountPaid = "500" }},
		{"payer is not the buyer", "1327", "payerIdNumber=110101********0011", func(d *decl) { d.payerID = "110101199001010011" }},
		{"waybill consignee differs", "1340", "consigneeTelephone=139****0000", func(d *decl) { d.wbPhone = "13900000000" }},
		{"inventory lines differ from order", "1322", "InventoryList.qty=3, OrderList.qty=2", func(d *decl) {
			l := milk
			l.qty = "3"
			l.totalPrice = "400"
			d.invLines = []line{l}
		}},
		{"inventory line count differs", "1320", "2 lines, OrderList has 1", func(d *decl) { d.invLines = []line{milk, cream} }},
		{"inventory buyer differs", "13127", "buyerTelephone=137****0000", func(d *decl) { d.invPhone = "13700000000" }},
		{"buyer ID check digit", "1300", "check character", func(d *decl) { d.buyerID, d.payerID = "110101199003074515", "110101199003074515" }},
		{"guarantor not registered", "22001", "assureCode=9999999999", func(d *decl) { d.assure = "9999999999" }},
		{"over the single limit", "1314", "dutiable value 6010.00 > limit 5000.00", func(d *decl) {
			two := milk
			two.qty, two.totalPrice = "30", ""
			d.priced([]line{two}, "10", "546.91")
		}},
		{"tax total differs", "1360", "OrderHead.taxTotal=30.00, computed 37.31", func(d *decl) { d.priced([]line{milk}, "10", "30.00") }},
		{"bonded-only goods under 9610", "1353", "gcode=0809290000 under tradeMode 9610", func(d *decl) { d.priced([]line{cherry}, "0", "9.00") }},
		{"product not filed", "1350", "itemNo=NOPE-1", func(d *decl) {
			l := milk
			l.item = "NOPE-1"
			d.priced([]line{l}, "10", "37.31")
		}},
		{"HS code differs from the filing", "1354", "gcode=1901109000, filed HS code=1901101000", func(d *decl) {
			l := milk
			l.hs = "1901109000"
			d.priced([]line{l}, "10", "37.31")
		}},
		{"negative list", "1352", "suspended", func(d *decl) {
			d.priced([]line{{item: "CHICKEN-1", hs: "0207141000", name: "冻鸡翅", unit1: "035", qty: "1", qty1: "1", price: "50"}}, "0", "4.55")
		}},
		{"not on the positive list", "1351", "gcode=8703231990", func(d *decl) {
			d.priced([]line{{item: "CAR-1", hs: "8703231990", name: "小轿车", unit1: "001", qty: "1", qty1: "1", price: "100"}}, "0", "9.10")
		}},
		{"yearly quantity cap", "1315", "> cap 2", func(d *decl) { d.priced([]line{sugar}, "0", "5.46") }},
	}
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				f.t = t
				d := f.newDecl()
				c.break_(d)
				f.send(d)
				r := f.final(d.copNo)
				if r.ReturnStatus != "100" || code(r.ReturnInfo) != c.code || !strings.Contains(r.ReturnInfo, c.want) {
					t.Errorf("want 100 [Code:%s] with %q, got %s %s", c.code, c.want, r.ReturnStatus, r.ReturnInfo)
				}
			})
		}
	})
}

// The tax examples of rules §6 and the over-limit exception of §4, through the whole pipeline.
func TestClearanceTaxAndExceptions(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		for _, c := range []struct {
			name, status, code, want string
			d                        func(d *decl)
		}{
			{"high-end cosmetics 23.06 %", "800", "2600", "tax 230.59 (duty 0.00, consumption tax 123.53, VAT 107.06)", func(d *decl) { d.priced([]line{cream}, "0", "230.59") }},
			{"one indivisible item over the single limit, full rates", "800", "2600", "tax 1458.00 (duty 600.00, consumption tax 0.00, VAT 858.00)", func(d *decl) { d.priced([]line{bag}, "0", "1458.00") }},
			{"named goods go to manual review", "300", "1200", "named_goods", func(d *decl) { d.priced([]line{ink}, "0", "9.10") }},
		} {
			t.Run(c.name, func(t *testing.T) {
				f.t = t
				d := f.newDecl()
				c.d(d)
				f.send(d)
				r := f.final(d.copNo)
				if r.ReturnStatus != c.status || code(r.ReturnInfo) != c.code || !strings.Contains(r.ReturnInfo, c.want) {
					t.Errorf("want %s [Code:%s] with %q, got %s %s", c.status, c.code, c.want, r.ReturnStatus, r.ReturnInfo)
				}
			})
		}
	})
}

// Documents arrive in any order: an inventory before its order waits (120, 1801), then clears.
func TestInventoryBeforeItsDocuments(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		d := f.newDecl()
		if st, rs, _, body := f.post(agent, f.inventory(d, "1")); st != 200 || rs != "120" {
			t.Fatalf("inventory alone: %d %s\n%s", st, rs, body)
		}
		waitFor(t, func() bool { return f.latest(d.copNo).ReturnInfo != "" && code(f.latest(d.copNo).ReturnInfo) == "1801" })
		if info := f.latest(d.copNo).ReturnInfo; !strings.Contains(info, "order (CEB311), payment (CEB411), waybill (CEB511)") {
			t.Errorf("awaiting receipt does not name the missing documents: %s", info)
		}
		f.post(carrier, d.waybill())
		f.post(payer, d.payment())
		f.post(platform, d.order("1"))
		if r := f.final(d.copNo); r.ReturnStatus != "800" {
			t.Errorf("after the documents arrived: %s %s", r.ReturnStatus, r.ReturnInfo)
		}
	})
}

// An inventory whose documents never come is rejected after rules.document_wait.
func TestMissingDocumentsTimeOut(t *testing.T) {
	f := newFixture(t, apptest.SQLite, func(c *config.Config) { c.Rules.DocumentWait = config.Duration(300 * time.Millisecond) })
	d := f.newDecl()
	f.post(platform, d.order("1"))
	f.post(agent, f.inventory(d, "1"))
	r := f.final(d.copNo)
	if r.ReturnStatus != "100" || code(r.ReturnInfo) != "1301" || !strings.Contains(r.ReturnInfo, "payment (CEB411), waybill (CEB511)") {
		t.Errorf("want 100 1301 naming payment and waybill, got %s %s", r.ReturnStatus, r.ReturnInfo)
	}
}

// The same message twice, the same document unchanged, a modify and a delete.
func TestResubmissionModifyDelete(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		d := f.newDecl()
		order := d.order("1")
		_, _, _, first := f.post(platform, order)
		_, _, _, again := f.post(platform, order)
		if string(first) != string(again) {
			t.Errorf("same guid answered differently:\n%s\n%s", first, again)
		}
		// The same order in a new message (new guid) is the same document: accepted, unchanged.
		if _, rs, info, _ := f.post(platform, d.order("1")); rs != "120" || code(info) != "1800" {
			t.Errorf("unchanged resubmission: %s %s", rs, info)
		}
		// Different content with appType 1 is a duplicate.
		d.consAddr = "重庆市江北区观音桥1号"
		if _, rs, info, _ := f.post(platform, d.order("1")); rs != "100" || code(info) != "1101" {
			t.Errorf("changed content with appType 1: %s %s", rs, info)
		}
		// With appType 2 it is a modification.
		if _, rs, info, _ := f.post(platform, d.order("2")); rs != "120" {
			t.Errorf("modify: %s %s", rs, info)
		}
		// Modifying something never declared is refused.
		ghost := f.newDecl()
		if _, rs, info, _ := f.post(platform, ghost.order("2")); rs != "100" || code(info) != "1102" {
			t.Errorf("modify of an unknown order: %s %s", rs, info)
		}
		f.post(payer, d.payment())
		f.post(carrier, d.waybill())
		f.post(agent, f.inventory(d, "1"))
		if r := f.final(d.copNo); r.ReturnStatus != "800" {
			t.Fatalf("modified order did not clear: %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		// After release, the order can neither be modified nor deleted.
		d.consAddr = "重庆市南岸区南坪2号"
		if _, rs, info, _ := f.post(platform, d.order("2")); rs != "100" || code(info) != "22007" {
			t.Errorf("modify after release: %s %s", rs, info)
		}
		if _, rs, info, _ := f.post(platform, d.order("3")); rs != "100" || code(info) != "22007" {
			t.Errorf("delete after release: %s %s", rs, info)
		}
		// A rejected inventory is corrected with appType 2 and then clears.
		bad := f.newDecl()
		bad.invPhone = "13700000000"
		f.send(bad)
		if r := f.final(bad.copNo); code(r.ReturnInfo) != "13127" {
			t.Fatalf("want 13127 first, got %s", r.ReturnInfo)
		}
		bad.invPhone = ""
		if _, rs, info, _ := f.post(agent, f.inventory(bad, "2")); rs != "120" {
			t.Fatalf("corrected inventory: %s %s", rs, info)
		}
		waitFor(t, func() bool { return f.latest(bad.copNo).ReturnStatus == "800" })
	})
}

// 50 inventories of one buyer at once, 600 CNY each: with 26,000 CNY a year,
// exactly 42 fit (42 × 610 = 25,620; 43 × 610 = 26,230), however they interleave.
func TestConcurrentInventoriesOfOneBuyer(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		var ds []*decl
		for range 50 {
			d := f.newDecl()
			l := milk
			l.qty = "3"
			d.priced([]line{l}, "10", "55.51")
			ds = append(ds, d)
			f.post(platform, d.order("1"))
			f.post(payer, d.payment())
			f.post(carrier, d.waybill())
		}
		var wg sync.WaitGroup
		for _, d := range ds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.s.Do("POST", "/api/v1/ceb", f.keys[agent], "application/xml", f.inventory(d, "1"))
			}()
		}
		wg.Wait()
		released, over := 0, 0
		for _, d := range ds {
			r := f.final(d.copNo)
			switch {
			case r.ReturnStatus == "800":
				released++
			case code(r.ReturnInfo) == "1313":
				over++
			default:
				t.Errorf("%s: %s %s", d.copNo, r.ReturnStatus, r.ReturnInfo)
			}
		}
		if released != 42 || over != 8 {
			t.Errorf("released %d, over the limit %d; want 42 and 8", released, over)
		}
		var q struct{ Used, Remaining string }
		f.s.Do("GET", "/api/v1/quota?name=王小明&idNumber=110101199003074514", "", "", nil).JSON(t, &q)
		if q.Used != "25620.00" || q.Remaining != "380.00" {
			t.Errorf("quota: %+v", q)
		}
	})
}

// Selection for inspection follows the credit class's rate (rules §9).
func TestInspectionByCreditClass(t *testing.T) {
	f := newFixture(t, apptest.SQLite, func(c *config.Config) { c.Rules.InspectionRates["general"] = "1" })
	d := f.newDecl()
	f.send(d)
	if r := f.final(d.copNo); r.ReturnStatus != "500" || code(r.ReturnInfo) != "2500" || !strings.Contains(r.ReturnInfo, "credit class general") {
		t.Errorf("want 500 selected, got %s %s", r.ReturnStatus, r.ReturnInfo)
	}
}

// latest returns the newest receipt of an inventory in the agent's feed.
func (f *fixture) latest(copNo string) feedReceipt {
	var page struct{ Receipts []feedReceipt }
	f.s.Do("GET", "/api/v1/receipts?after=0&limit=1000", f.keys[agent], "", nil).JSON(f.t, &page)
	var last feedReceipt
	for _, r := range page.Receipts {
		if r.CopNo == copNo && r.MessageType == "CEB622Message" {
			last = r
		}
	}
	return last
}

func waitFor(t testing.TB, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("condition not met within 60 s")
}
