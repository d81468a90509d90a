package bonded

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/engine"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
)

// Lodgement is a guarantee lodged by a guarantor (contract §7).
type Lodgement struct {
	AssureCode string `json:"assureCode"`
	Amount     string `json:"amount"`
	Reference  string `json:"reference"`
	ValidUntil string `json:"validUntil"`
}

// Lodged is the answer to a lodgement: the guarantee's id and the new available balance.
type Lodged struct {
	ID         string       `json:"id"`
	AssureCode string       `json:"assureCode"`
	Balance    money.Amount `json:"balance"`
}

// Lodge records a guarantee and raises the guarantor's balance.
func (s *Service) Lodge(ctx context.Context, l Lodgement) (*Lodged, error) {
	var list errs.List
	amount, err := money.ParseAmount(strings.TrimSpace(l.Amount))
	if err != nil || amount.Fen() <= 0 {
		list = append(list, errs.Invalidf("amount", "amount_invalid", "amount must be a positive decimal amount in CNY like \"100000.00\" (got %q)", l.Amount))
	}
	if strings.TrimSpace(l.Reference) == "" || len(l.Reference) > 200 {
		list = append(list, errs.Invalidf("reference", "reference_missing", "reference (the bank guarantee number) must be 1 to 200 characters"))
	}
	now := s.Now()
	if l.ValidUntil != "" {
		d, err := time.ParseInLocation("2006-01-02", l.ValidUntil, cst)
		if err != nil {
			list = append(list, errs.Invalidf("validUntil", "date_invalid", "validUntil must be a date YYYY-MM-DD (got %q)", l.ValidUntil))
		} else if local := now.In(cst); d.Before(time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, cst)) {
			list = append(list, errs.Invalidf("validUntil", "date_past", "validUntil %s is already past", l.ValidUntil))
		}
	}
	g, err := s.Parties.Get(ctx, l.AssureCode)
	if err != nil {
		return nil, err
	}
	if g == nil {
		list = append(list, errs.Invalidf("assureCode", "enterprise_unknown", "enterprise %q is not registered", l.AssureCode))
	} else if !g.HasRole(enterprise.RoleGuarantor) {
		list = append(list, errs.Invalidf("assureCode", "role_missing", "enterprise %s does not hold the role assure (guarantor)", l.AssureCode))
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	out := &Lodged{ID: newID(), AssureCode: l.AssureCode}
	err = s.Batch.Do(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO guarantees (id, assure_code, amount_fen, reference, valid_until, created_at) VALUES ($1,$2,$3,$4,$5,$6)`,
			out.ID, l.AssureCode, amount.Fen(), l.Reference, l.ValidUntil, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO guarantee_accounts (assure_code, balance_fen, lodged_fen, debited_fen, credited_fen, updated_at)
			VALUES ($1,0,0,0,0,$2) ON CONFLICT (assure_code) DO NOTHING`, l.AssureCode, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE guarantee_accounts SET balance_fen = balance_fen + $2, lodged_fen = lodged_fen + $2, updated_at = $3
			WHERE assure_code = $1`, l.AssureCode, amount.Fen(), now); err != nil {
			return err
		}
		bal, err := history(ctx, tx, l.AssureCode, "lodged", amount.Fen(), "", l.Reference, "guarantee "+out.ID, now)
		out.Balance = money.FromFen(bal)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// history records a change of a guarantor's balance and returns the new balance.
func history(ctx context.Context, tx *store.Tx, code, kind string, amount int64, invID, ref, note string, now time.Time) (int64, error) {
	var bal int64
	if err := tx.QueryRow(ctx, `SELECT balance_fen FROM guarantee_accounts WHERE assure_code = $1`, code).Scan(&bal); err != nil {
		return 0, fmt.Errorf("read guarantee of %s: %w", code, err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO guarantee_history (assure_code, kind, amount_fen, balance_fen, inventory_id, ref, note, at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, code, kind, amount, bal, invID, ref, note, now)
	return bal, err
}

// Account is a guarantor's balance with its history (contract §7).
type Account struct {
	AssureCode string          `json:"assureCode"`
	Balance    money.Amount    `json:"balance"`
	Lodged     money.Amount    `json:"lodged"`
	Debited    money.Amount    `json:"debited"`
	Credited   money.Amount    `json:"credited"`
	Blocked    string          `json:"blocked,omitempty"` // why new releases are held, if they are
	Guarantees []GuaranteeView `json:"guarantees"`
	History    []HistoryLine   `json:"history"`
}

// GuaranteeView is one lodged guarantee.
type GuaranteeView struct {
	ID         string       `json:"id"`
	Amount     money.Amount `json:"amount"`
	Reference  string       `json:"reference"`
	ValidUntil string       `json:"validUntil,omitempty"`
	LodgedAt   time.Time    `json:"lodgedAt"`
}

// HistoryLine is one change of the balance.
type HistoryLine struct {
	Kind    string       `json:"kind"` // lodged, debit, credit
	Amount  money.Amount `json:"amount"`
	Balance money.Amount `json:"balance"`
	InvtNo  string       `json:"invtNo,omitempty"`
	Ref     string       `json:"ref,omitempty"`
	Note    string       `json:"note,omitempty"`
	At      time.Time    `json:"at"`
}

// Account reads a guarantor's account; NotFound when it never lodged a guarantee.
func (s *Service) Account(ctx context.Context, code string) (*Account, error) {
	a := &Account{AssureCode: code, Guarantees: []GuaranteeView{}, History: []HistoryLine{}}
	var bal, lodged, debited, credited int64
	err := s.DB.QueryRow(ctx, `SELECT balance_fen, lodged_fen, debited_fen, credited_fen FROM guarantee_accounts WHERE assure_code = $1`, code).
		Scan(&bal, &lodged, &debited, &credited)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "guarantee_not_found", "assureCode", "no guarantee lodged by %s", code)
	}
	if err != nil {
		return nil, fmt.Errorf("read guarantee of %s: %w", code, err)
	}
	a.Balance, a.Lodged, a.Debited, a.Credited = money.FromFen(bal), money.FromFen(lodged), money.FromFen(debited), money.FromFen(credited)
	if why, err := s.blocked(ctx, s.DB, code, s.Now()); err != nil {
		return nil, err
	} else {
		a.Blocked = why
	}
	rows, err := s.DB.Query(ctx, `SELECT id, amount_fen, reference, valid_until, created_at FROM guarantees WHERE assure_code = $1 ORDER BY created_at`, code)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var g GuaranteeView
		var amt int64
		var at store.Time
		if err := rows.Scan(&g.ID, &amt, &g.Reference, &g.ValidUntil, &at); err != nil {
			rows.Close()
			return nil, err
		}
		g.Amount, g.LodgedAt = money.FromFen(amt), at.Time.In(cst)
		a.Guarantees = append(a.Guarantees, g)
	}
	rows.Close()
	rows, err = s.DB.Query(ctx, `SELECT h.kind, h.amount_fen, h.balance_fen, COALESCE(i.invt_no, ''), h.ref, h.note, h.at
		FROM guarantee_history h LEFT JOIN inventories i ON i.id = h.inventory_id WHERE h.assure_code = $1 ORDER BY h.id`, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var h HistoryLine
		var amt, b int64
		var at store.Time
		if err := rows.Scan(&h.Kind, &amt, &b, &h.InvtNo, &h.Ref, &h.Note, &at); err != nil {
			return nil, err
		}
		h.Amount, h.Balance, h.At = money.FromFen(amt), money.FromFen(b), at.Time.In(cst)
		a.History = append(a.History, h)
	}
	return a, rows.Err()
}

// blocked says why a guarantor's new releases are held: an overdue bill (when configured).
func (s *Service) blocked(ctx context.Context, q querier, code string, now time.Time) (string, error) {
	if !s.Params.BlockOverdue {
		return "", nil
	}
	var billNo string
	err := q.QueryRow(ctx, `SELECT bill_no FROM tax_bills WHERE assure_code = $1 AND status <> 'paid' AND due_at < $2 ORDER BY due_at LIMIT 1`, code, now).Scan(&billNo)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("tax bill %s is overdue", billNo), nil
}

// taxLine is the tax of one inventory line, in fen, with the quantity returned so far.
type taxLine struct {
	Gnum     int    `json:"gnum"`
	Gcode    string `json:"gcode"`
	Qty      int64  `json:"qty"` // milli
	Dutiable int64  `json:"dutiable"`
	Duty     int64  `json:"duty"`
	CT       int64  `json:"ct"`
	VAT      int64  `json:"vat"`
	Returned int64  `json:"returned"` // milli
}

// left is what remains of a line's amount once its returned quantity is taken off.
func (l taxLine) left(amount int64) int64 { return amount - mulDiv(amount, l.Returned, l.Qty) }

type guaranteeEffect struct{ s *Service }

// Apply debits the guarantor's balance by the inventory's tax on release, in
// one conditional statement (balance ≥ tax), and records the tax line to bill.
// Not enough balance, or an overdue bill of the guarantor, holds the
// inventory for review (300) with the reason instead.
func (e guaranteeEffect) Apply(ctx context.Context, tx *store.Tx, d *engine.Decision, from, to string) (*engine.Outcome, error) {
	s := e.s
	if to != "800" || d.Doc == nil || !s.Guaranteed(d.Doc.TradeMode) {
		return nil, nil
	}
	inv, code := d.Inventory, d.Doc.AssureCode
	var state string
	err := tx.QueryRow(ctx, `SELECT state FROM tax_lines WHERE inventory_id = $1`, inv.ID).Scan(&state)
	if err == nil {
		return nil, nil // debited before
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if code == "" {
		return hold("1372", "no assureCode: a %s inventory needs a guarantor", d.Doc.TradeMode), nil
	}
	why, err := s.blocked(ctx, tx, code, d.Now)
	if err != nil {
		return nil, err
	}
	if why != "" {
		return hold("1373", "assureCode=%s: %s; new releases wait until it is paid", code, why), nil
	}
	res, err := tx.Exec(ctx, `UPDATE guarantee_accounts SET balance_fen = balance_fen - $2, debited_fen = debited_fen + $2, updated_at = $3
		WHERE assure_code = $1 AND balance_fen >= $2`, code, inv.Tax, d.Now)
	if err != nil {
		return nil, fmt.Errorf("debit guarantee of %s: %w", code, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		var bal int64
		if err := tx.QueryRow(ctx, `SELECT balance_fen FROM guarantee_accounts WHERE assure_code = $1`, code).Scan(&bal); err != nil {
			return hold("1372", "assureCode=%s has lodged no guarantee; tax %s", code, money.FromFen(inv.Tax)), nil
		}
		return hold("1372", "assureCode=%s: balance %s < tax %s", code, money.FromFen(bal), money.FromFen(inv.Tax)), nil
	}
	if _, err := history(ctx, tx, code, "debit", inv.Tax, inv.ID, inv.InvtNo, "released", d.Now); err != nil {
		return nil, err
	}
	lines, err := splitTax(d.Inventory, d.Doc)
	if err != nil {
		return nil, err
	}
	lj, _ := json.Marshal(lines)
	_, err = tx.Exec(ctx, `INSERT INTO tax_lines (inventory_id, assure_code, invt_no, cop_no, ebc_code, agent_code, customs_code, released_at,
		duty_fen, ct_fen, vat_fen, tax_fen, lines, state, bill_no, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,'open','',$8)`,
		inv.ID, code, inv.InvtNo, inv.CopNo, inv.EbcCode, inv.AgentCode, d.Doc.CustomsCode, d.Now, inv.DutyFen, inv.CTFen, inv.VATFen, inv.Tax, string(lj))
	return nil, err
}

// splitTax spreads the inventory's dutiable value and each tax over its lines
// in proportion to the lines' value (largest remainder), so lines add up exactly.
func splitTax(inv *store.Inventory, doc *clearance.Inventory) ([]taxLine, error) {
	lines := doc.Lines
	weights := make([]money.Amount, len(lines))
	for i, l := range lines {
		a, err := l.TotalPrice.RoundHalfUp(money.FromFen(1))
		if err != nil || a.IsNegative() {
			a = money.FromFen(0)
		}
		weights[i] = a
	}
	parts := make([][]money.Amount, 4)
	for k, total := range []int64{inv.DutiableFen, inv.DutyFen, inv.CTFen, inv.VATFen} {
		p, err := money.Allocate(money.FromFen(total), weights)
		if err != nil {
			return nil, fmt.Errorf("split tax of %s: %w", inv.CopNo, err)
		}
		parts[k] = p
	}
	out := make([]taxLine, len(lines))
	for i, l := range lines {
		q, _ := parseMilli("qty", l.Qty.String())
		out[i] = taxLine{Gnum: l.Gnum, Gcode: l.Gcode, Qty: q, Dutiable: parts[0][i].Fen(), Duty: parts[1][i].Fen(), CT: parts[2][i].Fen(), VAT: parts[3][i].Fen()}
	}
	return out, nil
}

// credit gives tax back to a guarantor's balance.
func credit(ctx context.Context, tx *store.Tx, code string, amount int64, invID, ref, note string, now time.Time) error {
	if amount == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE guarantee_accounts SET balance_fen = balance_fen + $2, credited_fen = credited_fen + $2, updated_at = $3
		WHERE assure_code = $1`, code, amount, now); err != nil {
		return fmt.Errorf("credit guarantee of %s: %w", code, err)
	}
	_, err := history(ctx, tx, code, "credit", amount, invID, ref, note, now)
	return err
}
