package httpapi_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/xmlsig/xmlsigtest"
)

// The parties of the clearance tests.
const (
	platform  = "1105910159" // ebp and ebc
	payer     = "4403169D3W"
	carrier   = "4401962010"
	agent     = "330766K00Q"
	guarantor = "46121601BC"
)

// fixture is a server with the four parties registered, the agent's signing
// certificate on file, and products filed.
type fixture struct {
	t    testing.TB
	s    *apptest.Server
	keys map[string]string
	sign *xmlsigtest.Identity
	seq  int
}

func newFixture(t testing.TB, engine apptest.Engine, tweak ...func(*config.Config)) *fixture {
	// No random inspection unless a test asks for it: decisions must be deterministic.
	noDraw := func(c *config.Config) {
		for class := range c.Rules.InspectionRates {
			c.Rules.InspectionRates[class] = "0"
		}
	}
	f := &fixture{t: t, s: apptest.Start(t, engine, append([]func(*config.Config){noDraw}, tweak...)...), keys: map[string]string{}, sign: xmlsigtest.NewSM2(t)}
	for code, roles := range map[string][]string{platform: {"ebp", "ebc"}, payer: {"pay"}, carrier: {"logistics"}, guarantor: {"assure"}} {
		f.keys[code] = f.s.Register(code, roles...)
	}
	r := f.s.JSON("POST", "/api/v1/enterprises", apptest.AdminToken, map[string]any{"code": agent, "name": "报关行", "roles": []string{"agent"},
		"certificates": []string{string(f.sign.CertPEM)}})
	if r.Status != http.StatusCreated {
		t.Fatalf("register agent: %d %s", r.Status, r.Body)
	}
	var out struct{ APIKey string }
	r.JSON(t, &out)
	f.keys[agent] = out.APIKey
	f.entrust(platform, agent)
	f.s.App.Reference.PutProducts([]catalog.Product{
		{EBCCode: platform, ItemNo: "MILK-1", Name: "婴儿配方奶粉", HSCode: "1901101000", OriginCountry: "502", LegalUnit: "035"},
		{EBCCode: platform, ItemNo: "CREAM-1", Name: "精华面霜", HSCode: "3304990099", OriginCountry: "116", LegalUnit: "036"},
		{EBCCode: platform, ItemNo: "BAG-1", Name: "皮革手提包", HSCode: "4202210000", OriginCountry: "305", LegalUnit: "007"},
		{EBCCode: platform, ItemNo: "SUGAR-1", Name: "精制糖", HSCode: "1701999000", OriginCountry: "502", LegalUnit: "035"},
		{EBCCode: platform, ItemNo: "CHERRY-1", Name: "鲜甜樱桃", HSCode: "0809290000", OriginCountry: "502", LegalUnit: "035"},
		{EBCCode: platform, ItemNo: "INK-1", Name: "打印机墨盒", HSCode: "3215190000", OriginCountry: "116", LegalUnit: "035"},
		{EBCCode: platform, ItemNo: "CHICKEN-1", Name: "冻鸡翅", HSCode: "0207141000", OriginCountry: "502", LegalUnit: "035"},
		{EBCCode: platform, ItemNo: "CAR-1", Name: "小轿车", HSCode: "8703231990", OriginCountry: "304", LegalUnit: "001"},
	})
	return f
}

// entrust records that ebc entrusts agent with its inventories (rules §12).
func (f *fixture) entrust(ebc, agent string) string {
	f.t.Helper()
	r := f.s.JSON("POST", "/api/v1/entrustments", f.keys[ebc], map[string]any{"agentCode": agent})
	var out struct{ ID string }
	if r.Status != http.StatusCreated {
		f.t.Fatalf("entrust %s with %s: %d %s", agent, ebc, r.Status, r.Body)
	}
	r.JSON(f.t, &out)
	return out.ID
}

// line is one goods line of a declaration.
type line struct {
	item, hs, name, unit1 string
	qty, qty1, price      string
	totalPrice            string // set to declare a total other than qty × price
}

