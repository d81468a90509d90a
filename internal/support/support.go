// Package support is the service response centre (服务响应中心): enterprises
// open tickets linked to a receipt, an inventory, a document or a reason code;
// operators assign and answer them; each ticket runs two SLA timers (first
// response, resolution) and is escalated when one runs out. Every reason code
// has a help article, and incidents are published on the status page.
package support

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// Service keeps tickets and incidents.
type Service struct {
	DB  *store.DB
	Now func() time.Time
	Log *slog.Logger
	// ResponseSLA and ResolveSLA are the timers of a normal ticket; an urgent one gets a quarter of each.
	ResponseSLA, ResolveSLA time.Duration
	// Every is how often Run escalates overdue tickets.
	Every time.Duration
	// RetentionDays: raw messages older than this are deleted once a day (0 keeps them).
	RetentionDays int
	// CertWarning: certificates expiring within this are warned about in the log once a day.
	CertWarning time.Duration
}

// Ticket statuses.
const (
	StatusOpen     = "open"     // waiting for the operators
	StatusAnswered = "answered" // waiting for the enterprise
	StatusResolved = "resolved"
	StatusClosed   = "closed"
)

// Operator is the actor name of the platform operator.
const Operator = "operator"

// Ticket is a request of an enterprise to the centre.
type Ticket struct {
	ID              string     `json:"id"`
	EnterpriseCode  string     `json:"enterpriseCode"`
	Subject         string     `json:"subject"`
	Priority        string     `json:"priority"`
	LinkKind        string     `json:"linkKind"` // receipt, inventory, document, reason
	LinkRef         string     `json:"linkRef"`
	ReasonCode      string     `json:"reasonCode,omitempty"`
	HelpURL         string     `json:"help,omitempty"`
	Status          string     `json:"status"`
	Assignee        string     `json:"assignee,omitempty"`
	Escalation      int        `json:"escalation"` // 0, 1 response overdue, 2 resolution overdue
	CreatedAt       time.Time  `json:"createdAt"`
	UpdatedAt       time.Time  `json:"updatedAt"`
	ResponseDue     time.Time  `json:"responseDue"`
	ResolveDue      time.Time  `json:"resolveDue"`
	FirstResponseAt *time.Time `json:"firstResponseAt,omitempty"`
	ResolvedAt      *time.Time `json:"resolvedAt,omitempty"`
	SLA             SLA        `json:"sla"`
	Events          []Event    `json:"events,omitempty"`
}

// SLA is the state of a ticket's timers when read.
type SLA struct {
	Response string `json:"response"` // running, met, breached
	Resolve  string `json:"resolve"`
	// Left is the time left on the running timer ("3h59m0s"), empty when none runs.
	Left string `json:"left,omitempty"`
}

// Event is one step of a ticket's life: at, actor, kind (opened, reply,
// assigned, status, escalated) and body.
type Event = store.TicketEvent

// OpenInput is what an enterprise sends to open a ticket.
type OpenInput struct {
	Subject    string `json:"subject"`
	Body       string `json:"body"`
	Priority   string `json:"priority,omitempty"` // normal (default) or urgent
	ReceiptSeq int64  `json:"receiptSeq,omitempty"`
	CopNo      string `json:"copNo,omitempty"`    // an inventory of the enterprise
	Document   string `json:"document,omitempty"` // kind/k1/k2 of an order, payment or waybill, e.g. order/1105910159/ORD1
	ReasonCode string `json:"reasonCode,omitempty"`
}

var codeRE = regexp.MustCompile(`\[Code:(\d+);`)

