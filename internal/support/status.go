package support

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// Incident is a disturbance published on the status page; severity is
// minor, major or critical.
type Incident = store.Incident

// IncidentInput opens an incident.
type IncidentInput struct {
	Title    string `json:"title"`
	Body     string `json:"body"`
	Severity string `json:"severity"`
}

// OpenIncident publishes an incident.
func (s *Service) OpenIncident(ctx context.Context, in IncidentInput) (_ *Incident, err error) {
	defer errs.Wrap(&err, "support.OpenIncident")
	var problems errs.List
	if n := len([]rune(strings.TrimSpace(in.Title))); n == 0 || n > 200 {
		problems = append(problems, errs.Invalidf("title", "title_invalid", "give a title of 1 to 200 characters"))
	}
	if len([]rune(in.Body)) > 10000 {
		problems = append(problems, errs.Invalidf("body", "too_long", "the body has at most 10000 characters"))
	}
	if in.Severity != "minor" && in.Severity != "major" && in.Severity != "critical" {
		problems = append(problems, errs.Invalidf("severity", "severity_unknown", "%q is not minor, major or critical", in.Severity))
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	i := &Incident{ID: uuid.Must(uuid.NewV7()).String(), Title: strings.TrimSpace(in.Title), Body: in.Body, Severity: in.Severity, StartedAt: s.Now().UTC()}
	return i, s.DB.CreateIncident(ctx, i)
}

// ResolveIncident closes an incident.
func (s *Service) ResolveIncident(ctx context.Context, id string) (err error) {
	defer errs.Wrap(&err, "support.ResolveIncident(%q)", id)
	resolved, err := s.DB.ResolveIncident(ctx, id, s.Now().UTC())
	if err == nil && !resolved {
		return errs.New(errs.NotFound, "incident_not_found", "id", "no open incident %s", id)
	}
	return err
}

// Incidents lists open incidents and those resolved within the last 7 days, newest first.
func (s *Service) Incidents(ctx context.Context) (_ []Incident, err error) {
	defer errs.Wrap(&err, "support.Incidents")
	return s.DB.Incidents(ctx, s.Now().UTC().AddDate(0, 0, -7))
}

// Status is the public status page: intake health, clearance time today and incidents.
type Status struct {
	Status string    `json:"status"` // operational, degraded (an open incident or a backlog), down (database)
	At     time.Time `json:"at"`
	Intake struct {
		MessagesLastHour int64 `json:"messagesLastHour"`
		// LastMessageAt is when the last message was stored.
		LastMessageAt *time.Time `json:"lastMessageAt,omitempty"`
	} `json:"intake"`
	Clearance struct {
		ReleasedToday int64 `json:"releasedToday"`
		// MeanSeconds and P95Seconds: declaration to release of today's releases (China Standard Time day).
		MeanSeconds float64 `json:"meanSeconds"`
		P95Seconds  float64 `json:"p95Seconds"`
	} `json:"clearance"`
	Queues struct {
		Pending              int64   `json:"pendingInventories"`
		OldestPendingSeconds float64 `json:"oldestPendingSeconds"`
		WaitingDocuments     int64   `json:"waitingForDocuments"`
		WebhookBacklog       int64   `json:"webhookBacklog"` // receipts not yet delivered to registered endpoints
		WebhooksFailing      int64   `json:"webhooksFailing"`
		OpenTickets          int64   `json:"openTickets"`
		StuckLogistics       int64   `json:"stuckLogistics"` // open logistics alerts
	} `json:"queues"`
	Incidents []Incident `json:"incidents"`
	// CertificatesExpiring lists registered signing certificates that expire within support.certificate_warning (operators only).
	CertificatesExpiring []CertificateExpiry `json:"certificatesExpiring,omitempty"`
}

// CertificateExpiry is a certificate close to its end.
type CertificateExpiry = store.CertificateExpiry

var cst = time.FixedZone("CST", 8*3600)

// Status computes the status page; details adds what only operators see.
func (s *Service) Status(ctx context.Context, details bool) (_ *Status, err error) {
	defer errs.Wrap(&err, "support.Status")
	now := s.Now().UTC()
	st := &Status{Status: "operational", At: now}
	y, m, d := now.In(cst).Date()
	c, err := s.DB.PlatformCounts(ctx, now, time.Date(y, m, d, 0, 0, 0, 0, cst))
	if err != nil {
		return nil, err
	}
	st.Intake.MessagesLastHour, st.Intake.LastMessageAt = c.MessagesLastHour, c.LastMessageAt
	if secs := c.ReleaseSeconds; len(secs) > 0 {
		st.Clearance.ReleasedToday = int64(len(secs))
		var sum float64
		for _, v := range secs {
			sum += v
		}
		st.Clearance.MeanSeconds = round3(sum / float64(len(secs)))
		slices.Sort(secs)
		st.Clearance.P95Seconds = round3(secs[(len(secs)*95+99)/100-1])
	}
	q := &st.Queues
	q.Pending, q.WaitingDocuments, q.WebhookBacklog, q.WebhooksFailing, q.OpenTickets, q.StuckLogistics =
		c.Pending, c.WaitingDocuments, c.WebhookBacklog, c.WebhooksFailing, c.OpenTickets, c.StuckLogistics
	if c.OldestPendingAt != nil {
		q.OldestPendingSeconds = round3(now.Sub(*c.OldestPendingAt).Seconds())
	}
	if st.Incidents, err = s.Incidents(ctx); err != nil {
		return nil, err
	}
	for _, i := range st.Incidents {
		if i.ResolvedAt == nil {
			st.Status = "degraded"
		}
	}
	if details {
		within := s.CertWarning
		if within <= 0 {
			within = 30 * 24 * time.Hour
		}
		if st.CertificatesExpiring, err = s.ExpiringCertificates(ctx, within); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// ExpiringCertificates lists registered signing certificates that expire
// within the given time (or have expired), soonest first.
func (s *Service) ExpiringCertificates(ctx context.Context, within time.Duration) (_ []CertificateExpiry, err error) {
	defer errs.Wrap(&err, "support.ExpiringCertificates(%s)", within)
	return s.DB.CertificatesExpiringBefore(ctx, s.Now().UTC().Add(within))
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }
