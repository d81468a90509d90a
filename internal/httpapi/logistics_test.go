package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/xmlsig/xmlsigtest"
)

const techProvider = "9150000TSP"

type apiError struct {
	Error struct{ Kind, Code, Field, Message string }
}

func errCode(t *testing.T, r *apptest.Response) string {
	t.Helper()
	var e apiError
	r.JSON(t, &e)
	return e.Error.Code
}

// A provider sends for a client that authorised it, and is refused for one
// that did not, after a revocation, for a type not granted, and when suspended.
func TestProviderTransmitsForAuthorisedClient(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		prov := xmlsigtest.NewSM2(t)
		r := f.s.JSON("POST", "/api/v1/enterprises", apptest.AdminToken, map[string]any{"code": techProvider, "name": "技术服务商", "roles": []string{"provider"},
			"certificates": []string{string(prov.CertPEM)}})
		if r.Status != http.StatusCreated {
			t.Fatalf("register provider: %d %s", r.Status, r.Body)
		}
		var reg struct{ APIKey string }
		r.JSON(t, &reg)
		f.keys[techProvider] = reg.APIKey
		providerInventory := func(d *decl) []byte {
			own := f.sign
			f.sign = prov
			defer func() { f.sign = own }()
			return f.inventory(d, "1")
		}

		d := f.newDecl()
		f.accept(sent{platform, d.order("1")}, sent{payer, d.payment()}, sent{carrier, d.waybill()})
		// Not authorised yet: the documents name the agent, not the provider.
		if st, _, _, body := f.post(techProvider, providerInventory(d)); st != http.StatusForbidden || !strings.Contains(string(body), "not_your_document") {
			t.Fatalf("unauthorised provider: %d %s", st, body)
		}
		// Bad grants name the field.
		for _, c := range []struct {
			grant map[string]any
			field string
		}{
			{map[string]any{"providerCode": carrier, "messageTypes": []string{"CEB621Message"}, "validUntil": "2027-01-01T00:00:00Z"}, "providerCode"},
			{map[string]any{"providerCode": techProvider, "messageTypes": []string{"CEB999Message"}, "validUntil": "2027-01-01T00:00:00Z"}, "messageTypes"},
			{map[string]any{"providerCode": techProvider, "messageTypes": []string{"CEB621Message"}}, "validUntil"},
		} {
			r := f.s.JSON("POST", "/api/v1/authorisations", f.keys[agent], c.grant)
			var e apiError
			r.JSON(t, &e)
			if r.Status != 400 || e.Error.Field != c.field {
				t.Errorf("grant %v: %d %s, want 400 on %s", c.grant, r.Status, r.Body, c.field)
			}
		}
		until := time.Now().Add(365 * 24 * time.Hour).UTC().Format(time.RFC3339)
		r = f.s.JSON("POST", "/api/v1/authorisations", f.keys[agent], map[string]any{"providerCode": techProvider, "messageTypes": []string{"CEB621Message"}, "validUntil": until})
		if r.Status != http.StatusCreated {
			t.Fatalf("grant: %d %s", r.Status, r.Body)
		}
		var grant struct{ ID, State string }
		r.JSON(t, &grant)
		if grant.State != "active" {
			t.Fatalf("grant state %q", grant.State)
		}
		if st, rs, info, body := f.post(techProvider, providerInventory(d)); st != 200 || rs != "120" {
			t.Fatalf("authorised provider: %d %s %s\n%s", st, rs, info, body)
		}
		if rec := f.final(d.copNo); rec.ReturnStatus != "800" {
			t.Fatalf("decision in the client's feed: %s %s", rec.ReturnStatus, rec.ReturnInfo)
		}
		// The message records both: messages.sender is the client, tsp_messages the provider.
		ctx := context.Background()
		var sender, prv, client string
		if err := f.s.App.DB.QueryRow(ctx, `SELECT m.sender, t.provider_code, t.client_code FROM messages m JOIN tsp_messages t ON t.message_id = m.id`).Scan(&sender, &prv, &client); err != nil {
			t.Fatal(err)
		}
		if sender != agent || prv != techProvider || client != agent {
			t.Fatalf("recorded sender %s provider %s client %s", sender, prv, client)
		}
		// A type not granted (an order of the platform) stays refused.
		d2 := f.newDecl()
		if st, _, _, _ := f.post(techProvider, d2.order("1")); st != http.StatusForbidden {
			t.Fatalf("order through provider without a grant: %d", st)
		}
		// The provider sees the grant; revocation takes effect at once.
		var list struct {
			Authorisations []struct{ ID, ClientCode string }
		}
		f.s.Do("GET", "/api/v1/authorisations", f.keys[techProvider], "", nil).JSON(t, &list)
		if len(list.Authorisations) != 1 || list.Authorisations[0].ClientCode != agent {
			t.Fatalf("provider's authorisations: %+v", list)
		}
		if r := f.s.Do("DELETE", "/api/v1/authorisations/"+grant.ID, f.keys[techProvider], "", nil); r.Status != http.StatusNotFound {
			t.Fatalf("provider revoking its client's grant: %d", r.Status)
		}
		if r := f.s.Do("DELETE", "/api/v1/authorisations/"+grant.ID, f.keys[agent], "", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"revoked"`) {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		d3 := f.newDecl()
		f.post(platform, d3.order("1"))
		f.post(payer, d3.payment())
		f.post(carrier, d3.waybill())
		if st, _, _, _ := f.post(techProvider, providerInventory(d3)); st != http.StatusForbidden {
			t.Fatalf("after revocation: %d", st)
		}
		// Suspension refuses everything the provider sends.
		if r := f.s.JSON("POST", "/api/v1/providers/"+techProvider+"/suspend", apptest.AdminToken, map[string]string{"reason": "too many errors"}); r.Status != 200 {
			t.Fatalf("suspend: %d %s", r.Status, r.Body)
		}
		if st, _, _, body := f.post(techProvider, providerInventory(d3)); st != http.StatusForbidden || !strings.Contains(string(body), "provider_suspended") {
			t.Fatalf("suspended: %d %s", st, body)
		}
		// The operator sees the quality figures.
		var q struct {
			Providers []struct {
				ProviderCode       string
				Messages, Errors   int
				ErrorRate          string
				Documents          int
				MessagesForClients int
				Suspended          string
			}
		}
		r = f.s.Do("GET", "/api/v1/providers", apptest.AdminToken, "", nil)
		r.JSON(t, &q)
		if len(q.Providers) != 1 {
			t.Fatalf("quality: %s", r.Body)
		}
		p := q.Providers[0]
		if p.Messages != 5 || p.Errors != 4 || p.ErrorRate != "0.8000" || p.Documents != 1 || p.MessagesForClients != 1 || p.Suspended != "too many errors" {
			t.Fatalf("quality figures: %s", r.Body)
		}
	})
}

func TestRateLimitPerEnterpriseAndProvider(t *testing.T) {
	s := apptest.Start(t, apptest.SQLite, func(c *config.Config) {
		c.RateLimit = config.RateLimit{EnterprisePerSecond: 0.001, EnterpriseBurst: 3, ProviderPerSecond: 0.001, ProviderBurst: 5}
	})
	one, two, prov := s.Register("1105910159", "ebp"), s.Register("4403169D3W", "pay"), s.Register(techProvider, "provider")
	get := func(key, code string) *apptest.Response {
		return s.Do("GET", "/api/v1/enterprises/"+code, key, "", nil)
	}
	for i := 0; i < 3; i++ {
		if r := get(one, "1105910159"); r.Status != 200 {
			t.Fatalf("request %d: %d", i, r.Status)
		}
	}
	r := get(one, "1105910159")
	if r.Status != http.StatusTooManyRequests || errCode(t, r) != "rate_limited" {
		t.Fatalf("4th request: %d %s", r.Status, r.Body)
	}
	if after, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || after < 1 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	// Other enterprises have their own buckets; a provider has the provider's burst; the administrator is not limited.
	if r := get(two, "4403169D3W"); r.Status != 200 {
		t.Fatalf("other enterprise: %d", r.Status)
	}
	for i := 0; i < 5; i++ {
		if r := get(prov, techProvider); r.Status != 200 {
			t.Fatalf("provider request %d: %d", i, r.Status)
		}
	}
	if r := get(prov, techProvider); r.Status != http.StatusTooManyRequests {
		t.Fatalf("provider's 6th request: %d", r.Status)
	}
	for i := 0; i < 10; i++ {
		if r := get(apptest.AdminToken, "1105910159"); r.Status != 200 {
			t.Fatalf("admin request %d: %d", i, r.Status)
		}
	}
}

type manifestView struct {
	ID, Stage, Channel string
	Parcels            []struct {
		LogisticsNo, Stage, InventoryStatus string
		ReleasedAt, DeliveredAt             *time.Time
	}
}

// A rail manifest followed from filing through departure and arrival to the
// parcel's release and delivery; another one stuck in transit raises an
// alert that resolves when it arrives.
func TestRailManifestAndStuckAlert(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		clock := newClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
		f := newFixture(t, engine, func(c *config.Config) { c.Clock = clock.Now; c.Logistics.StuckAfter = config.Duration(72 * time.Hour) })
		d := f.newDecl()
		if st, rs, info, _ := f.post(carrier, d.waybill()); st != 200 || rs != "120" {
			t.Fatalf("waybill: %d %s %s", st, rs, info)
		}
		key := f.keys[carrier]
		bad := f.s.JSON("POST", "/api/v1/manifests", key, map[string]any{"billNo": "YXO1", "voyageNo": "X8012", "trafMode": "9", "weightKg": "1.2345", "parcels": []string{d.logisticsNo}})
		if bad.Status != 400 || !strings.Contains(string(bad.Body), `"trafMode"`) || !strings.Contains(string(bad.Body), `"weightKg"`) {
			t.Fatalf("bad manifest: %d %s", bad.Status, bad.Body)
		}
		r := f.s.JSON("POST", "/api/v1/manifests", key, map[string]any{"billNo": "YXO1", "voyageNo": "X8012", "trafMode": "3", "route": "渝新欧",
			"weightKg": "1250.5", "cost": "18757.50", "plannedArrival": "2026-12-05T00:00:00Z", "parcels": []string{d.logisticsNo}})
		if r.Status != http.StatusCreated {
			t.Fatalf("file: %d %s", r.Status, r.Body)
		}
		var m manifestView
		r.JSON(t, &m)
		if m.Channel != "rail" || m.Stage != "filed" {
			t.Fatalf("manifest: %s", r.Body)
		}
		if r := f.s.JSON("POST", "/api/v1/manifests", key, map[string]any{"billNo": "YXO9", "voyageNo": "X1", "trafMode": "5", "weightKg": "3", "parcels": []string{d.logisticsNo}}); r.Status != http.StatusConflict {
			t.Fatalf("parcel on two manifests: %d %s", r.Status, r.Body)
		}
		event := func(id, ev string, at time.Time) *apptest.Response {
			return f.s.JSON("POST", "/api/v1/manifests/"+id+"/events", key, map[string]any{"event": ev, "at": at.Format(time.RFC3339)})
		}
		if r := event(m.ID, "arrived", clock.Now()); r.Status != http.StatusConflict {
			t.Fatalf("arrival before departure: %d %s", r.Status, r.Body)
		}
		if r := event(m.ID, "departed", clock.Now()); r.Status != 200 {
			t.Fatalf("depart: %d %s", r.Status, r.Body)
		}
		clock.Add(300 * time.Hour)
		if r := event(m.ID, "arrived", clock.Now()); r.Status != 200 {
			t.Fatalf("arrive: %d %s", r.Status, r.Body)
		}
		// Declared on arrival and released.
		f.accept(sent{platform, d.order("1")}, sent{payer, d.payment()}, sent{agent, f.inventory(d, "1")})
		if rec := f.final(d.copNo); rec.ReturnStatus != "800" {
			t.Fatalf("decision %s %s", rec.ReturnStatus, rec.ReturnInfo)
		}
		f.s.Do("GET", "/api/v1/manifests/"+m.ID, key, "", nil).JSON(t, &m)
		if m.Stage != "arrived" || len(m.Parcels) != 1 || m.Parcels[0].Stage != "released" || m.Parcels[0].ReleasedAt == nil {
			t.Fatalf("after release: %+v", m)
		}
		// Signed for (CEB513 S): delivered.
		signed := clock.Now().Add(20 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format("20060102150405")
		ls := ceb.LogisticsStatus{Guid: guid(), AppType: "1", AppTime: appTime, AppStatus: "2", LogisticsCode: carrier, LogisticsName: "物流",
			LogisticsNo: d.logisticsNo, LogisticsStatus: "S", LogisticsTime: signed}
		if st, rs, info, _ := f.post(carrier, mustEncode(&ceb.CEB513Message{Guid: guid(), Version: "1.0", LogisticsStatus: []ceb.LogisticsStatus{ls}, BaseTransfer: transfer(carrier)})); st != 200 || rs != "120" {
			t.Fatalf("CEB513: %d %s %s", st, rs, info)
		}
		f.s.Do("GET", "/api/v1/manifests/"+m.ID, apptest.AdminToken, "", nil).JSON(t, &m)
		if m.Parcels[0].Stage != "delivered" || m.Parcels[0].DeliveredAt == nil {
			t.Fatalf("after delivery: %+v", m.Parcels[0])
		}
		var figs struct {
			Channels []struct {
				Channel             string
				Manifests, Parcels  int
				WeightKg, CostPerKg string
				OnTimeShare         string
				MeanHours           map[string]string
			}
		}
		r = f.s.Do("GET", "/api/v1/channels?from=2026-11-01&to=2026-12-31", apptest.AdminToken, "", nil)
		r.JSON(t, &figs)
		rail := figs.Channels[0]
		if rail.Channel != "rail" || rail.Manifests != 1 || rail.Parcels != 1 || rail.WeightKg != "1250.5" || rail.CostPerKg != "15.00" ||
			rail.OnTimeShare != "1.0000" || rail.MeanHours["departure_arrival"] != "300.0" || rail.MeanHours["release_delivery"] == "" {
			t.Fatalf("channel figures: %s", r.Body)
		}

		// A second manifest departs and is not heard of again.
		d2 := f.newDecl()
		r = f.s.JSON("POST", "/api/v1/manifests", key, map[string]any{"billNo": "YXO2", "voyageNo": "X8013", "trafMode": "3", "weightKg": "800", "parcels": []string{d2.logisticsNo}})
		var m2 manifestView
		r.JSON(t, &m2)
		event(m2.ID, "departed", clock.Now())
		run := func() []struct{ Subject, Stage string } {
			var out struct {
				Raised []struct{ Subject, Stage string }
			}
			f.s.Do("POST", "/api/v1/logistics/alerts/run", apptest.AdminToken, "", nil).JSON(t, &out)
			return out.Raised
		}
		clock.Add(71 * time.Hour)
		if raised := run(); len(raised) != 0 {
			t.Fatalf("raised before stuck_after: %+v", raised)
		}
		clock.Add(2 * time.Hour)
		raised := run()
		if len(raised) != 1 || raised[0].Subject != "manifest:"+m2.ID || raised[0].Stage != "departed" {
			t.Fatalf("stuck alert: %+v", raised)
		}
		if again := run(); len(again) != 0 {
			t.Fatalf("alert raised twice: %+v", again)
		}
		var alerts struct{ Alerts []struct{ Subject string } }
		f.s.Do("GET", "/api/v1/logistics/alerts", key, "", nil).JSON(t, &alerts)
		if len(alerts.Alerts) != 1 {
			t.Fatalf("carrier's alerts: %+v", alerts)
		}
		event(m2.ID, "arrived", clock.Now())
		run()
		f.s.Do("GET", "/api/v1/logistics/alerts", key, "", nil).JSON(t, &alerts)
		if len(alerts.Alerts) != 0 {
			t.Fatalf("alert not resolved on arrival: %+v", alerts)
		}
	})
}

type ticketView struct {
	ID, Status, ReasonCode, Help, Assignee string
	Escalation                             int
	SLA                                    struct{ Response, Resolve string }
	Events                                 []struct{ Kind, Actor string }
}

// A ticket opened from a rejected declaration's receipt: help attached, first
// response overdue and escalated, answered, resolved; the figures show it.
func TestTicketLifeWithSLA(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		clock := newClock(time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC))
		f := newFixture(t, engine, func(c *config.Config) {
			c.Clock = clock.Now
			c.Support.ResponseSLA = config.Duration(4 * time.Hour)
			c.Support.ResolveSLA = config.Duration(48 * time.Hour)
		})
		d := f.newDecl()
		d.invPhone = "13900000000" // the inventory's buyer phone differs from the order's: rejected
		f.send(d)
		rec := f.final(d.copNo)
		if rec.ReturnStatus != "100" {
			t.Fatalf("want a rejection, got %s %s", rec.ReturnStatus, rec.ReturnInfo)
		}
		agentKey := f.keys[agent]
		if r := f.s.JSON("POST", "/api/v1/tickets", agentKey, map[string]any{"subject": "退单", "body": "为什么？", "receiptSeq": rec.Seq, "copNo": d.copNo}); r.Status != 400 {
			t.Fatalf("two links: %d %s", r.Status, r.Body)
		}
		if r := f.s.JSON("POST", "/api/v1/tickets", f.keys[payer], map[string]any{"subject": "退单", "body": "为什么？", "receiptSeq": rec.Seq}); r.Status != 404 {
			t.Fatalf("another enterprise's receipt: %d %s", r.Status, r.Body)
		}
		r := f.s.JSON("POST", "/api/v1/tickets", agentKey, map[string]any{"subject": "清单被退单", "body": "为什么电话不一致？", "receiptSeq": rec.Seq})
		if r.Status != http.StatusCreated {
			t.Fatalf("open: %d %s", r.Status, r.Body)
		}
		var tk ticketView
		r.JSON(t, &tk)
		if tk.Status != "open" || tk.ReasonCode != code(rec.ReturnInfo) || tk.Help != "/api/v1/help/"+tk.ReasonCode || tk.SLA.Response != "running" {
			t.Fatalf("opened: %s", r.Body)
		}
		if r := f.s.Do("GET", tk.Help, "", "", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"meaning"`) {
			t.Fatalf("help article: %d %s", r.Status, r.Body)
		}
		if r := f.s.Do("GET", "/api/v1/tickets/"+tk.ID, f.keys[payer], "", nil); r.Status != 404 {
			t.Fatalf("another enterprise reads the ticket: %d", r.Status)
		}
		escalate := func() int {
			var out struct{ Escalated int }
			f.s.Do("POST", "/api/v1/tickets/escalate", apptest.AdminToken, "", nil).JSON(t, &out)
			return out.Escalated
		}
		clock.Add(3 * time.Hour)
		if n := escalate(); n != 0 {
			t.Fatalf("escalated within the SLA: %d", n)
		}
		clock.Add(2 * time.Hour)
		if n := escalate(); n != 1 {
			t.Fatalf("escalated after the response SLA: %d", n)
		}
		if n := escalate(); n != 0 {
			t.Fatalf("escalated twice: %d", n)
		}
		f.s.Do("GET", "/api/v1/tickets/"+tk.ID, agentKey, "", nil).JSON(t, &tk)
		if tk.Escalation != 1 || tk.SLA.Response != "breached" {
			t.Fatalf("after escalation: %+v", tk)
		}
		if r := f.s.JSON("POST", "/api/v1/tickets/"+tk.ID+"/updates", agentKey, map[string]any{"assignee": "me"}); r.Status != 403 {
			t.Fatalf("enterprise assigning: %d", r.Status)
		}
		r = f.s.JSON("POST", "/api/v1/tickets/"+tk.ID+"/updates", apptest.AdminToken, map[string]any{"assignee": "张工", "reply": "订单与清单的订购人电话须一致，请更正后重发。"})
		r.JSON(t, &tk)
		if r.Status != 200 || tk.Status != "answered" || tk.Assignee != "张工" || tk.SLA.Response != "breached" {
			t.Fatalf("answered: %d %s", r.Status, r.Body)
		}
		clock.Add(time.Hour)
		f.s.JSON("POST", "/api/v1/tickets/"+tk.ID+"/updates", agentKey, map[string]any{"reply": "已更正，谢谢"}).JSON(t, &tk)
		if tk.Status != "open" {
			t.Fatalf("enterprise reply: %+v", tk)
		}
		r = f.s.JSON("POST", "/api/v1/tickets/"+tk.ID+"/updates", apptest.AdminToken, map[string]any{"status": "resolved"})
		r.JSON(t, &tk)
		if tk.Status != "resolved" || tk.SLA.Resolve != "met" || len(tk.Events) != 6 {
			t.Fatalf("resolved: %s", r.Body)
		}
		if r := f.s.JSON("POST", "/api/v1/tickets/"+tk.ID+"/updates", apptest.AdminToken, map[string]any{"status": "pending"}); r.Status != 400 {
			t.Fatalf("unknown status: %d", r.Status)
		}
		var figs struct {
			Resolved, ResponseBreached, Escalated int
			ResponseWithinSla                     string
			MeanFirstResponseMinutes              int
			ByReason                              map[string]int
		}
		f.s.Do("GET", "/api/v1/tickets/figures?from=2026-11-01", apptest.AdminToken, "", nil).JSON(t, &figs)
		if figs.Resolved != 1 || figs.ResponseBreached != 1 || figs.Escalated != 1 || figs.ResponseWithinSla != "0.0000" ||
			figs.MeanFirstResponseMinutes != 300 || figs.ByReason[tk.ReasonCode] != 1 {
			t.Fatalf("figures: %+v", figs)
		}
		// The status page is public and shows an open incident.
		if r := f.s.JSON("POST", "/api/v1/incidents", apptest.AdminToken, map[string]any{"title": "回执推送延迟", "severity": "minor"}); r.Status != 201 {
			t.Fatalf("incident: %d %s", r.Status, r.Body)
		}
		var st struct {
			Status    string
			Incidents []struct{ Title string }
			Queues    struct{ OpenTickets int }
		}
		f.s.Do("GET", "/api/v1/status", "", "", nil).JSON(t, &st)
		if st.Status != "degraded" || len(st.Incidents) != 1 || st.Queues.OpenTickets != 0 {
			t.Fatalf("status: %+v", st)
		}
	})
}