// Open opens a ticket for enterprise; exactly one link is required.
func (s *Service) Open(ctx context.Context, enterprise string, in OpenInput) (_ *Ticket, err error) {
	defer errs.Wrap(&err, "support.Open(%q)", enterprise)
	var problems errs.List
	if n := len([]rune(strings.TrimSpace(in.Subject))); n == 0 || n > 200 {
		problems = append(problems, errs.Invalidf("subject", "subject_invalid", "give a subject of 1 to 200 characters"))
	}
	if n := len([]rune(strings.TrimSpace(in.Body))); n == 0 || n > 10000 {
		problems = append(problems, errs.Invalidf("body", "body_invalid", "describe the problem in 1 to 10000 characters"))
	}
	if in.Priority == "" {
		in.Priority = "normal"
	}
	if in.Priority != "normal" && in.Priority != "urgent" {
		problems = append(problems, errs.Invalidf("priority", "priority_unknown", "%q is not normal or urgent", in.Priority))
	}
	links := 0
	for _, set := range []bool{in.ReceiptSeq != 0, in.CopNo != "", in.Document != "", in.ReasonCode != ""} {
		if set {
			links++
		}
	}
	if links != 1 {
		problems = append(problems, errs.Invalidf("receiptSeq", "link_required", "link the ticket to exactly one of receiptSeq, copNo, document, reasonCode (got %d)", links))
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	t := &Ticket{EnterpriseCode: enterprise, Subject: strings.TrimSpace(in.Subject), Priority: in.Priority, Status: StatusOpen}
	switch {
	case in.ReceiptSeq != 0:
		info, err := s.DB.ReceiptReturnInfo(ctx, enterprise, in.ReceiptSeq)
		if errs.KindOf(err) == errs.NotFound {
			return nil, errs.New(errs.NotFound, "receipt_not_found", "receiptSeq", "enterprise %s has no receipt %d", enterprise, in.ReceiptSeq)
		}
		if err != nil {
			return nil, err
		}
		t.LinkKind, t.LinkRef = "receipt", fmt.Sprint(in.ReceiptSeq)
		if m := codeRE.FindStringSubmatch(info); m != nil {
			t.ReasonCode = m[1]
		}
	case in.CopNo != "":
		reason, err := s.DB.InventoryReasonByCopNo(ctx, in.CopNo, enterprise)
		if errs.KindOf(err) == errs.NotFound {
			return nil, errs.New(errs.NotFound, "inventory_not_found", "copNo", "no inventory %s names enterprise %s", in.CopNo, enterprise)
		}
		if err != nil {
			return nil, err
		}
		t.LinkKind, t.LinkRef, t.ReasonCode = "inventory", in.CopNo, reason
	case in.Document != "":
		parts := strings.Split(in.Document, "/")
		if len(parts) != 3 || !slices.Contains([]string{"order", "payment", "waybill", "logistics_status"}, parts[0]) {
			return nil, errs.Invalidf("document", "document_invalid", "write the document as kind/key1/key2, e.g. order/1105910159/ORD1 (kinds: order, payment, waybill, logistics_status)")
		}
		sender, err := s.DB.DocumentSender(ctx, parts[0], parts[1], parts[2])
		if errs.KindOf(err) == errs.NotFound || (err == nil && sender != enterprise) {
			return nil, errs.New(errs.NotFound, "document_not_found", "document", "enterprise %s sent no document %s", enterprise, in.Document)
		}
		if err != nil {
			return nil, err
		}
		t.LinkKind, t.LinkRef = "document", in.Document
	default:
		if Article(in.ReasonCode) == nil {
			return nil, errs.Invalidf("reasonCode", "reason_unknown", "%q is not a reason code of the platform (docs/reasons.md)", in.ReasonCode)
		}
		t.LinkKind, t.LinkRef, t.ReasonCode = "reason", in.ReasonCode, in.ReasonCode
	}
	now := s.Now().UTC()
	resp, resolve := s.ResponseSLA, s.ResolveSLA
	if in.Priority == "urgent" {
		resp, resolve = resp/4, resolve/4
	}
	row := store.Ticket{ID: uuid.Must(uuid.NewV7()).String(), EnterpriseCode: enterprise, Subject: t.Subject, Priority: t.Priority,
		LinkKind: t.LinkKind, LinkRef: t.LinkRef, ReasonCode: t.ReasonCode, Status: StatusOpen,
		CreatedAt: now, UpdatedAt: now, ResponseDue: now.Add(resp), ResolveDue: now.Add(resolve)}
	if err := s.DB.CreateTicket(ctx, &row, Event{At: now, Actor: enterprise, Kind: "opened", Body: strings.TrimSpace(in.Body)}); err != nil {
		return nil, err
	}
	return s.Get(ctx, row.ID)
}

// ticket adds to a stored ticket what is worked out when it is read: its
// help article and the state of its timers.
func (s *Service) ticket(r *store.Ticket) *Ticket {
	t := &Ticket{ID: r.ID, EnterpriseCode: r.EnterpriseCode, Subject: r.Subject, Priority: r.Priority, LinkKind: r.LinkKind, LinkRef: r.LinkRef,
		ReasonCode: r.ReasonCode, Status: r.Status, Assignee: r.Assignee, Escalation: r.Escalation, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		ResponseDue: r.ResponseDue, ResolveDue: r.ResolveDue, FirstResponseAt: r.FirstResponseAt, ResolvedAt: r.ResolvedAt}
	if t.ReasonCode != "" && Article(t.ReasonCode) != nil {
		t.HelpURL = "/api/v1/help/" + t.ReasonCode
	}
	t.SLA = s.sla(t)
	return t
}

func (s *Service) tickets(rows []store.Ticket) []*Ticket {
	out := make([]*Ticket, len(rows))
	for i := range rows {
		out[i] = s.ticket(&rows[i])
	}
	return out
}

func (s *Service) sla(t *Ticket) SLA {
	now := s.Now()
	timer := func(done *time.Time, due time.Time) string {
		switch {
		case done != nil && !done.After(due):
			return "met"
		case done != nil || now.After(due):
			return "breached"
		}
		return "running"
	}
	out := SLA{Response: timer(t.FirstResponseAt, t.ResponseDue), Resolve: timer(t.ResolvedAt, t.ResolveDue)}
	switch {
	case out.Response == "running":
		out.Left = t.ResponseDue.Sub(now).Round(time.Second).String()
	case out.Resolve == "running":
		out.Left = t.ResolveDue.Sub(now).Round(time.Second).String()
	}
	return out
}

// Get reads a ticket with its history.
func (s *Service) Get(ctx context.Context, id string) (_ *Ticket, err error) {
	defer errs.Wrap(&err, "support.Get(%q)", id)
	r, events, err := s.DB.Ticket(ctx, id)
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.New(errs.NotFound, "ticket_not_found", "id", "no ticket %s", id)
	}
	if err != nil {
		return nil, err
	}
	t := s.ticket(r)
	if len(events) > 0 {
		t.Events = events
	}
	return t, nil
}

