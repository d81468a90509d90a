package bonded

import (
	"context"
	"encoding/json"
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
		run.Overdue, err = tx.FlagOverdueTaxBills(ctx, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("billing run: %w", err)
	}
	return run, nil
}

// billLine is an inventory's tax line with its per-line shares decoded.
type billLine struct {
	store.TaxLine
	lines []taxLine
}

func (s *Service) issueBills(ctx context.Context, tx *store.Tx, now time.Time) ([]string, error) {
	stored, err := tx.BillableTaxLines(ctx, now.Add(-days(s.Params.BillAfterDays)))
	if err != nil {
		return nil, err
	}
	byCode := map[string][]billLine{}
	var codes []string
	for _, t := range stored {
		l := billLine{TaxLine: t}
		if err := json.Unmarshal(t.Lines, &l.lines); err != nil {
			return nil, fmt.Errorf("decode stored tax lines of inventory %s: %w", t.InventoryID, err)
		}
		if _, ok := byCode[l.AssureCode]; !ok {
			codes = append(codes, l.AssureCode)
		}
		byCode[l.AssureCode] = append(byCode[l.AssureCode], l)
	}
	bills := []string{}
	// The billing period is the day (China time): a guarantor gets at most one
	// bill a day; lines that come due later that day go on the next day's bill.
	local := now.In(cst)
	dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, cst)
	for _, code := range codes {
		lines := byCode[code]
		seq, today, err := tx.TaxBillCounts(ctx, code, dayStart)
		if err != nil {
			return nil, err
		}
		if today > 0 {
			continue
		}
		billNo := fmt.Sprintf("TB%s%s%03d", code, now.In(cst).Format("20060102"), seq+1)
		var total int64
		oldest := lines[0].ReleasedAt
		for _, l := range lines {
			total += l.TaxFen
			if l.ReleasedAt.Before(oldest) {
				oldest = l.ReleasedAt
			}
			if err := tx.BillTaxLine(ctx, l.InventoryID, billNo, now); err != nil {
				return nil, err
			}
		}
		due := oldest.Add(days(s.Params.BillDueDays))
		if err := tx.IssueTaxBill(ctx, &store.TaxBill{BillNo: billNo, AssureCode: code, IssuedAt: now, DueAt: due, TotalFen: total, LineCount: len(lines)}); err != nil {
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
		h := ceb.TaxHeadRd{Guid: ceb.NewGuid(), ReturnTime: ceb.FormatReturnTime(now), InvtNo: l.InvtNo, TaxNo: fmt.Sprintf("%s_%d", billNo, i+1),
			CustomsTax: fen(l.DutyFen), ValueAddedTax: fen(l.VATFen), ConsumptionTax: fen(l.CTFen), Status: "1", EntDutyNo: billNo,
			AssureCode: l.AssureCode, EbcCode: l.EbcCode, AgentCode: l.AgentCode}
		if len(l.CustomsCode) == 4 {
			h.CustomsCode = l.CustomsCode
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

// billOf is a stored bill as shown: in China time, overdue when unpaid past its due date.
func billOf(sb *store.TaxBill, now time.Time) *Bill {
	b := &Bill{BillNo: sb.BillNo, AssureCode: sb.AssureCode, IssuedAt: sb.IssuedAt.In(cst), DueAt: sb.DueAt.In(cst),
		Total: money.FromFen(sb.TotalFen), Status: sb.Status, PaymentRef: sb.PaymentRef}
	if sb.PaidAt != nil {
		t := sb.PaidAt.In(cst)
		b.PaidAt = &t
	}
	b.Overdue = b.Status != "paid" && now.After(b.DueAt)
	return b
}

// billLineOf is a stored tax line as a bill shows it.
func billLineOf(t *store.TaxLine) BillLine {
	return BillLine{InvtNo: t.InvtNo, CopNo: t.CopNo, ReleasedAt: t.ReleasedAt.In(cst), Duty: money.FromFen(t.DutyFen),
		CT: money.FromFen(t.CTFen), VAT: money.FromFen(t.VATFen), Tax: money.FromFen(t.TaxFen)}
}

// Bills lists a guarantor's bills (all when code is empty), newest first; with
// a month (YYYY-MM, China time) only the bills issued in it.
func (s *Service) Bills(ctx context.Context, code, month string) (_ []Bill, err error) {
	defer errs.Wrap(&err, "bonded.Bills(%q, %q)", code, month)
	f := store.TaxBillFilter{AssureCode: code, Limit: 1000}
	if month != "" {
		start, err := time.ParseInLocation("2006-01", month, cst)
		if err != nil {
			return nil, errs.Invalidf("month", "month_invalid", "month must be YYYY-MM (got %q)", month)
		}
		f.IssuedFrom, f.IssuedTo = start, start.AddDate(0, 1, 0)
	}
	stored, err := s.DB.TaxBills(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]Bill, 0, len(stored))
	now := s.Now()
	for i := range stored {
		out = append(out, *billOf(&stored[i], now))
	}
	return out, nil
}

// Bill reads one bill with its lines.
func (s *Service) Bill(ctx context.Context, billNo string) (_ *Bill, err error) {
	defer errs.Wrap(&err, "bonded.Bill(%q)", billNo)
	sb, err := s.DB.TaxBill(ctx, billNo)
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.New(errs.NotFound, "bill_not_found", "billNo", "no tax bill %s", billNo)
	}
	if err != nil {
		return nil, err
	}
	b := billOf(sb, s.Now())
	lines, err := s.DB.TaxBillLines(ctx, billNo)
	if err != nil {
		return nil, err
	}
	b.Lines = make([]BillLine, 0, len(lines))
	for i := range lines {
		b.Lines = append(b.Lines, billLineOf(&lines[i]))
	}
	return b, nil
}

// Pay records a bill's payment: the bill is closed, the tax it collected no
// longer needs the guarantee (the guarantor's balance is credited back), and
// a CEB818 per inventory tells the guarantor the bill's new status.
func (s *Service) Pay(ctx context.Context, billNo, reference string) (_ *Bill, err error) {
	defer errs.Wrap(&err, "bonded.Pay(%q)", billNo)
	if reference = strings.TrimSpace(reference); reference == "" || len(reference) > 50 {
		return nil, errs.Invalidf("reference", "reference_missing", "reference (the payment document number, 缴款书编号) must be 1 to 50 characters")
	}
	now := s.Now()
	err = s.Batch.Do(ctx, func(tx *store.Tx) error {
		b, err := tx.TaxBill(ctx, billNo)
		if errs.KindOf(err) == errs.NotFound {
			return errs.New(errs.NotFound, "bill_not_found", "billNo", "no tax bill %s", billNo)
		}
		if err != nil {
			return err
		}
		if b.Status == "paid" {
			return errs.New(errs.Conflict, "bill_paid", "billNo", "tax bill %s is already paid", billNo)
		}
		if err := tx.PayTaxBill(ctx, billNo, reference, now); err != nil {
			return err
		}
		if err := credit(ctx, tx, b.AssureCode, b.TotalFen, "", billNo, "tax bill paid: "+reference, now); err != nil {
			return err
		}
		lines, err := tx.TaxBillLines(ctx, billNo)
		if err != nil {
			return err
		}
		if len(lines) == 0 {
			return nil
		}
		m := &ceb.CEB818Message{Guid: ceb.NewGuid(), Version: "1.0"}
		for i, l := range lines {
			m.Tax = append(m.Tax, ceb.Tax818{TaxHeadStatus: ceb.TaxHeadStatus{Guid: ceb.NewGuid(), ReturnTime: ceb.FormatReturnTime(now),
				InvtNo: l.InvtNo, TaxNo: fmt.Sprintf("%s_%d", billNo, i+1), Status: "2", EntDutyNo: reference, AssureCode: b.AssureCode}})
		}
		xml, err := ceb.Encode(m)
		if err != nil {
			return fmt.Errorf("write CEB818: %w", err)
		}
		return tx.AddReceipt(ctx, &store.Receipt{EnterpriseCode: b.AssureCode, MessageType: "CEB818Message", CopNo: billNo, ReturnStatus: "2",
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
func (s *Service) Upcoming(ctx context.Context, code, until string) (_ *Upcoming, err error) {
	defer errs.Wrap(&err, "bonded.Upcoming(%q, %q)", code, until)
	day, err := time.ParseInLocation("2006-01-02", until, cst)
	if err != nil {
		return nil, errs.Invalidf("until", "date_invalid", "until must be a date YYYY-MM-DD (got %q)", until)
	}
	end := day.AddDate(0, 0, 1)
	u := &Upcoming{AssureCode: code, Until: end, Lines: []BillLine{}}
	open, err := s.DB.OpenTaxLines(ctx, code, end.Add(-days(s.Params.BillAfterDays)))
	if err != nil {
		return nil, err
	}
	var total int64
	for i := range open {
		if open[i].Returning {
			u.Returning++
			continue
		}
		total += open[i].TaxFen
		u.Lines = append(u.Lines, billLineOf(&open[i].TaxLine))
	}
	u.Total = money.FromFen(total)
	return u, nil
}
