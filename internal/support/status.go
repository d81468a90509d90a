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

// Incident is a disturbance published on the status page.
type Incident struct {
	ID         string     `json:"id"`
	Title      string     `json:"title"`
	Body       string     `json:"body"`
	Severity   string     `json:"severity"` // minor, major, critical
	StartedAt  time.Time  `json:"startedAt"`
	ResolvedAt *time.Time `json:"resolvedAt,omitempty"`
}

// IncidentInput opens an incident.
type IncidentInput struct {
	Title    string `json:"title"`
	Body     string `json:"body"`
	Severity string `json:"severity"`
}

// OpenIncident publishes an incident.
func (s *Service) OpenIncident(ctx context.Context, in IncidentInput) (*Incident, error) {
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
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO sr_incidents (id, title, body, severity, started_at, resolved_at) VALUES ($1, $2, $3, $4, $5, NULL)`,
			i.ID, i.Title, i.Body, i.Severity, i.StartedAt)
		return err
	})
	return i, err
}

// ResolveIncident closes an incident.
func (s *Service) ResolveIncident(ctx context.Context, id string) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE sr_incidents SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL`, s.Now().UTC(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.New(errs.NotFound, "incident_not_found", "id", "no open incident %s", id)
		}
		return nil
	})
}

// Incidents lists open incidents and those resolved within the last 7 days, newest first.
func (s *Service) Incidents(ctx context.Context) ([]Incident, error) {
	rows, err := s.DB.Query(ctx, `SELECT id, title, body, severity, started_at, resolved_at FROM sr_incidents
		WHERE resolved_at IS NULL OR resolved_at >= $1 ORDER BY started_at DESC, id DESC`, s.Now().UTC().AddDate(0, 0, -7))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Incident{}
	for rows.Next() {
		var i Incident
		var started store.Time
		var resolved store.NullTime
		if err := rows.Scan(&i.ID, &i.Title, &i.Body, &i.Severity, &started, &resolved); err != nil {
			return nil, err
		}
		i.StartedAt = started.UTC()
		if resolved.Valid {
			v := resolved.UTC()
			i.ResolvedAt = &v
		}
		out = append(out, i)
	}
	return out, rows.Err()
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
type CertificateExpiry struct {
	EnterpriseCode string    `json:"enterpriseCode"`
	Fingerprint    string    `json:"fingerprint"`
	NotAfter       time.Time `json:"notAfter"`
}

var cst = time.FixedZone("CST", 8*3600)

// Status computes the status page; details adds what only operators see.
func (s *Service) Status(ctx context.Context, details bool) (*Status, error) {
	now := s.Now().UTC()
	st := &Status{Status: "operational", At: now}
	var last store.NullTime
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM messages WHERE received_at >= $1`, now.Add(-time.Hour)).Scan(&st.Intake.MessagesLastHour); err != nil {
		return nil, err
	}
	if err := s.DB.QueryRow(ctx, `SELECT MAX(received_at) FROM messages`).Scan(&last); err != nil {
		return nil, err
	}
	if last.Valid {
		v := last.UTC()
		st.Intake.LastMessageAt = &v
	}
	y, m, d := now.In(cst).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, cst)
	rows, err := s.DB.Query(ctx, `SELECT created_at, released_at FROM inventories WHERE released_at >= $1`, day)
	if err != nil {
		return nil, err
	}
	var secs []float64
	for rows.Next() {
		var c, r store.Time
		if err := rows.Scan(&c, &r); err != nil {
			rows.Close()
			return nil, err
		}
		secs = append(secs, r.Sub(c.Time).Seconds())
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	st.Clearance.ReleasedToday = int64(len(secs))
	if len(secs) > 0 {
		var sum float64
		for _, v := range secs {
			sum += v
		}
		st.Clearance.MeanSeconds = round3(sum / float64(len(secs)))
		slices.Sort(secs)
		st.Clearance.P95Seconds = round3(secs[(len(secs)*95+99)/100-1])
	}
	var oldest store.NullTime
	q := &st.Queues
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*), MIN(updated_at) FROM inventories WHERE pending`).Scan(&q.Pending, &oldest); err != nil {
		return nil, err
	}
	if oldest.Valid {
		q.OldestPendingSeconds = round3(now.Sub(oldest.Time.Time).Seconds())
	}
	for _, c := range []struct {
		dst   *int64
		query string
	}{
		{&q.WaitingDocuments, `SELECT COUNT(*) FROM inventories WHERE status = '120' AND NOT pending`},
		{&q.WebhookBacklog, `SELECT COALESCE(SUM(c.last_seq - w.delivered_seq), 0) FROM webhooks w JOIN receipt_counters c ON c.enterprise_code = w.enterprise_code`},
		{&q.WebhooksFailing, `SELECT COUNT(*) FROM webhooks WHERE failures > 0`},
		{&q.OpenTickets, `SELECT COUNT(*) FROM sr_tickets WHERE status IN ('open', 'answered')`},
		{&q.StuckLogistics, `SELECT COUNT(*) FROM lg_alerts WHERE resolved_at IS NULL`},
	} {
		if err := s.DB.QueryRow(ctx, c.query).Scan(c.dst); err != nil {
			return nil, err
		}
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
func (s *Service) ExpiringCertificates(ctx context.Context, within time.Duration) ([]CertificateExpiry, error) {
	rows, err := s.DB.Query(ctx, `SELECT enterprise_code, fingerprint, not_after FROM enterprise_certificates WHERE not_after < $1 ORDER BY not_after`,
		s.Now().UTC().Add(within))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []CertificateExpiry{}
	for rows.Next() {
		var c CertificateExpiry
		var na store.Time
		if err := rows.Scan(&c.EnterpriseCode, &c.Fingerprint, &na); err != nil {
			return nil, err
		}
		c.NotAfter = na.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }
