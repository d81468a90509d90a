// Package bonded holds bonded online-shopping import (网购保税进口, 1210),
// rules §6–§8: account books (账册) with their stock and movements, tally
// first and declare later (先理货后报关), zone entries (JSON, CSV, CEB711),
// cancellations (CEB623) and returns (CEB625) with their restorations, tax
// guarantees, tax bills (CEB816/CEB818) and the gate (卡口).
//
// It plugs into the platform through the extension points: intake handlers
// for CEB623, CEB625 and CEB711, and engine effects that reserve, deduct and
// give back stock and debit the guarantee inside the transaction of each
// status change. Quantities are integer thousandths (milli) of the declared
// unit; money is integer fen. Every deadline reads the injected clock.
package bonded

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
)

// Params are the rule parameters of rules §6–§8 (config.Rules).
type Params struct {
	ReturnApplyDays  int           // a return is applied for within this many days of release
	ReturnArriveDays int           // returned goods arrive back within this many days of release
	BillAfterDays    int           // a released inventory is billed after this many days
	BillDueDays      int           // a bill is due this many days after its oldest line's release
	TallyDeadline    time.Duration // a declaration follows its tally within this time
	// BlockOverdue holds new releases of a guarantor with an overdue bill.
	BlockOverdue bool
	// GuaranteeModes are the trade modes whose release debits the guarantee.
	GuaranteeModes []string
}

// Parties finds registered enterprises; nil for an unknown code.
type Parties interface {
	Get(ctx context.Context, code string) (*enterprise.Enterprise, error)
}

// Products tells whether an e-commerce enterprise filed a product, and its account-book item.
type Products interface {
	ItemRecordNo(ebcCode, itemNo string) (itemRecordNo string, filed bool)
}

// Service is the bonded-import service.
type Service struct {
	DB       *store.DB
	Batch    *store.Batcher
	Parties  Parties
	Products Products
	Params   Params
	Now      func() time.Time
	Log      *slog.Logger
	// Every is how often the background job bills, expires returns and flags overdue bills.
	Every time.Duration
}

// Guaranteed reports whether inventories of a trade mode debit the guarantee.
func (s *Service) Guaranteed(tradeMode string) bool {
	return slices.Contains(s.Params.GuaranteeModes, tradeMode)
}

// Run bills, expires late returns and flags overdue bills until ctx ends.
func (s *Service) Run(ctx context.Context) {
	every := s.Every
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.RunBilling(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("tax billing run failed; retried at the next tick", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// cst is China Standard Time, for dates inside numbers and months of reports.
var cst = time.FixedZone("CST", 8*3600)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// days is n days as a duration.
func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// ParseQty reads a positive quantity with at most three decimals, in milli-units.
func ParseQty(field, s string) (int64, error) {
	q, err := parseMilli(field, s)
	if err != nil {
		return 0, err
	}
	if q <= 0 {
		return 0, errs.Invalidf(field, "qty_not_positive", "%s=%q must be greater than zero", field, s)
	}
	return q, nil
}

// parseMilli reads a signed quantity with at most three decimals, in milli-units.
func parseMilli(field, s string) (int64, error) {
	s = strings.TrimSpace(s)
	d, err := money.ParseDecimal(s)
	if err != nil || s == "" {
		return 0, errs.Invalidf(field, "qty_invalid", "%s=%q is not a decimal number", field, s)
	}
	m, err := d.Mul(money.DecimalFromInt(1000))
	if err != nil {
		return 0, errs.Invalidf(field, "qty_invalid", "%s=%q: %v", field, s, err)
	}
	neg := m.Sign() < 0
	if neg {
		if m, err = m.Mul(money.DecimalFromInt(-1)); err != nil {
			return 0, errs.Invalidf(field, "qty_invalid", "%s=%q: %v", field, s, err)
		}
	}
	r, err := m.RoundHalfUp(money.FromFen(100))
	if err != nil || r.Decimal().Cmp(m) != 0 || r.Fen()/100 > 1e15 {
		return 0, errs.Invalidf(field, "qty_precision", "%s=%q: at most 3 decimals and 12 digits", field, s)
	}
	n := r.Fen() / 100
	if neg {
		n = -n
	}
	return n, nil
}

// Qty formats milli-units as a decimal string with three decimals.
func Qty(milli int64) string { return money.NewDecimal(milli, -3).String() }

// mulDiv is a × b / c rounded half-up, for shares of amounts by quantity (all non-negative).
func mulDiv(a, b, c int64) int64 {
	if c == 0 {
		return 0
	}
	return (a*b + c/2) / c
}

// share is the telescoping share of total for the quantity returned so far:
// share(done+now) − share(done). Returning everything in parts adds up to
// total exactly.
func share(total, done, now, all int64) int64 {
	return mulDiv(total, done+now, all) - mulDiv(total, done, all)
}

// Filings adapts the reference data's product filings to Products.
type Filings struct {
	Ref interface {
		Product(ebcCode, itemNo string) (catalog.Product, bool)
	}
}

// ItemRecordNo returns the account-book item a product filing names.
func (f Filings) ItemRecordNo(ebcCode, itemNo string) (string, bool) {
	p, ok := f.Ref.Product(ebcCode, itemNo)
	return p.ItemRecordNo, ok
}