// List returns tickets, newest first, of one enterprise or all (""), of one status or all.
func (s *Service) List(ctx context.Context, enterprise, status string, limit int) (_ []*Ticket, err error) {
	defer errs.Wrap(&err, "support.List(%q, %q)", enterprise, status)
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.DB.Tickets(ctx, enterprise, status, limit)
	if err != nil {
		return nil, err
	}
	return s.tickets(rows), nil
}

// UpdateInput is a reply, an assignment or a status change; any combination.
type UpdateInput struct {
	Reply    string `json:"reply,omitempty"`
	Assignee string `json:"assignee,omitempty"` // operators only
	Status   string `json:"status,omitempty"`   // resolved, closed; open to reopen
}

// Update applies actor's reply, assignment or status change to ticket id.
// actor is Operator or the ticket's enterprise.
func (s *Service) Update(ctx context.Context, id, actor string, in UpdateInput) (_ *Ticket, err error) {
	defer errs.Wrap(&err, "support.Update(%q, %q)", id, actor)
	t, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	op := actor == Operator
	if !op && actor != t.EnterpriseCode {
		return nil, errs.New(errs.NotFound, "ticket_not_found", "id", "no ticket %s", id)
	}
	if in.Reply == "" && in.Assignee == "" && in.Status == "" {
		return nil, errs.Invalidf("reply", "nothing_to_do", "send a reply, an assignee or a status")
	}
	if len([]rune(in.Reply)) > 10000 {
		return nil, errs.Invalidf("reply", "too_long", "a reply has at most 10000 characters")
	}
	if in.Assignee != "" && !op {
		return nil, errs.New(errs.Forbidden, "operators_only", "assignee", "only operators assign tickets")
	}
	if len(in.Assignee) > 100 {
		return nil, errs.Invalidf("assignee", "too_long", "an assignee has at most 100 characters")
	}
	switch in.Status {
	case "", StatusResolved, StatusClosed, StatusOpen:
	default:
		return nil, errs.Invalidf("status", "status_unknown", "%q is not open, resolved or closed", in.Status)
	}
	if t.Status == StatusClosed && in.Status != StatusOpen {
		return nil, errs.New(errs.Conflict, "ticket_closed", "status", "ticket %s is closed; reopen it with status open", id)
	}
	now := s.Now().UTC()
	status, first, resolved := t.Status, t.FirstResponseAt, t.ResolvedAt
	if in.Reply != "" {
		if op {
			status = StatusAnswered
			if first == nil {
				first = &now
			}
		} else {
			status = StatusOpen
		}
	}
	switch in.Status {
	case StatusResolved, StatusClosed:
		status = in.Status
		if resolved == nil {
			resolved = &now
		}
		if op && first == nil {
			first = &now
		}
	case StatusOpen:
		status, resolved = StatusOpen, nil
	}
	assignee := t.Assignee
	if in.Assignee != "" {
		assignee = in.Assignee
	}
	var events []Event
	if in.Reply != "" {
		events = append(events, Event{At: now, Actor: actor, Kind: "reply", Body: in.Reply})
	}
	if in.Assignee != "" {
		events = append(events, Event{At: now, Actor: actor, Kind: "assigned", Body: assignee})
	}
	if in.Status != "" {
		events = append(events, Event{At: now, Actor: actor, Kind: "status", Body: status})
	}
	row := store.Ticket{ID: id, Status: status, Assignee: assignee, FirstResponseAt: first, ResolvedAt: resolved, UpdatedAt: now}
	err = s.DB.UpdateTicket(ctx, &row, t.UpdatedAt, events)
	if errors.Is(err, store.ErrTicketChanged) {
		return nil, errs.New(errs.Conflict, "ticket_changed", "id", "ticket %s changed meanwhile; read it and retry", id)
	}
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// Run escalates overdue tickets every s.Every, and runs the daily job once a
// day across the platform, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	every := s.Every
	if every <= 0 {
		every = time.Minute
	}
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			s.tick(ctx)
		}
	}
}

