package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/cbec-platform/cbec/internal/errs"
	"time"
)

// GuaranteeAccount is a guarantor's tax guarantee account (package bonded),
// in fen: Balance = Lodged − Debited + Credited, never below zero.
type GuaranteeAccount struct {
	AssureCode                                     string
	BalanceFen, LodgedFen, DebitedFen, CreditedFen int64
	UpdatedAt                                      time.Time
}

// Guarantee is one guarantee lodged by a guarantor; ValidUntil is a date
// (YYYY-MM-DD) or "".
type Guarantee struct {
	ID, AssureCode        string
	AmountFen             int64
	Reference, ValidUntil string
	CreatedAt             time.Time
}

// GuaranteeChange is one change of a guarantor's balance (lodged, debit or
// credit) with the balance it left. InventoryID is "" for a change no
// inventory caused; InvtNo is read back from the inventory, never stored.
type GuaranteeChange struct {
	ID                    int64
	AssureCode, Kind      string
	AmountFen, BalanceFen int64
	InventoryID, InvtNo   string
	Ref, Note             string
	At                    time.Time
}

// LodgeGuarantee stores guarantee g and raises its guarantor's balance by
// its amount, opening the account with the first guarantee.
func (t *Tx) LodgeGuarantee(ctx context.Context, g *Guarantee) error {
	if _, err := t.Exec(ctx, `INSERT INTO guarantees (id, assure_code, amount_fen, reference, valid_until, created_at) VALUES ($1,$2,$3,$4,$5,$6)`,
		g.ID, g.AssureCode, g.AmountFen, g.Reference, g.ValidUntil, g.CreatedAt); err != nil {
		return fmt.Errorf("store guarantee %s of %s: %w", g.ID, g.AssureCode, err)
	}
	if _, err := t.Exec(ctx, `INSERT INTO guarantee_accounts (assure_code, balance_fen, lodged_fen, debited_fen, credited_fen, updated_at)
		VALUES ($1,0,0,0,0,$2) ON CONFLICT (assure_code) DO NOTHING`, g.AssureCode, g.CreatedAt); err != nil {
		return fmt.Errorf("open guarantee account of %s: %w", g.AssureCode, err)
	}
	if _, err := t.Exec(ctx, `UPDATE guarantee_accounts SET balance_fen = balance_fen + $2, lodged_fen = lodged_fen + $2, updated_at = $3
		WHERE assure_code = $1`, g.AssureCode, g.AmountFen, g.CreatedAt); err != nil {
		return fmt.Errorf("lodge guarantee %s of %s: %w", g.ID, g.AssureCode, err)
	}
	return nil
}

// GuaranteeRow names a guarantor's account for DoKeys and DoFirst: a row
// changed at commit (CommitRow).
func GuaranteeRow(code string) string { return CommitRow("guarantee", code) }

// DebitGuarantee takes amount off the balance of guarantor code. It reports
// false, changing nothing, when the guarantor has no account or a balance
// below amount. In a keyed batch on PostgreSQL it decides on the balance as
// read, and debits at commit (commit_rows.go).
func (t *Tx) DebitGuarantee(ctx context.Context, code string, amount int64, at time.Time) (bool, error) {
	const debit = `UPDATE guarantee_accounts SET balance_fen = balance_fen - $2, debited_fen = debited_fen + $2, updated_at = $3
		WHERE assure_code = $1`
	if !t.defersRows() {
		res, err := t.Exec(ctx, debit+` AND balance_fen >= $2`, code, amount, at)
		return changedOne(res, err, "debit guarantee of "+code)
	}
	bal, err := t.GuaranteeBalance(ctx, code)
	if errs.KindOf(err) == errs.NotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	key := GuaranteeRow(code)
	if bal+t.pending(key) < amount {
		return false, nil
	}
	return true, t.atCommit(key, -amount, "debit guarantee of "+code, debit, code, amount, at)
}

