package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/console"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

const officerPassword = "correct-horse-battery"

// officer is a browser-like client of the officers' console: it keeps the
// session cookie and does not follow redirects.
type consoleUser struct {
	t      testing.TB
	s      *apptest.Server
	cookie string
}

func addOfficer(t testing.TB, s *apptest.Server, username, dept string) {
	t.Helper()
	if _, err := s.App.Officers.AddOfficer(context.Background(), console.OfficerInput{Username: username, Name: "官员 " + username,
		Department: dept, Password: officerPassword}, nil); err != nil {
		t.Fatal(err)
	}
}

func rawDo(t testing.TB, s *apptest.Server, method, path, cookie, ctype string, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if cookie != "" {
		req.Header.Set("Cookie", "cbec_officer="+cookie)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func loginOfficer(t testing.TB, s *apptest.Server, username string) *consoleUser {
	t.Helper()
	resp, body := rawDo(t, s, "POST", "/console/officer/login", "", "application/x-www-form-urlencoded",
		url.Values{"username": {username}, "password": {officerPassword}}.Encode(), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %d %s", username, resp.StatusCode, body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "cbec_officer" {
			if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/console/officer" {
				t.Errorf("session cookie attributes: %+v", c)
			}
			return &consoleUser{t: t, s: s, cookie: c.Value}
		}
	}
	t.Fatalf("login %s: no session cookie", username)
	return nil
}

func (o *consoleUser) get(path string) (int, string) {
	resp, body := rawDo(o.t, o.s, "GET", path, o.cookie, "", "", nil)
	return resp.StatusCode, body
}

func (o *consoleUser) form(path string, v url.Values) (int, string) {
	resp, body := rawDo(o.t, o.s, "POST", path, o.cookie, "application/x-www-form-urlencoded", v.Encode(), nil)
	return resp.StatusCode, body
}

func (o *consoleUser) json(path string, v any, out any) int {
	b, _ := json.Marshal(v)
	resp, body := rawDo(o.t, o.s, "POST", path, o.cookie, "application/json", string(b), nil)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal([]byte(body), out); err != nil {
			o.t.Fatalf("%s: %v %s", path, err, body)
		}
	}
	if resp.StatusCode >= 300 {
		o.t.Logf("%s: %d %s", path, resp.StatusCode, body)
	}
	return resp.StatusCode
}

