package httpapi_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/config"
)

// The bonded tests' zone operator and account book.
const (
	zone  = "5001660A01"
	emsNo = "T8010W000001"
)

// testClock is an injected clock tests move forward without sleeping.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *testClock) Add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *testClock) Days(n int)          { c.Add(time.Duration(n) * 24 * time.Hour) }
func newClock(t time.Time) *testClock    { c := &testClock{}; c.ns.Store(t.UnixNano()); return c }

// bondedFixture is the clearance fixture plus a zone operator keeping a book
// with two items (MILK-1 as item 1, CHERRY-1 as item 2), and a clock.
type bondedFixture struct {
	*fixture
	clock *testClock
}

var day0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newBondedFixture(t *testing.T, engine apptest.Engine, stock string, guarantee string, tweak ...func(*config.Config)) *bondedFixture {
	clock := newClock(day0)
	f := newFixture(t, engine, append([]func(*config.Config){func(c *config.Config) { c.Clock = clock.Now }}, tweak...)...)
	b := &bondedFixture{fixture: f, clock: clock}
	r := f.s.JSON("POST", "/api/v1/enterprises", apptest.AdminToken, map[string]any{"code": zone, "name": "示例保税仓", "roles": []string{"area"},
		"creditClass": "general", "certificates": []string{string(f.sign.CertPEM)}})
	if r.Status != http.StatusCreated {
		t.Fatalf("register zone: %d %s", r.Status, r.Body)
	}
	var out struct{ APIKey string }
	r.JSON(t, &out)
	f.keys[zone] = out.APIKey
	f.s.App.Reference.PutProducts([]catalog.Product{
		{EBCCode: platform, ItemNo: "MILK-1", Name: "婴儿配方奶粉", HSCode: "1901101000", OriginCountry: "502", LegalUnit: "035", ItemRecordNo: "1"},
		{EBCCode: platform, ItemNo: "CHERRY-1", Name: "鲜甜樱桃", HSCode: "0809290000", OriginCountry: "502", LegalUnit: "035", ItemRecordNo: "2"},
	})
	b.must(f.s.JSON("POST", "/api/v1/books", apptest.AdminToken, map[string]any{"emsNo": emsNo, "operatorCode": zone, "name": "重庆示例保税仓"}), 201)
	b.must(f.s.JSON("POST", "/api/v1/books/"+emsNo+"/items", f.keys[zone], map[string]any{"items": []map[string]string{
		{"itemRecordNo": "1", "ebcCode": platform, "itemNo": "MILK-1", "name": "婴儿配方奶粉", "unit": "122"},
		{"itemRecordNo": "2", "ebcCode": platform, "itemNo": "CHERRY-1", "name": "鲜甜樱桃", "unit": "035"}}}), 200)
	if stock != "" {
		b.must(f.s.JSON("POST", "/api/v1/books/"+emsNo+"/entries", f.keys[zone], map[string]any{"entryNo": "RK-INIT",
			"items": []map[string]string{{"itemRecordNo": "1", "qty": stock}, {"itemRecordNo": "2", "qty": stock}}}), 201)
	}
	// The declaring agent guarantees the tax of its inventories: a guarantor
	// must be a party of the inventory (rules §12).
	b.mayGuarantee(bondedGuarantor, "agent")
	if guarantee != "" {
		b.lodge(bondedGuarantor, guarantee)
	}
	return b
}

// bondedGuarantor is the assureCode of the fixture's inventories: their agent.
const bondedGuarantor = agent

// mayGuarantee gives an enterprise of the fixture the guarantor role on top of its roles.
func (b *bondedFixture) mayGuarantee(code string, roles ...string) {
	b.t.Helper()
	b.must(b.s.JSON("PATCH", "/api/v1/enterprises/"+code, apptest.AdminToken, map[string]any{"roles": append(roles, "assure")}), 200)
}

// lodge records a guarantee of amount for a guarantor.
func (b *bondedFixture) lodge(code, amount string) {
	b.t.Helper()
	b.must(b.s.JSON("POST", "/api/v1/guarantees", apptest.AdminToken, map[string]any{"assureCode": code, "amount": amount, "reference": "BG-" + code}), 201)
}

func (b *bondedFixture) must(r *apptest.Response, status int) *apptest.Response {
	b.t.Helper()
	if r.Status != status {
		b.t.Fatalf("want HTTP %d, got %d: %s", status, r.Status, r.Body)
	}
	return r
}

// bondedDecl is a 1210 purchase of two tins of infant formula from the book.
func (b *bondedFixture) bondedDecl() *decl {
	d := b.newDecl()
	d.tradeMode = "1210"
	return d
}

// records maps itemNo → account-book item of the fixture's book.
var records = map[string]string{"MILK-1": "1", "CHERRY-1": "2"}

