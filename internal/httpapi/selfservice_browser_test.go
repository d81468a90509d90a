package httpapi_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/ident"
)

// Browser tests of the enterprise console's self-service: a seller with only
// a browser clears a parcel from the forms, and 1,000 parcels from one Excel
// file, and downloads the receipts.

// fillJS fills a document form by the fields' Chinese labels and submits it.
const fillJS = `((vals) => {
	for (const [label, v] of Object.entries(vals)) {
		const row = [...document.querySelectorAll("tr[data-field]")].find(r => r.querySelector("label").firstChild.textContent.trim() === label);
		if (!row) throw new Error("no field " + label);
		row.querySelector("input").value = v;
	}
	document.querySelector("#docform button").click();
})`

// consoleLogin signs in to the enterprise console with an API key, as a person would.
func consoleLogin(t *testing.T, p *tab, base, key string) {
	t.Helper()
	must(t, p.Navigate(base+"/console/"))
	must(t, p.Submit(fmt.Sprintf(`document.querySelector("input[name=token]").value = %q; document.querySelector('form[action="/console/login"] button').click()`, key)))
	must(t, p.WaitFor(`document.querySelector('form[action="/console/logout"]')`, 5*time.Second))
}

// enterDocument opens a kind's form, fills it and submits it.
func enterDocument(t *testing.T, p *tab, base, kind string, vals map[string]string) {
	t.Helper()
	must(t, p.Navigate(base+"/console/documents/"+kind))
	js, err := json.Marshal(vals)
	must(t, err)
	must(t, p.Submit(fillJS+"("+string(js)+")"))
}

// fieldError is the problem shown next to a form field.
func fieldError(t *testing.T, p *tab, path string) string {
	var msg string
	must(t, p.Eval(fmt.Sprintf(`document.querySelector('tr[data-field=%q] .field-error').textContent.trim()`, path), &msg))
	return msg
}

// download clicks a link and waits for the file it saves.
func download(t *testing.T, p *tab, dir, link, name string) []byte {
	t.Helper()
	must(t, p.DownloadTo(dir))
	must(t, p.Eval(fmt.Sprintf(`document.querySelector('a[href=%q]').click(); true`, link), nil))
	var b []byte
	waitFor(t, func() bool {
		var err error
		b, err = os.ReadFile(filepath.Join(dir, name))
		return err == nil && len(b) > 0
	})
	return b
}

func TestBrowserSelfServiceForms(t *testing.T) {
	b := startChromium(t)
	f := newFixture(t, apptest.SQLite, optionalSignatures)
	d := f.newDecl()
	vals := parcelFields(d, parties{ebp: platform, pay: payer, carrier: carrier, agent: agent, assure: guarantor})
	tabs := map[string]*tab{}
	for _, who := range []string{platform, payer, carrier, agent} {
		p, err := b.NewPage(1280, 900)
		must(t, err)
		consoleLogin(t, p, f.s.URL, f.keys[who])
		tabs[who] = p
	}
	seller := tabs[platform]
	must(t, seller.Navigate(f.s.URL+"/console/documents"))
	snap(t, seller, "selfservice-documents", false)

	// A mistyped price and a missing name: the server's messages, next to their fields, nothing stored.
	bad := map[string]string{}
	for k, v := range vals["order"] {
		bad[k] = v
	}
	bad["商品价格"], bad["订购人姓名"] = "4oo", ""
	enterDocument(t, seller, f.s.URL, "order", bad)
	if got := fieldError(t, seller, "H/goodsValue"); got != "goodsValue is not a decimal number" {
		t.Errorf("goods value: %q", got)
	}
	if got := fieldError(t, seller, "H/buyerName"); !strings.Contains(got, "buyerName has 0 characters") {
		t.Errorf("buyer name: %q", got)
	}
	must(t, seller.Eval(`document.querySelector('tr[data-field="H/goodsValue"]').scrollIntoView(); true`, nil))
	snap(t, seller, "selfservice-order-errors", false)

	for _, step := range []struct{ who, kind string }{{platform, "order"}, {payer, "payment"}, {carrier, "waybill"}, {agent, "inventory"}} {
		p := tabs[step.who]
		enterDocument(t, p, f.s.URL, step.kind, vals[step.kind])
		var status string
		must(t, p.Eval(`document.querySelector("#result td").textContent`, &status))
		if status != "120" {
			var body string
			must(t, p.Eval(`document.body.innerText`, &body))
			t.Fatalf("%s: receipt %q\n%s", step.kind, status, body)
		}
		if step.kind == "order" {
			snap(t, p, "selfservice-order-receipt", false)
		}
	}
	if r := f.final(d.copNo); r.ReturnStatus != "800" {
		t.Fatalf("want 800 released, got %s %s", r.ReturnStatus, r.ReturnInfo)
	}
	decl := tabs[agent]
	must(t, decl.Submit(fmt.Sprintf(`document.querySelector('#result a[href="/console/inventories/%s"]').click()`, d.copNo)))
	must(t, decl.WaitFor(`document.getElementById("status").textContent.includes("800")`, 5*time.Second))
	snap(t, decl, "selfservice-inventory", false)
	must(t, decl.Navigate(f.s.URL+"/console/receipts"))
	snap(t, decl, "selfservice-receipts", false)
	csv := download(t, decl, t.TempDir(), "/console/receipts.csv", "receipts.csv")
	if !strings.Contains(string(csv), d.copNo+","+d.orderNo+",800,") {
		t.Errorf("the downloaded receipts lack the release of %s:\n%s", d.copNo, csv)
	}
}