// decl is one purchase; tests change fields to break one rule at a time.
type decl struct {
	orderNo, copNo, logisticsNo    string
	buyer, buyerID, phone          string
	consignee, consPhone, consAddr string
	lines                          []line
	goodsValue, freight, taxTotal  string
	acturalPaid, amountPaid        string
	payerID                        string
	tradeMode                      string
	invLines                       []line // inventory lines, when they differ from the order's
	invPhone, wbPhone, assure      string // inventory buyer phone, waybill consignee phone, guarantor, when they differ
	area                           string // the bonded inventory's areaCode, when it is not the book's zone
	ebc, payCode, agent            string // the ebc of order and inventory, the payment firm, the declaring agent, when they differ
}

// priced sets the goods, their freight and the declared tax, and balances the order and payment.
func (d *decl) priced(lines []line, freight, tax string) *decl {
	d.lines, d.freight, d.taxTotal = lines, freight, tax
	var goods, f, t float64
	for _, l := range lines {
		var v float64
		fmt.Sscan(total(l), &v)
		goods += v
	}
	fmt.Sscan(freight, &f)
	fmt.Sscan(tax, &t)
	d.goodsValue = fmt.Sprintf("%.2f", goods)
	d.acturalPaid = fmt.Sprintf("%.2f", goods+f+t)
	d.amountPaid = d.acturalPaid
	return d
}

// newDecl is a valid 9610 purchase of 400 CNY of infant formula with 10 CNY
// freight: dutiable 410, VAT 410 × 13 % × 70 % = 37.31 (rules §6's worked check).
func (f *fixture) newDecl() *decl {
	f.seq++
	n := fmt.Sprintf("%s%04d", time.Now().Format("150405"), f.seq)
	return &decl{
		orderNo: "ORD" + n, copNo: "COP" + n, logisticsNo: "LN" + n,
		buyer: "王小明", buyerID: "110101199003074514", phone: "13812345678",
		consignee: "王小明", consPhone: "13812345678", consAddr: "重庆市渝北区金开大道88号",
		lines:      []line{{item: "MILK-1", hs: "1901101000", name: "婴儿配方奶粉", unit1: "035", qty: "2", qty1: "1.6", price: "200"}},
		goodsValue: "400", freight: "10", taxTotal: "37.31", acturalPaid: "447.31", amountPaid: "447.31",
		payerID: "110101199003074514", tradeMode: "9610",
	}
}

func total(l line) string {
	if l.totalPrice != "" {
		return l.totalPrice
	}
	var q, p float64
	fmt.Sscan(l.qty, &q)
	fmt.Sscan(l.price, &p)
	return fmt.Sprintf("%.2f", q*p)
}

const appTime = "20261127101500"

func transfer(code string) ceb.BaseTransfer {
	return ceb.BaseTransfer{CopCode: code, CopName: "企业" + code, DxpMode: "DXP", DxpId: "DXPENT" + code}
}

func guid() string { return ceb.NewGuid() }

func (d *decl) order(appType string) []byte {
	return ordersMessage(d.orderDoc(appType))
}

// ordersMessage is a CEB311 from the platform holding orders.
func ordersMessage(orders ...ceb.Order) []byte {
	return mustEncode(&ceb.CEB311Message{Guid: guid(), Version: "1.0", Order: orders, BaseTransfer: transfer(platform)})
}

// orderDoc is the declaration's order with appType.
func (d *decl) orderDoc(appType string) ceb.Order {
	o := ceb.Order{OrderHead: ceb.OrderHead{Guid: guid(), AppType: appType, AppTime: appTime, AppStatus: "2", OrderType: "I",
		OrderNo: d.orderNo, EbpCode: platform, EbpName: "平台", EbcCode: or(d.ebc, platform), EbcName: "电商",
		GoodsValue: d.goodsValue, Freight: d.freight, Discount: "0", TaxTotal: d.taxTotal, ActuralPaid: d.acturalPaid, Currency: "142",
		BuyerRegNo: "u1", BuyerName: d.buyer, BuyerTelephone: d.phone, BuyerIdType: "1", BuyerIdNumber: d.buyerID,
		PayCode: orderPayCode(d), PayName: "支付", Consignee: d.consignee, ConsigneeTelephone: d.consPhone, ConsigneeAddress: d.consAddr}}
	for i, l := range d.lines {
		o.OrderList = append(o.OrderList, ceb.OrderList{Gnum: fmt.Sprint(i + 1), ItemNo: l.item, ItemName: l.name, Gmodel: "规格",
			Unit: "011", Qty: l.qty, Price: l.price, TotalPrice: total(l), Currency: "142", Country: "502"})
	}
	return o
}

