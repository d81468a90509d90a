package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// TaxLine is the tax of one released, guaranteed inventory (package bonded),
// as stored: open until it goes on a tax bill, then billed and paid, or
// cancelled or returned instead.
type TaxLine struct {
	InventoryID, AssureCode, InvtNo, CopNo string
	EbcCode, AgentCode, CustomsCode        string
	ReleasedAt                             time.Time
	DutyFen, CTFen, VATFen, TaxFen         int64
	Lines                                  []byte // bonded's per-line shares and returned quantities, JSON
	State, BillNo                          string
	UpdatedAt                              time.Time
}

// PendingTaxLine is an open tax line with whether a return of its inventory
// is applied for and its goods not back yet: such a line waits for the return.
type PendingTaxLine struct {
	TaxLine
	Returning bool
}

// TaxBill is a guarantor's tax bill (CEB816), as stored.
type TaxBill struct {
	BillNo, AssureCode string
	IssuedAt, DueAt    time.Time
	TotalFen           int64
	LineCount          int
	Status             string     // issued, overdue, paid
	PaidAt             *time.Time // nil until paid
	PaymentRef         string
}

// TaxBillFilter selects tax bills: "" or a zero time matches any.
type TaxBillFilter struct {
	AssureCode           string
	IssuedFrom, IssuedTo time.Time // issued in [IssuedFrom, IssuedTo)
	Limit                int
}

// TaxReduction is the tax a return takes off a tax line, in fen.
type TaxReduction struct {
	DutyFen, CTFen, VATFen, TaxFen int64
}

const taxLineColumns = `t.inventory_id, t.assure_code, t.invt_no, t.cop_no, t.ebc_code, t.agent_code, t.customs_code, t.released_at,
	t.duty_fen, t.ct_fen, t.vat_fen, t.tax_fen, t.lines, t.state, t.bill_no, t.updated_at`

// taxLineFields are the scan targets of taxLineColumns; after the scan,
// finish sets the times and lines.
func taxLineFields(l *TaxLine) (fields []any, finish func()) {
	var released, updated Time
	var lines string
	return []any{&l.InventoryID, &l.AssureCode, &l.InvtNo, &l.CopNo, &l.EbcCode, &l.AgentCode, &l.CustomsCode, &released,
			&l.DutyFen, &l.CTFen, &l.VATFen, &l.TaxFen, &lines, &l.State, &l.BillNo, &updated}, func() {
			l.ReleasedAt, l.UpdatedAt, l.Lines = released.UTC(), updated.UTC(), []byte(lines)
		}
}

func scanTaxLine(row Scanner) (*TaxLine, error) {
	var l TaxLine
	fields, finish := taxLineFields(&l)
	if err := row.Scan(fields...); err != nil {
		return nil, classify(err)
	}
	finish()
	return &l, nil
}

// TaxLine reads the tax line of inventory invID in the transaction; nil when
// the inventory has none (it was not guaranteed).
func (t *Tx) TaxLine(ctx context.Context, invID string) (*TaxLine, error) {
	l, err := scanTaxLine(t.QueryRow(ctx, `SELECT `+taxLineColumns+` FROM tax_lines t WHERE t.inventory_id = $1`, invID))
	if errs.KindOf(err) == errs.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read tax line of inventory %s: %w", invID, err)
	}
	return l, nil
}

// BillableTaxLines lists the open tax lines released at or before releasedBy
// whose inventory has no return applied for, by guarantor, release and
// inventory: what a billing run puts on bills.
func (t *Tx) BillableTaxLines(ctx context.Context, releasedBy time.Time) (_ []TaxLine, err error) {
	defer errs.Wrap(&err, "billable tax lines released by %s", releasedBy.Format(time.RFC3339))
	rows, err := t.Query(ctx, `SELECT `+taxLineColumns+` FROM tax_lines t
		WHERE t.state = 'open' AND t.released_at <= $1
		AND NOT EXISTS (SELECT 1 FROM bonded_returns r WHERE r.inventory_id = t.inventory_id AND r.state = 'applied')
		ORDER BY t.assure_code, t.released_at, t.inventory_id`, releasedBy)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanTaxLine)
}