// bondedInventory is the fixture's inventory with the book and its items.
func (b *bondedFixture) bondedInventory(d *decl) []byte {
	inv := ceb.Inventory{InventoryHead: ceb.InventoryHead{Guid: guid(), AppType: "1", AppTime: appTime, AppStatus: "2",
		OrderNo: d.orderNo, EbpCode: platform, EbpName: "平台", EbcCode: or(d.ebc, platform), EbcName: "电商", LogisticsNo: d.logisticsNo,
		LogisticsCode: carrier, LogisticsName: "物流", CopNo: d.copNo, AssureCode: or(d.assure, bondedGuarantor), EmsNo: emsNo, AreaCode: or(d.area, zone), AreaName: "保税仓",
		IeFlag: "I", DeclTime: "20261127", CustomsCode: "8010", PortCode: "8010", BuyerIdType: "1", BuyerIdNumber: d.buyerID, BuyerName: d.buyer,
		BuyerTelephone: d.phone, ConsigneeAddress: d.consAddr, AgentCode: agent, AgentName: "报关行", TradeMode: "1210", TrafMode: "5", Country: "502",
		Freight: d.freight, InsuredFee: "0", Currency: "142", PackNo: "1", GrossWeight: "2", NetWeight: "1.6"}}
	for i, l := range d.lines {
		inv.InventoryList = append(inv.InventoryList, ceb.InventoryList{Gnum: fmt.Sprint(i + 1), ItemRecordNo: or(l.record(), "1"), ItemNo: l.item, ItemName: l.name,
			Gcode: l.hs, Gname: l.name, Gmodel: "规格", Country: "502", Currency: "142", Qty: l.qty, Unit: "011",
			Qty1: l.qty1, Unit1: l.unit1, Price: l.price, TotalPrice: total(l)})
	}
	xml := mustEncode(&ceb.CEB621Message{Guid: guid(), Version: "1.0", Inventory: []ceb.Inventory{inv}, BaseTransfer: transfer(agent)})
	return b.sign.Sign(b.t, xml)
}

func (l line) record() string { return records[l.item] }

// declare sends the four documents of a bonded purchase and waits for the decision.
func (b *bondedFixture) declare(d *decl) feedReceipt {
	b.t.Helper()
	for _, m := range []struct {
		sender string
		xml    []byte
	}{{platform, d.order("1")}, {payer, d.payment()}, {carrier, d.waybill()}, {agent, b.bondedInventory(d)}} {
		if st, rs, info, body := b.post(m.sender, m.xml); st != 200 || rs != "120" {
			b.t.Fatalf("from %s: HTTP %d, returnStatus %s %s\n%s", m.sender, st, rs, info, body)
		}
	}
	return b.final(d.copNo)
}

type bookView struct {
	Items []struct{ ItemRecordNo, OnHand, Reserved, Available string }
}

func (b *bondedFixture) stock(item string) (onHand, reserved string) {
	b.t.Helper()
	var v bookView
	b.must(b.s.Do("GET", "/api/v1/books/"+emsNo, b.keys[zone], "", nil), 200).JSON(b.t, &v)
	for _, it := range v.Items {
		if it.ItemRecordNo == item {
			return it.OnHand, it.Reserved
		}
	}
	b.t.Fatalf("no item %s in %+v", item, v)
	return "", ""
}

type account struct {
	Balance, Lodged, Debited, Credited, Blocked string
	History                                     []struct{ Kind, Amount, Balance string }
}

// account reads the fixture guarantor's account with its own key.
func (b *bondedFixture) account() account {
	b.t.Helper()
	return b.accountAs(bondedGuarantor, b.keys[bondedGuarantor])
}

// accountAs reads a guarantor's account with key.
func (b *bondedFixture) accountAs(code, key string) account {
	b.t.Helper()
	var a account
	b.must(b.s.Do("GET", "/api/v1/guarantees/"+code, key, "", nil), 200).JSON(b.t, &a)
	return a
}

func (b *bondedFixture) quotaUsed(d *decl) string {
	var q struct{ Used string }
	b.s.Do("GET", "/api/v1/quota?name="+d.buyer+"&idNumber="+d.buyerID+"&year=2026", "", "", nil).JSON(b.t, &q)
	return q.Used
}

// invtNo reads the customs number the platform gave an inventory.
func (b *bondedFixture) invtNo(copNo string) string {
	var inv struct{ InvtNo string }
	b.must(b.s.Do("GET", "/api/v1/inventories/"+copNo, b.keys[agent], "", nil), 200).JSON(b.t, &inv)
	return inv.InvtNo
}

func (b *bondedFixture) cancel(d *decl) (returnStatus, info string) {
	b.t.Helper()
	return b.cancelAs(agent, d)
}

// cancelAs sends a CEB623 for d's inventory as the declaring agent code.
func (b *bondedFixture) cancelAs(agent string, d *decl) (returnStatus, info string) {
	b.t.Helper()
	st, rs, info, body := b.post(agent, b.sign.Sign(b.t, b.cancelMessage(agent, d)))
	if st != 200 || !strings.Contains(string(body), "CEB624Message") {
		b.t.Fatalf("cancel: HTTP %d %s", st, body)
	}
	return rs, info
}

// cancelMessage is an unsigned CEB623 for d's inventory naming agent as its agentCode.
func (b *bondedFixture) cancelMessage(agent string, d *decl) []byte {
	c := ceb.InvtCancel{Guid: guid(), AppType: "1", AppTime: appTime, AppStatus: "2", CustomsCode: "8010", OrderNo: d.orderNo,
		EbpCode: platform, EbpName: "平台", EbcCode: platform, EbcName: "电商", LogisticsNo: d.logisticsNo, LogisticsCode: carrier, LogisticsName: "物流",
		CopNo: "C" + d.copNo, InvtNo: b.invtNo(d.copNo), BuyerIdType: "1", BuyerIdNumber: d.buyerID, BuyerName: d.buyer, BuyerTelephone: d.phone,
		AgentCode: agent, AgentName: "报关行", Reason: "买家取消订单"}
	return mustEncode(&ceb.CEB623Message{Guid: guid(), Version: "1.0", InvtCancel: []ceb.InvtCancel{c}, BaseTransfer: transfer(agent)})
}