func (d *decl) payment() []byte {
	return d.paymentAs(or(d.payCode, payer), "1")
}

// paymentAs is the payment sent by payment firm code with appType.
func (d *decl) paymentAs(code, appType string) []byte {
	return paymentsMessage(code, d.paymentDoc(code, appType))
}

// paymentsMessage is a CEB411 from payment firm code holding payments.
func paymentsMessage(code string, payments ...ceb.Payment) []byte {
	return mustEncode(&ceb.CEB411Message{Guid: guid(), Version: "1.0", Payment: payments, BaseTransfer: transfer(code)})
}

// paymentDoc is the declaration's payment by payment firm code with appType.
func (d *decl) paymentDoc(code, appType string) ceb.Payment {
	return ceb.Payment{PaymentHead: ceb.PaymentHead{Guid: guid(), AppType: appType, AppTime: appTime, AppStatus: "2", PayCode: code, PayName: "支付",
		PayTransactionId: "PAY" + d.orderNo, OrderNo: d.orderNo, EbpCode: platform, EbpName: "平台", PayerIdType: "1",
		PayerIdNumber: d.payerID, PayerName: d.buyer, AmountPaid: d.amountPaid, Currency: "142", PayTime: appTime}}
}

// orderPayCode is the payment firm the order names: payer unless the
// declaration names another, none for "-".
func orderPayCode(d *decl) string {
	if d.payCode == "-" {
		return ""
	}
	return or(d.payCode, payer)
}

func (d *decl) waybill() []byte { return d.waybillAs("1") }

// waybillAs is the carrier's waybill with appType.
func (d *decl) waybillAs(appType string) []byte {
	w := ceb.Logistics{LogisticsHead: ceb.LogisticsHead{Guid: guid(), AppType: appType, AppTime: appTime, AppStatus: "2", LogisticsCode: carrier,
		LogisticsName: "物流", LogisticsNo: d.logisticsNo, OrderNo: d.orderNo, Freight: d.freight, InsuredFee: "0", Currency: "142",
		Weight: "2", PackNo: "1", Consignee: d.consignee, ConsigneeAddress: d.consAddr, ConsigneeTelephone: or(d.wbPhone, d.consPhone)}}
	return mustEncode(&ceb.CEB511Message{Guid: guid(), Version: "1.0", Logistics: []ceb.Logistics{w}, BaseTransfer: transfer(carrier)})
}

