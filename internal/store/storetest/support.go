package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("Support", runSupport) }

// The service response centre's tables (package support): tickets and their
// events, incidents, the status page's figures, certificate expiry and the
// retention of raw messages.
func runSupport(t *testing.T, open Opener) {
	t.Run("TicketRoundTripAndLists", func(t *testing.T) { testTicketRoundTrip(t, open(t)) })
	t.Run("TicketUpdateIsOptimistic", func(t *testing.T) { testTicketUpdate(t, open(t)) })
	t.Run("TicketEscalationOncePerLevel", func(t *testing.T) { testTicketEscalation(t, open(t)) })
	t.Run("TicketLinks", func(t *testing.T) { testTicketLinks(t, open(t)) })
	t.Run("Incidents", func(t *testing.T) { testIncidents(t, open(t)) })
	t.Run("PlatformCounts", func(t *testing.T) { testPlatformCounts(t, open(t)) })
	t.Run("CertificatesExpiring", func(t *testing.T) { testCertificatesExpiring(t, open(t)) })
	t.Run("RetentionInChunks", func(t *testing.T) { testRetention(t, open(t)) })
}

var supportT0 = time.Date(2026, 11, 27, 9, 30, 15, 123456000, time.UTC)

func ticket(id, enterprise, status string, created time.Time) *store.Ticket {
	return &store.Ticket{ID: id, EnterpriseCode: enterprise, Subject: "回执 " + id, Priority: "normal", LinkKind: "reason", LinkRef: "1302",
		ReasonCode: "1302", Status: status, CreatedAt: created, UpdatedAt: created, ResponseDue: created.Add(4 * time.Hour),
		ResolveDue: created.Add(72 * time.Hour)}
}

func mustTicket(t *testing.T, db *store.DB, tk *store.Ticket) {
	t.Helper()
	if err := db.CreateTicket(context.Background(), tk, store.TicketEvent{At: tk.CreatedAt, Actor: tk.EnterpriseCode, Kind: "opened", Body: "请帮忙"}); err != nil {
		t.Fatalf("create ticket %s: %v", tk.ID, err)
	}
}

func testTicketRoundTrip(t *testing.T, db *store.DB) {
	ctx := context.Background()
	for i, code := range []string{"1105910159", "1105910159", "330766K00Q"} {
		mustTicket(t, db, ticket(fmt.Sprintf("T%d", i), code, "open", supportT0.Add(time.Duration(i)*time.Minute)))
	}
	got, events, err := db.Ticket(ctx, "T1")
	if err != nil {
		t.Fatal(err)
	}
	want := ticket("T1", "1105910159", "open", supportT0.Add(time.Minute))
	if got.ID != want.ID || got.Subject != want.Subject || got.LinkRef != "1302" || got.Escalation != 0 || got.Assignee != "" ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.ResponseDue.Equal(want.ResponseDue) || !got.ResolveDue.Equal(want.ResolveDue) ||
		got.FirstResponseAt != nil || got.ResolvedAt != nil {
		t.Errorf("read back %+v, want %+v", got, want)
	}
	if len(events) != 1 || events[0].Kind != "opened" || events[0].Body != "请帮忙" || !events[0].At.Equal(want.CreatedAt) {
		t.Errorf("events %+v", events)
	}
	if _, _, err := db.Ticket(ctx, "nope"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("missing ticket: %v, want not found", err)
	}
	all, err := db.Tickets(ctx, "", "", 10)
	if err != nil || len(all) != 3 || all[0].ID != "T2" || all[2].ID != "T0" {
		t.Errorf("all tickets, newest first: %v %v", ids(all), err)
	}
	mine, err := db.Tickets(ctx, "1105910159", "open", 1)
	if err != nil || len(mine) != 1 || mine[0].ID != "T1" {
		t.Errorf("one enterprise, limit 1: %v %v", ids(mine), err)
	}
	if none, err := db.Tickets(ctx, "", "closed", 10); err != nil || none == nil || len(none) != 0 {
		t.Errorf("no closed tickets: %v %v", none, err)
	}
	since, err := db.TicketsOpenedSince(ctx, supportT0.Add(time.Minute))
	if err != nil || len(since) != 2 {
		t.Errorf("opened since the second: %v %v", ids(since), err)
	}
}

