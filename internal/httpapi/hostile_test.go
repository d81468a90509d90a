package httpapi_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/console"
)

// The hostile-input campaign of issue 10 (docs/reliability.md): every case
// against a real server; each answer is a clear error (4xx naming the
// problem), never a 500, never a hang, and memory stays bounded.

// hostileCase is one request and what must come back.
type hostileCase struct {
	name, method, path, token, ctype string
	body                             []byte
	want                             int      // expected status
	wantIn                           string   // the answer must say this (names the field or problem)
	never                            []string // the answer must not contain these
}

func runHostile(t *testing.T, s *apptest.Server, cases []hostileCase) {
	t.Helper()
	for _, c := range cases {
		start := time.Now()
		r := s.Do(c.method, c.path, c.token, c.ctype, c.body)
		took := time.Since(start)
		if r.Status != c.want {
			t.Errorf("%s: HTTP %d, want %d: %.400s", c.name, r.Status, c.want, r.Body)
		}
		if c.wantIn != "" && !bytes.Contains(r.Body, []byte(c.wantIn)) {
			t.Errorf("%s: the answer does not say %q: %.400s", c.name, c.wantIn, r.Body)
		}
		for _, bad := range c.never {
			if bytes.Contains(r.Body, []byte(bad)) {
				t.Errorf("%s: the answer contains %q: %.400s", c.name, bad, r.Body)
			}
		}
		if took > 5*time.Second {
			t.Errorf("%s: took %s", c.name, took)
		}
	}
}

const orderHead = `<?xml version="1.0" encoding="UTF-8"?>`

func TestHostileXML(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	key := f.keys[platform]
	var laughs strings.Builder
	laughs.WriteString(orderHead + `<!DOCTYPE lolz [<!ENTITY lol "lol">`)
	prev := "lol"
	for i := 1; i <= 9; i++ {
		name := fmt.Sprintf("lol%d", i)
		laughs.WriteString(`<!ENTITY ` + name + ` "` + strings.Repeat("&"+prev+";", 10) + `">`)
		prev = name
	}
	laughs.WriteString(`]><CEB311Message xmlns="http://www.chinaport.gov.cn/ceb" guid="X" version="1.0"><Order><OrderHead><guid>&lol9;</guid></OrderHead></Order></CEB311Message>`)
	xxe := orderHead + `<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><CEB311Message xmlns="http://www.chinaport.gov.cn/ceb" guid="X" version="1.0"><Order><OrderHead><guid>&xxe;</guid></OrderHead></Order></CEB311Message>`
	deep := orderHead + `<CEB311Message xmlns="http://www.chinaport.gov.cn/ceb" guid="X" version="1.0">` + strings.Repeat("<Order>", 200000) + strings.Repeat("</Order>", 200000) + `</CEB311Message>`
	order := f.newDecl().order("1")
	badUTF8 := bytes.Replace(order, []byte("王小明"), []byte("\xff\xfe\xfd"), 1)
	amount := regexp.MustCompile(`<((?:ceb:)?goodsValue)>[^<]*</`)
	huge := amount.ReplaceAll(f.newDecl().order("1"), []byte("<$1>99999999999999999999999999999999.99</"))
	runHostile(t, f.s, []hostileCase{
		{name: "billion laughs", method: "POST", path: "/api/v1/ceb", token: key, ctype: "application/xml", body: []byte(laughs.String()), want: 400, wantIn: "DOCTYPE", never: []string{"lollollol"}},
		{name: "external entity", method: "POST", path: "/api/v1/ceb", token: key, ctype: "application/xml", body: []byte(xxe), want: 400, never: []string{"root:"}},
		{name: "deep nesting", method: "POST", path: "/api/v1/ceb", token: key, ctype: "application/xml", body: []byte(deep), want: 400},
		{name: "invalid UTF-8 in XML", method: "POST", path: "/api/v1/ceb", token: key, ctype: "application/xml", body: badUTF8, want: 400, wantIn: "UTF-8"},
		{name: "huge amount in XML", method: "POST", path: "/api/v1/ceb", token: key, ctype: "application/xml", body: huge, want: 400, wantIn: "goodsValue"},
		{name: "not XML at all", method: "POST", path: "/api/v1/ceb", token: key, ctype: "application/xml", body: []byte("\x00\x01\x02<<<>>>"), want: 400},
		{name: "empty body", method: "POST", path: "/api/v1/ceb", token: key, ctype: "application/xml", want: 400},
	})
}

