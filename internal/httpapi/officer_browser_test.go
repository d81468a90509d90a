package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	pngenc "image/png"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/console"
)

// Browser tests of the officers' console in headless Chromium (chromium_test.go).

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// browserLogin fills the login form like a person would and waits for the console.
func browserLogin(t *testing.T, p *tab, base, username, password string) {
	t.Helper()
	must(t, p.Navigate(base+"/console/officer/login"))
	must(t, p.Eval(fmt.Sprintf(`document.getElementById("username").value = %q; document.getElementById("password").value = %q;
		document.getElementById("login").click(); true`, username, password), nil))
}

func TestBrowserLoginAndReview(t *testing.T) {
	b := startChromium(t)
	f := newFixture(t, apptest.SQLite)
	addOfficer(t, f.s, "li.wei", console.Customs)
	held := f.newDecl()
	held.priced([]line{ink}, "0", "9.10")
	f.send(held)
	released := f.newDecl()
	f.send(released)
	if r := f.final(held.copNo); r.ReturnStatus != "300" {
		t.Fatalf("want 300, got %s", r.ReturnStatus)
	}
	f.final(released.copNo)
	inv, err := f.s.App.DB.InventoryByCopNo(context.Background(), agent, held.copNo)
	must(t, err)

	p, err := b.NewPage(1280, 800)
	must(t, err)
	// A wrong password shows the error on the login page.
	browserLogin(t, p, f.s.URL, "li.wei", "wrong-password-0")
	must(t, p.WaitFor(`document.getElementById("error") && location.pathname === "/console/officer/login"`, 5*time.Second))
	snap(t, p, "login", false)
	browserLogin(t, p, f.s.URL, "li.wei", officerPassword)
	must(t, p.WaitFor(`location.pathname === "/console/officer/" && document.getElementById("figures")`, 5*time.Second))
	var declared string
	must(t, p.Eval(`document.querySelector('[data-k="declared"]').textContent`, &declared))
	if declared != "2" {
		t.Errorf("dashboard shows %s declared today, want 2", declared)
	}
	snap(t, p, "dashboard", false)

	must(t, p.Navigate(f.s.URL+"/console/officer/reviews"))
	must(t, p.WaitFor(`document.getElementById("r-`+inv.ID+`")`, 5*time.Second))
	snap(t, p, "reviews", false)
	must(t, p.Eval(`document.querySelector("#r-`+inv.ID+` .reason").value = "墨盒为自用"; document.querySelector("#r-`+inv.ID+` .approve").click(); true`, nil))
	must(t, p.WaitFor(`location.pathname === "/console/officer/reviews" && !document.getElementById("r-`+inv.ID+`") && document.getElementById("empty")`, 5*time.Second))
	if r := f.final(held.copNo); r.ReturnStatus != "800" || code(r.ReturnInfo) != "2601" {
		t.Fatalf("after approval in the browser: %s %s", r.ReturnStatus, r.ReturnInfo)
	}
	must(t, p.Navigate(f.s.URL+"/console/officer/inventories/"+inv.ID))
	must(t, p.WaitFor(`document.getElementById("timeline").textContent.includes("(li.wei)")`, 5*time.Second))
	snap(t, p, "inventory", false)
	// English, then back to Chinese.
	must(t, p.Navigate(f.s.URL+"/console/officer/lang/en"))
	must(t, p.WaitFor(`document.body.textContent.includes("Declared today") || document.body.textContent.includes("Timeline")`, 5*time.Second))
	must(t, p.Navigate(f.s.URL+"/console/officer/lang/zh"))
}