// OpenTaxLines lists guarantor code's open tax lines released before
// releasedBefore, by release and invtNo, each with whether a return holds it.
func (db *DB) OpenTaxLines(ctx context.Context, code string, releasedBefore time.Time) (_ []PendingTaxLine, err error) {
	defer errs.Wrap(&err, "open tax lines of %s", code)
	rows, err := db.Query(ctx, `SELECT `+taxLineColumns+`,
		EXISTS (SELECT 1 FROM bonded_returns r WHERE r.inventory_id = t.inventory_id AND r.state = 'applied')
		FROM tax_lines t WHERE t.assure_code = $1 AND t.state = 'open' AND t.released_at < $2 ORDER BY t.released_at, t.invt_no`,
		code, releasedBefore)
	if err != nil {
		return nil, err
	}
	return Collect(rows, func(r Scanner) (PendingTaxLine, error) {
		var l PendingTaxLine
		fields, finish := taxLineFields(&l.TaxLine)
		if err := r.Scan(append(fields, &l.Returning)...); err != nil {
			return l, err
		}
		finish()
		return l, nil
	})
}

// BillTaxLine puts inventory invID's tax line on bill billNo, if it is still open.
func (t *Tx) BillTaxLine(ctx context.Context, invID, billNo string, now time.Time) error {
	if _, err := t.Exec(ctx, `UPDATE tax_lines SET state = 'billed', bill_no = $2, updated_at = $3 WHERE inventory_id = $1 AND state = 'open'`,
		invID, billNo, now); err != nil {
		return fmt.Errorf("bill tax line of inventory %s on %s: %w", invID, billNo, err)
	}
	return nil
}

// CancelTaxLine closes inventory invID's tax line: the inventory was cancelled.
func (t *Tx) CancelTaxLine(ctx context.Context, invID string, now time.Time) error {
	if _, err := t.Exec(ctx, `UPDATE tax_lines SET state = 'cancelled', updated_at = $2 WHERE inventory_id = $1`, invID, now); err != nil {
		return fmt.Errorf("cancel tax line of inventory %s: %w", invID, err)
	}
	return nil
}

// ReduceTaxLine takes the tax of returned goods off inventory invID's tax
// line, and stores its new per-line lines and state.
func (t *Tx) ReduceTaxLine(ctx context.Context, invID string, by TaxReduction, lines []byte, state string, now time.Time) error {
	if _, err := t.Exec(ctx, `UPDATE tax_lines SET duty_fen = duty_fen - $2, ct_fen = ct_fen - $3, vat_fen = vat_fen - $4, tax_fen = tax_fen - $5,
			lines = $6, state = $7, updated_at = $8 WHERE inventory_id = $1`,
		invID, by.DutyFen, by.CTFen, by.VATFen, by.TaxFen, string(lines), state, now); err != nil {
		return fmt.Errorf("reduce tax line of inventory %s: %w", invID, err)
	}
	return nil
}

const taxBillColumns = `bill_no, assure_code, issued_at, due_at, total_fen, line_count, status, paid_at, payment_ref`

func scanTaxBill(row Scanner) (*TaxBill, error) {
	var b TaxBill
	var issued, due Time
	var paid NullTime
	if err := row.Scan(&b.BillNo, &b.AssureCode, &issued, &due, &b.TotalFen, &b.LineCount, &b.Status, &paid, &b.PaymentRef); err != nil {
		return nil, classify(err)
	}
	b.IssuedAt, b.DueAt, b.PaidAt = issued.UTC(), due.UTC(), nullTimePtr(paid)
	return &b, nil
}

// TaxBillCounts counts guarantor code's tax bills: all of them, and those
// issued at or after since.
func (t *Tx) TaxBillCounts(ctx context.Context, code string, since time.Time) (all, recent int64, err error) {
	err = t.QueryRow(ctx, `SELECT COUNT(*), COUNT(CASE WHEN issued_at >= $2 THEN 1 END) FROM tax_bills WHERE assure_code = $1`, code, since).
		Scan(&all, &recent)
	if err != nil {
		return 0, 0, fmt.Errorf("count tax bills of %s: %w", code, err)
	}
	return all, recent, nil
}

// IssueTaxBill stores bill b as issued and unpaid; a Conflict error when its number is taken.
func (t *Tx) IssueTaxBill(ctx context.Context, b *TaxBill) error {
	if _, err := t.Exec(ctx, `INSERT INTO tax_bills (bill_no, assure_code, issued_at, due_at, total_fen, line_count, status, paid_at, payment_ref)
			VALUES ($1,$2,$3,$4,$5,$6,'issued',NULL,'')`, b.BillNo, b.AssureCode, b.IssuedAt, b.DueAt, b.TotalFen, b.LineCount); err != nil {
		return fmt.Errorf("issue tax bill %s: %w", b.BillNo, err)
	}
	return nil
}