// Negative amounts are valid XSD decimals, but a goods line's price must be
// above zero (issue 16): the order and the inventory are refused naming the
// price, and nothing is released or counted against the buyer.
func TestHostileNegativeAmounts(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	d := f.newDecl()
	d.priced([]line{{item: "MILK-1", hs: "1901101000", name: "婴儿配方奶粉", unit1: "035", qty: "2", qty1: "1.6", price: "-200"}}, "10", "-35.49")
	for _, m := range []struct {
		sender, path string
		xml          []byte
	}{{platform, "Order[1]/OrderList[1]/price", d.order("1")}, {agent, "Inventory[1]/InventoryList[1]/price", f.inventory(d, "1")}} {
		if st, _, _, body := f.post(m.sender, m.xml); st != http.StatusBadRequest || !strings.Contains(string(body), m.path) {
			t.Errorf("negative price from %s: want 400 naming %s, got %d\n%s", m.sender, m.path, st, body)
		}
	}
	var q struct{ Used string }
	f.s.Do("GET", "/api/v1/quota?name=%E7%8E%8B%E5%B0%8F%E6%98%8E&idNumber="+d.buyerID, "", "", nil).JSON(t, &q)
	if q.Used != "0.00" {
		t.Errorf("quota used %s after a refused negative inventory", q.Used)
	}
}

func TestHostileJSONAndQuery(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		s, admin := f.s, apptest.AdminToken
		injection := `x'); DROP TABLE enterprises; --`
		runHostile(t, s, []hostileCase{
			{name: "invalid UTF-8 in JSON", method: "POST", path: "/api/v1/enterprises", token: admin, ctype: "application/json",
				body: []byte("{\"code\":\"9105910159\",\"name\":\"\xff\xfe\",\"roles\":[\"ebp\"]}"), want: 400, wantIn: "UTF-8"},
			{name: "JSON nested 100000 deep", method: "POST", path: "/api/v1/enterprises", token: admin, ctype: "application/json",
				body: []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)), want: 400},
			{name: "huge guarantee", method: "POST", path: "/api/v1/guarantees", token: admin, ctype: "application/json",
				body: []byte(`{"assureCode":"46121601BC","amount":"99999999999999999999999.00","reference":"R","validUntil":"2027-12-31"}`), want: 400, wantIn: "amount"},
			{name: "negative guarantee", method: "POST", path: "/api/v1/guarantees", token: admin, ctype: "application/json",
				body: []byte(`{"assureCode":"46121601BC","amount":"-5.00","reference":"R","validUntil":"2027-12-31"}`), want: 400, wantIn: "amount"},
			{name: "exponent guarantee", method: "POST", path: "/api/v1/guarantees", token: admin, ctype: "application/json",
				body: []byte(`{"assureCode":"46121601BC","amount":"1e400","reference":"R","validUntil":"2027-12-31"}`), want: 400, wantIn: "amount"},
			{name: "number where a string is due", method: "POST", path: "/api/v1/guarantees", token: admin, ctype: "application/json",
				body: []byte(`{"assureCode":"46121601BC","amount":1e400,"reference":"R","validUntil":"2027-12-31"}`), want: 400},
			{name: "negative feed position", method: "GET", path: "/api/v1/receipts?after=-1", token: f.keys[agent], want: 400, wantIn: "after"},
			{name: "huge feed position", method: "GET", path: "/api/v1/receipts?after=99999999999999999999999", token: f.keys[agent], want: 400, wantIn: "after"},
			{name: "SQL in a query parameter", method: "GET", path: "/api/v1/receipts?after=0%20OR%201=1", token: f.keys[agent], want: 400, wantIn: "after"},
			{name: "negative page size", method: "GET", path: "/api/v1/receipts?limit=-5", token: f.keys[agent], want: 400, wantIn: "limit"},
			{name: "huge quota year", method: "GET", path: "/api/v1/quota?name=%E7%8E%8B%E5%B0%8F%E6%98%8E&idNumber=110101199003074514&year=99999999999", want: 400, wantIn: "year"},
			{name: "SQL in a path", method: "GET", path: "/api/v1/inventories/'%20OR%20'1'='1", token: f.keys[agent], want: 404},
			{name: "path traversal in a document number", method: "GET", path: "/api/v1/inventories/..%2F..%2F..%2Fetc%2Fpasswd", token: f.keys[agent], want: 404, never: []string{"root:"}},
			{name: "path traversal in a book number", method: "GET", path: "/api/v1/books/..%2F..%2Fgo.mod/reconciliation?month=2026-11&format=csv", token: admin, want: 404, never: []string{"module cbec"}},
			{name: "path traversal in static files", method: "GET", path: "/static/..%2F..%2F..%2Fgo.mod", want: 404, never: []string{"module cbec"}},
			{name: "path traversal in a trace code", method: "GET", path: "/api/v1/trace-codes/..%2F..%2Fetc%2Fpasswd/qr.png", token: admin, want: 404, never: []string{"root:"}},
		})
		// SQL in every text field of a registration is kept as text.
		r := s.JSON("POST", "/api/v1/enterprises", admin, map[string]any{"code": "9105910159", "name": injection, "roles": []string{"ebp"}})
		if r.Status != http.StatusCreated {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
		var e struct{ Name string }
		s.Do("GET", "/api/v1/enterprises/9105910159", admin, "", nil).JSON(t, &e)
		if e.Name != injection {
			t.Errorf("name came back as %q", e.Name)
		}
		if r := s.Do("GET", "/api/v1/enterprises?limit=10", admin, "", nil); r.Status != 200 {
			t.Errorf("the enterprises table is gone: %d %s", r.Status, r.Body)
		}
		// SQL in a CEB text field: the order is judged like any other.
		d := f.newDecl()
		d.buyer = `'; DELETE FROM inventories; --`
		d.consignee = d.buyer
		if st, rs, info, body := f.post(platform, d.order("1")); st != 200 || rs == "" {
			t.Errorf("order with SQL in the buyer's name: %d %s %s %.300s", st, rs, info, body)
		}
	})
}