// xrayMachine is an X-ray machine's image server on the local network, as
// plain http: it serves a generated grey-scale image for any PNG name.
func xrayMachine(t *testing.T) *httptest.Server {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 160, 100))
	for y := range 100 {
		for x := range 160 {
			img.SetGray(x, y, color.Gray{Y: uint8(40 + (x*y)%180)})
		}
	}
	var png bytes.Buffer
	must(t, pngenc.Encode(&png, img))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, ".png") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(png.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBrowserJointInspection(t *testing.T) {
	b := startChromium(t)
	xray := xrayMachine(t)
	f := newFixture(t, apptest.SQLite, func(c *config.Config) {
		c.Rules.InspectionRates["general"] = "1"
		c.Console.XrayImageBase = xray.URL + "/line1/"
	})
	ctx := context.Background()
	addOfficer(t, f.s, "admin.zhao", console.Admin)
	addOfficer(t, f.s, "li.wei", console.Customs)
	addOfficer(t, f.s, "wang.fang", console.Inspection)
	list, _ := f.s.App.Officers.Officers(ctx)
	var admin *console.Officer
	for _, o := range list {
		if o.Username == "admin.zhao" {
			admin = o
		}
	}
	sortLine, err := f.s.App.Officers.CreateLine(ctx, admin, "1号线", "保税仓A")
	must(t, err)
	token, err := f.s.App.Officers.AddScanner(ctx, admin, sortLine.ID, "X光机1")
	must(t, err)
	d := f.newDecl()
	one := milk
	one.qty, one.qty1 = "1", "0.8"
	d.priced([]line{milk, one}, "10", "55.51") // two goods lines, to compare one by one
	f.send(d)
	if r := f.final(d.copNo); r.ReturnStatus != "500" {
		t.Fatalf("want 500, got %s %s", r.ReturnStatus, r.ReturnInfo)
	}

	// The pages allow images from the X-ray machines' source and no other.
	resp, _ := rawDo(t, f.s, "GET", "/console/officer/lines/"+sortLine.ID, loginOfficer(t, f.s, "li.wei").cookie, "", "", nil)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "; img-src 'self' data: "+xray.URL+"/line1/; ") {
		t.Errorf("CSP of the screen: %s", csp)
	}
	// Two windows: a customs officer and an inspection officer, each on the line's screen.
	customs, err := b.NewPage(1280, 700)
	must(t, err)
	insp, err := b.NewPage(1280, 700)
	must(t, err)
	browserLogin(t, customs, f.s.URL, "li.wei", officerPassword)
	browserLogin(t, insp, f.s.URL, "wang.fang", officerPassword)
	for _, p := range []*tab{customs, insp} {
		must(t, p.WaitFor(`location.pathname === "/console/officer/"`, 5*time.Second))
		must(t, p.Navigate(f.s.URL+"/console/officer/lines/"+sortLine.ID))
		must(t, p.WaitFor(`document.getElementById("live") && typeof EventSource !== "undefined"`, 5*time.Second))
	}
	time.Sleep(300 * time.Millisecond) // both EventSources connected
	// The line reports two parcels: one not declared, one selected for inspection.
	for _, wb := range []string{"UNDECLARED-1", d.logisticsNo} {
		r := f.s.JSON("POST", "/api/v1/sorting-lines/"+sortLine.ID+"/scans", token, map[string]string{"logisticsNo": wb, "imageRef": wb + ".png"})
		if r.Status != http.StatusCreated {
			t.Fatalf("scan: %d %s", r.Status, r.Body)
		}
		if wb != d.logisticsNo {
			continue
		}
		var out struct{ ParcelID string }
		r.JSON(t, &out)
		row := `document.getElementById("p-` + out.ParcelID + `")`
		for _, p := range []*tab{customs, insp} {
			must(t, p.WaitFor(row+` && `+row+`.textContent.includes("`+d.copNo+`")`, 2*time.Second))
			// The X-ray image comes from the machine (http, another origin) and shows.
			if err := p.WaitFor(`(function (i) { return i && i.complete && i.naturalWidth > 0 })(`+row+`.querySelector("img"))`, 5*time.Second); err != nil {
				var src string
				_ = p.Eval(row+`.querySelector("img") ? `+row+`.querySelector("img").src : "no img"`, &src)
				t.Fatalf("the X-ray image %s does not show: %v", src, err)
			}
		}
		// Selected for inspection: marked for customs at the scan, so customs
		// may record at once; inspection marks it too, and the customs screen
		// shows that mark within a second.
		must(t, customs.WaitFor(row+`.querySelector(".marks").textContent.includes("500") && `+row+`.querySelector(".findingform")`, 2*time.Second))
		must(t, insp.Eval(row+`.querySelector(".markbtn").click(); true`, nil))
		start := time.Now()
		must(t, customs.WaitFor(row+`.querySelector(".marks").textContent.includes("wang.fang")`, time.Second))
		t.Logf("mark seen on the other screen after %s", time.Since(start).Round(time.Millisecond))
		snap(t, customs, "joint-customs-screen", false)
		must(t, insp.WaitFor(row+` && `+row+`.querySelector(".findingform")`, 2*time.Second))
		snap(t, insp, "joint-inspection-screen", false)
		// The detention code is picked, with its label, only for a detention.
		pickerShown := func() bool {
			var shown bool
			must(t, customs.Eval(`(function (f) { var s = f.querySelector(".statussel"); return !!s && s.offsetParent !== null && s.labels.length === 1 && s.labels[0].offsetParent !== null })(`+row+`.querySelector(".findingform"))`, &shown))
			return shown
		}
		if pickerShown() {
			t.Error("the detention code picker shows for a release")
		}
		must(t, customs.Eval(row+`.querySelector(".findingform select[name=result]").value = "detain"; `+row+`.querySelector(".findingform select[name=result]").dispatchEvent(new Event("change")); true`, nil))
		if !pickerShown() {
			t.Error("the detention code picker does not show for a detention")
		}
		var options string
		must(t, customs.Eval(`Array.from(`+row+`.querySelectorAll(".statussel option")).map(function (o) { return o.value + " " + o.textContent }).join("|")`, &options))
		if want := "501 501 扣留移送通关|502 502 扣留移送缉私|503 503 扣留移送法规|599 599 其它扣留"; options != want {
			t.Errorf("detention codes: %q, want %q", options, want)
		}
		must(t, customs.Eval(row+`.querySelector(".findingform select[name=result]").value = "release"; `+row+`.querySelector(".findingform select[name=result]").dispatchEvent(new Event("change")); true`, nil))
		if pickerShown() {
			t.Error("the detention code picker stays for a release")
		}
		must(t, customs.Eval(row+`.querySelector(".findingform input").value = "实物与申报一致"; `+row+`.querySelector(".recordbtn").click(); true`, nil))
		must(t, customs.WaitFor(row+`.querySelector(".findings").textContent.includes("li.wei")`, 2*time.Second))
		must(t, insp.Eval(row+`.querySelector(".recordbtn").click(); true`, nil))
		for _, p := range []*tab{customs, insp} {
			must(t, p.WaitFor(row+`.querySelector(".outcome").textContent === "800"`, 2*time.Second))
		}
		snap(t, customs, "joint-released", false)
	}
	rc := f.final(d.copNo)
	if rc.ReturnStatus != "800" || !strings.Contains(rc.ReturnInfo, "joint inspection") {
		t.Fatalf("receipt after the joint inspection: %s %s", rc.ReturnStatus, rc.ReturnInfo)
	}

	// The four documents side by side: the goods line by line, and no
	// highlight on what each message has of its own (guid, appTime).
	inv, err := f.s.App.DB.InventoryByCopNo(ctx, agent, d.copNo)
	must(t, err)
	must(t, customs.Navigate(f.s.URL+"/console/officer/inventories/"+inv.ID))
	must(t, customs.WaitFor(`document.getElementById("docs")`, 5*time.Second))
	var text string
	must(t, customs.Eval(`Array.from(document.querySelectorAll("#docs tr")).slice(1).map(function (r) {
		return (r.className === "diff" ? "! " : "  ") + Array.from(r.cells).map(function (c) { return c.textContent }).join(" | ") }).join("\n")`, &text))
	rows := strings.Split(text, "\n")
	table := text
	for _, want := range []string{"  lines[1].gnum | 1 | 1 |  | ", "  lines[1].qty | 2 | 2 |  | ", "  lines[2].qty | 1 | 1 |  | ", "  lines[2].totalPrice | 200.00 | 200.00 |  | "} {
		if !strings.Contains(table, want) {
			t.Errorf("the comparison lacks the row %q:\n%s", want, table)
		}
	}
	for _, line := range rows {
		if strings.HasPrefix(line, "! guid") || strings.HasPrefix(line, "! appTime") || strings.Contains(line, "| [") {
			t.Errorf("comparison row %q", line)
		}
	}
	must(t, customs.Eval(`Array.from(document.querySelectorAll("#docs th")).find(function (h) { return h.textContent === "insuredFee" }).scrollIntoView(); true`, nil))
	snap(t, customs, "inventory-documents", false)
	_ = strconv.Itoa
}
