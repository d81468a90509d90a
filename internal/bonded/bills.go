package bonded

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
)

// BillingRun says what one run of the billing job did.
type BillingRun struct {
	Bills          []string `json:"bills"`          // tax bills issued
	ExpiredReturns int      `json:"expiredReturns"` // returns whose goods did not arrive in time
	Overdue        []string `json:"overdue"`        // bills newly flagged overdue
}

// RunBilling expires returns whose goods did not arrive within
// return_arrive_days, bills (CEB816) every guaranteed inventory released at
// least bill_after_days ago with no return in progress — one bill per
// guarantor — and flags unpaid bills past their due date.
func (s *Service) RunBilling(ctx context.Context) (*BillingRun, error) {
	now := s.Now()
	run := &BillingRun{Bills: []string{}, Overdue: []string{}}
	err := s.Batch.Do(ctx, func(tx *store.Tx) error {
		*run = BillingRun{Bills: []string{}, Overdue: []string{}}
		n, err := s.expireReturns(ctx, tx, now)
		if err != nil {
			return err
		}
		run.ExpiredReturns = n
		if run.Bills, err = s.issueBills(ctx, tx, now); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT bill_no FROM tax_bills WHERE status = 'issued' AND due_at < $1 ORDER BY bill_no`, now)
		if err != nil {
			return err
		}
		for rows.Next() {
			var b string
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return err
			}
			run.Overdue = append(run.Overdue, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE tax_bills SET status = 'overdue' WHERE status = 'issued' AND due_at < $1`, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("billing run: %w", err)
	}
	return run, nil
}

type billLine struct {
	invID, code, invtNo, copNo, ebc, agent, customs string
	released                                        time.Time
	duty, ct, vat, tax                              int64
	lines                                           []taxLine
}

func (s *Service) issueBills(ctx context.Context, tx *store.Tx, now time.Time) ([]string, error) {
	cutoff := now.Add(-days(s.Params.BillAfterDays))
	rows, err := tx.Query(ctx, `SELECT t.inventory_id, t.assure_code, t.invt_no, t.cop_no, t.ebc_code, t.agent_code, t.customs_code, t.released_at,
		t.duty_fen, t.ct_fen, t.vat_fen, t.tax_fen, t.lines FROM tax_lines t
		WHERE t.state = 'open' AND t.released_at <= $1
		AND NOT EXISTS (SELECT 1 FROM bonded_returns r WHERE r.inventory_id = t.inventory_id AND r.state = 'applied')
		ORDER BY t.assure_code, t.released_at, t.inventory_id`, cutoff)
	if err != nil {
		return nil, err
	}
	byCode := map[string][]billLine{}
	var codes []string
	for rows.Next() {
		var l billLine
		var rel store.Time
		var lj string
		if err := rows.Scan(&l.invID, &l.code, &l.invtNo, &l.copNo, &l.ebc, &l.agent, &l.customs, &rel, &l.duty, &l.ct, &l.vat, &l.tax, &lj); err != nil {
			rows.Close()
			return nil, err
		}
		l.released = rel.Time
		if err := json.Unmarshal([]byte(lj), &l.lines); err != nil {
			rows.Close()
			return nil, fmt.Errorf("decode stored tax lines of inventory %s: %w", l.invID, err)
		}
		if _, ok := byCode[l.code]; !ok {
			codes = append(codes, l.code)
		}
		byCode[l.code] = append(byCode[l.code], l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	bills := []string{}
	// The billing period is the day (China time): a guarantor gets at most one
	// bill a day; lines that come due later that day go on the next day's bill.
	local := now.In(cst)
	dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, cst)
	for _, code := range codes {
		lines := byCode[code]
		var seq, today int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM tax_bills WHERE assure_code = $1`, code).Scan(&seq); err != nil {
			return nil, err
		}
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM tax_bills WHERE assure_code = $1 AND issued_at >= $2`, code, dayStart).Scan(&today); err != nil {
			return nil, err
		}
		if today > 0 {
			continue
		}
		billNo := fmt.Sprintf("TB%s%s%03d", code, now.In(cst).Format("20060102"), seq+1)
		var total int64
		oldest := lines[0].released
		for _, l := range lines {
			total += l.tax
			if l.released.Before(oldest) {
				oldest = l.released
			}
			if _, err := tx.Exec(ctx, `UPDATE tax_lines SET state = 'billed', bill_no = $2, updated_at = $3 WHERE inventory_id = $1 AND state = 'open'`,
				l.invID, billNo, now); err != nil {
				return nil, err
			}
		}
		due := oldest.Add(days(s.Params.BillDueDays))
		if _, err := tx.Exec(ctx, `INSERT INTO tax_bills (bill_no, assure_code, issued_at, due_at, total_fen, line_count, status, paid_at, payment_ref)
			VALUES ($1,$2,$3,$4,$5,$6,'issued',NULL,'')`, billNo, code, now, due, total, len(lines)); err != nil {
			return nil, err
		}
		xml, err := ceb816(billNo, lines, now)
		if err != nil {
			return nil, err
		}
		if err := tx.AddReceipt(ctx, &store.Receipt{EnterpriseCode: code, MessageType: "CEB816Message", CopNo: billNo,
			ReturnStatus: "1", ReturnInfo: fmt.Sprintf("tax bill %s: %d inventories, %s CNY, due %s", billNo, len(lines), money.FromFen(total), due.In(cst).Format("2006-01-02")),
			XML: string(xml), CreatedAt: now}); err != nil {
			return nil, err
		}
		bills = append(bills, billNo)
	}
	return bills, nil
}

// ceb816 writes the electronic tax bill: one Tax per inventory, its lines in TaxListRd.
func ceb816(billNo string, lines []billLine, now time.Time) ([]byte, error) {
	m := &ceb.CEB816Message{Guid: ceb.NewGuid(), Version: "1.0"}
	for i, l := range lines {
		h := ceb.TaxHeadRd{Guid: ceb.NewGuid(), ReturnTime: ceb.FormatReturnTime(now), InvtNo: l.invtNo, TaxNo: fmt.Sprintf("%s_%d", billNo, i+1),
			CustomsTax: fen(l.duty), ValueAddedTax: fen(l.vat), ConsumptionTax: fen(l.ct), Status: "1", EntDutyNo: billNo,
			AssureCode: l.code, EbcCode: l.ebc, AgentCode: l.agent}
		if len(l.customs) == 4 {
			h.CustomsCode = l.customs
		}
		t := ceb.Tax{TaxHeadRd: h}
		for _, tl := range l.lines {
			if tl.Qty == tl.Returned && tl.Qty > 0 {
				continue // returned in full: not levied
			}
			t.TaxListRd = append(t.TaxListRd, ceb.TaxListRd{Gnum: fmt.Sprint(tl.Gnum), Gcode: tl.Gcode,
				TaxPrice: fen(tl.left(tl.Dutiable)), CustomsTax: fen(tl.left(tl.Duty)),
				ValueAddedTax: fen(tl.left(tl.VAT)), ConsumptionTax: fen(tl.left(tl.CT))})
		}
		if len(t.TaxListRd) == 0 {
			t.TaxListRd = append(t.TaxListRd, ceb.TaxListRd{Gnum: "1", Gcode: "0000000000", TaxPrice: "0.00", CustomsTax: "0.00", ValueAddedTax: "0.00", ConsumptionTax: "0.00"})
		}
		m.Tax = append(m.Tax, t)
	}
	xml, err := ceb.Encode(m)
	if err != nil {
		return nil, fmt.Errorf("write CEB816 %s: %w", billNo, err)
	}
	return xml, nil
}

func fen(n int64) string { return money.FromFen(n).String() }

// Bill is a tax bill with its lines.
type Bill struct {
	BillNo     string       `json:"billNo"`
	AssureCode string       `json:"assureCode"`
	IssuedAt   time.Time    `json:"issuedAt"`
	DueAt      time.Time    `json:"dueAt"`
	Total      money.Amount `json:"total"`
	Status     string       `json:"status"` // issued, overdue, paid
	Overdue    bool         `json:"overdue"`
	PaidAt     *time.Time   `json:"paidAt,omitempty"`
	PaymentRef string       `json:"paymentRef,omitempty"`
	Lines      []BillLine   `json:"lines,omitempty"`
}

// BillLine is one inventory on a bill.
type BillLine struct {
	InvtNo     string       `json:"invtNo"`
	CopNo      string       `json:"copNo"`
	ReleasedAt time.Time    `json:"releasedAt"`
	Duty       money.Amount `json:"duty"`
	CT         money.Amount `json:"consumptionTax"`
	VAT        money.Amount `json:"vat"`
	Tax        money.Amount `json:"tax"`
}

const billColumns = `bill_no, assure_code, issued_at, due_at, total_fen, status, paid_at, payment_ref`

func scanBill(row interface{ Scan(...any) error }, now time.Time) (*Bill, error) {
	var b Bill
	var issued, due store.Time
	var paid store.NullTime
	var total int64
	if err := row.Scan(&b.BillNo, &b.AssureCode, &issued, &due, &total, &b.Status, &paid, &b.PaymentRef); err != nil {
		return nil, err
	}
	b.IssuedAt, b.DueAt, b.Total = issued.Time.In(cst), due.Time.In(cst), money.FromFen(total)
	if paid.Valid {
		t := paid.Time.Time.In(cst)
		b.PaidAt = &t
	}
	b.Overdue = b.Status != "paid" && now.After(b.DueAt)
	return &b, nil
}

// Bills lists a guarantor's bills (all when code is empty), newest first; with
// a month (YYYY-MM, China time) only the bills issued in it.
func (s *Service) Bills(ctx context.Context, code, month string) ([]Bill, error) {
	q, args := `SELECT `+billColumns+` FROM tax_bills WHERE 1 = 1`, []any{}
	if code != "" {
		args = append(args, code)
		q += fmt.Sprintf(` AND assure_code = $%d`, len(args))
	}
	if month != "" {
		start, err := time.ParseInLocation("2006-01", month, cst)
		if err != nil {
			return nil, errs.Invalidf("month", "month_invalid", "month must be YYYY-MM (got %q)", month)
		}
		args = append(args, start, start.AddDate(0, 1, 0))
		q += fmt.Sprintf(` AND issued_at >= $%d AND issued_at < $%d`, len(args)-1, len(args))
	}
	rows, err := s.DB.Query(ctx, q+` ORDER BY issued_at DESC, bill_no DESC LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Bill{}
	now := s.Now()
	for rows.Next() {
		b, err := scanBill(rows, now)
		if err != nil {
			return nil, err
		}
		out = append(out, *b)
	}
	return out, rows.Err()
}

// Bill reads one bill with its lines.
func (s *Service) Bill(ctx context.Context, billNo string) (*Bill, error) {
	b, err := scanBill(s.DB.QueryRow(ctx, `SELECT `+billColumns+` FROM tax_bills WHERE bill_no = $1`, billNo), s.Now())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "bill_not_found", "billNo", "no tax bill %s", billNo)
	}
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT invt_no, cop_no, released_at, duty_fen, ct_fen, vat_fen, tax_fen FROM tax_lines WHERE bill_no = $1 ORDER BY released_at, invt_no`, billNo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	b.Lines = []BillLine{}
	for rows.Next() {
		var l BillLine
		var rel store.Time
		var duty, ct, vat, tax int64
		if err := rows.Scan(&l.InvtNo, &l.CopNo, &rel, &duty, &ct, &vat, &tax); err != nil {
			return nil, err
		}
		l.ReleasedAt, l.Duty, l.CT, l.VAT, l.Tax = rel.Time.In(cst), money.FromFen(duty), money.FromFen(ct), money.FromFen(vat), money.FromFen(tax)
		b.Lines = append(b.Lines, l)
	}
	return b, rows.Err()
}

// Pay records a bill's payment: the bill is closed, the tax it collected no
// longer needs the guarantee (the guarantor's balance is credited back), and
// a CEB818 per inventory tells the guarantor the bill's new status.
func (s *Service) Pay(ctx context.Context, billNo, reference string) (*Bill, error) {
	if reference = strings.TrimSpace(reference); reference == "" || len(reference) > 50 {
		return nil, errs.Invalidf("reference", "reference_missing", "reference (the payment document number, 缴款书编号) must be 1 to 50 characters")
	}
	now := s.Now()
	err := s.Batch.Do(ctx, func(tx *store.Tx) error {
		var code, status string
		var total int64
		err := tx.QueryRow(ctx, `SELECT assure_code, status, total_fen FROM tax_bills WHERE bill_no = $1`, billNo).Scan(&code, &status, &total)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.New(errs.NotFound, "bill_not_found", "billNo", "no tax bill %s", billNo)
		}
		if err != nil {
			return err
		}
		if status == "paid" {
			return errs.New(errs.Conflict, "bill_paid", "billNo", "tax bill %s is already paid", billNo)
		}
		if _, err := tx.Exec(ctx, `UPDATE tax_bills SET status = 'paid', paid_at = $2, payment_ref = $3 WHERE bill_no = $1`, billNo, now, reference); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tax_lines SET state = 'paid', updated_at = $2 WHERE bill_no = $1`, billNo, now); err != nil {
			return err
		}
		if err := credit(ctx, tx, code, total, "", billNo, "tax bill paid: "+reference, now); err != nil {
			return err
		}
		m := &ceb.CEB818Message{Guid: ceb.NewGuid(), Version: "1.0"}
		rows, err := tx.Query(ctx, `SELECT invt_no FROM tax_lines WHERE bill_no = $1 ORDER BY released_at, invt_no`, billNo)
		if err != nil {
			return err
		}
		i := 0
		for rows.Next() {
			var invtNo string
			if err := rows.Scan(&invtNo); err != nil {
				rows.Close()
				return err
			}
			i++
			m.Tax = append(m.Tax, ceb.Tax818{TaxHeadStatus: ceb.TaxHeadStatus{Guid: ceb.NewGuid(), ReturnTime: ceb.FormatReturnTime(now),
				InvtNo: invtNo, TaxNo: fmt.Sprintf("%s_%d", billNo, i), Status: "2", EntDutyNo: reference, AssureCode: code}})
		}
		rows.Close()
		if len(m.Tax) == 0 {
			return nil
		}
		xml, err := ceb.Encode(m)
		if err != nil {
			return fmt.Errorf("write CEB818: %w", err)
		}
		return tx.AddReceipt(ctx, &store.Receipt{EnterpriseCode: code, MessageType: "CEB818Message", CopNo: billNo, ReturnStatus: "2",
			ReturnInfo: fmt.Sprintf("tax bill %s paid (%s)", billNo, reference), XML: string(xml), CreatedAt: now})
	})
	if err != nil {
		return nil, err
	}
	return s.Bill(ctx, billNo)
}

// Upcoming is what a guarantor's bills will hold up to a date: the open tax
// lines that will have passed bill_after_days by then.
type Upcoming struct {
	AssureCode string       `json:"assureCode"`
	Until      time.Time    `json:"until"`
	Total      money.Amount `json:"total"`
	Lines      []BillLine   `json:"lines"`
	// Returning counts lines not billed while a return is in progress; they are billed once it ends.
	Returning int `json:"returning"`
}

// Upcoming forecasts a guarantor's bills up to the end of the given day
// (YYYY-MM-DD, China time) without changing anything: released, guaranteed
// inventories not yet billed, with their tax after any arrived returns.
func (s *Service) Upcoming(ctx context.Context, code, until string) (*Upcoming, error) {
	day, err := time.ParseInLocation("2006-01-02", until, cst)
	if err != nil {
		return nil, errs.Invalidf("until", "date_invalid", "until must be a date YYYY-MM-DD (got %q)", until)
	}
	end := day.AddDate(0, 0, 1)
	u := &Upcoming{AssureCode: code, Until: end, Lines: []BillLine{}}
	rows, err := s.DB.Query(ctx, `SELECT t.invt_no, t.cop_no, t.released_at, t.duty_fen, t.ct_fen, t.vat_fen, t.tax_fen,
		EXISTS (SELECT 1 FROM bonded_returns r WHERE r.inventory_id = t.inventory_id AND r.state = 'applied')
		FROM tax_lines t WHERE t.assure_code = $1 AND t.state = 'open' AND t.released_at < $2 ORDER BY t.released_at, t.invt_no`,
		code, end.Add(-days(s.Params.BillAfterDays)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var l BillLine
		var rel store.Time
		var duty, ct, vat, tax int64
		var returning bool
		if err := rows.Scan(&l.InvtNo, &l.CopNo, &rel, &duty, &ct, &vat, &tax, &returning); err != nil {
			return nil, err
		}
		if returning {
			u.Returning++
			continue
		}
		l.ReleasedAt, l.Duty, l.CT, l.VAT, l.Tax = rel.Time.In(cst), money.FromFen(duty), money.FromFen(ct), money.FromFen(vat), money.FromFen(tax)
		total += tax
		u.Lines = append(u.Lines, l)
	}
	u.Total = money.FromFen(total)
	return u, rows.Err()
}