// CreditGuarantee gives amount back to the balance of guarantor code.
func (t *Tx) CreditGuarantee(ctx context.Context, code string, amount int64, at time.Time) error {
	if _, err := t.Exec(ctx, `UPDATE guarantee_accounts SET balance_fen = balance_fen + $2, credited_fen = credited_fen + $2, updated_at = $3
		WHERE assure_code = $1`, code, amount, at); err != nil {
		return fmt.Errorf("credit guarantee of %s: %w", code, err)
	}
	return nil
}

// GuaranteeBalance reads the balance of guarantor code in the transaction
// (without what it leaves for the commit); a NotFound error when it has no
// account.
func (t *Tx) GuaranteeBalance(ctx context.Context, code string) (int64, error) {
	var bal int64
	if err := t.QueryRow(ctx, `SELECT balance_fen FROM guarantee_accounts WHERE assure_code = $1`, code).Scan(&bal); err != nil {
		return 0, fmt.Errorf("read guarantee balance of %s: %w", code, classify(err))
	}
	return bal, nil
}

// addGuaranteeChange records a change of a guarantor's balance with the
// balance its account holds when the statement runs; no row without an
// account.
const addGuaranteeChange = `INSERT INTO guarantee_history (assure_code, kind, amount_fen, balance_fen, inventory_id, ref, note, at)
	SELECT $1, $2, $3, balance_fen, $4, $5, $6, $7 FROM guarantee_accounts WHERE assure_code = $1`

// AddGuaranteeChange records change c of a guarantor's balance with the
// balance the account holds now, and returns that balance; a NotFound error
// when the guarantor has no account. c.BalanceFen and c.InvtNo are not read.
func (t *Tx) AddGuaranteeChange(ctx context.Context, c *GuaranteeChange) (_ int64, err error) {
	defer errs.Wrap(&err, "store.AddGuaranteeChange")
	var bal int64
	if err := t.QueryRow(ctx, addGuaranteeChange+` RETURNING balance_fen`,
		c.AssureCode, c.Kind, c.AmountFen, c.InventoryID, c.Ref, c.Note, c.At).Scan(&bal); err != nil {
		return 0, fmt.Errorf("record %s of guarantee of %s: %w", c.Kind, c.AssureCode, classify(err))
	}
	return bal, nil
}

// RecordGuaranteeChange is AddGuaranteeChange for a change whose balance
// the caller does not need: in a keyed batch on PostgreSQL it is recorded
// at commit, after the change of the balance it follows (commit_rows.go).
func (t *Tx) RecordGuaranteeChange(ctx context.Context, c *GuaranteeChange) error {
	if !t.defersRows() {
		_, err := t.AddGuaranteeChange(ctx, c)
		return err
	}
	return t.atCommit(GuaranteeRow(c.AssureCode), 0, "record "+c.Kind+" of guarantee of "+c.AssureCode, addGuaranteeChange,
		c.AssureCode, c.Kind, c.AmountFen, c.InventoryID, c.Ref, c.Note, c.At)
}

// GuaranteeAccount reads the account of guarantor code; a NotFound error
// when it never lodged a guarantee.
func (db *DB) GuaranteeAccount(ctx context.Context, code string) (*GuaranteeAccount, error) {
	a := &GuaranteeAccount{AssureCode: code}
	var at Time
	err := db.QueryRow(ctx, `SELECT balance_fen, lodged_fen, debited_fen, credited_fen, updated_at FROM guarantee_accounts WHERE assure_code = $1`, code).
		Scan(&a.BalanceFen, &a.LodgedFen, &a.DebitedFen, &a.CreditedFen, &at)
	if err != nil {
		return nil, fmt.Errorf("read guarantee account of %s: %w", code, classify(err))
	}
	a.UpdatedAt = at.Time
	return a, nil
}