func ids(ts []store.Ticket) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func testTicketUpdate(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mustTicket(t, db, ticket("T1", "1105910159", "open", supportT0))
	now := supportT0.Add(time.Hour)
	upd := store.Ticket{ID: "T1", Status: "answered", Assignee: "王", FirstResponseAt: &now, UpdatedAt: now}
	events := []store.TicketEvent{{At: now, Actor: "operator", Kind: "reply", Body: "已处理"}, {At: now, Actor: "operator", Kind: "assigned", Body: "王"}}
	if err := db.UpdateTicket(ctx, &upd, supportT0, events); err != nil {
		t.Fatal(err)
	}
	// A writer that read the ticket before that change loses, and writes nothing.
	later := now.Add(time.Minute)
	stale := store.Ticket{ID: "T1", Status: "closed", ResolvedAt: &later, UpdatedAt: later}
	if err := db.UpdateTicket(ctx, &stale, supportT0, []store.TicketEvent{{At: later, Actor: "x", Kind: "status", Body: "closed"}}); !errors.Is(err, store.ErrTicketChanged) {
		t.Errorf("stale update: %v, want ErrTicketChanged", err)
	}
	got, evs, err := db.Ticket(ctx, "T1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "answered" || got.Assignee != "王" || got.FirstResponseAt == nil || !got.FirstResponseAt.Equal(now) || got.ResolvedAt != nil || !got.UpdatedAt.Equal(now) {
		t.Errorf("after update: %+v", got)
	}
	if len(evs) != 3 || evs[1].Kind != "reply" || evs[2].Kind != "assigned" {
		t.Errorf("events: %+v", evs)
	}
	// Reopening clears the resolution again (a nil time is written as NULL).
	resolved := later
	if err := db.UpdateTicket(ctx, &store.Ticket{ID: "T1", Status: "resolved", Assignee: "王", FirstResponseAt: &now, ResolvedAt: &resolved, UpdatedAt: later}, now, nil); err != nil {
		t.Fatal(err)
	}
	reopened := later.Add(time.Minute)
	if err := db.UpdateTicket(ctx, &store.Ticket{ID: "T1", Status: "open", Assignee: "王", FirstResponseAt: &now, UpdatedAt: reopened}, later, nil); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := db.Ticket(ctx, "T1"); got.Status != "open" || got.ResolvedAt != nil {
		t.Errorf("reopened: %+v", got)
	}
}

func testTicketEscalation(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mustTicket(t, db, ticket("fresh", "1105910159", "open", supportT0))                       // nothing due yet
	mustTicket(t, db, ticket("late", "1105910159", "open", supportT0.Add(-5*time.Hour)))      // response overdue
	mustTicket(t, db, ticket("very", "1105910159", "answered", supportT0.Add(-80*time.Hour))) // both overdue
	mustTicket(t, db, ticket("closed", "1105910159", "closed", supportT0.Add(-80*time.Hour))) // closed: never
	note := func(level int) string { return fmt.Sprintf("level %d", level) }
	n, err := db.EscalateTickets(ctx, supportT0, "platform", note)
	if err != nil || n != 3 { // late → 1; very → 1, then 2
		t.Fatalf("first run raised %d (%v), want 3", n, err)
	}
	for id, want := range map[string]int{"fresh": 0, "late": 1, "very": 2, "closed": 0} {
		got, evs, err := db.Ticket(ctx, id)
		if err != nil || got.Escalation != want {
			t.Errorf("%s: level %d (%v), want %d", id, got.Escalation, err, want)
		}
		if want > 0 && (evs[len(evs)-1].Kind != "escalated" || evs[len(evs)-1].Body != note(want) || evs[len(evs)-1].Actor != "platform") {
			t.Errorf("%s: last event %+v", id, evs[len(evs)-1])
		}
	}
	if n, err := db.EscalateTickets(ctx, supportT0, "platform", note); err != nil || n != 0 {
		t.Errorf("second run raised %d (%v), want none", n, err)
	}
}