// A 100 MB body is refused before it is read, declared or not, and the
// server's memory does not grow with it.
func TestHostileHugeBody(t *testing.T) {
	s := apptest.Start(t, apptest.SQLite)
	key := s.Register("1105910159", "ebp", "ebc")
	const size = 100 << 20
	for _, chunked := range []bool{false, true} {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		peak := make(chan uint64)
		stop := make(chan struct{})
		go func() { // the largest heap in use while the request runs
			var m runtime.MemStats
			var top uint64
			for {
				runtime.ReadMemStats(&m)
				top = max(top, m.HeapInuse)
				select {
				case <-stop:
					peak <- top
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		}()
		var body io.Reader = io.LimitReader(zeros{}, size)
		if chunked {
			body = struct{ io.Reader }{body} // hides the length: sent chunked
		}
		req, err := http.NewRequest("POST", s.URL+"/api/v1/ceb", body)
		if err != nil {
			t.Fatal(err)
		}
		if !chunked {
			req.ContentLength = size
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/xml")
		start := time.Now()
		resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
		took := time.Since(start)
		var status int
		var answer []byte
		if err == nil {
			status = resp.StatusCode
			answer, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		close(stop)
		grew := int64(<-peak) - int64(before.HeapInuse)
		t.Logf("100 MB body (chunked %v): HTTP %d in %s, heap in use grew by at most %.1f MB (client and server)", chunked, status, took, float64(grew)/(1<<20))
		if err != nil && !chunked {
			t.Errorf("declared 100 MB body: %v", err)
			continue
		}
		// A chunked sender may see the connection closed while it still
		// writes; then the refusal is the closed connection itself.
		if err == nil && (status != http.StatusRequestEntityTooLarge || !bytes.Contains(answer, []byte("body_too_large"))) {
			t.Errorf("100 MB body (chunked %v): HTTP %d %.300s", chunked, status, answer)
		}
		if grew > 50<<20 { // half the body: memory follows the 10 MB limit, not the 100 MB sent
			t.Errorf("100 MB body (chunked %v): heap grew by %d MB; memory is not bounded by the body limit", chunked, grew>>20)
		}
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// A client that sends its headers a byte at a time is cut off at the
// header timeout (10 s) instead of holding a connection for ever.
func TestHostileSlowClient(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the server's 10 s header timeout")
	}
	s := apptest.Start(t, apptest.SQLite)
	c, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		_, _ = bufio.NewReader(c).ReadString(0) // returns when the server closes
		closed <- time.Since(start)
	}()
	header := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 100)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case d := <-closed:
			if d > 15*time.Second {
				t.Errorf("slow client held the connection %s", d)
			}
			t.Logf("slow client cut off after %s", d.Round(time.Millisecond))
			return
		case <-tick.C:
			if i < len(header) {
				_, _ = c.Write([]byte{header[i]})
			}
			if time.Since(start) > 30*time.Second {
				t.Fatal("slow client still connected after 30 s")
			}
		}
	}
}

// Public pages escape what enterprises wrote; a product named with a script
// shows as text.
func TestHostileHTML(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	script := `<script>alert(1)</script>`
	csv := "item_no,name,hs_code,gtin,brand,origin_country,spec,legal_unit,item_record_no\nXSS-1," + script + ",1901101000,,\"<img src=x onerror=alert(2)>\",502,900克,035,\n"
	if r := f.s.Do("POST", "/api/v1/products", f.keys[platform], "text/csv", []byte(csv)); r.Status != 200 {
		t.Fatalf("products: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"/products/" + platform + "/XSS-1", "/t/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/credit?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"} {
		r := f.s.Do("GET", path, "", "", nil)
		if r.Status >= 500 {
			t.Errorf("%s: HTTP %d", path, r.Status)
		}
		for _, bad := range []string{script, "<img src=x"} {
			if bytes.Contains(r.Body, []byte(bad)) {
				t.Errorf("%s: the page carries %s unescaped", path, bad)
			}
		}
	}
}

// CSV exports must not hand a spreadsheet a formula an enterprise wrote
// (=, +, -, @ at the start of a text cell).
func TestHostileCSVFormula(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	zone := f.s.Register("5001660A01", "area")
	admin := apptest.AdminToken
	f.s.JSON("POST", "/api/v1/books", admin, map[string]string{"emsNo": "T8010W000009", "operatorCode": "5001660A01", "name": "仓"})
	formula := `=HYPERLINK("http://attacker.example/","click")`
	r := f.s.JSON("POST", "/api/v1/books/T8010W000009/items", zone, map[string]any{"items": []map[string]string{
		{"itemRecordNo": "1", "ebcCode": platform, "itemNo": "MILK-1", "name": formula, "unit": "122"}}})
	if r.Status >= 300 {
		t.Fatalf("items: %d %s", r.Status, r.Body)
	}
	csv := f.s.Do("GET", "/api/v1/books/T8010W000009/reconciliation?month="+time.Now().Format("2006-01")+"&format=csv", zone, "", nil)
	if bytes.Contains(csv.Body, []byte(","+formula)) || bytes.Contains(csv.Body, []byte(`,"=HYPERLINK`)) {
		t.Errorf("the CSV export carries a live formula:\n%s", csv.Body)
	}
}

// The officer console escapes what enterprises wrote: an enterprise named
// with a script shows as text on the console's pages.
func TestHostileConsoleHTML(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	script := `<script>alert(1)</script>`
	r := f.s.JSON("POST", "/api/v1/enterprises", apptest.AdminToken, map[string]any{"code": "9205910159", "name": script, "roles": []string{"ebp"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	d := f.newDecl()
	d.buyer, d.consignee = `<img src=x onerror=alert(2)>`, `<img src=x onerror=alert(2)>`
	f.send(d)
	f.final(d.copNo)
	addOfficer(t, f.s, "hostile.admin", console.Admin)
	addOfficer(t, f.s, "hostile.customs", console.Customs)
	for _, user := range []string{"hostile.admin", "hostile.customs"} {
		o := loginOfficer(t, f.s, user)
		for _, path := range []string{"/console/officer/", "/console/officer/enterprises", "/console/officer/inventories", "/console/officer/audit"} {
			st, body := o.get(path)
			if st >= 500 {
				t.Errorf("%s as %s: HTTP %d", path, user, st)
			}
			for _, bad := range []string{script, "<img src=x"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s as %s carries %s unescaped", path, user, bad)
				}
			}
			if user == "hostile.admin" && path == "/console/officer/enterprises" && !strings.Contains(body, "&lt;script&gt;") {
				t.Errorf("control: the enterprises page does not show the name escaped, so the check proves nothing")
			}
		}
	}
}