// FlagOverdueTaxBills marks the issued bills due before now overdue and
// returns their numbers, in order.
func (t *Tx) FlagOverdueTaxBills(ctx context.Context, now time.Time) (_ []string, err error) {
	defer errs.Wrap(&err, "flag tax bills overdue at %s", now.Format(time.RFC3339))
	rows, err := t.Query(ctx, `SELECT bill_no FROM tax_bills WHERE status = 'issued' AND due_at < $1 ORDER BY bill_no`, now)
	if err != nil {
		return nil, err
	}
	overdue, err := Collect(rows, func(r Scanner) (string, error) {
		var b string
		return b, r.Scan(&b)
	})
	if err != nil {
		return nil, err
	}
	if _, err := t.Exec(ctx, `UPDATE tax_bills SET status = 'overdue' WHERE status = 'issued' AND due_at < $1`, now); err != nil {
		return nil, err
	}
	return overdue, nil
}

// PayTaxBill records bill billNo paid at at with the payment document
// reference, and its tax lines paid.
func (t *Tx) PayTaxBill(ctx context.Context, billNo, reference string, at time.Time) error {
	if _, err := t.Exec(ctx, `UPDATE tax_bills SET status = 'paid', paid_at = $2, payment_ref = $3 WHERE bill_no = $1`, billNo, at, reference); err != nil {
		return fmt.Errorf("pay tax bill %s: %w", billNo, err)
	}
	if _, err := t.Exec(ctx, `UPDATE tax_lines SET state = 'paid', updated_at = $2 WHERE bill_no = $1`, billNo, at); err != nil {
		return fmt.Errorf("pay the tax lines of bill %s: %w", billNo, err)
	}
	return nil
}

const taxBillByNo = `SELECT ` + taxBillColumns + ` FROM tax_bills WHERE bill_no = $1`

// TaxBill reads one bill; a NotFound error when there is none.
func (db *DB) TaxBill(ctx context.Context, billNo string) (*TaxBill, error) {
	b, err := scanTaxBill(db.QueryRow(ctx, taxBillByNo, billNo))
	if err != nil {
		return nil, fmt.Errorf("read tax bill %s: %w", billNo, err)
	}
	return b, nil
}

// TaxBill reads one bill in the transaction; a NotFound error when there is none.
func (t *Tx) TaxBill(ctx context.Context, billNo string) (*TaxBill, error) {
	b, err := scanTaxBill(t.QueryRow(ctx, taxBillByNo, billNo))
	if err != nil {
		return nil, fmt.Errorf("read tax bill %s: %w", billNo, err)
	}
	return b, nil
}

// TaxBills lists the bills f selects, newest first, at most f.Limit.
func (db *DB) TaxBills(ctx context.Context, f TaxBillFilter) (_ []TaxBill, err error) {
	defer errs.Wrap(&err, "list tax bills of %q", f.AssureCode)
	q, args := `SELECT `+taxBillColumns+` FROM tax_bills WHERE 1 = 1`, []any{}
	// Conditions are added only when set, so that each query the list runs
	// can use the (assure_code, issued_at) index.
	if f.AssureCode != "" {
		args = append(args, f.AssureCode)
		q += fmt.Sprintf(` AND assure_code = $%d`, len(args))
	}
	if !f.IssuedFrom.IsZero() {
		args = append(args, f.IssuedFrom)
		q += fmt.Sprintf(` AND issued_at >= $%d`, len(args))
	}
	if !f.IssuedTo.IsZero() {
		args = append(args, f.IssuedTo)
		q += fmt.Sprintf(` AND issued_at < $%d`, len(args))
	}
	args = append(args, f.Limit)
	rows, err := db.Query(ctx, q+fmt.Sprintf(` ORDER BY issued_at DESC, bill_no DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanTaxBill)
}

const taxBillLines = `SELECT ` + taxLineColumns + ` FROM tax_lines t WHERE t.bill_no = $1 ORDER BY t.released_at, t.invt_no`

// TaxBillLines lists the tax lines on bill billNo, by release and invtNo.
func (db *DB) TaxBillLines(ctx context.Context, billNo string) (_ []TaxLine, err error) {
	defer errs.Wrap(&err, "lines of tax bill %s", billNo)
	rows, err := db.Query(ctx, taxBillLines, billNo)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanTaxLine)
}

// TaxBillLines lists the tax lines on bill billNo in the transaction, by release and invtNo.
func (t *Tx) TaxBillLines(ctx context.Context, billNo string) (_ []TaxLine, err error) {
	defer errs.Wrap(&err, "lines of tax bill %s", billNo)
	rows, err := t.Query(ctx, taxBillLines, billNo)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanTaxLine)
}