// dailyRun names the setting that holds the daily job's last run.
const dailyRun = "support_daily_run"

// dailyRetry is how soon a daily job that failed is tried again.
const dailyRetry = 15 * time.Minute

// tick escalates overdue tickets, and runs the daily job if no node has run
// it in the last 24 hours, or dailyRetry after a run that failed. The last run is claimed in the database, not kept
// in memory: a node that takes the lead over, or restarts, would otherwise
// run it again at once.
func (s *Service) tick(ctx context.Context) {
	if _, err := s.Escalate(ctx); err != nil && ctx.Err() == nil {
		s.Log.Warn("support: escalation failed", "error", err)
	}
	now := s.Now()
	claimed, err := s.DB.ClaimRun(ctx, dailyRun, now, 24*time.Hour)
	if err != nil {
		if ctx.Err() == nil {
			s.Log.Warn("support: claiming the daily job failed; tried again at the next tick", "error", err)
		}
		return
	}
	if !claimed || s.daily(ctx) {
		return
	}
	// A part failed (each logged its error), or the node is stopping: the
	// whole job is due again soon, not in a day. Running it again is safe:
	// retention deletes what is still due, and the certificates' warnings
	// are logged again. The claim is moved back even while the node stops.
	retry := now.Add(dailyRetry)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.DB.RetryRun(wctx, dailyRun, now, retry, 24*time.Hour); err != nil {
		if ctx.Err() == nil {
			s.Log.Warn("support: the daily job failed and could not be made due again; it runs in a day", "error", err)
		}
		return
	}
	if ctx.Err() != nil {
		return
	}
	s.Log.Warn("support: the daily job failed; it is tried again", "at", retry.Format(time.RFC3339))
}

// Escalate raises tickets whose response (level 1) or resolution (level 2)
// timer ran out, once per level, and returns how many it raised.
func (s *Service) Escalate(ctx context.Context) (_ int, err error) {
	defer errs.Wrap(&err, "support.Escalate")
	n, err := s.DB.EscalateTickets(ctx, s.Now().UTC(), "platform", func(level int) string {
		what := "no first response within the SLA"
		if level == 2 {
			what = "not resolved within the SLA"
		}
		return fmt.Sprintf("level %d: %s", level, what)
	})
	if n > 0 {
		s.Log.Warn("support: tickets escalated", "count", n)
	}
	return n, err
}

