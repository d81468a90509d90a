package bonded

import (
	"context"
	"encoding/json"
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
func (s *Service) Lodge(ctx context.Context, l Lodgement) (_ *Lodged, err error) {
	defer errs.Wrap(&err, "bonded.Lodge(%q)", l.AssureCode)
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
		if err := tx.LodgeGuarantee(ctx, &store.Guarantee{ID: out.ID, AssureCode: l.AssureCode, AmountFen: amount.Fen(), Reference: l.Reference,
			ValidUntil: l.ValidUntil, CreatedAt: now}); err != nil {
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
	return tx.AddGuaranteeChange(ctx, &store.GuaranteeChange{AssureCode: code, Kind: kind, AmountFen: amount, InventoryID: invID, Ref: ref, Note: note, At: now})
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
func (s *Service) Account(ctx context.Context, code string) (_ *Account, err error) {
	defer errs.Wrap(&err, "bonded.Account(%q)", code)
	acc, err := s.DB.GuaranteeAccount(ctx, code)
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.New(errs.NotFound, "guarantee_not_found", "assureCode", "no guarantee lodged by %s", code)
	}
	if err != nil {
		return nil, err
	}
	a := &Account{AssureCode: code, Balance: money.FromFen(acc.BalanceFen), Lodged: money.FromFen(acc.LodgedFen),
		Debited: money.FromFen(acc.DebitedFen), Credited: money.FromFen(acc.CreditedFen)}
	if a.Blocked, err = s.blocked(ctx, s.DB, code, s.Now()); err != nil {
		return nil, err
	}
	gs, err := s.DB.Guarantees(ctx, code)
	if err != nil {
		return nil, err
	}
	a.Guarantees = make([]GuaranteeView, len(gs))
	for i, g := range gs {
		a.Guarantees[i] = GuaranteeView{ID: g.ID, Amount: money.FromFen(g.AmountFen), Reference: g.Reference, ValidUntil: g.ValidUntil, LodgedAt: g.CreatedAt.In(cst)}
	}
	hs, err := s.DB.GuaranteeHistory(ctx, code)
	if err != nil {
		return nil, err
	}
	a.History = make([]HistoryLine, len(hs))
	for i, h := range hs {
		a.History[i] = HistoryLine{Kind: h.Kind, Amount: money.FromFen(h.AmountFen), Balance: money.FromFen(h.BalanceFen), InvtNo: h.InvtNo,
			Ref: h.Ref, Note: h.Note, At: h.At.In(cst)}
	}
	return a, nil
}

// blocked says why a guarantor's new releases are held: an overdue bill (when configured).
func (s *Service) blocked(ctx context.Context, q querier, code string, now time.Time) (string, error) {
	if !s.Params.BlockOverdue {
		return "", nil
	}
	billNo, err := q.GuarantorOverdueBill(ctx, code, now)
	if err != nil || billNo == "" {
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

// Locks names the guarantee a release debits (engine.Locker).
func (e guaranteeEffect) Locks(d *engine.Decision) []string {
	if d.Doc == nil || !e.s.Guaranteed(d.Doc.TradeMode) {
		return nil
	}
	return []string{store.GuaranteeRow(d.Doc.AssureCode)}
}

// Apply debits the guarantor's balance by the inventory's tax on release, in
// one conditional statement (balance ≥ tax), and records the tax line to bill.
// Not enough balance, or an overdue bill of the guarantor, holds the
// inventory for review (300) with the reason instead.
func (e guaranteeEffect) Apply(ctx context.Context, tx *store.Tx, d *engine.Decision, from, to string) (_ *engine.Outcome, err error) {
	s := e.s
	if to != "800" || d.Doc == nil || !s.Guaranteed(d.Doc.TradeMode) {
		return nil, nil
	}
	inv, code := d.Inventory, d.Doc.AssureCode
	defer errs.Wrap(&err, "bonded.debit(%s, %q)", inv.ID, code)
	debited, err := tx.TaxLine(ctx, inv.ID)
	if err != nil {
		return nil, err
	}
	if debited != nil {
		return nil, nil // debited before
	}
	// The tax lines come first: a line whose quantity they cannot count
	// refuses the inventory before anything is debited.
	lines, refused, err := splitTax(d.Inventory, d.Doc)
	if err != nil || refused != nil {
		return refused, err
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
	ok, err := tx.DebitGuarantee(ctx, code, inv.Tax, d.Now)
	if err != nil {
		return nil, err
	}
	if !ok {
		bal, err := tx.GuaranteeBalance(ctx, code)
		if errs.KindOf(err) == errs.NotFound {
			return hold("1372", "assureCode=%s has lodged no guarantee; tax %s", code, money.FromFen(inv.Tax)), nil
		}
		if err != nil {
			return nil, err
		}
		return hold("1372", "assureCode=%s: balance %s < tax %s", code, money.FromFen(bal), money.FromFen(inv.Tax)), nil
	}
	// Its balance is not needed here: recorded at commit, after the debit (store.CommitRow).
	debit := &store.GuaranteeChange{AssureCode: code, Kind: "debit", AmountFen: inv.Tax, InventoryID: inv.ID, Ref: inv.InvtNo, Note: "released", At: d.Now}
	if err := tx.RecordGuaranteeChange(ctx, debit); err != nil {
		return nil, err
	}
	lj, err := json.Marshal(lines)
	if err != nil {
		return nil, fmt.Errorf("encode tax lines: %w", err)
	}
	return nil, tx.InsertTaxLine(ctx, &store.TaxLine{InventoryID: inv.ID, AssureCode: code, InvtNo: inv.InvtNo, CopNo: inv.CopNo, EbcCode: inv.EbcCode,
		AgentCode: inv.AgentCode, CustomsCode: d.Doc.CustomsCode, ReleasedAt: d.Now, DutyFen: inv.DutyFen, CTFen: inv.CTFen, VATFen: inv.VATFen,
		TaxFen: inv.Tax, Lines: lj})
}

// splitTax spreads the inventory's dutiable value and each tax over its lines
// in proportion to the lines' value (largest remainder), so lines add up
// exactly. A line counts its quantity in thousandths, for the tax returns
// give back: one with more than three decimals refuses the inventory (1375).
// A 1210 inventory was refused for it by the account book's reservation
// already (1370); another guaranteed trade mode may declare five decimals,
// which failed the release on every try.
func splitTax(inv *store.Inventory, doc *clearance.Inventory) (_ []taxLine, refused *engine.Outcome, _ error) {
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
			return nil, nil, fmt.Errorf("split tax of %s: %w", inv.CopNo, err)
		}
		parts[k] = p
	}
	out := make([]taxLine, len(lines))
	for i, l := range lines {
		q, err := parseMilli("qty", l.Qty.String())
		if err != nil {
			return nil, refuse("1375", "InventoryList[%d].qty=%s: a %s inventory's quantities have at most three decimals when its tax is guaranteed",
				l.Gnum, l.Qty, doc.TradeMode), nil
		}
		out[i] = taxLine{Gnum: l.Gnum, Gcode: l.Gcode, Qty: q, Dutiable: parts[0][i].Fen(), Duty: parts[1][i].Fen(), CT: parts[2][i].Fen(), VAT: parts[3][i].Fen()}
	}
	return out, nil, nil
}

// credit gives tax back to a guarantor's balance.
func credit(ctx context.Context, tx *store.Tx, code string, amount int64, invID, ref, note string, now time.Time) error {
	if amount == 0 {
		return nil
	}
	if err := tx.CreditGuarantee(ctx, code, amount, now); err != nil {
		return err
	}
	_, err := history(ctx, tx, code, "credit", amount, invID, ref, note, now)
	return err
}
