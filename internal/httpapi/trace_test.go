package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/ident"
	"github.com/cbec-platform/cbec/internal/trace"
)

const (
	milkGTIN = "4006381333931"
	lab      = "3101980001"
)

// traceFixture files MILK-1 with a GTIN and a brand, so codes take the GS1 Digital Link form.
func traceFixture(t *testing.T, engine apptest.Engine, tweak ...func(*config.Config)) *fixture {
	f := newFixture(t, engine, tweak...)
	f.s.App.Reference.PutProducts([]catalog.Product{{EBCCode: platform, ItemNo: "MILK-1", Name: "婴儿配方奶粉", HSCode: "1901101000",
		GTIN: milkGTIN, Brand: "示例牌", OriginCountry: "502", LegalUnit: "035"}})
	return f
}

type codeList struct {
	CopNo, Status string
	Codes         []struct {
		Code, ItemNo, GTIN, State, URL string
		Gnum, Piece                    int
	}
}

// released clears one purchase (2 tins of MILK-1) and returns its codes.
func (f *fixture) released(t *testing.T) (*decl, codeList) {
	t.Helper()
	d := f.newDecl()
	f.send(d)
	if r := f.final(d.copNo); r.ReturnStatus != "800" {
		t.Fatalf("want 800, got %s %s", r.ReturnStatus, r.ReturnInfo)
	}
	var cl codeList
	resp := f.s.Do("GET", "/api/v1/inventories/"+d.copNo+"/trace-codes", f.keys[agent], "", nil)
	if resp.Status != 200 {
		t.Fatalf("codes: %d %s", resp.Status, resp.Body)
	}
	resp.JSON(t, &cl)
	return d, cl
}

func (f *fixture) page(path string) (int, string) {
	f.t.Helper()
	r := f.s.Do("GET", path, "", "", nil)
	return r.Status, string(r.Body)
}