// Figures are what operators watch.
type Figures struct {
	Open                     int            `json:"open"`
	Answered                 int            `json:"answered"`
	Resolved                 int            `json:"resolved"`
	Closed                   int            `json:"closed"`
	Escalated                int            `json:"escalated"`
	ResponseBreached         int            `json:"responseBreached"`
	ResolveBreached          int            `json:"resolveBreached"`
	ResponseWithinSLA        string         `json:"responseWithinSla"` // share of responded tickets answered in time
	MeanFirstResponseMinutes int64          `json:"meanFirstResponseMinutes"`
	MeanResolveMinutes       int64          `json:"meanResolveMinutes"`
	Unassigned               int            `json:"unassigned"`
	ByReason                 map[string]int `json:"byReason"`
}

// Figures sums the tickets opened since from.
func (s *Service) Figures(ctx context.Context, from time.Time) (_ *Figures, err error) {
	defer errs.Wrap(&err, "support.Figures")
	rows, err := s.DB.TicketsOpenedSince(ctx, from)
	if err != nil {
		return nil, err
	}
	f := &Figures{ByReason: map[string]int{}}
	var respSum, resSum time.Duration
	var responded, inTime, resolvedN int64
	for _, t := range s.tickets(rows) {
		switch t.Status {
		case StatusOpen:
			f.Open++
		case StatusAnswered:
			f.Answered++
		case StatusResolved:
			f.Resolved++
		case StatusClosed:
			f.Closed++
		}
		if t.Escalation > 0 {
			f.Escalated++
		}
		if t.SLA.Response == "breached" {
			f.ResponseBreached++
		}
		if t.SLA.Resolve == "breached" {
			f.ResolveBreached++
		}
		if t.Assignee == "" && (t.Status == StatusOpen || t.Status == StatusAnswered) {
			f.Unassigned++
		}
		if t.ReasonCode != "" {
			f.ByReason[t.ReasonCode]++
		}
		if t.FirstResponseAt != nil {
			responded++
			respSum += t.FirstResponseAt.Sub(t.CreatedAt)
			if !t.FirstResponseAt.After(t.ResponseDue) {
				inTime++
			}
		}
		if t.ResolvedAt != nil {
			resolvedN++
			resSum += t.ResolvedAt.Sub(t.CreatedAt)
		}
	}
	if responded > 0 {
		f.MeanFirstResponseMinutes = int64((respSum / time.Duration(responded)).Minutes())
		v := (inTime*100000/responded + 5) / 10
		f.ResponseWithinSLA = fmt.Sprintf("%d.%04d", v/10000, v%10000)
	}
	if resolvedN > 0 {
		f.MeanResolveMinutes = int64((resSum / time.Duration(resolvedN)).Minutes())
	}
	return f, nil
}

// HelpArticle explains a reason code: what it means and how to fix it.
type HelpArticle struct {
	Code    string `json:"code"`
	Title   string `json:"title"`
	TitleZh string `json:"titleZh"`
	Meaning string `json:"meaning"`
	Docs    string `json:"docs"`
}

// Article returns the help article of a reason code, nil for an unknown code.
func Article(code string) *HelpArticle {
	for _, r := range clearance.Reasons {
		if r.Code == code {
			return &HelpArticle{Code: r.Code, Title: r.En, TitleZh: r.Zh, Meaning: r.Meaning, Docs: "docs/reasons.md#" + r.Code}
		}
	}
	return nil
}

// Articles lists every reason code's article.
func Articles() []HelpArticle {
	out := make([]HelpArticle, 0, len(clearance.Reasons))
	for _, r := range clearance.Reasons {
		out = append(out, *Article(r.Code))
	}
	return out
}

// daily applies the retention settings and warns of certificates about to
// expire, and reports whether every part of it ran.
func (s *Service) daily(ctx context.Context) (ok bool) {
	ok = true
	if _, err := s.Retain(ctx, s.RetentionDays); err != nil {
		if ctx.Err() == nil {
			s.Log.Warn("retention failed", "error", err)
		}
		ok = false
	}
	if s.CertWarning <= 0 {
		return ok
	}
	certs, err := s.ExpiringCertificates(ctx, s.CertWarning)
	if err != nil {
		if ctx.Err() == nil {
			s.Log.Warn("certificate expiry check failed", "error", err)
		}
		return false
	}
	for _, c := range certs {
		s.Log.Warn("certificate expires soon: register a new one (PATCH /api/v1/enterprises/{code})", "enterprise", c.EnterpriseCode,
			"fingerprint", c.Fingerprint, "not_after", c.NotAfter.Format(time.RFC3339))
	}
	return ok
}