func (f *fixture) inventory(d *decl, appType string) []byte {
	inv := ceb.Inventory{InventoryHead: ceb.InventoryHead{Guid: guid(), AppType: appType, AppTime: appTime, AppStatus: "2",
		OrderNo: d.orderNo, EbpCode: platform, EbpName: "平台", EbcCode: or(d.ebc, platform), EbcName: "电商", LogisticsNo: d.logisticsNo,
		LogisticsCode: carrier, LogisticsName: "物流", CopNo: d.copNo, AssureCode: or(d.assure, guarantor), IeFlag: "I", DeclTime: "20261127",
		CustomsCode: "8010", PortCode: "8010", BuyerIdType: "1", BuyerIdNumber: d.buyerID, BuyerName: d.buyer, BuyerTelephone: or(d.invPhone, d.phone),
		ConsigneeAddress: d.consAddr, AgentCode: or(d.agent, agent), AgentName: "报关行", TradeMode: d.tradeMode, TrafMode: "5", Country: "502",
		Freight: d.freight, InsuredFee: "0", Currency: "142", PackNo: "1", GrossWeight: "2", NetWeight: "1.6"}}
	lines := d.lines
	if d.invLines != nil {
		lines = d.invLines
	}
	for i, l := range lines {
		inv.InventoryList = append(inv.InventoryList, ceb.InventoryList{Gnum: fmt.Sprint(i + 1), ItemNo: l.item, ItemName: l.name,
			Gcode: l.hs, Gname: l.name, Gmodel: "规格", Country: "502", Currency: "142", Qty: l.qty, Unit: "011",
			Qty1: l.qty1, Unit1: l.unit1, Price: l.price, TotalPrice: total(l)})
	}
	xml := mustEncode(&ceb.CEB621Message{Guid: guid(), Version: "1.0", Inventory: []ceb.Inventory{inv}, BaseTransfer: transfer(or(d.agent, agent))})
	return f.sign.Sign(f.t, xml)
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

func mustEncode(m ceb.Message) []byte {
	b, err := ceb.Encode(m)
	if err != nil {
		panic(err)
	}
	return b
}

// post sends a CEB message with the sender's key and returns the receipt's first returnStatus and returnInfo.
func (f *fixture) post(sender string, xml []byte) (status int, returnStatus, returnInfo string, body []byte) {
	f.t.Helper()
	r := f.s.Do("POST", "/api/v1/ceb", f.keys[sender], "application/xml", xml)
	st := regexp.MustCompile(`<returnStatus>([^<]*)</returnStatus>`).FindSubmatch(r.Body)
	in := regexp.MustCompile(`<returnInfo>([^<]*)</returnInfo>`).FindSubmatch(r.Body)
	if st != nil {
		returnStatus = string(st[1])
	}
	if in != nil {
		returnInfo = string(in[1])
	}
	return r.Status, returnStatus, returnInfo, r.Body
}

// send posts all four documents, each expected to be accepted.
func (f *fixture) send(d *decl) {
	f.t.Helper()
	f.accept(sent{platform, d.order("1")}, sent{payer, d.payment()}, sent{carrier, d.waybill()}, sent{agent, f.inventory(d, "1")})
}

// sent is a message and the firm that sends it.
type sent struct {
	sender string
	xml    []byte
}

// accept posts the messages in order, each expected to be accepted (120).
func (f *fixture) accept(msgs ...sent) {
	f.t.Helper()
	for _, m := range msgs {
		if st, rs, info, body := f.post(m.sender, m.xml); st != 200 || rs != "120" {
			f.t.Fatalf("from %s: HTTP %d, returnStatus %s %s\n%s", m.sender, st, rs, info, body)
		}
	}
}

type feedReceipt struct {
	Seq          int64
	MessageType  string
	CopNo        string
	OrderNo      string
	ReturnStatus string
	ReturnInfo   string
	XML          string
}

// final waits for the inventory's decision in the agent's feed.
func (f *fixture) final(copNo string) feedReceipt {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var page struct {
			Receipts []feedReceipt
			Next     int64
		}
		f.s.Do("GET", "/api/v1/receipts?after=0&limit=1000", f.keys[agent], "", nil).JSON(f.t, &page)
		var last *feedReceipt
		for i, r := range page.Receipts {
			if r.CopNo == copNo && r.MessageType == "CEB622Message" && r.ReturnStatus != "120" {
				last = &page.Receipts[i]
			}
		}
		if last != nil {
			return *last
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.t.Fatalf("no decision for %s within 10 s", copNo)
	return feedReceipt{}
}

func code(info string) string {
	m := regexp.MustCompile(`\[Code:(\d+);`).FindStringSubmatch(info)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestClearanceHappyPath(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		d := f.newDecl()
		f.send(d)
		r := f.final(d.copNo)
		if r.ReturnStatus != "800" || code(r.ReturnInfo) != "2600" {
			t.Fatalf("want 800 released, got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		if !strings.Contains(r.ReturnInfo, "VAT 37.31") || !strings.Contains(r.XML, "<CEB622Message") {
			t.Errorf("receipt lacks the computed tax: %s", r.ReturnInfo)
		}
		var inv struct {
			Status, TaxTotal, VAT, DutiableValue, BuyerIDNumber string
			Events                                              []struct{ Status string }
		}
		resp := f.s.Do("GET", "/api/v1/inventories/"+d.copNo, f.keys[agent], "", nil)
		resp.JSON(t, &inv)
		if inv.Status != "800" || inv.VAT != "37.31" || inv.DutiableValue != "410.00" || len(inv.Events) < 2 {
			t.Errorf("inventory view: %s", resp.Body)
		}
		if strings.Contains(string(resp.Body), d.buyerID) {
			t.Error("inventory view shows the buyer's ID number in clear")
		}
		var q struct{ Used, Remaining, Limit string }
		f.s.Do("GET", "/api/v1/quota?name="+d.buyer+"&idNumber="+d.buyerID, "", "", nil).JSON(t, &q)
		if q.Used != "410.00" || q.Remaining != "25590.00" || q.Limit != "26000.00" {
			t.Errorf("quota after release: %+v", q)
		}
	})
}