// A backup while the server runs (what cbec backup does), a restore into a fresh folder (cbec restore), and a
// server on the restored database holds identical data.
func TestBackupRestoreIdentical(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	d := f.newDecl()
	f.send(d)
	f.final(d.copNo)
	ctx := context.Background()
	src := f.s.App.Config.Data
	out := filepath.Join(t.TempDir(), "cbec-backup.db")
	before, err := f.s.App.DB.Digest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.App.DB.Backup(ctx, out); err != nil {
		t.Fatalf("backup: %v", err)
	}
	after, err := f.s.App.DB.Digest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.App.DB.Backup(ctx, out); err == nil {
		t.Fatal("backup over an existing file succeeded")
	}
	dst := t.TempDir()
	if err := store.RestoreSQLite(ctx, out, dst, false, time.Now()); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if err := store.RestoreSQLite(ctx, out, dst, false, time.Now()); err == nil {
		t.Fatal("restore over a database without force succeeded")
	}
	key, err := os.ReadFile(filepath.Join(src, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "secret.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, "", dst, store.Options{Synchronous: "NORMAL", MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	restored, err := db.Digest(ctx)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(restored) < 20 {
		t.Fatalf("only %d tables restored", len(restored))
	}
	for table, want := range before {
		if after[table] != want {
			continue // changed by a background job during the backup; compared below against the later state
		}
		if restored[table] != want {
			t.Errorf("table %s: restored %s, original %s", table, restored[table], want)
		}
	}
	// A fresh server on the restored folder answers with the same data.
	s2 := apptest.Start(t, apptest.SQLite, func(c *config.Config) { c.Data = dst })
	r1 := f.s.Do("GET", "/api/v1/receipts?after=0&limit=1000", f.keys[agent], "", nil)
	r2 := s2.Do("GET", "/api/v1/receipts?after=0&limit=1000", f.keys[agent], "", nil)
	if r2.Status != 200 || string(r1.Body) != string(r2.Body) {
		t.Fatalf("receipts differ after restore:\n%s\n%s", r1.Body, r2.Body)
	}
}

// Retention deletes raw messages older than the setting and keeps the rest.
func TestRetentionDeletesOldRawMessages(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		clock := newClock(time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC))
		f := newFixture(t, engine, func(c *config.Config) { c.Clock = clock.Now })
		old := f.newDecl()
		f.post(platform, old.order("1"))
		clock.Add(11 * 24 * time.Hour)
		recent := f.newDecl()
		f.post(platform, recent.order("1"))
		ctx := context.Background()
		if n, err := f.s.App.Support.Retain(ctx, 0); err != nil || n != 0 {
			t.Fatalf("0 days deleted %d: %v", n, err)
		}
		n, err := f.s.App.Support.Retain(ctx, 10)
		if err != nil || n != 1 {
			t.Fatalf("deleted %d: %v", n, err)
		}
		var left int
		if err := f.s.App.DB.QueryRow(ctx, `SELECT COUNT(*) FROM messages`).Scan(&left); err != nil || left != 1 {
			t.Fatalf("%d messages left: %v", left, err)
		}
		var docs int
		if err := f.s.App.DB.QueryRow(ctx, `SELECT COUNT(*) FROM documents WHERE kind = 'order'`).Scan(&docs); err != nil || docs != 2 {
			t.Fatalf("%d orders left: %v", docs, err)
		}
	})
}

