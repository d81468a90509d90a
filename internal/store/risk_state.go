package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// risk_state holds named numbers of package risk: the generation, bumped by
// every change of a rule, a measure or a direct-connect flag so that other
// nodes reload, and the score threshold when an officer has set one.

// RiskGeneration reads the generation of risk's rules, measures and flags.
func (db *DB) RiskGeneration(ctx context.Context) (int64, error) {
	var gen int64
	if err := db.QueryRow(ctx, `SELECT generation FROM risk_state WHERE name = 'generation'`).Scan(&gen); err != nil {
		return 0, fmt.Errorf("read risk generation: %w", classify(err))
	}
	return gen, nil
}

// BumpRiskGeneration marks a change for other nodes, in the change's transaction.
func (t *Tx) BumpRiskGeneration(ctx context.Context) error {
	if _, err := t.Exec(ctx, `UPDATE risk_state SET generation = generation + 1 WHERE name = 'generation'`); err != nil {
		return fmt.Errorf("bump risk generation: %w", classify(err))
	}
	return nil
}

// RiskScoreThreshold reads the score threshold an officer set; false when
// none was ever set.
func (db *DB) RiskScoreThreshold(ctx context.Context) (int64, bool, error) {
	var n int64
	err := db.QueryRow(ctx, `SELECT generation FROM risk_state WHERE name = 'score_threshold'`).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read risk score threshold: %w", classify(err))
	}
	return n, true, nil
}

// SetRiskScoreThreshold stores the score threshold.
func (t *Tx) SetRiskScoreThreshold(ctx context.Context, n int64) error {
	if _, err := t.Exec(ctx, `INSERT INTO risk_state (name, generation) VALUES ('score_threshold', $1)
		ON CONFLICT (name) DO UPDATE SET generation = excluded.generation`, n); err != nil {
		return fmt.Errorf("set risk score threshold %d: %w", n, classify(err))
	}
	return nil
}