// applyReturn sends a CEB625 for the given gnum → qty and returns the receipt's status and info.
func (b *bondedFixture) applyReturn(d *decl, copNo string, lines map[int]string) (returnStatus, info string) {
	b.t.Helper()
	st, rs, info, body := b.post(agent, b.sign.Sign(b.t, b.returnMessage(agent, d, copNo, lines)))
	if st != 200 || !strings.Contains(string(body), "CEB626Message") {
		b.t.Fatalf("return: HTTP %d %s", st, body)
	}
	return rs, info
}

// returnMessage is an unsigned CEB625 for d's inventory naming agent as its agentCode.
func (b *bondedFixture) returnMessage(agent string, d *decl, copNo string, lines map[int]string) []byte {
	h := ceb.InvtRefundHead{Guid: guid(), AppType: "1", AppTime: appTime, AppStatus: "2", CustomsCode: "8010", OrderNo: d.orderNo,
		EbpCode: platform, EbpName: "平台", EbcCode: platform, EbcName: "电商", LogisticsNo: d.logisticsNo, LogisticsCode: carrier, LogisticsName: "物流",
		CopNo: copNo, InvtNo: b.invtNo(d.copNo), BuyerIdType: "1", BuyerIdNumber: d.buyerID, BuyerName: d.buyer, BuyerTelephone: d.phone,
		AgentCode: agent, AgentName: "报关行", Reason: "七天无理由退货"}
	r := ceb.InvtRefund{InvtRefundHead: h}
	for gnum := 1; gnum <= len(d.lines); gnum++ {
		if q, ok := lines[gnum]; ok {
			l := d.lines[gnum-1]
			r.InvtRefundList = append(r.InvtRefundList, ceb.InvtRefundList{Gnum: fmt.Sprint(gnum), Gcode: l.hs, Gname: l.name, Qty: q, Unit: "011"})
		}
	}
	return mustEncode(&ceb.CEB625Message{Guid: guid(), Version: "1.0", InvtRefund: []ceb.InvtRefund{r}, BaseTransfer: transfer(agent)})
}

type returnView struct {
	ID, State, Reason, TaxRefunded, QuotaRestored string
}

func (b *bondedFixture) returnOf(d *decl) returnView {
	b.t.Helper()
	var out struct{ Returns []returnView }
	b.must(b.s.Do("GET", "/api/v1/returns?invtNo="+b.invtNo(d.copNo), apptest.AdminToken, "", nil), 200).JSON(b.t, &out)
	if len(out.Returns) == 0 {
		b.t.Fatal("no return recorded")
	}
	return out.Returns[0]
}

func (b *bondedFixture) feed(code, msgType string) []feedReceipt {
	var page struct{ Receipts []feedReceipt }
	b.s.Do("GET", "/api/v1/receipts?after=0&limit=1000", b.keys[code], "", nil).JSON(b.t, &page)
	var out []feedReceipt
	for _, r := range page.Receipts {
		if r.MessageType == msgType {
			out = append(out, r)
		}
	}
	return out
}

func TestBondedReleaseTakesStockAndDebitsGuarantee(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "10", "1000.00")
		d := b.bondedDecl()
		if r := b.declare(d); r.ReturnStatus != "800" {
			t.Fatalf("want 800, got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		if on, res := b.stock("1"); on != "8.000" || res != "0.000" {
			t.Errorf("stock after release: onHand %s reserved %s, want 8 and 0", on, res)
		}
		a := b.account()
		if a.Balance != "962.69" || a.Debited != "37.31" || a.Lodged != "1000.00" || len(a.History) != 2 || a.History[1].Kind != "debit" {
			t.Errorf("guarantee after release: %+v", a)
		}
		// Contract §7: bad input names the field; another enterprise may not read the account.
		r := b.s.JSON("POST", "/api/v1/guarantees", apptest.AdminToken, map[string]any{"assureCode": bondedGuarantor, "amount": "-5", "reference": "x"})
		if r.Status != 400 || !strings.Contains(string(r.Body), `"field":"amount"`) {
			t.Errorf("negative amount: %d %s", r.Status, r.Body)
		}
		if r := b.s.Do("GET", "/api/v1/guarantees/"+bondedGuarantor, b.keys[platform], "", nil); r.Status != 403 {
			t.Errorf("another enterprise reads the guarantee: %d", r.Status)
		}
	})
}

func TestBondedRefusals(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "1", "10.00")
		// Two tins wanted, one in stock: refused, nothing held.
		d := b.bondedDecl()
		if r := b.declare(d); r.ReturnStatus != "100" || code(r.ReturnInfo) != "1371" || !strings.Contains(r.ReturnInfo, "available 1.000") {
			t.Fatalf("want 100 [1371], got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		if on, res := b.stock("1"); on != "1.000" || res != "0.000" {
			t.Errorf("stock after refusal: %s / %s", on, res)
		}
		// One tin: stock is there, but the guarantee (10.00) is short of the tax: held for review, stock reserved.
		d = b.bondedDecl()
		d.priced([]line{{item: "MILK-1", hs: "1901101000", name: "婴儿配方奶粉", unit1: "035", qty: "1", qty1: "0.8", price: "200"}}, "10", "19.11")
		if r := b.declare(d); r.ReturnStatus != "300" || code(r.ReturnInfo) != "1372" || !strings.Contains(r.ReturnInfo, "balance 10.00 < tax 19.11") {
			t.Fatalf("want 300 [1372], got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		if _, res := b.stock("1"); res != "1.000" {
			t.Errorf("a held inventory keeps its stock reserved: reserved %s", res)
		}
		// Cancelled while held: the stock and the quota come back.
		if rs, info := b.cancel(d); rs != "399" || code(info) != "2710" {
			t.Fatalf("cancel while held: %s %s", rs, info)
		}
		if on, res := b.stock("1"); on != "1.000" || res != "0.000" {
			t.Errorf("stock after cancel: %s / %s", on, res)
		}
		if u := b.quotaUsed(d); u != "0.00" {
			t.Errorf("quota after cancel: %s", u)
		}
		if rs, info := b.cancel(d); rs != "100" || code(info) != "1382" {
			t.Errorf("second cancel: %s %s", rs, info)
		}
		// Another agent naming the inventory's e-commerce enterprise may not cancel it.
		other := "330766K00Z"
		r := b.s.JSON("POST", "/api/v1/enterprises", apptest.AdminToken, map[string]any{"code": other, "name": "另一报关行", "roles": []string{"agent"},
			"certificates": []string{string(b.sign.CertPEM)}})
		var reg struct{ APIKey string }
		r.JSON(t, &reg)
		b.keys[other] = reg.APIKey
		d2 := b.bondedDecl()
		d2.priced([]line{{item: "MILK-1", hs: "1901101000", name: "婴儿配方奶粉", unit1: "035", qty: "1", qty1: "0.8", price: "200"}}, "10", "19.11")
		b.declare(d2)
		if rs, info := b.cancelAs(other, d2); rs != "100" || code(info) != "1380" {
			t.Errorf("cancel by another agent: %s %s", rs, info)
		}
	})
}