func TestTraceCodesAndLookupPage(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := traceFixture(t, engine)
		d, cl := f.released(t)
		if len(cl.Codes) != 2 {
			t.Fatalf("2 tins want 2 codes, got %+v", cl)
		}
		seen := map[string]bool{}
		for i, c := range cl.Codes {
			if trace.Check(c.Code) != trace.WellFormed || seen[c.Code] || c.Piece != i+1 || c.GTIN != milkGTIN || c.State != "released" {
				t.Errorf("code %d: %+v", i, c)
			}
			seen[c.Code] = true
			if !strings.HasSuffix(c.URL, "/01/0"+milkGTIN+"/21/"+c.Code) {
				t.Errorf("not a GS1 Digital Link: %s", c.URL)
			}
		}
		code := cl.Codes[0].Code
		for _, path := range []string{"/t/" + code, "/01/0" + milkGTIN + "/21/" + code, "/t/" + strings.ToLower(trace.Group(code))} {
			st, body := f.page(path)
			if st != 200 {
				t.Fatalf("%s: %d", path, st)
			}
			for _, want := range []string{"正品溯源码", "婴儿配方奶粉", "示例牌", "美国", "企业 " + platform, "8010", "未被抽中查验", "已放行", trace.Group(code)} {
				if !strings.Contains(body, want) {
					t.Errorf("%s lacks %q", path, want)
				}
			}
			// Never the buyer's personal data, in clear or masked.
			for _, secret := range []string{d.buyer, d.buyerID, d.phone, d.consAddr, "王*", "138****", "110101", d.orderNo, d.copNo} {
				if strings.Contains(body, secret) {
					t.Errorf("%s shows %q", path, secret)
				}
			}
		}
		if st, body := f.page("/t/" + code + "?lang=en"); st != 200 || !strings.Contains(body, "Genuine code") || !strings.Contains(body, `lang="en"`) {
			t.Errorf("English page: %d", st)
		}
		// A guess and a typo are told apart, and neither is genuine.
		guess, _ := trace.NewCodes(nil, time.Now(), 1)
		if st, body := f.page("/t/" + guess[0]); st != 404 || !strings.Contains(body, "不是真实的溯源码") {
			t.Errorf("unknown code: %d", st)
		}
		typo := []byte(code)
		typo[3] = map[bool]byte{true: 'A', false: 'B'}[typo[3] != 'A']
		if st, body := f.page("/t/" + string(typo)); st != 404 || !strings.Contains(body, "输错") {
			t.Errorf("mistyped code: %d", st)
		}
		if st, body := f.page("/01/00000096385074/21/" + code); st != 404 || !strings.Contains(body, "不是真实的溯源码") {
			t.Errorf("a real code under another GTIN: %d", st)
		}
		if st, _ := f.page("/t/not-a-code"); st != 404 {
			t.Errorf("malformed code: %d", st)
		}
		if r := f.s.Do("GET", "/t?code="+url.QueryEscape(trace.Group(code)), "", "", nil); r.Status != 200 || !strings.Contains(string(r.Body), "正品溯源码") {
			t.Errorf("form lookup: %d", r.Status)
		}

		// QR images, label sheet, EPCIS; only for the inventory's parties.
		png := f.s.Do("GET", "/api/v1/trace-codes/"+code+"/qr.png", f.keys[agent], "", nil)
		if png.Status != 200 || !bytes.HasPrefix(png.Body, []byte("\x89PNG")) {
			t.Errorf("qr.png: %d", png.Status)
		}
		svg := f.s.Do("GET", "/api/v1/trace-codes/"+code+"/qr.svg", f.keys[platform], "", nil)
		if svg.Status != 200 || !strings.HasPrefix(string(svg.Body), "<svg") || svg.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("qr.svg: %d %s", svg.Status, svg.Body)
		}
		if r := f.s.Do("GET", "/api/v1/trace-codes/"+code+"/qr.svg", f.keys[payer], "", nil); r.Status != 404 {
			t.Errorf("another enterprise's code: %d", r.Status)
		}
		labels := f.s.Do("GET", "/api/v1/inventories/"+d.copNo+"/labels", f.keys[agent], "", nil)
		if labels.Status != 200 || strings.Count(string(labels.Body), "<svg") != 2 || !strings.Contains(string(labels.Body), trace.Group(code)) {
			t.Errorf("labels: %d", labels.Status)
		}

		// The piece leaves the zone: the carrier records it, EPCIS shows it.
		r := f.s.JSON("POST", "/api/v1/trace-events", f.keys[carrier], map[string]any{"codes": []string{code}, "event": "exited", "location": "gate-1"})
		if r.Status != 200 {
			t.Fatalf("exit: %d %s", r.Status, r.Body)
		}
		if r := f.s.JSON("POST", "/api/v1/trace-events", f.keys[carrier], map[string]any{"codes": []string{code}, "event": "exited"}); r.Status != 400 || !strings.Contains(string(r.Body), `"codes[0]"`) {
			t.Errorf("second exit: %d %s", r.Status, r.Body)
		}
		var doc struct {
			Type      string
			EpcisBody struct {
				EventList []struct{ BizStep, Action, Disposition string }
			}
		}
		ep := f.s.Do("GET", "/api/v1/trace-codes/"+code+"/epcis", f.keys[agent], "", nil)
		ep.JSON(t, &doc)
		if doc.Type != "EPCISDocument" || len(doc.EpcisBody.EventList) != 2 || doc.EpcisBody.EventList[0].BizStep != "commissioning" ||
			doc.EpcisBody.EventList[1].BizStep != "departing" {
			t.Errorf("epcis: %s", ep.Body)
		}
		if _, body := f.page("/t/" + code); !strings.Contains(body, "已出区配送") {
			t.Error("lookup page does not show the exit")
		}
	})
}