func TestOfficerLoginSessionsAndAudit(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		s := apptest.Start(t, engine)
		addOfficer(t, s, "li.wei", console.Customs)
		addOfficer(t, s, "admin.zhao", console.Admin)
		addOfficer(t, s, "locked.one", console.Market)

		// No session: the pages send to the login form, the JSON endpoints answer 401.
		if resp, _ := rawDo(t, s, "GET", "/console/officer/", "", "", "", nil); resp.StatusCode != 303 || resp.Header.Get("Location") != "/console/officer/login" {
			t.Fatalf("no session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := rawDo(t, s, "GET", "/console/officer/api/dashboard", "forged", "", "", nil); resp.StatusCode != 401 {
			t.Fatalf("forged session: %d", resp.StatusCode)
		}
		// Throttling: five failures lock the username, even for the right password.
		for i := 0; i < 5; i++ {
			resp, _ := rawDo(t, s, "POST", "/console/officer/login", "", "application/x-www-form-urlencoded", "username=locked.one&password=wrong-password-123", nil)
			if resp.StatusCode != 401 {
				t.Fatalf("failure %d: %d", i, resp.StatusCode)
			}
		}
		resp, body := rawDo(t, s, "POST", "/console/officer/login", "", "application/x-www-form-urlencoded", "username=locked.one&password="+officerPassword, nil)
		if resp.StatusCode != 429 || !strings.Contains(body, "too many failed logins") {
			t.Fatalf("locked: %d %s", resp.StatusCode, body)
		}

		c := loginOfficer(t, s, "li.wei")
		if st, body := c.get("/console/officer/"); st != 200 || !strings.Contains(body, "今日申报") || strings.Contains(body, "审计日志") {
			t.Fatalf("dashboard: %d %s", st, body)
		}
		if st, _ := c.get("/console/officer/audit"); st != 403 {
			t.Errorf("customs reading the audit log: %d, want 403", st)
		}
		// A cross-origin post is refused before anything happens.
		if resp, _ := rawDo(t, s, "POST", "/console/officer/logout", c.cookie, "", "", map[string]string{"Sec-Fetch-Site": "cross-site"}); resp.StatusCode != 403 {
			t.Errorf("cross-site logout: %d, want 403", resp.StatusCode)
		}
		// English on request.
		if _, body := rawDo(t, s, "GET", "/console/officer/", "", "", "", map[string]string{"Cookie": "cbec_officer=" + c.cookie + "; cbec_officer_lang=en"}); !strings.Contains(body, "Declared today") {
			t.Errorf("English dashboard: %s", body)
		}
		if st, _ := c.get("/console/officer/lang/en"); st != 303 {
			t.Errorf("lang: %d", st)
		}

		a := loginOfficer(t, s, "admin.zhao")
		var created console.Officer
		if st := a.json("/console/officer/api/officers", map[string]string{"username": "wang.fang", "name": "王芳", "department": "inspection", "password": "short"}, nil); st != 400 {
			t.Errorf("short password: %d", st)
		}
		if st := a.json("/console/officer/api/officers", map[string]string{"username": "wang.fang", "name": "王芳", "department": "inspection", "password": officerPassword}, &created); st != 201 || created.Department != "inspection" {
			t.Fatalf("create officer: %d %+v", st, created)
		}
		if st := c.json("/console/officer/api/officers", map[string]string{"username": "x.y", "name": "x", "department": "admin", "password": officerPassword}, nil); st != 403 {
			t.Errorf("customs creating an officer: %d", st)
		}
		if st, _ := c.form("/console/officer/logout", nil); st != 303 {
			t.Errorf("logout: %d", st)
		}
		if resp, _ := rawDo(t, s, "GET", "/console/officer/api/dashboard", c.cookie, "", "", nil); resp.StatusCode != 401 {
			t.Errorf("session after logout: %d", resp.StatusCode)
		}
		// The audit log has it all, as JSON and CSV, and refuses changes.
		var log struct{ Entries []console.AuditEntry }
		_, body = a.get("/console/officer/api/audit?limit=100")
		if err := json.Unmarshal([]byte(body), &log); err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, e := range log.Entries {
			actions[e.Action]++
		}
		if actions["login.failed"] != 5 || actions["login"] != 2 || actions["logout"] != 1 || actions["officer.add"] != 4 {
			t.Errorf("audit actions: %v", actions)
		}
		if st, csv := a.get("/console/officer/audit.csv"); st != 200 || !strings.HasPrefix(csv, "seq,at,officer_id") || !strings.Contains(csv, "wang.fang") {
			t.Errorf("csv: %d %s", st, csv)
		}
		for _, q := range []string{`UPDATE officer_audit SET action = 'nothing'`, `DELETE FROM officer_audit`} {
			err := s.App.DB.InTx(context.Background(), func(tx *store.Tx) error { _, err := tx.Exec(context.Background(), q); return err })
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("the audit log accepted %q: %v", q, err)
			}
		}
	})
}