// Concurrent inventories of one item: exactly as many pass as the stock allows.
func TestBondedConcurrentStock(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "9", "100000.00")
		const n = 8
		ds := make([]*decl, n)
		for i := range ds {
			ds[i] = b.bondedDecl()
			for _, m := range []struct {
				sender string
				xml    []byte
			}{{platform, ds[i].order("1")}, {payer, ds[i].payment()}, {carrier, ds[i].waybill()}} {
				if st, rs, _, body := b.post(m.sender, m.xml); st != 200 || rs != "120" {
					t.Fatalf("%d %s %s", st, rs, body)
				}
			}
		}
		invs := make([][]byte, n)
		for i := range ds {
			invs[i] = b.bondedInventory(ds[i])
		}
		var wg sync.WaitGroup
		for i := range ds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b.s.Do("POST", "/api/v1/ceb", b.keys[agent], "application/xml", invs[i])
			}()
		}
		wg.Wait()
		released, refused := 0, 0
		for _, d := range ds {
			switch r := b.final(d.copNo); {
			case r.ReturnStatus == "800":
				released++
			case r.ReturnStatus == "100" && code(r.ReturnInfo) == "1371":
				refused++
			default:
				t.Errorf("%s: %s %s", d.copNo, r.ReturnStatus, r.ReturnInfo)
			}
		}
		if released != 4 || refused != 4 {
			t.Errorf("9 in stock, 8 inventories of 2: want 4 released and 4 refused, got %d and %d", released, refused)
		}
		if on, res := b.stock("1"); on != "1.000" || res != "0.000" {
			t.Errorf("stock: %s / %s, want 1 and 0", on, res)
		}
	})
}

func TestBondedReturnTiming(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "10", "1000.00")
		early, late, slow := b.bondedDecl(), b.bondedDecl(), b.bondedDecl()
		for _, d := range []*decl{early, late, slow} {
			if r := b.declare(d); r.ReturnStatus != "800" {
				t.Fatalf("%s %s", r.ReturnStatus, r.ReturnInfo)
			}
		}
		b.clock.Days(29)
		if rs, info := b.applyReturn(early, "R1"+early.copNo, map[int]string{1: "2"}); rs != "120" {
			t.Errorf("day 29 return: %s %s", rs, info)
		}
		if rs, info := b.applyReturn(slow, "R3"+slow.copNo, map[int]string{1: "2"}); rs != "120" {
			t.Errorf("day 29 return: %s %s", rs, info)
		}
		b.clock.Days(2)
		if rs, info := b.applyReturn(late, "R2"+late.copNo, map[int]string{1: "2"}); rs != "100" || code(info) != "1383" {
			t.Errorf("day 31 return: want 100 [1383], got %s %s", rs, info)
		}
		// Day 44: the first return's goods arrive; day 46: the second's are too late.
		b.clock.Days(13)
		ret := b.returnOf(early)
		b.must(b.s.JSON("POST", "/api/v1/returns/"+ret.ID+"/arrival", b.keys[zone], map[string]any{}), 200)
		if got := b.returnOf(early); got.State != "arrived" || got.TaxRefunded != "37.31" || got.QuotaRestored != "410.00" {
			t.Errorf("arrived return: %+v", got)
		}
		b.clock.Days(2)
		r := b.s.JSON("POST", "/api/v1/returns/"+b.returnOf(slow).ID+"/arrival", b.keys[zone], map[string]any{})
		if r.Status != 409 || !strings.Contains(string(r.Body), "return_late") {
			t.Errorf("day 46 arrival: %d %s", r.Status, r.Body)
		}
		if got := b.returnOf(slow); got.State != "late" {
			t.Errorf("late return state %s", got.State)
		}
		late626 := false
		for _, rc := range b.feed(agent, "CEB626Message") {
			late626 = late626 || (rc.ReturnStatus == "100" && code(rc.ReturnInfo) == "1385")
		}
		if !late626 {
			t.Error("no CEB626 100 [1385] for the late return in the declarer's feed")
		}
		// Stock: 10 − 6 out + 2 back; guarantee: three debits, one credit.
		if on, _ := b.stock("1"); on != "6.000" {
			t.Errorf("stock %s, want 6", on)
		}
		if a := b.account(); a.Balance != "925.38" || a.Credited != "37.31" || a.Debited != "111.93" {
			t.Errorf("guarantee: %+v", a)
		}
		if u := b.quotaUsed(early); u != "820.00" {
			t.Errorf("quota used %s, want 820.00 (two of three purchases)", u)
		}
	})
}