func testTicketLinks(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if _, err := db.ReceiptReturnInfo(ctx, "1105910159", 1); errs.KindOf(err) != errs.NotFound {
		t.Errorf("no receipt: %v", err)
	}
	if _, err := db.InventoryReasonByCopNo(ctx, "COP1", "1105910159"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("no inventory: %v", err)
	}
	if _, err := db.DocumentSender(ctx, "order", "1105910159", "ORD1"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("no document: %v", err)
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.AddReceipt(ctx, &store.Receipt{EnterpriseCode: "1105910159", MessageType: "CEB622Message", CopNo: "COP1", ReturnStatus: "100",
			ReturnInfo: "[Code:1302;Desc:超过单次限值]", XML: "<x/>", CreatedAt: supportT0}); err != nil {
			return err
		}
		if err := tx.InsertInventory(ctx, &store.Inventory{ID: "inv1", AgentCode: "AGENT00001", CopNo: "COP1", EbpCode: "1105910159", OrderNo: "ORD1",
			EbcCode: "EBC0000001", LogisticsCode: "LOG0000001", Status: "100", ReasonCode: "1302", CreatedAt: supportT0, UpdatedAt: supportT0}); err != nil {
			return err
		}
		return tx.PutDocument(ctx, &store.Document{Kind: "order", K1: "1105910159", K2: "ORD1", OrderNo: "ORD1", Sender: "1105910159", AppType: "1",
			Data: []byte("{}"), CreatedAt: supportT0, UpdatedAt: supportT0})
	})
	if err != nil {
		t.Fatal(err)
	}
	if info, err := db.ReceiptReturnInfo(ctx, "1105910159", 1); err != nil || info != "[Code:1302;Desc:超过单次限值]" {
		t.Errorf("receipt: %q %v", info, err)
	}
	if _, err := db.ReceiptReturnInfo(ctx, "330766K00Q", 1); errs.KindOf(err) != errs.NotFound {
		t.Errorf("another enterprise's receipt: %v", err)
	}
	for _, party := range []string{"AGENT00001", "1105910159", "EBC0000001", "LOG0000001"} {
		if reason, err := db.InventoryReasonByCopNo(ctx, "COP1", party); err != nil || reason != "1302" {
			t.Errorf("inventory named by %s: %q %v", party, reason, err)
		}
	}
	if _, err := db.InventoryReasonByCopNo(ctx, "COP1", "330766K00Q"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("inventory not naming the party: %v", err)
	}
	if sender, err := db.DocumentSender(ctx, "order", "1105910159", "ORD1"); err != nil || sender != "1105910159" {
		t.Errorf("document: %q %v", sender, err)
	}
}

