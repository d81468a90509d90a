package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// BondedReturn is a return (CEB625) of a released bonded inventory (package
// bonded), as stored.
type BondedReturn struct {
	ID, InventoryID, InvtNo string
	AgentCode, CopNo, PreNo string
	Lines                   []byte // bonded's returned quantities per inventory line, JSON
	State, Reason           string // applied, arrived, late, expired
	AppliedAt               time.Time
	ArrivedAt               *time.Time // nil until the goods are recorded back
	RefundFen, QuotaFen     int64
	// InventoryReleasedAt is the release of the inventory, which the
	// return's deadlines count from; read, not written, and zero when the
	// inventory has no release time.
	InventoryReleasedAt time.Time
}

// BondedCancel is a granted cancel (CEB623) of an inventory (package bonded).
type BondedCancel struct {
	InventoryID, AgentCode, CopNo string
	FromStatus, Reason            string
	At                            time.Time
}

const bondedReturnColumns = `r.id, r.inventory_id, r.invt_no, r.agent_code, r.cop_no, r.pre_no, r.lines, r.state, r.reason,
	r.applied_at, r.arrived_at, r.refund_fen, r.quota_fen, i.released_at`

// bondedReturns is the FROM of the reads of returns: the inventory gives its release time.
const bondedReturns = ` FROM bonded_returns r JOIN inventories i ON i.id = r.inventory_id`

func scanBondedReturn(row Scanner) (*BondedReturn, error) {
	var r BondedReturn
	var lines string
	var applied Time
	var arrived, released NullTime
	if err := row.Scan(&r.ID, &r.InventoryID, &r.InvtNo, &r.AgentCode, &r.CopNo, &r.PreNo, &lines, &r.State, &r.Reason,
		&applied, &arrived, &r.RefundFen, &r.QuotaFen, &released); err != nil {
		return nil, classify(err)
	}
	r.Lines, r.AppliedAt, r.ArrivedAt, r.InventoryReleasedAt = []byte(lines), applied.UTC(), nullTimePtr(arrived), released.UTC()
	return &r, nil
}