func TestBondedPartialReturn(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "10", "1000.00")
		d := b.bondedDecl()
		if r := b.declare(d); r.ReturnStatus != "800" {
			t.Fatalf("%s %s", r.ReturnStatus, r.ReturnInfo)
		}
		b.clock.Days(5)
		if rs, info := b.applyReturn(d, "RP"+d.copNo, map[int]string{1: "3"}); rs != "100" || code(info) != "1384" {
			t.Errorf("returning more than declared: %s %s", rs, info)
		}
		if rs, info := b.applyReturn(d, "RQ"+d.copNo, map[int]string{1: "1"}); rs != "120" {
			t.Fatalf("partial return: %s %s", rs, info)
		}
		b.clock.Days(3)
		b.must(b.s.JSON("POST", "/api/v1/returns/"+b.returnOf(d).ID+"/arrival", b.keys[zone], map[string]any{}), 200)
		if got := b.returnOf(d); got.TaxRefunded != "18.66" || got.QuotaRestored != "205.00" {
			t.Errorf("half returned: %+v", got)
		}
		if on, _ := b.stock("1"); on != "9.000" {
			t.Errorf("stock %s, want 9", on)
		}
		if u := b.quotaUsed(d); u != "205.00" {
			t.Errorf("quota %s, want 205.00", u)
		}
		if a := b.account(); a.Balance != "981.35" {
			t.Errorf("guarantee %s, want 1000 − 37.31 + 18.66", a.Balance)
		}
		// Day 31: the rest is billed — 37.31 − 18.66 — once.
		b.clock.Days(23)
		var run struct{ Bills []string }
		b.must(b.s.JSON("POST", "/api/v1/tax-bills/run", apptest.AdminToken, nil), 200).JSON(t, &run)
		if len(run.Bills) != 1 {
			t.Fatalf("bills %v", run.Bills)
		}
		var bill struct {
			Total string
			Lines []struct{ Tax string }
		}
		b.must(b.s.Do("GET", "/api/v1/tax-bills/"+run.Bills[0], b.keys[bondedGuarantor], "", nil), 200).JSON(t, &bill)
		if bill.Total != "18.65" || len(bill.Lines) != 1 {
			t.Errorf("bill after a partial return: %+v", bill)
		}
		b.must(b.s.JSON("POST", "/api/v1/tax-bills/run", apptest.AdminToken, nil), 200).JSON(t, &run)
		if len(run.Bills) != 0 {
			t.Errorf("a line billed twice: %v", run.Bills)
		}
	})
}

func TestBondedBillsCancelsAndOverdue(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "10", "1000.00")
		kept, cancelled := b.bondedDecl(), b.bondedDecl()
		for _, d := range []*decl{kept, cancelled} {
			if r := b.declare(d); r.ReturnStatus != "800" {
				t.Fatalf("%s %s", r.ReturnStatus, r.ReturnInfo)
			}
		}
		b.clock.Days(10)
		if rs, info := b.cancel(cancelled); rs != "399" || code(info) != "2710" {
			t.Fatalf("cancel after release, before billing: %s %s", rs, info)
		}
		if on, _ := b.stock("1"); on != "8.000" {
			t.Errorf("stock after cancel %s, want 8", on)
		}
		if a := b.account(); a.Balance != "962.69" {
			t.Errorf("guarantee after cancel %s", a.Balance)
		}
		var upcoming struct {
			Total     string
			Returning int
			Lines     []struct{ InvtNo string }
		}
		b.must(b.s.Do("GET", "/api/v1/tax-bills/upcoming?until=2026-12-31", b.keys[bondedGuarantor], "", nil), 200).JSON(t, &upcoming)
		if upcoming.Total != "37.31" || len(upcoming.Lines) != 1 || upcoming.Lines[0].InvtNo != b.invtNo(kept.copNo) {
			t.Errorf("upcoming bills by the end of December: %+v", upcoming)
		}
		b.must(b.s.Do("GET", "/api/v1/tax-bills/upcoming?until=2026-11-30", b.keys[bondedGuarantor], "", nil), 200).JSON(t, &upcoming)
		if upcoming.Total != "0.00" || len(upcoming.Lines) != 0 {
			t.Errorf("upcoming bills by the end of November: %+v", upcoming)
		}
		b.clock.Days(21) // day 31
		var run struct{ Bills, Overdue []string }
		b.must(b.s.JSON("POST", "/api/v1/tax-bills/run", apptest.AdminToken, nil), 200).JSON(t, &run)
		if len(run.Bills) != 1 {
			t.Fatalf("bills %v", run.Bills)
		}
		if bills := b.feed(bondedGuarantor, "CEB816Message"); len(bills) != 1 || !strings.Contains(bills[0].XML, b.invtNo(kept.copNo)) ||
			!strings.Contains(bills[0].XML, "<valueAddedTax>37.31</valueAddedTax>") {
			t.Errorf("CEB816 in the guarantor's feed: %+v", bills)
		}
		var statement struct {
			Bills []struct{ BillNo string }
			Total string
		}
		b.must(b.s.Do("GET", "/api/v1/tax-bills?month=2026-12", b.keys[bondedGuarantor], "", nil), 200).JSON(t, &statement)
		if len(statement.Bills) != 1 || statement.Total != "37.31" {
			t.Errorf("December statement: %+v", statement)
		}
		b.must(b.s.Do("GET", "/api/v1/tax-bills?month=2026-11", b.keys[bondedGuarantor], "", nil), 200).JSON(t, &statement)
		if len(statement.Bills) != 0 || statement.Total != "0.00" {
			t.Errorf("November statement: %+v", statement)
		}
		if rs, info := b.cancel(kept); rs != "100" || code(info) != "1381" {
			t.Errorf("cancel after billing: %s %s", rs, info)
		}
		// Day 46: unpaid, the bill is overdue and the guarantor's new releases wait.
		b.clock.Days(15)
		b.must(b.s.JSON("POST", "/api/v1/tax-bills/run", apptest.AdminToken, nil), 200).JSON(t, &run)
		if len(run.Overdue) != 1 {
			t.Errorf("overdue %v", run.Overdue)
		}
		d := b.bondedDecl()
		if r := b.declare(d); r.ReturnStatus != "300" || code(r.ReturnInfo) != "1373" {
			t.Errorf("release with an overdue bill: %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		paid := b.must(b.s.JSON("POST", "/api/v1/tax-bills/"+run.Overdue[0]+"/payment", apptest.AdminToken, map[string]any{"reference": "JKS-1"}), 200)
		if !strings.Contains(string(paid.Body), `"status":"paid"`) {
			t.Errorf("payment: %s", paid.Body)
		}
		if len(b.feed(bondedGuarantor, "CEB818Message")) != 1 {
			t.Error("no CEB818 after payment")
		}
		b.must(b.s.JSON("POST", "/api/v1/tax-bills/"+run.Overdue[0]+"/payment", apptest.AdminToken, map[string]any{"reference": "JKS-1"}), 409)
		if a := b.account(); a.Balance != "1000.00" || a.Blocked != "" {
			t.Errorf("guarantee after payment: %+v", a)
		}
	})
}