// reviewFixture declares printer ink (named goods: manual review, 300).
func TestOfficerApprovesManualReview(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		addOfficer(t, f.s, "li.wei", console.Customs)
		addOfficer(t, f.s, "shang.wu", console.Commerce)
		held, other := f.newDecl(), f.newDecl()
		held.priced([]line{ink}, "0", "9.10")
		other.priced([]line{ink}, "0", "9.10")
		f.send(held)
		f.send(other)
		if r := f.final(held.copNo); r.ReturnStatus != "300" {
			t.Fatalf("want 300, got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		f.final(other.copNo)
		inv, err := f.s.App.DB.InventoryByCopNo(context.Background(), agent, held.copNo)
		if err != nil {
			t.Fatal(err)
		}
		c := loginOfficer(t, f.s, "li.wei")
		st, body := c.get("/console/officer/reviews")
		if st != 200 || !strings.Contains(body, held.copNo) {
			t.Fatalf("queue: %d %s", st, body)
		}
		m := loginOfficer(t, f.s, "shang.wu")
		if st, _ := m.form("/console/officer/reviews/"+inv.ID, url.Values{"action": {"approve"}}); st != 403 {
			t.Errorf("commerce approving: %d", st)
		}
		if st, body := c.form("/console/officer/reviews/"+inv.ID, url.Values{"action": {"reject"}}); st != 400 || !strings.Contains(body, "reason") {
			t.Errorf("reject without reason: %d %s", st, body)
		}
		if st, _ := c.form("/console/officer/reviews/"+inv.ID, url.Values{"action": {"approve"}, "reason": {"墨盒为自用"}}); st != 303 {
			t.Fatalf("approve: %d", st)
		}
		r := f.final(held.copNo)
		if r.ReturnStatus != "800" || code(r.ReturnInfo) != "2601" {
			t.Fatalf("after approval: %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		if st, body := c.form("/console/officer/reviews/"+inv.ID, url.Values{"action": {"approve"}}); st != 409 {
			t.Errorf("approving twice: %d %s", st, body)
		}
		// The detail page: timeline with the officer, the documents side by side, masked.
		st, body = c.get("/console/officer/inventories/" + inv.ID)
		if st != 200 || !regexp.MustCompile(`customs decision dec_[0-9a-f]{20} \(li.wei\)`).MatchString(body) || !strings.Contains(body, `id="docs"`) {
			t.Fatalf("detail: %d %s", st, body)
		}
		if strings.Contains(body, held.buyerID) || strings.Contains(body, held.phone) {
			t.Error("detail shows personal data in clear")
		}
		if st, _ := m.form("/console/officer/inventories/"+inv.ID+"/unmask", nil); st != 403 {
			t.Errorf("commerce unmasking: %d", st)
		}
		st, body = c.form("/console/officer/inventories/"+inv.ID+"/unmask", nil)
		if st != 200 || !strings.Contains(body, held.buyerID) {
			t.Errorf("unmask: %d", st)
		}
		if st, body := c.get("/console/officer/inventories?q=" + held.logisticsNo); st != 200 || !strings.Contains(body, held.copNo) || strings.Contains(body, other.copNo) {
			t.Errorf("search by waybill: %d", st)
		}
		for path, want := range map[string]int{"/console/officer/risk/rules": 200, "/console/officer/risk/measures": 200, "/console/officer/credit": 200,
			"/console/officer/enterprises": 200, "/console/officer/risk/rules/NOSUCH/dry-run": 404, "/console/officer/risk/rules/NOSUCH/dry-run?days=0": 400,
			"/console/officer/books": 200, "/console/officer/books?emsNo=NOSUCH": 404, "/console/officer/returns": 400, "/console/officer/returns?invtNo=NOSUCH": 200} {
			if st, body := c.get(path); st != want {
				t.Errorf("%s: %d, want %d %s", path, st, want, body)
			}
		}
		if st, body := c.get("/console/officer/enterprises"); !strings.Contains(body, agent) {
			t.Errorf("enterprises page lacks %s: %d", agent, st)
		}
		if st, _ := m.get("/console/officer/risk/rules"); st != 403 {
			t.Errorf("commerce reading risk rules: %d", st)
		}
		var figures console.Figures
		_, body = c.get("/console/officer/api/dashboard")
		if err := json.Unmarshal([]byte(body), &figures); err != nil || figures.Declared != 2 || figures.Released != 1 {
			t.Errorf("dashboard: %s", body)
		}
		var log []console.AuditEntry
		log, _ = f.s.App.Officers.AuditLog(context.Background(), "li.wei", "", 0)
		found := map[string]bool{}
		for _, e := range log {
			found[e.Action] = true
		}
		if !found["review.approve"] || !found["inventory.unmask"] {
			t.Errorf("audit: %+v", log)
		}
	})
}

func TestJointInspectionTwoScreens(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine, func(c *config.Config) { c.Rules.InspectionRates["general"] = "1" })
		ctx := context.Background()
		addOfficer(t, f.s, "admin.zhao", console.Admin)
		addOfficer(t, f.s, "li.wei", console.Customs)
		addOfficer(t, f.s, "wang.fang", console.Inspection)
		admin := loginOfficer(t, f.s, "admin.zhao")
		svc := f.s.App.Officers
		var adminOff *console.Officer
		list, _ := svc.Officers(ctx)
		for _, o := range list {
			if o.Username == "admin.zhao" {
				adminOff = o
			}
		}
		line, err := svc.CreateLine(ctx, adminOff, "1号线", "保税仓A")
		if err != nil {
			t.Fatal(err)
		}
		st, body := admin.form("/console/officer/lines/"+line.ID+"/scanners", url.Values{"name": {"X光机1"}})
		if st != 201 {
			t.Fatalf("scanner: %d %s", st, body)
		}
		token := body[strings.Index(body, `id="token">`)+len(`id="token">`):]
		token = token[:strings.Index(token, "<")]

		d := f.newDecl()
		f.send(d)
		if r := f.final(d.copNo); r.ReturnStatus != "500" {
			t.Fatalf("want 500, got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		customs, insp := loginOfficer(t, f.s, "li.wei"), loginOfficer(t, f.s, "wang.fang")
		cs, is := apptest.OpenScreen(t, f.s.URL, customs.cookie, line.ID), apptest.OpenScreen(t, f.s.URL, insp.cookie, line.ID)

		// Bad scans: no token, unknown waybill field missing.
		if r := f.s.JSON("POST", "/api/v1/sorting-lines/"+line.ID+"/scans", "", map[string]string{"logisticsNo": d.logisticsNo}); r.Status != 401 {
			t.Errorf("scan without token: %d", r.Status)
		}
		if r := f.s.JSON("POST", "/api/v1/sorting-lines/"+line.ID+"/scans", token, map[string]string{"imageRef": "x"}); r.Status != 400 || !strings.Contains(string(r.Body), "logisticsNo") {
			t.Errorf("scan without waybill: %d %s", r.Status, r.Body)
		}
		// A parcel not selected: nobody marks it, it passes.
		r := f.s.JSON("POST", "/api/v1/sorting-lines/"+line.ID+"/scans", token, map[string]string{"logisticsNo": "UNKNOWN-1", "imageRef": "/img/1.png"})
		if r.Status != 201 || !strings.Contains(string(r.Body), `"divert":"pass"`) {
			t.Fatalf("scan: %d %s", r.Status, r.Body)
		}
		cs.Next(t, "scan")
		is.Next(t, "scan")

		r = f.s.JSON("POST", "/api/v1/sorting-lines/"+line.ID+"/scans", token, map[string]string{"logisticsNo": d.logisticsNo, "imageRef": "/img/2.png"})
		var scanned struct{ ParcelID, Divert string }
		r.JSON(t, &scanned)
		if r.Status != 201 || scanned.Divert != "inspect" {
			t.Fatalf("scan of the selected parcel: %d %s", r.Status, r.Body)
		}
		for _, sc := range []*apptest.Screen{cs, is} {
			ev := sc.Next(t, "scan")
			if ev.Parcel.Summary == nil || ev.Parcel.Summary.CopNo != d.copNo || ev.Parcel.Divert != "inspect" || len(ev.Parcel.Summary.Goods) != 1 {
				t.Fatalf("screen event: %+v", ev.Parcel)
			}
		}
		if st := insp.json("/console/officer/parcels/"+scanned.ParcelID+"/finding", map[string]string{"result": "release"}, nil); st != 409 {
			t.Errorf("finding before marking: %d", st)
		}
		// Customs marks it; the inspection screen sees the mark; inspection marks it too.
		if st := customs.json("/console/officer/parcels/"+scanned.ParcelID+"/mark", map[string]string{"note": "密度异常"}, nil); st != 200 {
			t.Fatalf("customs mark: %d", st)
		}
		if ev := is.Next(t, "mark"); !strings.Contains(ev.Parcel.CustomsMark, "li.wei") {
			t.Errorf("mark seen by inspection: %+v", ev.Parcel)
		}
		cs.Next(t, "mark") // its own mark
		if st := insp.json("/console/officer/parcels/"+scanned.ParcelID+"/mark", map[string]string{"note": "图像可疑"}, nil); st != 200 {
			t.Fatalf("mark: %d", st)
		}
		if ev := cs.Next(t, "mark"); !strings.Contains(ev.Parcel.InspectionMark, "wang.fang") {
			t.Errorf("mark seen by customs: %+v", ev.Parcel)
		}
		var div struct{ Divert, Outcome string }
		f.s.Do("GET", "/api/v1/sorting-lines/"+line.ID+"/parcels/"+scanned.ParcelID+"/divert", token, "", nil).JSON(t, &div)
		if div.Divert != "inspect" || div.Outcome != "" {
			t.Errorf("divert: %+v", div)
		}
		if st := customs.json("/console/officer/parcels/"+scanned.ParcelID+"/finding", map[string]string{"result": "detain", "status": "504"}, nil); st != 400 {
			t.Errorf("bad detention status: %d", st)
		}
		// Customs records; nothing is decided until inspection has too.
		if st := customs.json("/console/officer/parcels/"+scanned.ParcelID+"/finding", map[string]string{"result": "release"}, nil); st != 200 {
			t.Fatalf("customs finding: %d", st)
		}
		if ev := is.Next(t, "finding"); ev.Parcel.Outcome != "" || ev.Parcel.Customs == nil {
			t.Errorf("after one finding: %+v", ev.Parcel)
		}
		if inv, _ := f.s.App.DB.InventoryByCopNo(ctx, agent, d.copNo); inv.Status != "500" {
			t.Fatalf("decided before both sides recorded: %s", inv.Status)
		}
		var p console.Parcel
		if st := insp.json("/console/officer/parcels/"+scanned.ParcelID+"/finding", map[string]string{"result": "release", "note": "实物与申报一致"}, &p); st != 200 || p.Outcome != "800" {
			t.Fatalf("inspection finding: %d %+v", st, p)
		}
		for _, sc := range []*apptest.Screen{cs, is} {
			if ev := sc.Next(t, "decided"); ev.Parcel.Outcome != "800" {
				t.Errorf("decided: %+v", ev.Parcel)
			}
		}
		rc := f.final(d.copNo)
		if rc.ReturnStatus != "800" || code(rc.ReturnInfo) != "2601" || !strings.Contains(rc.ReturnInfo, "joint inspection") {
			t.Fatalf("receipt: %s %s", rc.ReturnStatus, rc.ReturnInfo)
		}
		if st := customs.json("/console/officer/parcels/"+scanned.ParcelID+"/mark", map[string]string{}, nil); st != 409 {
			t.Errorf("marking a decided parcel: %d", st)
		}
		if st, body := customs.get("/console/officer/lines/" + line.ID); st != 200 || !strings.Contains(body, d.logisticsNo) {
			t.Errorf("screen page: %d", st)
		}

		// Two sides recording at the same moment: whichever commits last decides;
		// a detention wins over a release.
		d2 := f.newDecl()
		f.send(d2)
		f.final(d2.copNo)
		r = f.s.JSON("POST", "/api/v1/sorting-lines/"+line.ID+"/scans", token, map[string]string{"logisticsNo": d2.logisticsNo, "imageRef": "/img/3.png"})
		r.JSON(t, &scanned)
		for _, o := range []*consoleUser{customs, insp} {
			if st := o.json("/console/officer/parcels/"+scanned.ParcelID+"/mark", map[string]string{}, nil); st != 200 {
				t.Fatalf("mark: %d", st)
			}
		}
		var wg sync.WaitGroup
		for i, o := range []*consoleUser{customs, insp} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := map[string]string{"result": "release"}
				if i == 1 {
					in = map[string]string{"result": "detain", "status": "502", "note": "夹带未申报物品"}
				}
				if st := o.json("/console/officer/parcels/"+scanned.ParcelID+"/finding", in, nil); st != 200 {
					t.Errorf("concurrent finding %d: %d", i, st)
				}
			}()
		}
		wg.Wait()
		if p, err := f.s.App.Officers.Parcel(ctx, scanned.ParcelID); err != nil || p.Outcome != "502" {
			t.Fatalf("after concurrent findings: %+v %v", p, err)
		}
		if rc := f.final(d2.copNo); rc.ReturnStatus != "502" || code(rc.ReturnInfo) != "2510" {
			t.Errorf("detention receipt: %s %s", rc.ReturnStatus, rc.ReturnInfo)
		}
	})
}