func TestBrowserSelfServiceImport1000(t *testing.T) {
	b := startChromium(t)
	f := newFixture(t, apptest.SQLite, optionalSignatures)
	const me = "3301960010"
	key := seller(t, f, me)
	p, err := b.NewPage(1280, 900)
	must(t, err)
	consoleLogin(t, p, f.s.URL, key)
	must(t, p.Navigate(f.s.URL+"/console/documents"))
	dir := t.TempDir()
	tmpl := download(t, p, dir, "/console/import/template.xlsx", "cbec-import-template.xlsx")

	// 1,000 parcels, and two more orders with mistakes.
	const n = 1000
	parts := parties{ebp: me, pay: me, carrier: me, agent: me, assure: guarantor}
	x, err := excelize.OpenReader(strings.NewReader(string(tmpl)))
	must(t, err)
	defer x.Close()
	cols := map[string]map[string]string{}
	for kind, sheet := range kindSheets {
		header, err := x.GetRows(sheet)
		must(t, err)
		cols[kind] = map[string]string{}
		for i, h := range header[0] {
			cols[kind][h], _ = excelize.ColumnNumberToName(i + 1)
		}
	}
	put := func(kind string, row int, vals map[string]string) {
		for label, v := range vals {
			must(t, x.SetCellStr(kindSheets[kind], fmt.Sprintf("%s%d", cols[kind][label], row), v))
		}
	}
	// One buyer per parcel: each stays far below the yearly quota.
	rng := rand.New(rand.NewPCG(19, 1))
	for i := range n {
		d := f.newDecl()
		d.buyerID = ident.RandomResidentID(rng)
		d.payerID = d.buyerID
		for kind, vals := range parcelFields(d, parts) {
			put(kind, i+2, vals)
		}
	}
	for i, breakIt := range []func(map[string]string){
		func(v map[string]string) { v["商品价格"] = "abc" },
		func(v map[string]string) { v["订购人电话"] = "" },
	} {
		v := parcelFields(f.newDecl(), parts)["order"]
		breakIt(v)
		put("order", n+2+i, v)
	}
	file := filepath.Join(dir, "parcels.xlsx")
	must(t, x.SaveAs(file))

	must(t, p.Upload(`input[name=file]`, file))
	start := time.Now()
	must(t, p.Submit(`document.querySelector('form[action="/console/import"] button').click()`))
	must(t, p.WaitFor(`document.getElementById("import").dataset.state === "checked"`, 5*time.Minute))
	t.Logf("%d rows uploaded and checked in %s", 4*n+2, time.Since(start).Round(time.Millisecond))
	var problems [][]string
	must(t, p.Eval(`[...document.querySelectorAll("#problems tr")].slice(1).map(r => [...r.cells].map(c => c.textContent))`, &problems))
	want := [][]string{{"电子订单", fmt.Sprint(n + 2), "F 商品价格"}, {"电子订单", fmt.Sprint(n + 3), "N 订购人电话"}}
	if len(problems) != 2 {
		t.Fatalf("refused rows: %v", problems)
	}
	for i, w := range want {
		if strings.Join(problems[i][:3], "|") != strings.Join(w, "|") || problems[i][3] == "" {
			t.Errorf("refused row %d: %v, want %v and a reason", i, problems[i], w)
		}
	}
	snap(t, p, "selfservice-import-errors", false)
	if r := f.s.Do("GET", "/api/v1/receipts", key, "", nil); strings.Contains(string(r.Body), "returnStatus") {
		t.Fatal("a file with errors stored documents before the user chose")
	}

	start = time.Now()
	must(t, p.Submit(`document.querySelector('button[value="good"]').click()`))
	must(t, p.WaitFor(`document.getElementById("import").dataset.state === "done"`, 10*time.Minute))
	t.Logf("%d good rows imported in %s", 4*n, time.Since(start).Round(time.Millisecond))
	var summary string
	must(t, p.Eval(`document.getElementById("summary").textContent`, &summary))
	if !strings.Contains(summary, "Imported 4000 documents: 4000 taken, 0 refused") {
		t.Fatalf("after the import: %s", summary)
	}
	snap(t, p, "selfservice-import-done", false)

	// Every parcel is judged; the receipts, downloaded from the console, show 1,000 releases.
	waitFor(t, func() bool { return releasedIn(t, f.s, key) == n })
	must(t, p.Navigate(f.s.URL+"/console/receipts"))
	snap(t, p, "selfservice-import-receipts", false)
	xl := download(t, p, dir, "/console/receipts.xlsx", "receipts.xlsx")
	rx, err := excelize.OpenReader(strings.NewReader(string(xl)))
	must(t, err)
	defer rx.Close()
	rows, err := rx.GetRows("回执")
	must(t, err)
	released := 0
	for _, r := range rows {
		if len(r) > 5 && r[2] == "CEB622Message" && r[5] == "800" {
			released++
		}
	}
	if released != n {
		t.Errorf("the downloaded receipts show %d releases, want %d", released, n)
	}
	csv := download(t, p, dir, "/console/receipts.csv", "receipts.csv")
	if got := strings.Count(string(csv), ",CEB622Message,"); got < n {
		t.Errorf("the CSV holds %d inventory receipts, want at least %d", got, n)
	}
}

// releasedIn counts the enterprise's inventories released (800) in its receipts feed.
func releasedIn(t testing.TB, s *apptest.Server, key string) int {
	n, after := 0, int64(0)
	for {
		var page struct {
			Receipts []feedReceipt
			Next     int64
		}
		r := s.Do("GET", fmt.Sprintf("/api/v1/receipts?after=%d&limit=1000", after), key, "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("receipts: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &page)
		for _, rc := range page.Receipts {
			if rc.MessageType == "CEB622Message" && rc.ReturnStatus == "800" {
				n++
			}
		}
		if len(page.Receipts) == 0 {
			return n
		}
		after = page.Next
	}
}