func TestBondedGate(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "10", "40.00")
		out, held := b.bondedDecl(), b.bondedDecl()
		b.declare(out)
		if r := b.declare(held); r.ReturnStatus != "300" {
			t.Fatalf("want held, got %s", r.ReturnStatus)
		}
		type verdict struct {
			Pass    bool
			Parcels []struct {
				Parcel, Reason string
				Pass           bool
			}
		}
		var v verdict
		b.must(b.s.JSON("POST", "/api/v1/gate/checks", b.keys[zone], map[string]any{"vehicleNo": "渝A12345",
			"parcels": []string{out.logisticsNo, held.logisticsNo, "LN-NOPE"}}), 200).JSON(t, &v)
		reasons := []string{}
		for _, p := range v.Parcels {
			reasons = append(reasons, p.Reason)
		}
		if v.Pass || strings.Join(reasons, ",") != ",held,unknown" {
			t.Errorf("mixed vehicle: %+v", v)
		}
		b.must(b.s.JSON("POST", "/api/v1/gate/checks", b.keys[zone], map[string]any{"vehicleNo": "渝A12345", "parcels": []string{out.logisticsNo}}), 200).JSON(t, &v)
		if !v.Pass {
			t.Errorf("released parcel refused: %+v", v)
		}
		b.must(b.s.JSON("POST", "/api/v1/gate/checks", b.keys[zone], map[string]any{"vehicleNo": "渝B00001", "parcels": []string{out.logisticsNo}}), 200).JSON(t, &v)
		if v.Pass || v.Parcels[0].Reason != "already_out" {
			t.Errorf("second exit: %+v", v)
		}
		r := b.s.JSON("POST", "/api/v1/gate/checks", b.keys[agent], map[string]any{"vehicleNo": "渝A1", "parcels": []string{"x"}})
		if r.Status != 403 {
			t.Errorf("gate by a non-zone enterprise: %d", r.Status)
		}
		r = b.s.JSON("POST", "/api/v1/gate/checks", b.keys[zone], map[string]any{"vehicleNo": "", "parcels": []string{}})
		if r.Status != 400 || !strings.Contains(string(r.Body), `"field":"vehicleNo"`) {
			t.Errorf("empty gate check: %d %s", r.Status, r.Body)
		}
	})
}