func TestRecallFromStartToPublicNotice(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := traceFixture(t, engine)
		d, cl := f.released(t)
		code := cl.Codes[0].Code
		// The batch is recorded after release; the recall names it.
		if r := f.s.JSON("POST", "/api/v1/inventories/"+d.copNo+"/batches", f.keys[agent], map[string]any{"gnum": 1, "batch": "L2026-11", "producedOn": "2026-10-15"}); r.Status != 200 {
			t.Fatalf("batch: %d %s", r.Status, r.Body)
		}
		if r := f.s.JSON("POST", "/api/v1/recalls", apptest.AdminToken, map[string]any{"title": "婴儿配方奶粉召回", "reason": "检出阪崎肠杆菌",
			"ebcCode": platform, "itemNo": "NOPE"}); r.Status != 400 || !strings.Contains(string(r.Body), `"itemNo"`) {
			t.Errorf("recall of an unfiled product: %d %s", r.Status, r.Body)
		}
		r := f.s.JSON("POST", "/api/v1/recalls", apptest.AdminToken, map[string]any{"title": "婴儿配方奶粉召回", "reason": "检出阪崎肠杆菌",
			"advice": "停止食用，联系商家退货", "gtin": milkGTIN, "batch": "L2026-11", "producedFrom": "2026-10-01", "producedTo": "2026-10-31"})
		if r.Status != 201 {
			t.Fatalf("recall: %d %s", r.Status, r.Body)
		}
		var started struct {
			Recall struct {
				ID     string
				Pieces int
			}
			Orders   []struct{ CopNo, OrderNo string }
			Notified []string
		}
		r.JSON(t, &started)
		if started.Recall.Pieces != 2 || len(started.Orders) != 1 || started.Orders[0].OrderNo != d.orderNo || len(started.Notified) != 1 || started.Notified[0] != platform {
			t.Fatalf("recall reached: %s", r.Body)
		}
		id := started.Recall.ID
		// The e-commerce enterprise is told through its feed.
		var feed struct{ Receipts []feedReceipt }
		f.s.Do("GET", "/api/v1/receipts?after=0&limit=1000", f.keys[platform], "", nil).JSON(t, &feed)
		found := false
		for _, rc := range feed.Receipts {
			if rc.MessageType == "RecallNotice" && rc.CopNo == d.copNo && code2(rc.ReturnInfo) == "2700" && strings.Contains(rc.XML, id) {
				found = true
			}
		}
		if !found {
			t.Errorf("no recall notice in the platform's feed: %+v", feed.Receipts)
		}
		// Published, and on the affected code's page.
		if _, body := f.page("/recalls"); !strings.Contains(body, "婴儿配方奶粉召回") || !strings.Contains(body, "检出阪崎肠杆菌") {
			t.Error("recall not on /recalls")
		}
		if _, body := f.page("/t/" + code); !strings.Contains(body, "本商品已被召回") || !strings.Contains(body, "L2026-11") {
			t.Error("recall not on the code's page")
		}
		// Further releases of the product are held.
		d2 := f.newDecl()
		f.send(d2)
		if rc := f.final(d2.copNo); rc.ReturnStatus != "300" || code2(rc.ReturnInfo) != "2310" || !strings.Contains(rc.ReturnInfo, id) {
			t.Errorf("want a 300 hold with 2310, got %s %s", rc.ReturnStatus, rc.ReturnInfo)
		}
		// A buyer returns one piece: the report counts it.
		if r := f.s.JSON("POST", "/api/v1/trace-events", f.keys[platform], map[string]any{"codes": []string{code}, "event": "returned"}); r.Status != 200 {
			t.Fatalf("return: %d %s", r.Status, r.Body)
		}
		var rep struct {
			Recalled, Returned int
			Pieces             []struct{ Code, State, OrderNo string }
		}
		f.s.Do("GET", "/api/v1/recalls/"+id, apptest.AdminToken, "", nil).JSON(t, &rep)
		if rep.Recalled != 2 || rep.Returned != 1 || len(rep.Pieces) != 2 || rep.Pieces[0].OrderNo != d.orderNo {
			t.Errorf("report: %+v", rep)
		}
		// Closing the recall lifts the hold for later inventories.
		if r := f.s.Do("POST", "/api/v1/recalls/"+id+"/close", apptest.AdminToken, "", nil); r.Status != 200 {
			t.Fatalf("close: %d %s", r.Status, r.Body)
		}
		d3 := f.newDecl()
		f.send(d3)
		if rc := f.final(d3.copNo); rc.ReturnStatus != "800" {
			t.Errorf("after the recall closed: %s %s", rc.ReturnStatus, rc.ReturnInfo)
		}
	})
}

func code2(info string) string { return code(info) }