// Guarantees lists the guarantees guarantor code lodged, oldest first.
func (db *DB) Guarantees(ctx context.Context, code string) ([]Guarantee, error) {
	rows, err := db.Query(ctx, `SELECT id, assure_code, amount_fen, reference, valid_until, created_at FROM guarantees WHERE assure_code = $1 ORDER BY created_at`, code)
	if err != nil {
		return nil, fmt.Errorf("read guarantees of %s: %w", code, err)
	}
	gs, err := Collect(rows, func(r Scanner) (Guarantee, error) {
		var g Guarantee
		var at Time
		err := r.Scan(&g.ID, &g.AssureCode, &g.AmountFen, &g.Reference, &g.ValidUntil, &at)
		g.CreatedAt = at.Time
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("read guarantees of %s: %w", code, err)
	}
	return gs, nil
}

// GuaranteeHistory lists the changes of guarantor code's balance in the
// order they were made, each with the number of the inventory that caused
// it ("" for none, or for an inventory no longer on record).
func (db *DB) GuaranteeHistory(ctx context.Context, code string) ([]GuaranteeChange, error) {
	rows, err := db.Query(ctx, `SELECT h.id, h.assure_code, h.kind, h.amount_fen, h.balance_fen, h.inventory_id, COALESCE(i.invt_no, ''), h.ref, h.note, h.at
		FROM guarantee_history h LEFT JOIN inventories i ON i.id = h.inventory_id WHERE h.assure_code = $1 ORDER BY h.id`, code)
	if err != nil {
		return nil, fmt.Errorf("read guarantee history of %s: %w", code, err)
	}
	hs, err := Collect(rows, func(r Scanner) (GuaranteeChange, error) {
		var c GuaranteeChange
		var at Time
		err := r.Scan(&c.ID, &c.AssureCode, &c.Kind, &c.AmountFen, &c.BalanceFen, &c.InventoryID, &c.InvtNo, &c.Ref, &c.Note, &at)
		c.At = at.Time
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read guarantee history of %s: %w", code, err)
	}
	return hs, nil
}

// GuarantorOverdueBill returns the number of the unpaid tax bill of
// guarantor code that fell due first before now; "" when none.
func (db *DB) GuarantorOverdueBill(ctx context.Context, code string, now time.Time) (string, error) {
	return guarantorOverdueBill(ctx, db, code, now)
}

// GuarantorOverdueBill is DB.GuarantorOverdueBill in the transaction.
func (t *Tx) GuarantorOverdueBill(ctx context.Context, code string, now time.Time) (string, error) {
	return guarantorOverdueBill(ctx, t, code, now)
}

func guarantorOverdueBill(ctx context.Context, q rowQuerier, code string, now time.Time) (string, error) {
	var billNo string
	err := q.queryRow(ctx, `SELECT bill_no FROM tax_bills WHERE assure_code = $1 AND status <> 'paid' AND due_at < $2 ORDER BY due_at LIMIT 1`, code, now).Scan(&billNo)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read overdue tax bills of %s: %w", code, classify(err))
	}
	return billNo, nil
}

// InsertTaxLine stores the tax line of an inventory whose guarantee was
// debited at release, open to be billed (its State, BillNo and UpdatedAt are
// not read); a Conflict error when the inventory has one already.
func (t *Tx) InsertTaxLine(ctx context.Context, d *TaxLine) error {
	return t.later(ctx, "store tax line of "+d.InventoryID, `INSERT INTO tax_lines (inventory_id, assure_code, invt_no, cop_no, ebc_code, agent_code, customs_code, released_at,
		duty_fen, ct_fen, vat_fen, tax_fen, lines, state, bill_no, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,'open','',$8)`,
		d.InventoryID, d.AssureCode, d.InvtNo, d.CopNo, d.EbcCode, d.AgentCode, d.CustomsCode, d.ReleasedAt, d.DutyFen, d.CTFen, d.VATFen, d.TaxFen, string(d.Lines))
}