func TestBondedTallyEntriesAndReconciliation(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "", "1000.00")
		b.must(b.s.JSON("POST", "/api/v1/tallies", b.keys[zone], map[string]any{"tallyNo": "TL1", "emsNo": emsNo,
			"items": []map[string]string{{"itemRecordNo": "1", "qty": "98"}}}), 201)
		b.must(b.s.JSON("POST", "/api/v1/tallies", b.keys[zone], map[string]any{"tallyNo": "TL2", "emsNo": emsNo,
			"items": []map[string]string{{"itemRecordNo": "2", "qty": "5"}}}), 201)
		// Declared: 100 where 98 were tallied.
		var entries struct {
			Entries []struct {
				Differences []struct{ ItemRecordNo, Tallied, Declared, Difference string }
			}
		}
		b.must(b.s.JSON("POST", "/api/v1/books/"+emsNo+"/entries", b.keys[zone], map[string]any{"entryNo": "RK1", "tallyNo": "TL1",
			"items": []map[string]string{{"itemRecordNo": "1", "qty": "100"}}}), 201).JSON(t, &entries)
		if d := entries.Entries[0].Differences; len(d) != 1 || d[0].Difference != "2.000" {
			t.Errorf("differences: %+v", d)
		}
		var tallies struct{ Tallies []struct{ TallyNo string } }
		b.must(b.s.Do("GET", "/api/v1/tallies?differences=true", apptest.AdminToken, "", nil), 200).JSON(t, &tallies)
		if len(tallies.Tallies) != 1 || tallies.Tallies[0].TallyNo != "TL1" {
			t.Errorf("tallies to review: %+v", tallies)
		}
		b.clock.Add(73 * time.Hour)
		b.must(b.s.Do("GET", "/api/v1/tallies?overdue=true", b.keys[zone], "", nil), 200).JSON(t, &tallies)
		if len(tallies.Tallies) != 1 || tallies.Tallies[0].TallyNo != "TL2" {
			t.Errorf("overdue tallies: %+v", tallies)
		}
		// CSV: a bad row names its line and applies nothing; a good upload adds two entries.
		r := b.s.Do("POST", "/api/v1/books/"+emsNo+"/entries", b.keys[zone], "text/csv", []byte("entry_no,item_record_no,qty\nRK2,1,5\nRK2,9,1\n"))
		if r.Status != 400 || !strings.Contains(string(r.Body), "item_unknown") {
			t.Errorf("bad CSV: %d %s", r.Status, r.Body)
		}
		b.must(b.s.Do("POST", "/api/v1/books/"+emsNo+"/entries", b.keys[zone], "text/csv", []byte("entry_no,item_record_no,qty\nRK2,1,5\nRK3,2,7\n")), 201)
		// CEB711: the declaration of tally TL2 (no ExtendMessage: the tally's goods), and one with an ExtendMessage.
		for _, ext := range []*ceb.ExtendMessage{nil, {Name: "BondedEntry", Version: "1.0",
			Message: "<BondedEntry><emsNo>" + emsNo + "</emsNo><Item><itemRecordNo>1</itemRecordNo><qty>3</qty></Item></BondedEntry>"}} {
			cop := "TL2"
			if ext != nil {
				cop = "RK711"
			}
			st, rs, info, body := b.post(zone, b.sign.Sign(t, entryMessage(zone, cop, ext)))
			if st != 200 || rs != "120" || !strings.Contains(string(body), "CEB712Message") {
				t.Errorf("CEB711 %s: %d %s %s %s", cop, st, rs, info, body)
			}
		}
		var tl2 struct {
			Overdue    bool
			DeclaredAt *time.Time
			EntryNo    string
		}
		b.must(b.s.Do("GET", "/api/v1/tallies/TL2", b.keys[zone], "", nil), 200).JSON(t, &tl2)
		if !tl2.Overdue || tl2.DeclaredAt == nil || tl2.EntryNo != "TL2" {
			t.Errorf("TL2 declared after its deadline: %+v", tl2)
		}
		if on, _ := b.stock("1"); on != "108.000" {
			t.Errorf("item 1: %s, want 100 + 5 + 3", on)
		}
		if on, _ := b.stock("2"); on != "12.000" {
			t.Errorf("item 2: %s, want 7 + 5", on)
		}
		// Sell two, return one, adjust one: the month adds up.
		d := b.bondedDecl()
		if r := b.declare(d); r.ReturnStatus != "800" {
			t.Fatalf("%s %s", r.ReturnStatus, r.ReturnInfo)
		}
		b.applyReturn(d, "RR"+d.copNo, map[int]string{1: "1"})
		b.must(b.s.JSON("POST", "/api/v1/returns/"+b.returnOf(d).ID+"/arrival", b.keys[zone], map[string]any{}), 200)
		b.must(b.s.JSON("POST", "/api/v1/books/"+emsNo+"/adjustments", apptest.AdminToken, map[string]any{"itemRecordNo": "1", "qty": "-1", "reason": "盘点破损"}), 200)
		r = b.s.JSON("POST", "/api/v1/books/"+emsNo+"/adjustments", apptest.AdminToken, map[string]any{"itemRecordNo": "1", "qty": "-1000", "reason": "x"})
		if r.Status != 409 {
			t.Errorf("adjusting below zero: %d %s", r.Status, r.Body)
		}
		var rep struct {
			Balanced bool
			Lines    []struct{ ItemRecordNo, Opening, In, Out, Returned, Adjusted, Closing, BookClosing, Discrepancy string }
		}
		b.must(b.s.Do("GET", "/api/v1/books/"+emsNo+"/reconciliation?month=2026-11", b.keys[zone], "", nil), 200).JSON(t, &rep)
		l := rep.Lines[0]
		if !rep.Balanced || l.In != "108.000" || l.Out != "2.000" || l.Returned != "1.000" || l.Adjusted != "-1.000" || l.Closing != "106.000" || l.BookClosing != "106.000" {
			t.Errorf("reconciliation: %+v", rep)
		}
		csv := b.must(b.s.Do("GET", "/api/v1/books/"+emsNo+"/reconciliation?month=2026-11&format=csv", b.keys[zone], "", nil), 200)
		if !regexp.MustCompile(`(?m)^T8010W000001,2026-11,1,婴儿配方奶粉,0\.000,108\.000,2\.000,1\.000,-1\.000,106\.000,106\.000,0\.000,`).Match(csv.Body) {
			t.Errorf("CSV: %s", csv.Body)
		}
		var dec struct{ Lines []struct{ Closing string } }
		b.must(b.s.Do("GET", "/api/v1/books/"+emsNo+"/reconciliation?month=2026-10", b.keys[zone], "", nil), 200).JSON(t, &dec)
		if dec.Lines[0].Closing != "0.000" {
			t.Errorf("October: %+v", dec)
		}
		if r := b.s.Do("GET", "/api/v1/books/"+emsNo+"/reconciliation?month=11-2026", b.keys[zone], "", nil); r.Status != 400 {
			t.Errorf("bad month: %d", r.Status)
		}
	})
}

