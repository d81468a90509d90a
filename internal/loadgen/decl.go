package loadgen

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/tax"
)

// Trade modes (贸易方式).
const (
	Direct = "9610" // direct-purchase import
	Bonded = "1210" // bonded import
)

// BadKind names the one rule a deliberately bad declaration breaks; the
// empty kind is a valid declaration.
type BadKind string

// The bad variants. Each breaks exactly one rule of rules §3–§6 and keeps
// every other document consistent, so the receipt's reason code tells
// whether the server caught that very rule.
const (
	Valid            BadKind = ""
	BadPaymentAmount BadKind = "payment_amount"    // payment amountPaid ≠ order acturalPaid (§3.3)
	BadTaxTotal      BadKind = "tax_total"         // order taxTotal ≠ computed tax (§6); acturalPaid follows it
	BadIDCheck       BadKind = "id_check_digit"    // buyer ID number with a wrong check character (§3.5)
	BadSingleLimit   BadKind = "single_limit"      // dutiable value over the single limit, several lines (§4)
	BadConsignee     BadKind = "waybill_consignee" // waybill consignee phone ≠ order's (§3.4)
)

// BadKinds lists the bad variants the generator draws from, in turn.
var BadKinds = []BadKind{BadPaymentAmount, BadTaxTotal, BadIDCheck, BadSingleLimit, BadConsignee}

// singleLimit is the rules' default single-transaction limit (5,000 CNY).
var singleLimit = money.FromFen(500000)

// Line is one goods line of a declaration.
type Line struct {
	Good  int          // index into goods
	Qty   int64        // pieces
	Price money.Amount // per piece
	Total money.Amount // Price × Qty
}

// Declaration is one purchase as its four documents describe it. Amounts are
// exact fen; the bad variant is already applied to the fields it concerns.
type Declaration struct {
	Seq              int
	Guids            [4]string // head guids of the order, payment, waybill and inventory
	Bad              BadKind
	Frequent         bool // a frequent buyer's large basket, meant to reach the annual limit (rules §4): a 1313 refusal is expected
	TradeMode        string
	OrderNo          string
	PayTransactionID string
	LogisticsNo      string
	CopNo            string
	Buyer            Buyer
	Lines            []Line
	GoodsValue       money.Amount
	Freight          money.Amount
	InsuredFee       money.Amount
	Discount         money.Amount
	TaxTotal         money.Amount // as declared on the order
	ComputedTax      money.Amount // what the rules compute (differs only for BadTaxTotal)
	ActuralPaid      money.Amount
	AmountPaid       money.Amount // on the payment
	WaybillPhone     string       // consignee phone on the waybill
}

// mustAdd adds amounts the generator made itself; they are far below the
// int64 range, so an overflow is a bug.
func mustAdd(a ...money.Amount) money.Amount {
	s, err := money.Sum(a...)
	if err != nil {
		panic(fmt.Sprintf("loadgen: amount overflow: %v", err))
	}
	return s
}

func mustSub(a, b money.Amount) money.Amount {
	s, err := a.Sub(b)
	if err != nil {
		panic(fmt.Sprintf("loadgen: amount overflow: %v", err))
	}
	return s
}

// taxer computes an order's tax exactly as the clearance rules do, from the
// same tariff rows the generator uploads.
type taxer struct {
	calc  tax.Calculator
	rows  []catalog.TariffRow // by good index
	units []catalog.Unit      // legal unit of each good's qty1
	qty1  []money.Decimal     // legal quantity per piece
}

func newTaxer() (*taxer, error) {
	calc, err := tax.NewCalculator(tax.DefaultParams())
	if err != nil {
		return nil, fmt.Errorf("tax calculator: %w", err)
	}
	rows, err := tariffRows()
	if err != nil {
		return nil, err
	}
	t := &taxer{calc: calc}
	for i, g := range goods {
		row := rows[i]
		u, err := catalog.ParseUnit(g.Unit1)
		if err != nil {
			return nil, fmt.Errorf("good %s: unit1: %w", g.ItemNo, err)
		}
		q, err := money.ParseDecimal(g.Qty1Per)
		if err != nil {
			return nil, fmt.Errorf("good %s: qty1: %w", g.ItemNo, err)
		}
		t.rows, t.units, t.qty1 = append(t.rows, row), append(t.units, u), append(t.qty1, q)
	}
	return t, nil
}

// legalQty is a line's qty1: pieces × legal quantity per piece.
func (t *taxer) legalQty(l Line) (money.Decimal, error) {
	return t.qty1[l.Good].Mul(money.DecimalFromInt(l.Qty))
}