// jointLine is a sorting line with a scanner, a customs and an inspection
// officer signed in, and an inventory selected for inspection (500).
type jointLine struct {
	f              *fixture
	line, token    string
	customs, insp  *consoleUser
	selected       *decl
	customsOfficer *console.Officer
}

func newJointLine(t *testing.T, engine apptest.Engine) *jointLine {
	t.Helper()
	f := newFixture(t, engine, func(c *config.Config) { c.Rules.InspectionRates["general"] = "1" })
	ctx := context.Background()
	addOfficer(t, f.s, "admin.zhao", console.Admin)
	addOfficer(t, f.s, "li.wei", console.Customs)
	addOfficer(t, f.s, "wang.fang", console.Inspection)
	j := &jointLine{f: f}
	list, _ := f.s.App.Officers.Officers(ctx)
	var admin *console.Officer
	for _, o := range list {
		switch o.Username {
		case "admin.zhao":
			admin = o
		case "li.wei":
			j.customsOfficer = o
		}
	}
	line, err := f.s.App.Officers.CreateLine(ctx, admin, "1号线", "保税仓A")
	if err != nil {
		t.Fatal(err)
	}
	j.line = line.ID
	if j.token, err = f.s.App.Officers.AddScanner(ctx, admin, line.ID, "X光机1"); err != nil {
		t.Fatal(err)
	}
	j.selected = f.newDecl()
	f.send(j.selected)
	if r := f.final(j.selected.copNo); r.ReturnStatus != "500" {
		t.Fatalf("want 500, got %s %s", r.ReturnStatus, r.ReturnInfo)
	}
	j.customs, j.insp = loginOfficer(t, f.s, "li.wei"), loginOfficer(t, f.s, "wang.fang")
	return j
}

