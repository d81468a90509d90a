package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// RiskRule is a risk rule as stored (package risk): its current version in
// risk_rules, or one version of its history in risk_rule_versions. Trade
// modes and districts are kept as comma-separated lists.
type RiskRule struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Version    int64      `json:"version"`
	Expr       string     `json:"expr"`
	Action     string     `json:"action"`
	Score      int64      `json:"score,omitempty"`
	TradeModes []string   `json:"tradeModes"`
	Districts  []string   `json:"districts"`
	ValidFrom  *time.Time `json:"validFrom,omitempty"`
	ValidTo    *time.Time `json:"validTo,omitempty"`
	State      string     `json:"state"` // draft, active, disabled
	Author     string     `json:"author"`
	Note       string     `json:"note,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	UpdatedAt  time.Time  `json:"updatedAt"`
}

const riskRuleColumns = `id, name, version, expr, action, score, trade_modes, districts, valid_from, valid_to, state, author, note, created_at, updated_at`

func scanRiskRule(row Scanner) (*RiskRule, error) {
	var r RiskRule
	var modes, districts string
	var from, to NullTime
	var created, updated Time
	err := row.Scan(&r.ID, &r.Name, &r.Version, &r.Expr, &r.Action, &r.Score, &modes, &districts, &from, &to, &r.State, &r.Author, &r.Note, &created, &updated)
	if err != nil {
		return nil, classify(err)
	}
	r.TradeModes, r.Districts = splitList(modes), splitList(districts)
	r.ValidFrom, r.ValidTo = from.asRead(), to.asRead()
	r.CreatedAt, r.UpdatedAt = created.Time, updated.Time
	return &r, nil
}

// asRead is t as the driver gave it (the zone of non-null times of the same
// row), nil when it is NULL.
func (t NullTime) asRead() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.Time
	return &v
}

// splitList reads a comma-separated list; an empty one is an empty slice, not nil.
func splitList(s string) []string {
	out := []string{}
	for _, v := range strings.Split(s, ",") {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// InsertRiskRule stores a new rule; a Conflict error when its id is taken.
func (t *Tx) InsertRiskRule(ctx context.Context, r *RiskRule) error {
	_, err := t.Exec(ctx, `INSERT INTO risk_rules (id, name, version, expr, action, score, trade_modes, districts, valid_from, valid_to,
		state, author, note, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
		r.ID, r.Name, r.Version, r.Expr, r.Action, r.Score, strings.Join(r.TradeModes, ","), strings.Join(r.Districts, ","),
		r.ValidFrom, r.ValidTo, r.State, r.Author, r.Note, r.CreatedAt, r.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store risk rule %s: %w", r.ID, classify(err))
	}
	return nil
}

// InsertRiskRuleVersion records r as version r.Version of its rule's history,
// made at r.UpdatedAt.
func (t *Tx) InsertRiskRuleVersion(ctx context.Context, r *RiskRule) error {
	_, err := t.Exec(ctx, `INSERT INTO risk_rule_versions (rule_id, version, name, expr, action, score, trade_modes, districts,
		valid_from, valid_to, state, author, note, at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
		r.ID, r.Version, r.Name, r.Expr, r.Action, r.Score, strings.Join(r.TradeModes, ","), strings.Join(r.Districts, ","),
		r.ValidFrom, r.ValidTo, r.State, r.Author, r.Note, r.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store version %d of risk rule %s: %w", r.Version, r.ID, classify(err))
	}
	return nil
}

// UpdateRiskRule writes r over the stored rule when the stored one is the
// version before r.Version; false when it is not (changed meanwhile, or gone).
func (t *Tx) UpdateRiskRule(ctx context.Context, r *RiskRule) (bool, error) {
	res, err := t.Exec(ctx, `UPDATE risk_rules SET name=$2, version=$3, expr=$4, action=$5, score=$6, trade_modes=$7, districts=$8,
		valid_from=$9, valid_to=$10, state=$11, author=$12, note=$13, updated_at=$14 WHERE id=$1 AND version=$3-1`,
		r.ID, r.Name, r.Version, r.Expr, r.Action, r.Score, strings.Join(r.TradeModes, ","), strings.Join(r.Districts, ","),
		r.ValidFrom, r.ValidTo, r.State, r.Author, r.Note, r.UpdatedAt)
	return changedOne(res, err, fmt.Sprintf("update risk rule %s to version %d", r.ID, r.Version))
}

// RiskRule reads a rule in the transaction; a NotFound error when there is none.
func (t *Tx) RiskRule(ctx context.Context, id string) (*RiskRule, error) {
	return riskRule(ctx, t, id)
}

// RiskRule reads a rule; a NotFound error when there is none.
func (db *DB) RiskRule(ctx context.Context, id string) (*RiskRule, error) {
	return riskRule(ctx, db, id)
}

func riskRule(ctx context.Context, q rowQuerier, id string) (r *RiskRule, err error) {
	defer errs.Wrap(&err, "read risk rule %s", id)
	return scanRiskRule(q.queryRow(ctx, `SELECT `+riskRuleColumns+` FROM risk_rules WHERE id = $1`, id))
}

// RiskRules lists the rules in the order they were written, of one state
// when state is not empty.
func (db *DB) RiskRules(ctx context.Context, state string) ([]*RiskRule, error) {
	rows, err := db.Query(ctx, `SELECT `+riskRuleColumns+` FROM risk_rules WHERE $1 = '' OR state = $1 ORDER BY created_at, id`, state)
	if err != nil {
		return nil, fmt.Errorf("list risk rules %q: %w", state, err)
	}
	list, err := Collect(rows, scanRiskRule)
	if err != nil {
		return nil, fmt.Errorf("list risk rules %q: %w", state, err)
	}
	return list, nil
}

// RiskRuleVersions is a rule's history, oldest first; each version's time of
// change is both its CreatedAt and its UpdatedAt.
func (db *DB) RiskRuleVersions(ctx context.Context, id string) ([]*RiskRule, error) {
	rows, err := db.Query(ctx, `SELECT rule_id, name, version, expr, action, score, trade_modes, districts, valid_from, valid_to, state,
		author, note, at, at FROM risk_rule_versions WHERE rule_id = $1 ORDER BY version`, id)
	if err != nil {
		return nil, fmt.Errorf("history of risk rule %s: %w", id, err)
	}
	list, err := Collect(rows, scanRiskRule)
	if err != nil {
		return nil, fmt.Errorf("history of risk rule %s: %w", id, err)
	}
	return list, nil
}
