package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/config"
)

const officer = "张警官"

// admin sends a JSON request with the admin token and checks the status.
func (f *fixture) admin(method, path string, body any, want int) *apptest.Response {
	f.t.Helper()
	r := f.s.JSON(method, path, apptest.AdminToken, body)
	if r.Status != want {
		f.t.Fatalf("%s %s: want %d, got %d %s", method, path, want, r.Status, r.Body)
	}
	return r
}

// await waits for a receipt of the inventory with the given status, newer than those seen before.
func (f *fixture) await(copNo, status string) feedReceipt {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var page struct{ Receipts []feedReceipt }
		f.s.Do("GET", "/api/v1/receipts?after=0&limit=1000", f.keys[agent], "", nil).JSON(f.t, &page)
		for i := len(page.Receipts) - 1; i >= 0; i-- {
			if r := page.Receipts[i]; r.CopNo == copNo && r.MessageType == "CEB622Message" {
				if r.ReturnStatus == status {
					return r
				}
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.t.Fatalf("no receipt %s for %s within 10 s", status, copNo)
	return feedReceipt{}
}

// rule writes and enables a rule; it returns its id.
func (f *fixture) rule(name, expr, action string, score int) string {
	f.t.Helper()
	in := map[string]any{"name": name, "expr": expr, "action": action, "author": officer}
	if score > 0 {
		in["score"] = score
	}
	var out struct{ ID string }
	f.admin("POST", "/api/v1/risk/rules", in, http.StatusCreated).JSON(f.t, &out)
	f.admin("POST", "/api/v1/risk/rules/"+out.ID+"/enable", map[string]any{"author": officer}, http.StatusOK)
	return out.ID
}

func TestRiskRuleWriteDryRunEnableHold(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		before := f.newDecl()
		f.send(before)
		if r := f.final(before.copNo); r.ReturnStatus != "800" {
			t.Fatalf("no rule yet: want 800, got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		// A syntax error and a type error are refused with their position.
		for expr, want := range map[string]string{
			"dutiable_fen >":         "line 1, column",
			"dutiable_fen > 'x'":     "no matching overload",
			"dutiable + 1 > 0":       "undeclared reference to 'dutiable'",
			"dutiable_fen + 1":       "must give a bool",
			"hs_codes.exists(h, h.)": "line 1, column",
		} {
			r := f.admin("POST", "/api/v1/risk/rules", map[string]any{"name": "x", "expr": expr, "action": "review", "author": officer}, http.StatusBadRequest)
			if !strings.Contains(string(r.Body), want) || !strings.Contains(string(r.Body), `"field":"expr"`) {
				t.Errorf("%q: want %q naming expr, got %s", expr, want, r.Body)
			}
		}
		f.admin("POST", "/api/v1/risk/rules", map[string]any{"name": "x", "expr": "true", "action": "hold", "author": officer}, http.StatusBadRequest)

		// Write: a draft, which does not run yet.
		expr := `hs_codes.exists(h, h.startsWith("1901")) && dutiable_fen >= 41000 && orders_per_address_today >= 1`
		var rule struct {
			ID, State string
			Version   int
		}
		f.admin("POST", "/api/v1/risk/rules", map[string]any{"name": "infant formula watch", "expr": expr, "action": "review",
			"tradeModes": []string{"9610"}, "author": officer}, http.StatusCreated).JSON(t, &rule)
		if rule.State != "draft" || rule.Version != 1 {
			t.Fatalf("new rule: %+v", rule)
		}
		draft := f.newDecl()
		f.send(draft)
		if r := f.final(draft.copNo); r.ReturnStatus != "800" {
			t.Fatalf("a draft rule must not run: %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		// Dry-run: both past inventories would have been hit.
		var dry struct {
			Evaluated, Hits int
			Sample          []struct{ CopNo string }
		}
		f.admin("POST", "/api/v1/risk/rules/"+rule.ID+"/dry-run", map[string]any{"days": 1}, http.StatusOK).JSON(t, &dry)
		if dry.Evaluated != 2 || dry.Hits != 2 || len(dry.Sample) != 2 {
			t.Fatalf("dry-run: %+v", dry)
		}
		f.admin("POST", "/api/v1/risk/rules/"+rule.ID+"/dry-run", map[string]any{"days": 0}, http.StatusBadRequest)

		// Enable: the next inventory is held for manual review.
		f.admin("POST", "/api/v1/risk/rules/"+rule.ID+"/enable", map[string]any{"author": officer}, http.StatusOK)
		d := f.newDecl()
		f.send(d)
		r := f.final(d.copNo)
		if r.ReturnStatus != "300" || code(r.ReturnInfo) != "2410" || !strings.Contains(r.ReturnInfo, rule.ID+" v2") {
			t.Fatalf("want 300/2410 naming the rule, got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		if strings.Contains(r.ReturnInfo, "hs_codes") || strings.Contains(r.XML, "startsWith") {
			t.Errorf("the receipt reveals the rule's text: %s", r.ReturnInfo)
		}
		var view struct {
			Status string
			Hits   []struct{ Kind, Ref, Action string }
			Select struct {
				Seed, Draw, Rate, CreditClass string
				Selected                      bool
			} `json:"selection"`
		}
		f.admin("GET", "/api/v1/risk/inventories/"+agent+"/"+d.copNo, nil, http.StatusOK).JSON(t, &view)
		if view.Status != "300" || len(view.Hits) != 1 || view.Hits[0].Ref != rule.ID || view.Select.Seed == "" || view.Select.Draw == "" ||
			view.Select.CreditClass != "general" || view.Select.Rate != "0" || view.Select.Selected {
			t.Errorf("risk view: %+v", view)
		}
		// The officer releases it; the rule's history has its versions.
		var dec struct{ Status, ReturnInfo string }
		f.admin("POST", "/api/v1/risk/inventories/"+agent+"/"+d.copNo+"/decision", map[string]any{"status": "800", "actor": officer}, http.StatusOK).JSON(t, &dec)
		if dec.Status != "800" || code(dec.ReturnInfo) != "2601" {
			t.Errorf("officer release: %+v", dec)
		}
		f.await(d.copNo, "800")
		f.admin("POST", "/api/v1/risk/inventories/"+agent+"/"+d.copNo+"/decision", map[string]any{"status": "100", "actor": officer}, http.StatusBadRequest)
		var hist struct{ Versions []struct{ Version int } }
		f.admin("GET", "/api/v1/risk/rules/"+rule.ID+"/versions", nil, http.StatusOK).JSON(t, &hist)
		if len(hist.Versions) != 2 {
			t.Errorf("versions: %+v", hist)
		}
		// A change takes effect for the next inventory, without restart.
		f.admin("PATCH", "/api/v1/risk/rules/"+rule.ID, map[string]any{"expr": "false", "author": officer}, http.StatusOK)
		next := f.newDecl()
		f.send(next)
		if r := f.final(next.copNo); r.ReturnStatus != "800" {
			t.Errorf("after the change: want 800, got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
	})
}

func TestRiskActions(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		rej, ins, rev := f.newDecl(), f.newDecl(), f.newDecl()
		scored, low := f.newDecl(), f.newDecl()
		f.rule("reject one", `order_no == "`+rej.orderNo+`"`, "reject", 0)
		f.rule("inspect one", `order_no == "`+ins.orderNo+`"`, "inspect", 0)
		f.rule("review and inspect", `order_no == "`+rev.orderNo+`"`, "review", 0)
		f.rule("also inspect", `order_no == "`+rev.orderNo+`"`, "inspect", 0)
		f.rule("score a", `order_no in ["`+scored.orderNo+`", "`+low.orderNo+`"]`, "score", 60)
		f.rule("score b", `order_no == "`+scored.orderNo+`" && buyer_is_payer && ebc_class == "general"`, "score", 50)
		f.rule("never", `lines.exists(l, l.total_fen > 100000000)`, "reject", 0)
		for _, c := range []struct {
			d            *decl
			status, code string
		}{{rej, "100", "1500"}, {ins, "500", "2411"}, {rev, "300", "2410"}, {scored, "300", "2412"}, {low, "800", "2600"}} {
			f.send(c.d)
			r := f.final(c.d.copNo)
			if r.ReturnStatus != c.status || code(r.ReturnInfo) != c.code {
				t.Errorf("%s: want %s/%s, got %s %s", c.d.orderNo, c.status, c.code, r.ReturnStatus, r.ReturnInfo)
			}
		}
		// The inspection's result: detained with a reason.
		var dec struct{ Status string }
		f.admin("POST", "/api/v1/risk/inventories/"+agent+"/"+ins.copNo+"/decision", map[string]any{"status": "502", "reason": "品名不符", "actor": officer}, http.StatusOK).JSON(t, &dec)
		if dec.Status != "502" {
			t.Errorf("inspection result: %+v", dec)
		}
		f.admin("POST", "/api/v1/risk/inventories/"+agent+"/"+rev.copNo+"/decision", map[string]any{"status": "100", "reason": "虚假申报", "actor": officer}, http.StatusOK)
		f.admin("POST", "/api/v1/risk/inventories/"+agent+"/"+rev.copNo+"/decision", map[string]any{"status": "800", "actor": officer}, http.StatusConflict)
		// The threshold is a setting.
		f.admin("PUT", "/api/v1/risk/settings", map[string]any{"scoreThreshold": 50}, http.StatusOK)
		again := f.newDecl()
		f.rule("score c", `order_no == "`+again.orderNo+`"`, "score", 50)
		f.send(again)
		if r := f.final(again.copNo); code(r.ReturnInfo) != "2412" {
			t.Errorf("threshold 50: %s", r.ReturnInfo)
		}
	})
}

func TestEmergencyMeasureHoldsPendingInventories(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		// An inventory waiting for its waybill.
		waiting := f.newDecl()
		f.accept(sent{platform, waiting.order("1")}, sent{payer, waiting.payment()}, sent{agent, f.inventory(waiting, "1")})
		f.admin("POST", "/api/v1/risk/measures", map[string]any{"kind": "hs_prefix", "value": "19x", "reason": "r", "legalBasis": "b", "author": officer}, http.StatusBadRequest)
		f.admin("POST", "/api/v1/risk/measures", map[string]any{"kind": "hs_prefix", "value": "1901", "reason": "r", "author": officer}, http.StatusBadRequest)
		var m struct {
			ID, State string
			Held      []string
		}
		f.admin("POST", "/api/v1/risk/measures", map[string]any{"kind": "hs_prefix", "value": "1901", "reason": "进口婴幼儿配方奶粉检出阪崎肠杆菌",
			"legalBasis": "海关总署警示通报〔2026〕12号", "author": "李科长"}, http.StatusCreated).JSON(t, &m)
		if len(m.Held) != 1 || m.Held[0] != waiting.copNo {
			t.Fatalf("the waiting inventory must be held at once: %+v", m)
		}
		if r := f.final(waiting.copNo); r.ReturnStatus != "300" || code(r.ReturnInfo) != "2420" || !strings.Contains(r.ReturnInfo, m.ID) {
			t.Fatalf("held: %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		// A new inventory is held by the check; an officer cannot release it.
		fresh := f.newDecl()
		f.send(fresh)
		if r := f.final(fresh.copNo); r.ReturnStatus != "300" || code(r.ReturnInfo) != "2420" {
			t.Fatalf("new inventory: %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		f.admin("POST", "/api/v1/risk/inventories/"+agent+"/"+fresh.copNo+"/decision", map[string]any{"status": "800", "actor": officer}, http.StatusConflict)
		// Lift: both go back to judgement; the fresh one is released, the
		// waiting one waits for its waybill and is released when it comes.
		f.admin("POST", "/api/v1/risk/measures/"+m.ID+"/lift", map[string]any{"reason": "r"}, http.StatusBadRequest)
		var lifted struct{ JudgedAgain []string }
		f.admin("POST", "/api/v1/risk/measures/"+m.ID+"/lift", map[string]any{"reason": "复检合格", "author": "李科长"}, http.StatusOK).JSON(t, &lifted)
		if len(lifted.JudgedAgain) != 2 {
			t.Fatalf("lifted: %+v", lifted)
		}
		f.await(fresh.copNo, "800")
		if st, rs, info, _ := f.post(carrier, waiting.waybill()); st != 200 || rs != "120" {
			t.Fatalf("waybill: %d %s %s", st, rs, info)
		}
		f.await(waiting.copNo, "800")
		f.admin("POST", "/api/v1/risk/measures/"+m.ID+"/lift", map[string]any{"reason": "again", "author": "李科长"}, http.StatusConflict)

		// Convert to rejection: held ones are rejected, and so are later ones.
		var m2 struct{ ID string }
		f.admin("POST", "/api/v1/risk/measures", map[string]any{"kind": "product", "value": "MILK-1", "ebcCode": platform, "reason": "批次不合格",
			"legalBasis": "《进出口商品检验法》第三十五条", "author": "李科长"}, http.StatusCreated).JSON(t, &m2)
		held := f.newDecl()
		f.send(held)
		if r := f.final(held.copNo); r.ReturnStatus != "300" {
			t.Fatalf("second measure: %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		var conv struct{ Rejected []string }
		f.admin("POST", "/api/v1/risk/measures/"+m2.ID+"/convert", map[string]any{"reason": "确认不合格", "author": "李科长"}, http.StatusOK).JSON(t, &conv)
		if len(conv.Rejected) != 1 || conv.Rejected[0] != held.copNo {
			t.Fatalf("converted: %+v", conv)
		}
		if r := f.await(held.copNo, "100"); code(r.ReturnInfo) != "1501" {
			t.Errorf("held one after conversion: %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		later := f.newDecl()
		f.send(later)
		if r := f.final(later.copNo); r.ReturnStatus != "100" || code(r.ReturnInfo) != "1501" {
			t.Errorf("later one: %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		var list struct{ Measures []struct{ ID, State string } }
		f.admin("GET", "/api/v1/risk/measures?state=lifted", nil, http.StatusOK).JSON(t, &list)
		if len(list.Measures) != 1 || list.Measures[0].ID != m.ID {
			t.Errorf("lifted measures: %+v", list)
		}
	})
}

func TestCreditSanctionAcrossDepartments(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		clock := newClock(time.Now())
		f := newFixture(t, engine, func(c *config.Config) { c.Clock = clock.Now })
		f.admin("POST", "/api/v1/credit-records", map[string]any{"enterpriseCode": platform, "department": "police", "kind": "penalty",
			"legalBasis": "x", "author": officer}, http.StatusBadRequest)
		// The market regulator puts the platform on the serious violation list.
		var rec struct{ ID, State string }
		f.admin("POST", "/api/v1/credit-records", map[string]any{"enterpriseCode": platform, "department": "market", "kind": "serious_violation_list",
			"legalBasis": "《市场监督管理严重违法失信名单管理办法》", "decisionNo": "渝市监信〔2026〕88号", "summary": "内部备注：举报线索 13812345678",
			"author": "王科员"}, http.StatusCreated).JSON(t, &rec)
		d := f.newDecl()
		if _, rs, info, _ := f.post(platform, d.order("1")); rs == "120" || code(info) != "22004" {
			t.Fatalf("a sanctioned platform's order: want 22004, got %s %s", rs, info)
		}
		// The public API shows the record without author or internal summary.
		r := f.s.Do("GET", "/api/v1/public/credit/"+platform, "", "", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), "严重违法失信名单管理办法") || !strings.Contains(string(r.Body), `"seriousViolationList":true`) ||
			strings.Contains(string(r.Body), "王科员") || strings.Contains(string(r.Body), "13812345678") {
			t.Errorf("public credit: %d %s", r.Status, r.Body)
		}
		// Repair ends it early, with the reason on record.
		f.admin("POST", "/api/v1/credit-records/"+rec.ID+"/repair", map[string]any{"author": "王科员"}, http.StatusBadRequest)
		f.admin("POST", "/api/v1/credit-records/"+rec.ID+"/repair", map[string]any{"reason": "已履行处罚决定，完成信用修复", "author": "王科员"}, http.StatusOK).JSON(t, &rec)
		if rec.State != "repaired" {
			t.Fatalf("repair: %+v", rec)
		}
		f.send(d)
		if r := f.final(d.copNo); r.ReturnStatus != "800" {
			t.Fatalf("after repair: %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		// Customs marks the e-commerce enterprise dishonest for a month: it
		// is restored when the record expires.
		f.admin("POST", "/api/v1/credit-records", map[string]any{"enterpriseCode": platform, "department": "customs", "kind": "class_change", "class": "dishonest",
			"legalBasis": "海关总署令第282号", "expiresAt": clock.Now().Add(30 * 24 * time.Hour), "author": officer}, http.StatusCreated).JSON(t, &rec)
		var e struct{ CreditClass string }
		f.s.Do("GET", "/api/v1/enterprises/"+platform, apptest.AdminToken, "", nil).JSON(t, &e)
		if e.CreditClass != "dishonest" {
			t.Fatalf("class after the record: %s", e.CreditClass)
		}
		clock.Days(31)
		if n, err := f.s.App.Risk.Expire(context.Background()); err != nil || n != 1 {
			t.Fatalf("expire: %d %v", n, err)
		}
		f.s.Do("GET", "/api/v1/enterprises/"+platform, apptest.AdminToken, "", nil).JSON(t, &e)
		if e.CreditClass != "general" {
			t.Errorf("class after expiry: %s", e.CreditClass)
		}
		var got struct{ State, EndReason string }
		f.admin("GET", "/api/v1/credit-records/"+rec.ID, nil, http.StatusOK).JSON(t, &got)
		if got.State != "expired" || got.EndReason == "" {
			t.Errorf("expired record: %+v", got)
		}
	})
}

func TestDirectConnectGainedAndLost(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		otherPayer := func() *decl { d := f.newDecl(); d.payerID = "110101199001010011"; return d }
		d := otherPayer()
		f.send(d)
		if r := f.final(d.copNo); code(r.ReturnInfo) != "1327" {
			t.Fatalf("normal mode compares payer and buyer: %s", r.ReturnInfo)
		}
		declare := func() (st struct {
			Eligible bool
			Reason   string
			History  []struct{ Kind string }
		}) {
			r := f.s.JSON("POST", "/api/v1/enterprises/"+platform+"/real-name-rate", f.keys[platform], map[string]any{"rate": "1"})
			if r.Status != 200 {
				t.Fatalf("declare: %d %s", r.Status, r.Body)
			}
			r.JSON(t, &st)
			return st
		}
		if st := declare(); st.Eligible {
			t.Fatalf("a general-class platform must not be eligible: %+v", st)
		}
		f.admin("POST", "/api/v1/enterprises/"+platform+"/real-name-rate", map[string]any{"rate": "1.5"}, http.StatusBadRequest)
		f.admin("POST", "/api/v1/enterprises/"+carrier+"/real-name-rate", map[string]any{"rate": "1"}, http.StatusBadRequest)
		f.admin("POST", "/api/v1/credit-records", map[string]any{"enterpriseCode": platform, "department": "customs", "kind": "class_change", "class": "advanced",
			"legalBasis": "海关总署令第282号 AEO", "author": officer}, http.StatusCreated)
		if st := declare(); !st.Eligible {
			t.Fatalf("advanced + 100 %%: want eligible, got %+v", st)
		}
		d = otherPayer()
		f.send(d)
		if r := f.final(d.copNo); r.ReturnStatus != "800" {
			t.Fatalf("direct connect skips the comparison: %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		// A failed identity sample ends it at once.
		f.admin("POST", "/api/v1/enterprises/"+platform+"/identity-samples", map[string]any{"passed": false, "detail": "3 of 50 do not match", "actor": officer}, http.StatusOK)
		d = otherPayer()
		f.send(d)
		if r := f.final(d.copNo); code(r.ReturnInfo) != "1327" {
			t.Fatalf("after a failed sample: %s", r.ReturnInfo)
		}
		// Earned again by a new declaration, lost by a downgrade.
		if st := declare(); !st.Eligible {
			t.Fatalf("re-declared: %+v", st)
		}
		f.admin("POST", "/api/v1/credit-records", map[string]any{"enterpriseCode": platform, "department": "inspection", "kind": "class_change", "class": "general",
			"legalBasis": "x", "author": officer}, http.StatusCreated)
		var st struct {
			Eligible bool
			History  []struct{ Kind string }
		}
		r := f.s.Do("GET", "/api/v1/enterprises/"+platform+"/direct-connect", f.keys[platform], "", nil)
		r.JSON(t, &st)
		if st.Eligible || len(st.History) == 0 || st.History[len(st.History)-1].Kind != "lost" {
			t.Errorf("after a downgrade: %s", r.Body)
		}
		// The platform reads that an officer sampled and downgraded it, not who;
		// officers read the name.
		if strings.Contains(string(r.Body), officer) || !strings.Contains(string(r.Body), `"actor":"officer"`) {
			t.Errorf("the platform's history should say officer, not the officer's name: %s", r.Body)
		}
		if body := f.admin("GET", "/api/v1/enterprises/"+platform+"/direct-connect", nil, http.StatusOK).Body; !strings.Contains(string(body), officer) {
			t.Errorf("the officers' view lost the officer's name: %s", body)
		}
		d = otherPayer()
		f.send(d)
		if r := f.final(d.copNo); code(r.ReturnInfo) != "1327" {
			t.Errorf("after a downgrade: %s", r.ReturnInfo)
		}
	})
}

// An inventory judged again (rejected, then changed by its declarer) is
// counted once in the history counters: a rule on the counters sees the one
// count, not two.
func TestRiskCountsAnInventoryOnce(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		d := f.newDecl()
		first := f.rule("this order", `order_no == "`+d.orderNo+`"`, "reject", 0)
		f.send(d)
		rejected := f.final(d.copNo)
		if rejected.ReturnStatus != "100" || code(rejected.ReturnInfo) != "1500" {
			t.Fatalf("first judgement: want 100/1500, got %s %s", rejected.ReturnStatus, rejected.ReturnInfo)
		}
		f.admin("POST", "/api/v1/risk/rules/"+first+"/disable", map[string]any{"author": officer}, http.StatusOK)
		twice := f.rule("counted twice", `order_no == "`+d.orderNo+`" && (orders_per_address_today > 1 || parcels_per_phone_today > 1)`, "reject", 0)
		if st, rs, info, _ := f.post(agent, f.inventory(d, "2")); st != 200 || rs != "120" {
			t.Fatalf("change: %d %s %s", st, rs, info)
		}
		var again feedReceipt
		waitFor(t, func() bool {
			again = f.latest(d.copNo)
			return again.Seq > rejected.Seq && again.ReturnStatus != "120"
		})
		if again.ReturnStatus != "800" {
			t.Errorf("second judgement: want 800, got %s %s (rule %s: counted twice)", again.ReturnStatus, again.ReturnInfo, twice)
		}
	})
}

// An officer's decision through the API records who decided ("actor"), for
// officers; the declaring agent reading its inventory sees that an officer
// decided, not the officer's name (personal data of the officer).
func TestOfficerNameNotShownToTheDeclarer(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		d := f.newDecl()
		f.rule("review one", `order_no == "`+d.orderNo+`"`, "review", 0)
		f.send(d)
		if r := f.final(d.copNo); r.ReturnStatus != "300" {
			t.Fatalf("want 300, got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		f.admin("POST", "/api/v1/risk/inventories/"+agent+"/"+d.copNo+"/decision", map[string]any{"status": "800", "actor": officer}, http.StatusOK)
		f.await(d.copNo, "800")
		r := f.s.Do("GET", "/api/v1/inventories/"+d.copNo, f.keys[agent], "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET inventory: %d %s", r.Status, r.Body)
		}
		if strings.Contains(string(r.Body), officer) {
			t.Errorf("the declarer's view names the officer: %s", r.Body)
		}
		var v struct {
			Events []struct{ Status, Actor string }
		}
		r.JSON(t, &v)
		if n := len(v.Events); n == 0 || v.Events[n-1].Status != "800" || v.Events[n-1].Actor != "officer" {
			t.Errorf("the release's step should say an officer decided: %+v", v.Events)
		}
		// Officers still see who it was.
		if body := f.admin("GET", "/api/v1/risk/inventories/"+agent+"/"+d.copNo, nil, http.StatusOK).Body; !strings.Contains(string(body), officer) {
			t.Errorf("the officers' view lost the officer's name: %s", body)
		}
	})
}