// scan reports a parcel passing the line's scanner and returns its id.
func (j *jointLine) scan(t *testing.T, logisticsNo string) string {
	t.Helper()
	r := j.f.s.JSON("POST", "/api/v1/sorting-lines/"+j.line+"/scans", j.token, map[string]string{"logisticsNo": logisticsNo, "imageRef": "/img/1.png"})
	var out struct{ ParcelID string }
	r.JSON(t, &out)
	if r.Status != http.StatusCreated || out.ParcelID == "" {
		t.Fatalf("scan %s: %d %s", logisticsNo, r.Status, r.Body)
	}
	return out.ParcelID
}

// An inventory selected for inspection (500) is a customs instruction: its
// parcel is marked for customs at the scan, so customs records a finding
// without marking, and the parcel is decided once customs has.
func TestJointSelectedParcelMarkedForCustoms(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		j := newJointLine(t, engine)
		id := j.scan(t, j.selected.logisticsNo)
		p, err := j.f.s.App.Officers.Parcel(context.Background(), id)
		if err != nil || p.Divert != "inspect" || p.CustomsMark == "" || p.InspectionMark != "" {
			t.Fatalf("selected parcel after the scan: %+v %v", p, err)
		}
		if st := j.insp.json("/console/officer/parcels/"+id+"/finding", map[string]string{"result": "release"}, nil); st != http.StatusConflict {
			t.Errorf("inspection recording without a mark: %d, want 409", st)
		}
		var out console.Parcel
		if st := j.customs.json("/console/officer/parcels/"+id+"/finding", map[string]string{"result": "release"}, &out); st != 200 || out.Outcome != "800" {
			t.Fatalf("customs finding on the selected parcel: %d %+v", st, out)
		}
		if rc := j.f.final(j.selected.copNo); rc.ReturnStatus != "800" {
			t.Errorf("receipt: %s %s", rc.ReturnStatus, rc.ReturnInfo)
		}
	})
}