func TestFailedLabTestRaisesWarningAndHold(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := traceFixture(t, engine)
		labKey := f.s.Register(lab, "lab")
		if r := f.s.JSON("POST", "/api/v1/lab-applications", f.keys[platform], map[string]any{"labCode": payer, "itemNo": "MILK-1", "sample": "2 罐", "items": []string{}}); r.Status != 400 ||
			!strings.Contains(string(r.Body), `"labCode"`) || !strings.Contains(string(r.Body), `"items"`) {
			t.Errorf("bad application: %d %s", r.Status, r.Body)
		}
		r := f.s.JSON("POST", "/api/v1/lab-applications", f.keys[platform], map[string]any{"labCode": lab, "itemNo": "MILK-1", "batch": "L2026-11",
			"sample": "2 罐 800 g", "items": []string{"阪崎肠杆菌", "蛋白质"}})
		if r.Status != 201 {
			t.Fatalf("apply: %d %s", r.Status, r.Body)
		}
		var app struct{ ID, Status, WarningID, HoldID string }
		r.JSON(t, &app)
		if r := f.s.JSON("POST", "/api/v1/lab-applications/"+app.ID+"/results", labKey, map[string]any{"results": []any{}}); r.Status != 409 {
			t.Errorf("results before acceptance: %d %s", r.Status, r.Body)
		}
		if r := f.s.JSON("POST", "/api/v1/lab-applications/"+app.ID+"/accept", f.keys[payer], map[string]any{"accept": true}); r.Status != 404 {
			t.Errorf("another enterprise accepts: %d", r.Status)
		}
		if r := f.s.JSON("POST", "/api/v1/lab-applications/"+app.ID+"/accept", labKey, map[string]any{"accept": true}); r.Status != 200 {
			t.Fatalf("accept: %d %s", r.Status, r.Body)
		}
		no, yes := false, true
		r = f.s.JSON("POST", "/api/v1/lab-applications/"+app.ID+"/results", labKey, map[string]any{"results": []map[string]any{
			{"item": "阪崎肠杆菌", "passed": no, "value": "检出", "standard": "不得检出"}}})
		r.JSON(t, &app)
		if r.Status != 200 || app.Status != "accepted" || app.WarningID != "" {
			t.Fatalf("one of two results: %d %s", r.Status, r.Body)
		}
		r = f.s.JSON("POST", "/api/v1/lab-applications/"+app.ID+"/results", labKey, map[string]any{"results": []map[string]any{
			{"item": "蛋白质", "passed": yes, "value": "2.1 g/100kJ", "standard": "1.8–3.0"}}})
		r.JSON(t, &app)
		if r.Status != 200 || app.Status != "failed" || app.WarningID == "" || app.HoldID == "" {
			t.Fatalf("complete results: %d %s", r.Status, r.Body)
		}
		// The enterprise follows it online.
		var mine struct{ Applications []struct{ ID, Status string } }
		f.s.Do("GET", "/api/v1/lab-applications", f.keys[platform], "", nil).JSON(t, &mine)
		if len(mine.Applications) != 1 || mine.Applications[0].Status != "failed" {
			t.Errorf("applicant's list: %+v", mine)
		}
		// A warning on the pages and feeds; results on the product page.
		if _, body := f.page("/warnings"); !strings.Contains(body, "检测不合格") || !strings.Contains(body, "婴儿配方奶粉") {
			t.Error("warning not on /warnings")
		}
		var jf struct {
			Version string
			Items   []struct {
				ID   string
				CBEC struct{ RiskLevel, ItemNo string } `json:"_cbec"`
			}
		}
		if err := json.Unmarshal(f.s.Do("GET", "/warnings.json", "", "", nil).Body, &jf); err != nil || len(jf.Items) != 1 || jf.Items[0].ID != app.WarningID || jf.Items[0].CBEC.RiskLevel != "high" {
			t.Errorf("JSON feed: %v %+v", err, jf)
		}
		atom := f.s.Do("GET", "/warnings.atom", "", "", nil)
		var feed struct {
			Entries []struct {
				ID    string `xml:"id"`
				Title string `xml:"title"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal(atom.Body, &feed); err != nil || len(feed.Entries) != 1 || !strings.Contains(feed.Entries[0].Title, "检测不合格") {
			t.Errorf("Atom feed: %v %s", err, atom.Body)
		}
		if st, body := f.page("/products/" + platform + "/MILK-1"); st != 200 || !strings.Contains(body, "不合格") || !strings.Contains(body, "阪崎肠杆菌") {
			t.Errorf("product page: %d", st)
		}
		// And further releases of the product are held.
		d := f.newDecl()
		f.send(d)
		if rc := f.final(d.copNo); rc.ReturnStatus != "300" || code(rc.ReturnInfo) != "2311" {
			t.Errorf("want a 300 hold with 2311, got %s %s", rc.ReturnStatus, rc.ReturnInfo)
		}
		// Lifting the hold releases the next one.
		if r := f.s.Do("POST", "/api/v1/product-holds/"+app.HoldID+"/lift", apptest.AdminToken, "", nil); r.Status != 200 {
			t.Fatalf("lift: %d %s", r.Status, r.Body)
		}
		d2 := f.newDecl()
		f.send(d2)
		if rc := f.final(d2.copNo); rc.ReturnStatus != "800" {
			t.Errorf("after lifting: %s %s", rc.ReturnStatus, rc.ReturnInfo)
		}
	})
}

func TestPublicPagesPoliciesCreditQuota(t *testing.T) {
	f := traceFixture(t, apptest.SQLite)
	d, _ := f.released(t)
	if r := f.s.JSON("POST", "/api/v1/policies", apptest.AdminToken, map[string]any{"title": "清单调整公告", "body": "第一段。\n\n第二段。"}); r.Status != 201 {
		t.Fatalf("policy: %d %s", r.Status, r.Body)
	}
	if r := f.s.JSON("POST", "/api/v1/policies", apptest.AdminToken, map[string]any{"title": "x", "body": "y", "riskLevel": "high"}); r.Status != 400 {
		t.Errorf("policy with a risk level: %d", r.Status)
	}
	if st, body := f.page("/policies"); st != 200 || !strings.Contains(body, "清单调整公告") || !strings.Contains(body, "<p>第二段。</p>") {
		t.Errorf("policies: %d", st)
	}
	if r := f.s.JSON("PATCH", "/api/v1/enterprises/"+payer, apptest.AdminToken, map[string]any{"creditClass": "dishonest"}); r.Status != 200 {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	if st, body := f.page("/credit"); st != 200 || !strings.Contains(body, payer) || !strings.Contains(body, "失信") || strings.Contains(body, carrier) {
		t.Errorf("credit: %d", st)
	}
	form := url.Values{"name": {d.buyer}, "idNumber": {d.buyerID}}
	r := f.s.Do("POST", "/quota", "", "application/x-www-form-urlencoded", []byte(form.Encode()))
	if r.Status != 200 || !strings.Contains(string(r.Body), "410.00") || !strings.Contains(string(r.Body), "25590.00") || strings.Contains(string(r.Body), d.buyerID) {
		t.Errorf("quota: %d", r.Status)
	}
	r = f.s.Do("POST", "/quota?lang=en", "", "application/x-www-form-urlencoded", []byte("name=&idNumber=123"))
	if r.Status != 400 || !strings.Contains(string(r.Body), "name is required") || !strings.Contains(string(r.Body), "resident ID") {
		t.Errorf("bad quota form: %d", r.Status)
	}
	for _, path := range []string{"/", "/?lang=en", "/recalls", "/warnings", "/quota", "/static/style.css"} {
		if st, _ := f.page(path); st != 200 {
			t.Errorf("%s: %d", path, st)
		}
	}
	// Every page names its language, labels its inputs and has one h1.
	for _, path := range []string{"/", "/quota", "/credit"} {
		_, body := f.page(path)
		if !strings.Contains(body, `<html lang="zh-CN">`) || strings.Count(body, "<h1") != 1 {
			t.Errorf("%s: lang or h1", path)
		}
		for _, id := range regexp.MustCompile(`<input id="([^"]+)"`).FindAllStringSubmatch(body, -1) {
			if !strings.Contains(body, `<label for="`+id[1]+`"`) {
				t.Errorf("%s: input %s has no label", path, id[1])
			}
		}
	}
}

