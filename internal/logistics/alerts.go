package logistics

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/cbec-platform/cbec/internal/store"
)

// Alert is a manifest or parcel stuck in one stage longer than StuckAfter.
type Alert struct {
	ID            string     `json:"id"`
	Subject       string     `json:"subject"` // manifest:<id> or parcel:<logisticsNo>
	ManifestID    string     `json:"manifestId"`
	LogisticsCode string     `json:"logisticsCode"`
	Stage         string     `json:"stage"` // the stage it is stuck in: filed, departed, arrived, declared, released
	Since         time.Time  `json:"since"`
	RaisedAt      time.Time  `json:"raisedAt"`
	ResolvedAt    *time.Time `json:"resolvedAt,omitempty"`
	Detail        string     `json:"detail"`
}

// Run sweeps for stuck manifests and parcels every s.Every until ctx ends.
func (s *Service) Run(ctx context.Context) {
	every := s.Every
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.Log.Warn("logistics: stuck sweep failed", "error", err)
			}
		}
	}
}

// Sweep raises an alert for each manifest or parcel that has stayed in its
// stage longer than StuckAfter, and resolves the alerts of those that moved
// on. It returns the alerts raised.
func (s *Service) Sweep(ctx context.Context) ([]Alert, error) {
	now := s.Now().UTC()
	limit := now.Add(-s.StuckAfter)
	// Manifests still on their way, filed within the last 180 days.
	rows, err := s.DB.Query(ctx, `SELECT `+manifestColumns+` FROM lg_manifests WHERE created_at >= $1 ORDER BY created_at`, now.AddDate(0, 0, -180))
	if err != nil {
		return nil, err
	}
	var ms []*Manifest
	for rows.Next() {
		m, err := scanManifest(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		ms = append(ms, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	stuck := map[string]Alert{}
	for _, m := range ms {
		switch m.Stage {
		case StageFiled, StageDeparted:
			if m.StageAt.Before(limit) {
				next := map[string]string{StageFiled: "departure", StageDeparted: "arrival"}[m.Stage]
				a := Alert{Subject: "manifest:" + m.ID, ManifestID: m.ID, LogisticsCode: m.LogisticsCode, Stage: m.Stage, Since: m.StageAt,
					Detail: fmt.Sprintf("%s bill %s (%s) %s since %s: no %s for %s", m.Channel, m.BillNo, m.Route, m.Stage,
						m.StageAt.Format(time.RFC3339), next, now.Sub(m.StageAt).Round(time.Minute))}
				stuck[a.Subject+"|"+a.Stage] = a
			}
			continue
		}
		ps, err := s.parcels(ctx, m)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			var since *time.Time
			var waiting string
			switch p.Stage {
			case StageArrived:
				since, waiting = m.ArrivedAt, "declaration"
			case "declared":
				since, waiting = later(m.ArrivedAt, p.DeclaredAt), "release"
			case "released":
				since, waiting = p.ReleasedAt, "delivery"
			}
			if since == nil || !since.Before(limit) {
				continue
			}
			a := Alert{Subject: "parcel:" + p.LogisticsNo, ManifestID: m.ID, LogisticsCode: m.LogisticsCode, Stage: p.Stage, Since: *since,
				Detail: fmt.Sprintf("parcel %s of %s bill %s %s since %s: no %s for %s", p.LogisticsNo, m.Channel, m.BillNo, p.Stage,
					since.Format(time.RFC3339), waiting, now.Sub(*since).Round(time.Minute))}
			stuck[a.Subject+"|"+a.Stage] = a
		}
	}
	var raised []Alert
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		raised = raised[:0]
		open := map[string]string{}
		rows, err := tx.Query(ctx, `SELECT id, subject, stage FROM lg_alerts WHERE resolved_at IS NULL`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, subject, stage string
			if err := rows.Scan(&id, &subject, &stage); err != nil {
				rows.Close()
				return err
			}
			open[subject+"|"+stage] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for key, id := range open {
			if _, still := stuck[key]; !still {
				if _, err := tx.Exec(ctx, `UPDATE lg_alerts SET resolved_at = $1 WHERE id = $2`, now, id); err != nil {
					return err
				}
			}
		}
		for key, a := range stuck {
			if _, known := open[key]; known {
				continue
			}
			a.ID, a.RaisedAt = uuid.Must(uuid.NewV7()).String(), now
			res, err := tx.Exec(ctx, `INSERT INTO lg_alerts (id, subject, manifest_id, logistics_code, stage, since, raised_at, resolved_at, detail)
				SELECT $1, $2, $3, $4, $5, $6, $7, NULL, $8 WHERE NOT EXISTS (SELECT 1 FROM lg_alerts WHERE subject = $2 AND stage = $5)`,
				a.ID, a.Subject, a.ManifestID, a.LogisticsCode, a.Stage, a.Since, a.RaisedAt, a.Detail)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				raised = append(raised, a)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, a := range raised {
		s.Log.Warn("logistics: stuck", "subject", a.Subject, "stage", a.Stage, "since", a.Since)
	}
	return raised, nil
}

func later(a, b *time.Time) *time.Time {
	if a == nil {
		return b
	}
	if b == nil || a.After(*b) {
		return a
	}
	return b
}

// Alerts lists alerts, newest first: open ones only unless all; of one carrier or every one ("").
func (s *Service) Alerts(ctx context.Context, carrier string, all bool) ([]Alert, error) {
	rows, err := s.DB.Query(ctx, `SELECT id, subject, manifest_id, logistics_code, stage, since, raised_at, resolved_at, detail FROM lg_alerts
		WHERE ($1 = '' OR logistics_code = $1) AND ($2 OR resolved_at IS NULL) ORDER BY raised_at DESC, id DESC LIMIT 1000`, carrier, all)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Alert{}
	for rows.Next() {
		var a Alert
		var since, raised store.Time
		var resolved store.NullTime
		if err := rows.Scan(&a.ID, &a.Subject, &a.ManifestID, &a.LogisticsCode, &a.Stage, &since, &raised, &resolved, &a.Detail); err != nil {
			return nil, err
		}
		a.Since, a.RaisedAt, a.ResolvedAt = since.UTC(), raised.UTC(), ptr(resolved)
		out = append(out, a)
	}
	return out, rows.Err()
}