// A side's finding is final for that side: recording again is refused and
// changes nothing, until a supervisor of that side reopens it (audited with
// the finding before and the reason after); then the side records anew.
func TestJointFindingFinalUntilSupervisorReopens(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		j := newJointLine(t, engine)
		ctx := context.Background()
		svc := j.f.s.App.Officers
		for _, sup := range []struct{ user, dept string }{{"chen.sup", console.Customs}, {"zhou.sup", console.Inspection}} {
			if _, err := svc.AddOfficer(ctx, console.OfficerInput{Username: sup.user, Name: "科长 " + sup.user, Department: sup.dept,
				Password: officerPassword, Supervisor: true}, nil); err != nil {
				t.Fatal(err)
			}
		}
		chief, inspChief := loginOfficer(t, j.f.s, "chen.sup"), loginOfficer(t, j.f.s, "zhou.sup")
		id := j.scan(t, j.selected.logisticsNo)
		if st := j.insp.json("/console/officer/parcels/"+id+"/mark", map[string]string{"note": "图像可疑"}, nil); st != 200 {
			t.Fatalf("inspection mark: %d", st)
		}
		finding := "/console/officer/parcels/" + id + "/finding"
		reopen := "/console/officer/parcels/" + id + "/reopen"
		if st := j.customs.json(finding, map[string]string{"result": "release"}, nil); st != 200 {
			t.Fatalf("customs finding: %d", st)
		}
		if st := j.customs.json(finding, map[string]string{"result": "return", "note": "改为退运"}, nil); st != http.StatusConflict {
			t.Errorf("recording a second finding: %d, want 409", st)
		}
		if p, _ := svc.Parcel(ctx, id); p.Customs == nil || p.Customs.Result != "release" {
			t.Fatalf("the refused second finding changed the first: %+v", p.Customs)
		}
		// Only a supervisor reopens, their own side's finding, with a reason.
		if st := j.customs.json(reopen, map[string]string{"reason": "复核"}, nil); st != http.StatusForbidden {
			t.Errorf("a customs officer reopening: %d, want 403", st)
		}
		if st := inspChief.json(reopen, map[string]string{"reason": "复核"}, nil); st != http.StatusConflict {
			t.Errorf("an inspection supervisor reopening where inspection has no finding: %d, want 409", st)
		}
		if st := chief.json(reopen, map[string]string{"reason": " "}, nil); st != http.StatusBadRequest {
			t.Errorf("reopening without a reason: %d, want 400", st)
		}
		if p, _ := svc.Parcel(ctx, id); p.Customs == nil {
			t.Fatal("a refused reopening removed the finding")
		}
		var p console.Parcel
		if st := chief.json(reopen, map[string]string{"reason": "图像复核发现夹层"}, &p); st != 200 || p.Customs != nil {
			t.Fatalf("supervisor reopening: %d %+v", st, p.Customs)
		}
		if st := j.customs.json(finding, map[string]string{"result": "return", "note": "夹层藏匿"}, nil); st != 200 {
			t.Fatalf("recording after the reopening: %d", st)
		}
		var got []string
		log, err := svc.AuditLog(ctx, "", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		for i := len(log) - 1; i >= 0; i-- {
			if e := log[i]; e.Object == id && e.Action != "parcel.mark" {
				got = append(got, e.Action+" "+e.Username+" ["+e.Before+"] → ["+e.After+"]")
			}
		}
		want := []string{
			"parcel.finding li.wei [] → [customs: release]",
			"parcel.reopen chen.sup [customs: release] → [reopened: 图像复核发现夹层]",
			"parcel.finding li.wei [] → [customs: return: 夹层藏匿]",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("audit of the findings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// Once the parcel is decided, nothing is reopened.
		if st := j.insp.json(finding, map[string]string{"result": "release"}, &p); st != 200 || p.Outcome != "100" {
			t.Fatalf("inspection finding: %d %+v", st, p)
		}
		if st := chief.json(reopen, map[string]string{"reason": "晚了"}, nil); st != http.StatusConflict {
			t.Errorf("reopening a decided parcel: %d, want 409", st)
		}
	})
}

// Logging out ends the screens of that session at once: a parcel scanned
// after the logout never reaches them, while another officer's screen goes on.
func TestJointLogoutEndsScreens(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		j := newJointLine(t, engine)
		gone := apptest.OpenScreen(t, j.f.s.URL, j.customs.cookie, j.line)
		stays := apptest.OpenScreen(t, j.f.s.URL, j.insp.cookie, j.line)
		resp, body := rawDo(t, j.f.s, "POST", "/console/officer/logout", j.customs.cookie, "application/x-www-form-urlencoded", "", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %d %s", resp.StatusCode, body)
		}
		j.scan(t, j.selected.logisticsNo)
		if ev := stays.Next(t, "scan"); ev.Parcel.LogisticsNo != j.selected.logisticsNo {
			t.Errorf("the other screen: %+v", ev.Parcel)
		}
		parcel := func(ev console.Event) {
			if ev.Parcel != nil { // the stream's "ended" notice carries none
				t.Fatalf("a logged-out screen received %s of %s", ev.Type, ev.Parcel.LogisticsNo)
			}
		}
		for {
			select {
			case ev := <-gone.Events:
				parcel(ev)
			case <-gone.Closed:
				for len(gone.Events) > 0 {
					parcel(<-gone.Events)
				}
				return
			case <-time.After(10 * time.Second):
				t.Fatal("the logged-out screen's stream is still open")
			}
		}
	})
}

