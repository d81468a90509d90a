// Package export holds cross-border e-commerce export (rules §11): retail
// (9610) and B2B (9710 direct, 9810 overseas warehouse) export clearance from
// orders (CEB303), receipts of payment (403), waybills (505), export
// inventories (603), cancels (605), master/house waybill lists (607),
// arrivals (507) and departures (509); monthly summary declarations
// (CEB701 → 702 → 792) made on demand and by a job before the deadline;
// tax-refund and 无票免税 data; forex settlement; and export returns
// (CEB213 → 214, tally CEB215 → 216).
//
// It plugs into the platform's machinery: every message type is an intake
// handler whose documents are applied in intake's transaction with the
// spec's receipt. Matching is a second, small judge that runs inside the
// transaction of whichever document completes an inventory's set, so an
// export never waits for a sweeper. Money is integer fen of the declared
// currency; quantities are exact decimals; every deadline reads the
// injected clock.
package export

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/intake"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
)

// Params are the export rule parameters (config.ExportRules, validated).
type Params struct {
	SummaryDay        int
	SummaryLead       time.Duration
	SummaryInterval   time.Duration
	ForexOverdueDays  int
	ReturnMonths      int
	ReturnPolicyFrom  time.Time // first release day (CST) whose returns are exempt
	ReturnPolicyUntil time.Time // last release day (CST), inclusive
	FoodHS            []string
	ProhibitedHS      []string
	SimplifiedLimit   money.Amount // CNY
}

// Parties finds registered enterprises; nil for an unknown code.
type Parties interface {
	Get(ctx context.Context, code string) (*enterprise.Enterprise, error)
}

// Service is the export service.
type Service struct {
	DB      *store.DB
	Batch   *store.Batcher
	Parties Parties
	Params  Params
	// Rules draws exports for inspection by credit class (rules §9); nil draws none.
	Rules *clearance.Rules
	// Measures tells whether an export falls under an emergency measure in
	// force (rules §9), naming it; nil holds nothing.
	Measures func(doc *clearance.Inventory) (detail string, held bool)
	// DocumentWait is how long an export inventory waits for its documents (rules.document_wait).
	DocumentWait time.Duration
	Now          func() time.Time
	Log          *slog.Logger
}

// Trade modes of export.
const (
	ModeRetail    = "9610"
	ModeB2B       = "9710"
	ModeWarehouse = "9810"
)

// cst is China Standard Time: months, deadlines and dates in numbers are CST.
var cst = time.FixedZone("CST", 8*3600)

// Register plugs the export message types into intake.
func (s *Service) Register(in *intake.Service) {
	in.Handle("CEB303Message", s.orderDocuments)
	in.Handle("CEB403Message", s.receiptDocuments)
	in.Handle("CEB505Message", s.waybillDocuments)
	in.Handle("CEB507Message", s.arrivalDocuments)
	in.Handle("CEB509Message", s.departureDocuments)
	in.Handle("CEB603Message", s.inventoryDocuments)
	in.Handle("CEB605Message", s.cancelDocuments)
	in.Handle("CEB607Message", s.waybillListDocuments)
	in.Handle("CEB701Message", s.summaryDocuments)
	in.Handle("CEB213Message", s.returnDocuments)
	in.Handle("CEB215Message", s.tallyDocuments)
}

// doc is one export document of a message; apply does the work in the message's transaction.
type doc struct {
	keys    ceb.Keys
	copNo   string
	orderNo string
	apply   func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error)
}

func (d *doc) Keys() ceb.Keys                { return d.keys }
func (d *doc) Feed() (copNo, orderNo string) { return d.copNo, d.orderNo }
func (d *doc) Apply(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
	return d.apply(ctx, tx, env)
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// amount reads a declared amount (up to 5 decimals in the spec), rounded half-up to fen.
func amount(field, v string) (int64, error) {
	a, err := money.ParseAmountWith(strings.TrimSpace(v), money.ParseOptions{Round: true})
	if err != nil {
		return 0, errs.Invalidf(field, "amount_invalid", "%s=%q: %v", field, v, err)
	}
	return a.Fen(), nil
}

// decimal reads a declared quantity or price.
func decimal(field, v string) (money.Decimal, error) {
	d, err := money.ParseDecimal(strings.TrimSpace(v))
	if err != nil || strings.TrimSpace(v) == "" {
		return money.Decimal{}, errs.Invalidf(field, "decimal_invalid", "%s=%q is not a decimal number", field, v)
	}
	return d, nil
}

// damaged is the error for a value of a stored document that does not parse
// where it is used. Whoever sent the document cannot mend it now, so the
// error is internal (logged, a 500), not the parser's *errs.Error of kind
// Invalid, which would tell the caller to fix its input.
func damaged(doc string, err error) error {
	return fmt.Errorf("stored %s: %v", doc, err)
}

// fen formats fen as yuan with two decimals.
func fen(v int64) string { return money.FromFen(v).String() }

// times is price × qty rounded half-up to fen.
func times(price, qty money.Decimal) (int64, error) {
	p, err := price.Mul(qty)
	if err != nil {
		return 0, err
	}
	a, err := p.RoundHalfUp(money.Fen)
	if err != nil {
		return 0, err
	}
	return a.Fen(), nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// hasPrefix reports the first prefix of list that code starts with.
func hasPrefix(code string, list []string) (string, bool) {
	i := slices.IndexFunc(list, func(p string) bool { return strings.HasPrefix(code, p) })
	if i < 0 {
		return "", false
	}
	return list[i], true
}

// serialNo draws a platform number: prefix + CST date or year + 9 digits.
func serialNo(ctx context.Context, tx *store.Tx, format string, now time.Time) (string, error) {
	n, err := tx.NextSerial(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(format, now.In(cst).Format("20060102"), now.In(cst).Format("2006"), n%1_000_000_000), nil
}

// preNo gives keys an 18-character preNo: the declared one, or a new one.
func preNo(ctx context.Context, tx *store.Tx, keys ceb.Keys, letter string, now time.Time) error {
	if len(keys["preNo"]) == 18 {
		return nil
	}
	v, err := serialNo(ctx, tx, letter+"%[1]s%09[3]d", now)
	if err != nil {
		return err
	}
	keys["preNo"] = v
	return nil
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errs.As(err); ok {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Month is a calendar month in CST, "2026-11".
type Month struct{ Start, End time.Time }

// ParseMonth reads "YYYY-MM"; the field names the parameter in errors.
func ParseMonth(field, v string) (Month, string, error) {
	t, err := time.ParseInLocation("2006-01", strings.TrimSpace(v), cst)
	if err != nil {
		return Month{}, "", errs.Invalidf(field, "month_invalid", "%s=%q is not a month like 2026-11", field, v)
	}
	return Month{Start: t, End: t.AddDate(0, 1, 0)}, t.Format("2006-01"), nil
}

// monthOf is the CST month of t, "2026-11".
func monthOf(t time.Time) string { return t.In(cst).Format("2006-01") }

// Deadline is the end of the day by which a month's lists are summarized:
// the SummaryDay of the next month; for December the last working day
// (Monday to Friday) of December.
func (p Params) Deadline(month string) time.Time {
	m, _, err := ParseMonth("month", month)
	if err != nil {
		return time.Time{}
	}
	if m.Start.Month() == time.December {
		d := m.End.AddDate(0, 0, -1)
		for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			d = d.AddDate(0, 0, -1)
		}
		return d.AddDate(0, 0, 1)
	}
	return m.End.AddDate(0, 0, p.SummaryDay)
}
