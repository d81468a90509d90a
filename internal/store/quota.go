package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"github.com/cbec-platform/cbec/internal/errs"
	"time"
)

// CapUse is a quantity counted against a per-person yearly cap, in
// milli-units of the cap's unit so that it adds exactly as an integer.
type CapUse struct {
	HSCode     string `json:"hs"`
	Milli      int64  `json:"milli"`
	LimitMilli int64  `json:"limit"`
}

// QuotaShortfall says which limit a reservation would have passed.
type QuotaShortfall struct {
	UsedFen  int64   // the buyer's yearly use before this inventory
	Cap      *CapUse // the cap that would be passed, nil for the amount limit
	CapUsed  int64   // that cap's use before this inventory, in milli-units
	Exceeded bool
	capIndex int // caps before this one were counted
}

// ReserveQuota counts an inventory against its buyer's yearly amount and
// caps, all or nothing: the check and the reservation are one statement per
// counter (used + amount <= limit), so concurrent inventories of one buyer can
// never pass the limit together, on either engine. A second reservation for
// the same inventory changes nothing. The entry is written in state
// ("reserved", or "released" for an inventory released in the same
// transaction, which saves the update SetQuotaState would make).
func (t *Tx) ReserveQuota(ctx context.Context, inventoryID, buyerKey, nameHash string, year int, amountFen, limitFen int64, caps []CapUse, state string, now time.Time) (_ QuotaShortfall, err error) {
	defer errs.Wrap(&err, "store.ReserveQuota(%q)", inventoryID)
	capsJSON, _ := json.Marshal(caps)
	// Claim the entry first: an inventory already counted (reserved or released) is not counted twice.
	res, err := t.Exec(ctx, `INSERT INTO quota_entries (inventory_id, buyer_key, year, amount_fen, caps, state, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7)
		ON CONFLICT (inventory_id) DO UPDATE SET buyer_key = excluded.buyer_key, year = excluded.year,
		amount_fen = excluded.amount_fen, caps = excluded.caps, state = excluded.state, updated_at = excluded.updated_at
		WHERE quota_entries.state = 'restored'`, inventoryID, buyerKey, year, amountFen, string(capsJSON), state, now)
	if err != nil {
		return QuotaShortfall{}, fmt.Errorf("record quota entry: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return QuotaShortfall{}, nil
	}
	short, err := t.reserve(ctx, buyerKey, nameHash, year, amountFen, limitFen, caps)
	if err != nil || !short.Exceeded {
		return short, err
	}
	// Over a limit: take back what was counted, and the claim.
	if err := t.unreserve(ctx, inventoryID, buyerKey, year, amountFen, caps, short); err != nil {
		return QuotaShortfall{}, err
	}
	return short, nil
}

// reserve adds the amount and each cap with a conditional upsert; it stops at
// the first counter that would pass its limit.
func (t *Tx) reserve(ctx context.Context, buyerKey, nameHash string, year int, amountFen, limitFen int64, caps []CapUse) (QuotaShortfall, error) {
	ok, err := t.add(ctx, `INSERT INTO quota_usage (buyer_key, year, used_fen, name_hash) VALUES ($1,$2,$3,$4)
		ON CONFLICT (buyer_key, year) DO UPDATE SET used_fen = quota_usage.used_fen + excluded.used_fen, name_hash = excluded.name_hash
		WHERE quota_usage.used_fen + excluded.used_fen <= $5`, amountFen <= limitFen, buyerKey, year, amountFen, nameHash, limitFen)
	if err != nil {
		return QuotaShortfall{}, fmt.Errorf("reserve quota: %w", err)
	}
	if !ok {
		var used int64
		err := t.QueryRow(ctx, `SELECT used_fen FROM quota_usage WHERE buyer_key = $1 AND year = $2`, buyerKey, year).Scan(&used)
		if err != nil && err != sql.ErrNoRows {
			return QuotaShortfall{}, fmt.Errorf("read quota: %w", classify(err))
		}
		return QuotaShortfall{UsedFen: used, Exceeded: true}, nil
	}
	for i := range caps {
		c := &caps[i]
		ok, err := t.add(ctx, `INSERT INTO cap_usage (buyer_key, year, hs_code, used_milli) VALUES ($1,$2,$3,$4)
			ON CONFLICT (buyer_key, year, hs_code) DO UPDATE SET used_milli = cap_usage.used_milli + excluded.used_milli
			WHERE cap_usage.used_milli + excluded.used_milli <= $5`, c.Milli <= c.LimitMilli, buyerKey, year, c.HSCode, c.Milli, c.LimitMilli)
		if err != nil {
			return QuotaShortfall{}, fmt.Errorf("reserve cap: %w", err)
		}
		if !ok {
			var used int64
			_ = t.QueryRow(ctx, `SELECT used_milli FROM cap_usage WHERE buyer_key = $1 AND year = $2 AND hs_code = $3`, buyerKey, year, c.HSCode).Scan(&used)
			return QuotaShortfall{Cap: c, CapUsed: used, Exceeded: true, capIndex: i}, nil
		}
	}
	return QuotaShortfall{}, nil
}

// add runs a conditional upsert and reports whether it counted. fits says
// whether the amount alone is within the limit: a first insert is not checked
// by the upsert's WHERE, so an amount over the limit must not reach it.
func (t *Tx) add(ctx context.Context, upsert string, fits bool, args ...any) (bool, error) {
	if !fits {
		return false, nil
	}
	res, err := t.Exec(ctx, upsert, args...)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// unreserve takes back a partial reservation after a limit was hit.
func (t *Tx) unreserve(ctx context.Context, inventoryID, buyerKey string, year int, amountFen int64, caps []CapUse, short QuotaShortfall) error {
	if short.Cap != nil {
		if _, err := t.Exec(ctx, `UPDATE quota_usage SET used_fen = used_fen - $3 WHERE buyer_key = $1 AND year = $2`, buyerKey, year, amountFen); err != nil {
			return fmt.Errorf("undo quota: %w", err)
		}
		for _, c := range caps[:short.capIndex] {
			if _, err := t.Exec(ctx, `UPDATE cap_usage SET used_milli = used_milli - $4 WHERE buyer_key = $1 AND year = $2 AND hs_code = $3`,
				buyerKey, year, c.HSCode, c.Milli); err != nil {
				return fmt.Errorf("undo cap: %w", err)
			}
		}
	}
	if _, err := t.Exec(ctx, `DELETE FROM quota_entries WHERE inventory_id = $1`, inventoryID); err != nil {
		return fmt.Errorf("undo quota entry: %w", err)
	}
	return nil
}

// SetQuotaState moves an inventory's reservation to released (it counts for
// good) or restored (given back: rejected, cancelled, returned). Restoring
// subtracts the amounts again; doing it twice changes nothing.
func (t *Tx) SetQuotaState(ctx context.Context, inventoryID, state string, now time.Time) error {
	if state == "released" {
		// The common case, one statement: a reservation becomes final.
		_, err := t.Exec(ctx, `UPDATE quota_entries SET state = 'released', updated_at = $2 WHERE inventory_id = $1 AND state = 'reserved'`, inventoryID, now)
		if err != nil {
			return fmt.Errorf("release quota entry: %w", err)
		}
		return nil
	}
	var buyerKey, old, capsJSON string
	var year int
	var amount int64
	err := t.QueryRow(ctx, `SELECT buyer_key, year, amount_fen, caps, state FROM quota_entries WHERE inventory_id = $1`, inventoryID).
		Scan(&buyerKey, &year, &amount, &capsJSON, &old)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read quota entry: %w", classify(err))
	}
	if old == state || old == "restored" {
		return nil
	}
	if state == "restored" {
		if _, err := t.Exec(ctx, `UPDATE quota_usage SET used_fen = used_fen - $3 WHERE buyer_key = $1 AND year = $2`, buyerKey, year, amount); err != nil {
			return fmt.Errorf("restore quota: %w", err)
		}
		var caps []CapUse
		if err := json.Unmarshal([]byte(capsJSON), &caps); err != nil {
			return fmt.Errorf("decode stored caps of the quota entry of inventory %s: %w", inventoryID, err)
		}
		for _, c := range caps {
			if _, err := t.Exec(ctx, `UPDATE cap_usage SET used_milli = used_milli - $4 WHERE buyer_key = $1 AND year = $2 AND hs_code = $3`,
				buyerKey, year, c.HSCode, c.Milli); err != nil {
				return fmt.Errorf("restore cap: %w", err)
			}
		}
	}
	if _, err := t.Exec(ctx, `UPDATE quota_entries SET state = $2, updated_at = $3 WHERE inventory_id = $1`, inventoryID, state, now); err != nil {
		return fmt.Errorf("update quota entry: %w", err)
	}
	return nil
}

// QuotaUsed returns a buyer's yearly use in fen. A name that does not match
// the one on record gives 0, as for a buyer who never bought: the answer must
// not tell a stranger that an ID number has purchases.
func (db *DB) QuotaUsed(ctx context.Context, buyerKey, nameHash string, year int) (int64, error) {
	var used int64
	var name string
	err := db.QueryRow(ctx, `SELECT used_fen, name_hash FROM quota_usage WHERE buyer_key = $1 AND year = $2`, buyerKey, year).Scan(&used, &name)
	if err == sql.ErrNoRows || (err == nil && name != nameHash) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read quota: %w", classify(err))
	}
	return used, nil
}