// Enterprises learn which department decided and the decision's id, never the
// officer: not in the receipt, not in the inventory's events. The audit log
// ties the decision id to the officer.
func TestOfficerDecisionsNameDepartmentNotPerson(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		j := newJointLine(t, engine)
		f, ctx := j.f, context.Background()
		people := []string{"li.wei", "wang.fang", "官员"}
		seenBy := func(copNo string) string {
			t.Helper()
			rc := f.final(copNo)
			r := f.s.Do("GET", "/api/v1/inventories/"+copNo, f.keys[agent], "", nil)
			if r.Status != 200 {
				t.Fatalf("inventory %s: %d %s", copNo, r.Status, r.Body)
			}
			seen := rc.ReturnInfo + "\n" + string(r.Body)
			for _, name := range people {
				if strings.Contains(seen, name) {
					t.Errorf("the enterprise sees the officer %q:\n%s", name, seen)
				}
			}
			return rc.ReturnInfo
		}
		decision := regexp.MustCompile(`dec_[0-9a-f]{20}`)
		audited := func(action, id string) {
			t.Helper()
			log, err := f.s.App.Officers.AuditLog(ctx, "", action, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range log {
				if strings.Contains(e.After, id) && e.Username != "" {
					return
				}
			}
			t.Errorf("no %s audit entry names decision %s: %+v", action, id, log)
		}

		// A manual review approved without a reason.
		held := f.newDecl()
		held.priced([]line{ink}, "0", "9.10")
		f.send(held)
		if r := f.final(held.copNo); r.ReturnStatus != "300" {
			t.Fatalf("want 300, got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		inv, err := f.s.App.DB.InventoryByCopNo(ctx, agent, held.copNo)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := j.customs.form("/console/officer/reviews/"+inv.ID, url.Values{"action": {"approve"}}); st != 303 {
			t.Fatalf("approve: %d", st)
		}
		info := seenBy(held.copNo)
		id := decision.FindString(info)
		if !strings.Contains(info, "customs") || id == "" {
			t.Errorf("approval receipt names no department and decision: %q", info)
		}
		audited("review.approve", id)

		// A joint inspection with notes from both sides.
		pid := j.scan(t, j.selected.logisticsNo)
		if st := j.insp.json("/console/officer/parcels/"+pid+"/mark", map[string]string{"note": "图像可疑"}, nil); st != 200 {
			t.Fatalf("mark: %d", st)
		}
		j.customs.json("/console/officer/parcels/"+pid+"/finding", map[string]string{"result": "release", "note": "外包装完好"}, nil)
		var p console.Parcel
		if st := j.insp.json("/console/officer/parcels/"+pid+"/finding", map[string]string{"result": "return", "note": "标签不符"}, &p); st != 200 || p.Outcome != "100" {
			t.Fatalf("inspection finding: %d %+v", st, p)
		}
		info = seenBy(j.selected.copNo)
		id = decision.FindString(info)
		if !strings.Contains(info, "inspection: 标签不符") || !strings.Contains(info, "customs: 外包装完好") || id == "" {
			t.Errorf("joint inspection receipt: %q", info)
		}
		audited("parcel.decide", id)
	})
}