// InsertBondedReturn stores a new return; a Conflict error when its declarer
// has used its copNo already.
func (t *Tx) InsertBondedReturn(ctx context.Context, r *BondedReturn) error {
	if _, err := t.Exec(ctx, `INSERT INTO bonded_returns (id, inventory_id, agent_code, cop_no, pre_no, invt_no, lines, state, reason, applied_at,
			arrived_at, refund_fen, quota_fen) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
		r.ID, r.InventoryID, r.AgentCode, r.CopNo, r.PreNo, r.InvtNo, string(r.Lines), r.State, r.Reason, r.AppliedAt,
		r.ArrivedAt, r.RefundFen, r.QuotaFen); err != nil {
		return fmt.Errorf("store return %s/%s: %w", r.AgentCode, r.CopNo, err)
	}
	return nil
}

const bondedReturnByID = `SELECT ` + bondedReturnColumns + bondedReturns + ` WHERE r.id = $1`

// BondedReturn reads one return; a NotFound error when there is none.
func (db *DB) BondedReturn(ctx context.Context, id string) (*BondedReturn, error) {
	r, err := scanBondedReturn(db.QueryRow(ctx, bondedReturnByID, id))
	if err != nil {
		return nil, fmt.Errorf("read return %s: %w", id, err)
	}
	return r, nil
}

// BondedReturn reads one return in the transaction; a NotFound error when there is none.
func (t *Tx) BondedReturn(ctx context.Context, id string) (*BondedReturn, error) {
	r, err := scanBondedReturn(t.QueryRow(ctx, bondedReturnByID, id))
	if err != nil {
		return nil, fmt.Errorf("read return %s: %w", id, err)
	}
	return r, nil
}

// BondedReturns lists the returns of an inventory (by invtNo) and of a
// declarer, "" matching any, newest first, at most limit.
func (db *DB) BondedReturns(ctx context.Context, invtNo, agentCode string, limit int) (_ []BondedReturn, err error) {
	defer errs.Wrap(&err, "list returns of invtNo %q, agent %q", invtNo, agentCode)
	rows, err := db.Query(ctx, `SELECT `+bondedReturnColumns+bondedReturns+`
		WHERE ($1 = '' OR r.invt_no = $1) AND ($2 = '' OR r.agent_code = $2) ORDER BY r.applied_at DESC LIMIT $3`, invtNo, agentCode, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanBondedReturn)
}

// ExpiringBondedReturns lists the returns still waiting for their goods
// whose inventory was released before releasedBefore.
func (t *Tx) ExpiringBondedReturns(ctx context.Context, releasedBefore time.Time) (_ []BondedReturn, err error) {
	defer errs.Wrap(&err, "returns of inventories released before %s", releasedBefore.Format(time.RFC3339))
	rows, err := t.Query(ctx, `SELECT `+bondedReturnColumns+bondedReturns+` WHERE r.state = 'applied' AND i.released_at < $1`, releasedBefore)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanBondedReturn)
}

// BondedReturnState reads the state of the declarer's return copNo; "" when
// it has declared none.
func (t *Tx) BondedReturnState(ctx context.Context, agentCode, copNo string) (string, error) {
	var state string
	err := t.QueryRow(ctx, `SELECT state FROM bonded_returns WHERE agent_code = $1 AND cop_no = $2`, agentCode, copNo).Scan(&state)
	if err = classify(err); errs.KindOf(err) == errs.NotFound {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read return %s/%s: %w", agentCode, copNo, err)
	}
	return state, nil
}

// statesIn is the condition "state is one of states", its placeholders
// numbered from first.
func statesIn(first int, states []string) string {
	marks := make([]string, len(states))
	for i := range states {
		marks[i] = fmt.Sprintf("$%d", first+i)
	}
	return `state IN (` + strings.Join(marks, ", ") + `)`
}

// stateArgs is invID followed by states, the arguments of a statesIn query.
func stateArgs(invID string, states []string) []any {
	args := []any{invID}
	for _, s := range states {
		args = append(args, s)
	}
	return args
}

// CountBondedReturns counts inventory invID's returns in any of states.
func (t *Tx) CountBondedReturns(ctx context.Context, invID string, states ...string) (int, error) {
	var n int
	err := t.QueryRow(ctx, `SELECT COUNT(*) FROM bonded_returns WHERE inventory_id = $1 AND `+statesIn(2, states), stateArgs(invID, states)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count returns of inventory %s: %w", invID, err)
	}
	return n, nil
}

// BondedReturnLines lists the stored lines of inventory invID's returns in
// any of states, undecoded.
func (t *Tx) BondedReturnLines(ctx context.Context, invID string, states ...string) (_ [][]byte, err error) {
	defer errs.Wrap(&err, "lines of the returns of inventory %s", invID)
	rows, err := t.Query(ctx, `SELECT lines FROM bonded_returns WHERE inventory_id = $1 AND `+statesIn(2, states), stateArgs(invID, states)...)
	if err != nil {
		return nil, err
	}
	return Collect(rows, func(r Scanner) ([]byte, error) {
		var lines string
		err := r.Scan(&lines)
		return []byte(lines), err
	})
}

// ArriveBondedReturn records that return id's goods arrived at at, with the
// tax not levied and the quota given back because of it.
func (t *Tx) ArriveBondedReturn(ctx context.Context, id string, at time.Time, refundFen, quotaFen int64) error {
	if _, err := t.Exec(ctx, `UPDATE bonded_returns SET state = 'arrived', arrived_at = $2, refund_fen = $3, quota_fen = $4 WHERE id = $1`,
		id, at, refundFen, quotaFen); err != nil {
		return fmt.Errorf("record the arrival of return %s: %w", id, err)
	}
	return nil
}

// RefuseLateBondedReturn records that return id's goods arrived at at, too
// late, and why the return is refused.
func (t *Tx) RefuseLateBondedReturn(ctx context.Context, id, reason string, at time.Time) error {
	if _, err := t.Exec(ctx, `UPDATE bonded_returns SET state = 'late', reason = $2, arrived_at = $3 WHERE id = $1`, id, reason, at); err != nil {
		return fmt.Errorf("refuse late return %s: %w", id, err)
	}
	return nil
}

// ExpireBondedReturn records that return id's goods did not arrive in time, and why.
func (t *Tx) ExpireBondedReturn(ctx context.Context, id, reason string) error {
	if _, err := t.Exec(ctx, `UPDATE bonded_returns SET state = 'expired', reason = $2 WHERE id = $1`, id, reason); err != nil {
		return fmt.Errorf("expire return %s: %w", id, err)
	}
	return nil
}

// InsertBondedCancel records a granted cancel; a Conflict error when the
// inventory was cancelled already.
func (t *Tx) InsertBondedCancel(ctx context.Context, c *BondedCancel) error {
	if _, err := t.Exec(ctx, `INSERT INTO bonded_cancels (inventory_id, agent_code, cop_no, from_status, reason, at) VALUES ($1,$2,$3,$4,$5,$6)`,
		c.InventoryID, c.AgentCode, c.CopNo, c.FromStatus, c.Reason, c.At); err != nil {
		return fmt.Errorf("record cancel of inventory %s: %w", c.InventoryID, err)
	}
	return nil
}

// InventoryByInvtNo reads, in the transaction, the inventory with customs
// number invtNo, as cancels and returns name it; nil when there is none (an
// empty number names none).
func (t *Tx) InventoryByInvtNo(ctx context.Context, invtNo string) (*Inventory, error) {
	if invtNo == "" {
		return nil, nil
	}
	return findInventory(ctx, t, "invtNo "+invtNo, `invt_no = $1`, invtNo)
}

// RestoreQuotaPart gives back fen of the yearly quota counted for inventory
// invID, if it is released: part of its goods were returned. The quota's
// other statements are in quota.go.
func (t *Tx) RestoreQuotaPart(ctx context.Context, invID string, fen int64) (err error) {
	defer errs.Wrap(&err, "restore %d fen of the quota of inventory %s", fen, invID)
	var buyer string
	var year int
	err = t.QueryRow(ctx, `SELECT buyer_key, year FROM quota_entries WHERE inventory_id = $1 AND state = 'released'`, invID).Scan(&buyer, &year)
	if err = classify(err); errs.KindOf(err) == errs.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := t.Exec(ctx, `UPDATE quota_usage SET used_fen = used_fen - $3 WHERE buyer_key = $1 AND year = $2`, buyer, year, fen); err != nil {
		return err
	}
	_, err = t.Exec(ctx, `UPDATE quota_entries SET amount_fen = amount_fen - $2 WHERE inventory_id = $1`, invID, fen)
	return err
}