// inventoryTax is the within-limits composite tax of the lines.
func (t *taxer) inventoryTax(lines []Line, freight, insured money.Amount) (money.Amount, error) {
	totals := make([]money.Amount, len(lines))
	for i, l := range lines {
		totals[i] = l.Total
	}
	values, err := tax.DutiableValues(totals, freight, insured)
	if err != nil {
		return money.Zero, err
	}
	in := make([]tax.Line, len(lines))
	for i, l := range lines {
		q, err := t.legalQty(l)
		if err != nil {
			return money.Zero, err
		}
		in[i] = tax.Line{Value: values[i], Qty: q, Unit: t.units[l.Good], Tariff: t.rows[l.Good]}
	}
	res, err := t.calc.Inventory(tax.WithinLimits, in)
	if err != nil {
		return money.Zero, err
	}
	return res.Taxes.Total, nil
}

// pickGood draws a good by weight, avoiding those already in the order.
func pickGood(r *rand.Rand, used []int) int {
	total := 0
	for i, g := range goods {
		if !slices.Contains(used, i) {
			total += g.Weight
		}
	}
	n := r.IntN(total)
	for i, g := range goods {
		if slices.Contains(used, i) {
			continue
		}
		if n < g.Weight {
			return i
		}
		n -= g.Weight
	}
	return len(goods) - 1
}

// randomPrice draws a price in the good's range, in whole jiao (0.10 CNY)
// ending in 0 or 8 like shop prices do.
func randomPrice(r *rand.Rand, g Good) money.Amount {
	yuan := (g.MinFen + r.Int64N(g.MaxFen-g.MinFen+1)) / 100
	if r.IntN(2) == 0 {
		yuan = yuan/10*10 + 8
	}
	return money.FromFen(yuan * 100)
}

func newLine(r *rand.Rand, good int, qty int64) Line {
	p := randomPrice(r, goods[good])
	return Line{Good: good, Qty: qty, Price: p, Total: money.FromFen(p.Fen() * qty)}
}

// basket draws 1–4 lines whose dutiable value (with freight) stays within
// the single limit.
func basket(r *rand.Rand, freight money.Amount) []Line {
	n := 1 + r.IntN(3)
	if r.IntN(10) == 0 {
		n = 4
	}
	var lines []Line
	var used []int
	for range n {
		g := pickGood(r, used)
		used = append(used, g)
		qty := int64(1)
		if r.IntN(3) == 0 {
			qty = int64(2 + r.IntN(2))
		}
		lines = append(lines, newLine(r, g, qty))
	}
	return trimToLimit(lines, freight)
}

// trimToLimit drops pieces, then lines, until the basket is within the
// single limit.
func trimToLimit(lines []Line, freight money.Amount) []Line {
	for {
		sum := freight
		for _, l := range lines {
			sum = mustAdd(sum, l.Total)
		}
		if sum.Cmp(singleLimit) <= 0 || (len(lines) == 1 && lines[0].Qty == 1) {
			return lines
		}
		last := &lines[len(lines)-1]
		if last.Qty > 1 {
			last.Qty--
			last.Total = money.FromFen(last.Price.Fen() * last.Qty)
		} else {
			lines = lines[:len(lines)-1]
		}
	}
}

// heavyBasket is a frequent buyer's large order of durable goods, close to
// the single limit, so a few of them exhaust the annual amount. It avoids
// goods whose positive-list remark holds them for review: only released
// inventories count toward the annual amount.
func heavyBasket(r *rand.Rand, freight money.Amount) []Line {
	var lines []Line
	for _, item := range []string{"BAG-LTH", "BRUSH-E1", "WINE-750", "HONEY-500"} {
		g := slices.IndexFunc(goods, func(g Good) bool { return g.ItemNo == item })
		lines = append(lines, newLine(r, g, 1))
	}
	return trimToLimit(lines, freight)
}

// overLimitBasket is a basket of at least two lines over the single limit:
// the exception for one line of one piece does not apply to it.
func overLimitBasket(r *rand.Rand, freight money.Amount) []Line {
	bag := slices.IndexFunc(goods, func(g Good) bool { return g.ItemNo == "BAG-LTH" })
	cream := slices.IndexFunc(goods, func(g Good) bool { return g.ItemNo == "CREAM-50G" })
	lines := []Line{newLine(r, bag, 2), newLine(r, cream, 1)}
	for {
		sum := freight
		for _, l := range lines {
			sum = mustAdd(sum, l.Total)
		}
		if sum.Cmp(singleLimit) > 0 {
			return lines
		}
		lines[0].Qty++
		lines[0].Total = money.FromFen(lines[0].Price.Fen() * lines[0].Qty)
	}
}