// The console as a new user meets it: the carrier follows its rail manifest to
// the parcel's release; the agent opens a ticket from a rejected declaration's
// receipt and sees the reason's help; the operator answers.
func TestConsoleManifestAndTicketFromReceipt(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	page := func(method, path, token, form string) *apptest.Response {
		t.Helper()
		var ct string
		if form != "" {
			ct = "application/x-www-form-urlencoded"
		}
		return f.s.Do(method, path, token, ct, []byte(form))
	}
	if r := page("GET", "/console/manifests", "", ""); r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), `name="token"`) {
		t.Fatalf("signed out: %d", r.Status)
	}
	d := f.newDecl()
	f.send(d)
	f.final(d.copNo)
	key := f.keys[carrier]
	r := f.s.JSON("POST", "/api/v1/manifests", key, map[string]any{"billNo": "YXO7", "voyageNo": "X8012", "trafMode": "3", "route": "渝新欧", "weightKg": "20", "parcels": []string{d.logisticsNo}})
	var m manifestView
	r.JSON(t, &m)
	f.s.JSON("POST", "/api/v1/manifests/"+m.ID+"/events", key, map[string]any{"event": "departed", "at": time.Now().Add(-time.Hour).Format(time.RFC3339)})
	f.s.JSON("POST", "/api/v1/manifests/"+m.ID+"/events", key, map[string]any{"event": "arrived", "at": time.Now().Format(time.RFC3339)})
	r = page("GET", "/console/manifests", key, "")
	if r.Status != 200 || !strings.Contains(string(r.Body), "YXO7") {
		t.Fatalf("manifests page: %d %s", r.Status, r.Body)
	}
	r = page("GET", "/console/manifests/"+m.ID, key, "")
	if r.Status != 200 || !strings.Contains(string(r.Body), d.logisticsNo) || !strings.Contains(string(r.Body), `<span class="stage">released</span>`) {
		t.Fatalf("manifest page: %d %s", r.Status, r.Body)
	}
	if r := page("GET", "/console/manifests/"+m.ID, f.keys[payer], ""); r.Status != http.StatusNotFound {
		t.Fatalf("another enterprise's manifest: %d", r.Status)
	}
	// A rejected declaration: its receipt offers a ticket.
	bad := f.newDecl()
	bad.invPhone = "13900000000"
	f.send(bad)
	rec := f.final(bad.copNo)
	r = page("GET", "/console/receipts", f.keys[agent], "")
	link := "/console/tickets?receiptSeq=" + strconv.FormatInt(rec.Seq, 10)
	if r.Status != 200 || !strings.Contains(string(r.Body), link) {
		t.Fatalf("receipts page lacks %s: %s", link, r.Body)
	}
	if r := page("GET", link, f.keys[agent], ""); r.Status != 200 || !strings.Contains(string(r.Body), `value="`+strconv.FormatInt(rec.Seq, 10)+`"`) {
		t.Fatalf("ticket form: %d %s", r.Status, r.Body)
	}
	r = page("POST", "/console/tickets", f.keys[agent], "subject=退单&body=为什么？&receiptSeq="+strconv.FormatInt(rec.Seq, 10))
	if r.Status != 200 || !strings.Contains(string(r.Body), code(rec.ReturnInfo)) || !strings.Contains(string(r.Body), "running") {
		t.Fatalf("ticket page after opening: %d %s", r.Status, r.Body)
	}
	if r := page("POST", "/console/tickets", f.keys[agent], "subject=x&body=y"); r.Status != 400 || !strings.Contains(string(r.Body), "receiptSeq") {
		t.Fatalf("ticket without a link: %d %s", r.Status, r.Body)
	}
	var list struct{ Tickets []struct{ ID string } }
	f.s.Do("GET", "/api/v1/tickets", f.keys[agent], "", nil).JSON(t, &list)
	if len(list.Tickets) != 1 {
		t.Fatalf("tickets: %+v", list)
	}
	r = page("POST", "/console/tickets/"+list.Tickets[0].ID, apptest.AdminToken, "reply=请更正电话&assignee=张工")
	if r.Status != 200 || !strings.Contains(string(r.Body), "answered") || !strings.Contains(string(r.Body), "张工") {
		t.Fatalf("operator's answer: %d %s", r.Status, r.Body)
	}
	// A form posted from another site is refused.
	req, _ := http.NewRequest("POST", f.s.URL+"/console/tickets/"+list.Tickets[0].ID, strings.NewReader("reply=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Authorization", "Bearer "+f.keys[agent])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", resp.StatusCode)
	}
	// Signing in sets an HttpOnly, SameSite=Strict cookie the pages accept.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.PostForm(f.s.URL+"/console/login", url.Values{"token": {key}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("login: %d %+v", resp.StatusCode, cookies)
	}
	req, _ = http.NewRequest("GET", f.s.URL+"/console/manifests/"+m.ID, nil)
	req.AddCookie(cookies[0])
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("page with the cookie: %d", resp.StatusCode)
	}
	if resp, err = noFollow.PostForm(f.s.URL+"/console/login", url.Values{"token": {"cbec_wrong"}}); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("login with a wrong key: %d", resp.StatusCode)
	}
	// Providers: the agent authorises one in the console; the operator suspends it there.
	prov := f.s.Register(techProvider, "provider")
	r = page("POST", "/console/providers", f.keys[agent], "action=grant&provider="+techProvider+"&types=CEB621Message&until=2027-11-27")
	if r.Status != 200 || !strings.Contains(string(r.Body), "<td>active</td>") {
		t.Fatalf("grant in the console: %d %s", r.Status, r.Body)
	}
	if r := page("GET", "/console/providers", prov, ""); !strings.Contains(string(r.Body), agent) {
		t.Fatalf("provider's page lacks its client: %s", r.Body)
	}
	if r := page("POST", "/console/providers", f.keys[agent], "action=suspend&provider="+techProvider+"&reason=x"); r.Status != http.StatusForbidden {
		t.Fatalf("enterprise suspending: %d", r.Status)
	}
	r = page("POST", "/console/providers", apptest.AdminToken, "action=suspend&provider="+techProvider+"&reason=too+many+errors")
	if r.Status != 200 || !strings.Contains(string(r.Body), "too many errors") || !strings.Contains(string(r.Body), "Reinstate") {
		t.Fatalf("suspend in the console: %d %s", r.Status, r.Body)
	}
	if r := page("GET", "/console/status", "", ""); r.Status != 200 || !strings.Contains(string(r.Body), "operational") {
		t.Fatalf("status page: %d", r.Status)
	}
}