func testIncidents(t *testing.T, db *store.DB) {
	ctx := context.Background()
	for i, sev := range []string{"minor", "major", "critical"} {
		if err := db.CreateIncident(ctx, &store.Incident{ID: fmt.Sprintf("I%d", i), Title: "延迟", Body: "", Severity: sev,
			StartedAt: supportT0.Add(time.Duration(i) * 24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := db.ResolveIncident(ctx, "I0", supportT0.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("resolve: %v %v", ok, err)
	}
	if ok, err := db.ResolveIncident(ctx, "I0", supportT0.Add(2*time.Hour)); err != nil || ok {
		t.Errorf("resolve twice: %v %v, want false", ok, err)
	}
	if ok, err := db.ResolveIncident(ctx, "nope", supportT0); err != nil || ok {
		t.Errorf("resolve unknown: %v %v, want false", ok, err)
	}
	list, err := db.Incidents(ctx, supportT0)
	if err != nil || len(list) != 3 || list[0].ID != "I2" || list[2].ResolvedAt == nil || !list[2].ResolvedAt.Equal(supportT0.Add(time.Hour)) {
		t.Errorf("incidents: %+v %v", list, err)
	}
	// Resolved before the window: only the open ones are left.
	if list, err := db.Incidents(ctx, supportT0.Add(2*time.Hour)); err != nil || len(list) != 2 || list[0].ResolvedAt != nil {
		t.Errorf("open incidents: %+v %v", list, err)
	}
}

func testPlatformCounts(t *testing.T, db *store.DB) {
	ctx := context.Background()
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	now := day.Add(10 * time.Hour)
	c, err := db.PlatformCounts(ctx, now, day)
	if err != nil {
		t.Fatal(err)
	}
	if c.MessagesLastHour != 0 || c.LastMessageAt != nil || len(c.ReleaseSeconds) != 0 || c.Pending != 0 || c.OldestPendingAt != nil ||
		c.WaitingDocuments != 0 || c.WebhookBacklog != 0 || c.WebhooksFailing != 0 || c.OpenTickets != 0 || c.StuckLogistics != 0 {
		t.Errorf("empty database: %+v", c)
	}
	released := now.Add(-time.Hour)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for i, at := range []time.Time{now.Add(-30 * time.Minute), now.Add(-2 * time.Hour)} {
			if err := tx.InsertMessage(ctx, &store.Message{ID: fmt.Sprint("m", i), Sender: "1105910159", Guid: fmt.Sprint("g", i), Type: "CEB621Message",
				ReceivedAt: at, Body: []byte("x"), HTTPStatus: 200, Receipt: "<r/>"}); err != nil {
				return err
			}
		}
		for _, v := range []*store.Inventory{
			{ID: "rel", CopNo: "C1", Status: "800", CreatedAt: released.Add(-90 * time.Second), UpdatedAt: released, ReleasedAt: &released},
			{ID: "old", CopNo: "C2", Status: "800", CreatedAt: day.Add(-48 * time.Hour), UpdatedAt: day, ReleasedAt: ptr(day.Add(-time.Minute))},
			{ID: "pend", CopNo: "C3", Status: "120", Pending: true, CreatedAt: now.Add(-time.Minute), UpdatedAt: now.Add(-time.Minute)},
			{ID: "wait", CopNo: "C4", Status: "120", CreatedAt: now, UpdatedAt: now},
		} {
			if err := tx.InsertInventory(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mustTicket(t, db, ticket("T1", "1105910159", "open", now))
	mustTicket(t, db, ticket("T2", "1105910159", "closed", now))
	c, err = db.PlatformCounts(ctx, now, day)
	if err != nil {
		t.Fatal(err)
	}
	if c.MessagesLastHour != 1 || c.LastMessageAt == nil || !c.LastMessageAt.Equal(now.Add(-30*time.Minute)) {
		t.Errorf("messages: %d, last %v", c.MessagesLastHour, c.LastMessageAt)
	}
	if len(c.ReleaseSeconds) != 1 || c.ReleaseSeconds[0] != 90 {
		t.Errorf("today's releases: %v, want [90]", c.ReleaseSeconds)
	}
	if c.Pending != 1 || c.OldestPendingAt == nil || !c.OldestPendingAt.Equal(now.Add(-time.Minute)) || c.WaitingDocuments != 1 || c.OpenTickets != 1 {
		t.Errorf("queues: %+v", c)
	}
}

func ptr[T any](v T) *T { return &v }

func testCertificatesExpiring(t *testing.T, db *store.DB) {
	ctx := context.Background()
	e := sample("1105910159", enterprise.RoleAgent)
	e.Certificates = []enterprise.Certificate{
		{Fingerprint: "soon", Algorithm: "SM2", Subject: "CN=a", Serial: "1", NotAfter: supportT0.Add(24 * time.Hour), PEM: "x"},
		{Fingerprint: "past", Algorithm: "SM2", Subject: "CN=b", Serial: "2", NotAfter: supportT0.Add(-24 * time.Hour), PEM: "x"},
		{Fingerprint: "later", Algorithm: "RSA", Subject: "CN=c", Serial: "3", NotAfter: supportT0.Add(365 * 24 * time.Hour), PEM: "x"},
	}
	mustCreate(t, db, e, key("c0ffee0000000000000000000000000000000000000000000000000000000001"))
	got, err := db.CertificatesExpiringBefore(ctx, supportT0.Add(30*24*time.Hour))
	if err != nil || len(got) != 2 || got[0].Fingerprint != "past" || got[1].Fingerprint != "soon" || got[1].EnterpriseCode != "1105910159" ||
		!got[1].NotAfter.Equal(supportT0.Add(24*time.Hour)) {
		t.Errorf("expiring: %+v %v", got, err)
	}
	if got, err := db.CertificatesExpiringBefore(ctx, supportT0.Add(-48*time.Hour)); err != nil || got == nil || len(got) != 0 {
		t.Errorf("none expiring: %v %v", got, err)
	}
}

func testRetention(t *testing.T, db *store.DB) {
	ctx := context.Background()
	cutoff := supportT0
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := range 7 {
			at := cutoff.Add(-time.Duration(i+1) * time.Hour) // five old ones
			if i >= 5 {
				at = cutoff.Add(time.Duration(i) * time.Minute) // and two new
			}
			if err := tx.InsertMessage(ctx, &store.Message{ID: fmt.Sprint("m", i), Sender: "1105910159", Guid: fmt.Sprint("g", i),
				Type: "CEB621Message", ReceivedAt: at, Body: []byte("x"), HTTPStatus: 200, Receipt: "<r/>"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []store.ProviderSubmission{{Provider: "P", Type: "CEB621Message", Status: 200, At: cutoff.Add(-time.Hour)},
		{Provider: "P", Type: "CEB621Message", Status: 200, At: cutoff.Add(time.Hour)}} {
		if err := db.AddProviderSubmission(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	var deleted []int64
	for {
		n, err := db.DeleteMessagesBefore(ctx, cutoff, 2)
		if err != nil {
			t.Fatal(err)
		}
		deleted = append(deleted, n)
		if n < 2 {
			break
		}
	}
	if fmt.Sprint(deleted) != "[2 2 1]" {
		t.Errorf("deleted in chunks of 2: %v, want [2 2 1]", deleted)
	}
	if n, err := db.DeleteProviderSubmissionsBefore(ctx, cutoff, 10); err != nil || n != 1 {
		t.Errorf("submissions deleted: %d %v", n, err)
	}
	c, err := db.PlatformCounts(ctx, cutoff.Add(time.Hour), cutoff)
	if err != nil || c.MessagesLastHour != 2 {
		t.Errorf("messages left in the last hour: %+v %v", c, err)
	}
}