func TestLookupsAreRateLimited(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	limited := 0
	for range 60 {
		r := f.s.Do("GET", "/t/23456789ABCDEFGHJK", "", "", nil)
		switch r.Status {
		case http.StatusTooManyRequests:
			limited++
			if r.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		case http.StatusNotFound:
		default:
			t.Fatalf("status %d", r.Status)
		}
	}
	if limited == 0 {
		t.Error("60 lookups in a burst were never limited")
	}
}

// TestReleaseCostOfCodes measures what the codes add to the clearance of 100
// inventories released together: their orders, payments and inventories wait
// for the waybills, which arrive in one 100-document CEB511; the time from
// that message to the 100th release is compared with and without the code
// issuer, alternating runs. It takes a while, so it runs only with
// CBEC_MEASURE=1 (go test ./internal/httpapi -run TestReleaseCostOfCodes -v).
func TestReleaseCostOfCodes(t *testing.T) {
	if os.Getenv("CBEC_MEASURE") == "" {
		t.Skip("set CBEC_MEASURE=1 to measure the release cost of traceability codes")
	}
	// 300 messages a round: no per-enterprise request limit.
	f := traceFixture(t, apptest.SQLite, func(c *config.Config) { c.RateLimit.EnterprisePerSecond = 0 })
	eng := f.s.App.Engine
	all := eng.Effects
	issuer := all[len(all)-1]
	if _, ok := issuer.(*trace.Issuer); !ok {
		t.Fatalf("the last effect is %T, not the code issuer", issuer)
	}
	rnd := rand.New(rand.NewPCG(9, 9))
	released := func() (decided, ok int) {
		if err := f.s.App.DB.QueryRow(context.Background(), `SELECT COALESCE(SUM(CASE WHEN status <> '120' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = '800' THEN 1 ELSE 0 END), 0) FROM inventories`).Scan(&decided, &ok); err != nil {
			t.Fatal(err)
		}
		return decided, ok
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	round := func(withCodes bool) (wall, busy time.Duration) {
		if withCodes {
			eng.Effects = all
		} else {
			eng.Effects = all[:len(all)-1]
		}
		msg := &ceb.CEB511Message{Guid: guid(), Version: "1.0", BaseTransfer: transfer(carrier)}
		for range 100 {
			d := f.newDecl()
			d.buyerID = ident.RandomResidentID(rnd) // each buyer within the yearly limit
			d.payerID = d.buyerID
			for _, m := range []struct {
				sender string
				xml    []byte
			}{{platform, d.order("1")}, {payer, d.payment()}, {agent, f.inventory(d, "1")}} {
				if st, rs, info, _ := f.post(m.sender, m.xml); st != 200 || rs != "120" {
					t.Fatalf("from %s: %d %s %s", m.sender, st, rs, info)
				}
			}
			one, err := ceb.Decode(d.waybill())
			if err != nil {
				t.Fatal(err)
			}
			msg.Logistics = append(msg.Logistics, one.Message.(*ceb.CEB511Message).Logistics...)
		}
		before, before800 := released()
		body := mustEncode(msg)
		start, cpu0 := time.Now(), cpu()
		if st, rs, info, _ := f.post(carrier, body); st != 200 || rs != "120" {
			t.Fatalf("waybills: %d %s %s", st, rs, info)
		}
		for n, _ := released(); n < before+100; n, _ = released() {
			if time.Since(start) > time.Minute {
				t.Fatal("the 100 inventories were not decided within a minute")
			}
			time.Sleep(time.Millisecond)
		}
		wall, busy = time.Since(start), cpu()-cpu0
		if _, n := released(); n != before800+100 {
			t.Fatalf("%d of 100 released", n-before800)
		}
		return wall, busy
	}
	var with, without, cpuWith, cpuWithout []time.Duration
	round(true) // warm up: caches, statements, pages of the database
	for i := range 20 {
		w, c := round(i%2 == 1)
		if i%2 == 1 {
			with, cpuWith = append(with, w), append(cpuWith, c)
		} else {
			without, cpuWithout = append(without, w), append(cpuWithout, c)
		}
	}
	eng.Effects = all
	med := func(v []time.Duration) time.Duration { slices.Sort(v); return v[len(v)/2] }
	pct := func(a, b time.Duration) float64 { return 100 * (float64(a)/float64(b) - 1) }
	t.Logf("100 inventories released, median of 10 runs each: wall %v without codes, %v with (%+.1f %%); CPU %v without, %v with (%+.1f %%)",
		med(without), med(with), pct(med(with), med(without)), med(cpuWithout), med(cpuWith), pct(med(cpuWith), med(cpuWithout)))
}
