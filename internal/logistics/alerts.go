package logistics

import (
	"context"
	"fmt"
	"github.com/cbec-platform/cbec/internal/errs"
	"time"

	"github.com/google/uuid"

	"github.com/cbec-platform/cbec/internal/store"
)

// Alert is a manifest or parcel stuck in one stage longer than StuckAfter.
type Alert = store.LogisticsAlert

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
func (s *Service) Sweep(ctx context.Context) (_ []Alert, err error) {
	defer errs.Wrap(&err, "logistics.Sweep")
	now := s.Now().UTC()
	limit := now.Add(-s.StuckAfter)
	// Manifests still on their way, filed within the last 180 days.
	sms, err := s.DB.ManifestsSince(ctx, now.AddDate(0, 0, -180))
	if err != nil {
		return nil, err
	}
	ms := fromStoredList(sms)
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
		open, err := tx.OpenLogisticsAlerts(ctx)
		if err != nil {
			return err
		}
		for key, id := range open {
			if _, still := stuck[key]; !still {
				if err := tx.ResolveLogisticsAlert(ctx, id, now); err != nil {
					return err
				}
			}
		}
		for key, a := range stuck {
			if _, known := open[key]; known {
				continue
			}
			a.ID, a.RaisedAt = uuid.Must(uuid.NewV7()).String(), now
			stored, err := tx.RaiseLogisticsAlert(ctx, &a)
			if err != nil {
				return err
			}
			if stored {
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
	return s.DB.LogisticsAlerts(ctx, carrier, all)
}