// The two sides of a joint inspection may settle the same decision at the
// same moment, each having seen both findings: the second must find the
// inventory already where the first put it and leave it, in the engine's
// transaction, not fail on a transition from that status to itself (the
// race TestJointInspectionTwoScreens met on PostgreSQL under load).
func TestJointDecisionSettledTwiceIsSettledOnce(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		j := newJointLine(t, engine)
		ctx := context.Background()
		inv, err := j.f.s.App.DB.InventoryByCopNo(ctx, agent, j.selected.copNo)
		if err != nil || inv.Status != "500" {
			t.Fatalf("selected inventory: %+v %v", inv, err)
		}
		detain := clearance.Finding{Code: "2510", Detail: "joint inspection, decision dec_test"}
		eng := j.f.s.App.Engine
		if _, err := eng.TransitionUnlessThere(ctx, inv.ID, "502", detain, "customs decision dec_test"); err != nil {
			t.Fatalf("first side's settling: %v", err)
		}
		events, _ := j.f.s.App.DB.Events(ctx, inv.ID)
		again, err := eng.TransitionUnlessThere(ctx, inv.ID, "502", detain, "inspection decision dec_test")
		if err != nil || again.Status != "502" {
			t.Fatalf("second side's settling of the same decision: %+v %v", again, err)
		}
		if after, _ := j.f.s.App.DB.Events(ctx, inv.ID); len(after) != len(events) {
			t.Errorf("the second settling added steps: %d → %d", len(events), len(after))
		}
		// An officer's own transition to where the inventory is stays refused.
		if _, err := eng.Transition(ctx, inv.ID, "502", detain, "officer"); errs.KindOf(err) != errs.Conflict {
			t.Errorf("Transition 502 → 502: %v, want a conflict", err)
		}
		if rc := j.f.final(j.selected.copNo); rc.ReturnStatus != "502" {
			t.Errorf("receipt: %s %s", rc.ReturnStatus, rc.ReturnInfo)
		}
	})
}