// entryMessage is an unsigned CEB711 zone entry by operator numbered copNo.
func entryMessage(operator, copNo string, ext *ceb.ExtendMessage) []byte {
	return mustEncode(&ceb.CEB711Message{Guid: guid(), Version: "1.0", Delivery: ceb.Delivery{DeliveryHead: ceb.DeliveryHead{Guid: guid(), AppType: "1", AppTime: appTime,
		AppStatus: "2", CustomsCode: "8010", CopNo: copNo, OperatorCode: operator, OperatorName: "保税仓", IeFlag: "I", TrafMode: "5", TrafNo: "CQ1",
		VoyageNo: "V1", BillNo: "BILL1", LogisticsCode: carrier, LogisticsName: "物流", UnloadLocation: "A区"},
		DeliveryList: []ceb.DeliveryList{{Gnum: "1", LogisticsNo: "PKG1"}}}, BaseTransfer: transfer(operator), ExtendMessage: ext})
}

// One CEB623 with two cancels answers one CEB624 with a status per document.
func TestBondedCancelMessageWithTwoDocuments(t *testing.T) {
	b := newBondedFixture(t, apptest.SQLite, "10", "1000.00")
	d := b.bondedDecl()
	b.declare(d)
	mk := func(invtNo, copNo string) ceb.InvtCancel {
		return ceb.InvtCancel{Guid: guid(), AppType: "1", AppTime: appTime, AppStatus: "2", CustomsCode: "8010", OrderNo: d.orderNo,
			EbpCode: platform, EbpName: "平台", EbcCode: platform, EbcName: "电商", LogisticsNo: d.logisticsNo, LogisticsCode: carrier, LogisticsName: "物流",
			CopNo: copNo, InvtNo: invtNo, BuyerIdType: "1", BuyerIdNumber: d.buyerID, BuyerName: d.buyer, BuyerTelephone: d.phone,
			AgentCode: agent, AgentName: "报关行", Reason: "买家取消订单"}
	}
	xml := b.sign.Sign(t, mustEncode(&ceb.CEB623Message{Guid: guid(), Version: "1.0", BaseTransfer: transfer(agent),
		InvtCancel: []ceb.InvtCancel{mk(b.invtNo(d.copNo), "CA1"), mk("80102026I999999999", "CA2")}}))
	st, _, _, body := b.post(agent, xml)
	statuses := regexp.MustCompile(`<returnStatus>([^<]*)</returnStatus>`).FindAllSubmatch(body, -1)
	if st != 200 || len(statuses) != 2 || string(statuses[0][1]) != "399" || string(statuses[1][1]) != "100" ||
		len(regexp.MustCompile(`<preNo>B\d{17}</preNo>`).FindAll(body, -1)) != 2 {
		t.Fatalf("CEB624 for two cancels: %d %s", st, body)
	}
	if on, _ := b.stock("1"); on != "10.000" {
		t.Errorf("stock after the cancel: %s", on)
	}
}

// A dishonest operator may not tally before declaring.
func TestBondedTallyNeedsCredit(t *testing.T) {
	b := newBondedFixture(t, apptest.SQLite, "", "")
	b.must(b.s.JSON("PATCH", "/api/v1/enterprises/"+zone, apptest.AdminToken, map[string]any{"creditClass": "dishonest"}), 200)
	r := b.s.JSON("POST", "/api/v1/tallies", b.keys[zone], map[string]any{"tallyNo": "TLX", "emsNo": emsNo, "items": []map[string]string{{"itemRecordNo": "1", "qty": "1"}}})
	if r.Status != 403 || !strings.Contains(string(r.Body), "tally_not_allowed") {
		t.Errorf("dishonest tally: %d %s", r.Status, r.Body)
	}
}

// A trade mode the operator guarantees besides 1210 may declare quantities
// of five decimals (CEB621), while a guarantee's tax lines count returns in
// thousandths of a line's quantity: such a line made the release fail on
// every try, leaving the parcel undecided. It is refused (1375), naming the
// line, and nothing is debited; a line of three decimals is released.
func TestGuaranteedQuantityBeyondThousandths(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "", "1000.00", func(c *config.Config) {
			c.Rules.GuaranteeTradeModes = []string{"1210", "9610"}
		})
		d := b.newDecl()
		d.assure = bondedGuarantor
		d.priced([]line{{item: "MILK-1", hs: "1901101000", name: "婴儿配方奶粉", unit1: "035", qty: "2.00005", qty1: "1.6", price: "200"}}, "10", "37.31")
		b.send(d)
		r := b.final(d.copNo)
		if r.ReturnStatus != "100" || code(r.ReturnInfo) != "1375" || !strings.Contains(r.ReturnInfo, "InventoryList[1].qty=2.00005") {
			t.Fatalf("want 100 [1375] naming InventoryList[1].qty, got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		if a := b.account(); a.Debited != "0.00" || a.Balance != "1000.00" {
			t.Errorf("a refused inventory debited the guarantee: %+v", a)
		}
		d = b.newDecl()
		d.assure = bondedGuarantor
		d.priced([]line{{item: "MILK-1", hs: "1901101000", name: "婴儿配方奶粉", unit1: "035", qty: "2.005", qty1: "1.6", price: "200"}}, "10", "37.40")
		b.send(d)
		if r := b.final(d.copNo); r.ReturnStatus != "800" {
			t.Fatalf("three decimals: want 800, got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		if a := b.account(); a.Debited != "37.40" {
			t.Errorf("the released inventory's tax was not debited: %+v", a)
		}
	})
}
