package store

import (
	"context"
	"fmt"
	"time"
)

// RiskHit is a recorded rule or measure hit of an inventory (package risk).
type RiskHit struct {
	Kind    string    `json:"kind"` // rule, measure
	Ref     string    `json:"ref"`
	Version int64     `json:"version,omitempty"`
	Action  string    `json:"action"`
	Score   int64     `json:"score,omitempty"`
	At      time.Time `json:"at"`
}

// InsertRiskHit records a hit of an inventory; a hit already recorded (the
// same rule version or measure judged again) is kept as it was.
func (t *Tx) InsertRiskHit(ctx context.Context, inventoryID string, h RiskHit) error {
	_, err := t.Exec(ctx, `INSERT INTO risk_hits (inventory_id, kind, ref, version, action, score, at) VALUES ($1,$2,$3,$4,$5,$6,$7)
		ON CONFLICT (inventory_id, kind, ref, version) DO NOTHING`, inventoryID, h.Kind, h.Ref, h.Version, h.Action, h.Score, h.At)
	if err != nil {
		return fmt.Errorf("record %s hit %s of inventory %s: %w", h.Kind, h.Ref, inventoryID, classify(err))
	}
	return nil
}

// RiskHits lists what hit an inventory, oldest first.
func (db *DB) RiskHits(ctx context.Context, inventoryID string) ([]RiskHit, error) {
	rows, err := db.Query(ctx, `SELECT kind, ref, version, action, score, at FROM risk_hits WHERE inventory_id = $1 ORDER BY at, kind, ref`, inventoryID)
	if err != nil {
		return nil, fmt.Errorf("risk hits of inventory %s: %w", inventoryID, err)
	}
	hits, err := Collect(rows, func(r Scanner) (RiskHit, error) {
		var h RiskHit
		var at Time
		err := r.Scan(&h.Kind, &h.Ref, &h.Version, &h.Action, &h.Score, &at)
		h.At = at.Time
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("risk hits of inventory %s: %w", inventoryID, err)
	}
	return hits, nil
}
