package export

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
)

// ForexRow is settlement (结汇) of one consignor's released exports in one
// release month, destination country and currency.
type ForexRow struct {
	EbcCode                          string `json:"ebcCode"`
	Month                            string `json:"month"`
	Country                          string `json:"country"`
	Currency                         string `json:"currency"`
	Exports                          int    `json:"exports"`
	Due                              string `json:"due"`       // goods value plus freight of the released lists
	Settled                          string `json:"settled"`   // covered by receipts of payment (CEB403)
	Unsettled                        string `json:"unsettled"` // due − settled
	Overdue                          string `json:"overdue"`   // unsettled of exports released over rules.export.forex_overdue_days ago
	due, settled, unsettled, overdue int64
}

// Forex matches receipts of payment to released exports (all consignors, or one).
func (s *Service) Forex(ctx context.Context, ebcCode string) ([]ForexRow, error) {
	now := s.Now()
	q := `SELECT i.ebc_code, i.released_at, i.country, i.currency, i.total_fen, i.data, COALESCE(r.amount_fen, 0), COALESCE(r.currency, '')
		FROM export_inventories i LEFT JOIN export_docs r ON r.kind = 'receipt' AND r.k1 = i.ebp_code AND r.k2 = i.order_no
		WHERE i.released_at IS NOT NULL AND i.cancelled = $1`
	args := []any{false}
	if ebcCode != "" {
		q, args = q+` AND i.ebc_code = $2`, append(args, ebcCode)
	}
	rows, err := s.DB.Query(ctx, q+` ORDER BY i.released_at`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	idx := map[string]*ForexRow{}
	var out []*ForexRow
	for rows.Next() {
		var r ForexRow
		var at store.Time
		var data, rcur string
		var total, charge int64
		if err := rows.Scan(&r.EbcCode, &at, &r.Country, &r.Currency, &total, &data, &charge, &rcur); err != nil {
			return nil, err
		}
		due := total + freightOf(data)
		settled := min(charge, due)
		if rcur != "" && rcur != r.Currency {
			settled = 0
		}
		r.Month = monthOf(at.Time)
		key := strings.Join([]string{r.EbcCode, r.Month, r.Country, r.Currency}, "|")
		row, ok := idx[key]
		if !ok {
			row = &ForexRow{EbcCode: r.EbcCode, Month: r.Month, Country: r.Country, Currency: r.Currency}
			idx[key] = row
			out = append(out, row)
		}
		row.Exports++
		row.due += due
		row.settled += settled
		row.unsettled += due - settled
		if due > settled && now.After(at.Time.AddDate(0, 0, s.Params.ForexOverdueDays)) {
			row.overdue += due - settled
		}
	}
	res := make([]ForexRow, len(out))
	for i, r := range out {
		r.Due, r.Settled, r.Unsettled, r.Overdue = fen(r.due), fen(r.settled), fen(r.unsettled), fen(r.overdue)
		res[i] = *r
	}
	slices.SortFunc(res, func(a, b ForexRow) int {
		return strings.Compare(a.EbcCode+a.Month+a.Country+a.Currency, b.EbcCode+b.Month+b.Country+b.Currency)
	})
	return res, rows.Err()
}

// freightOf is the declared freight of a stored inventory, in fen (0 when absent).
func freightOf(data string) int64 {
	i := strings.Index(data, `"Freight":"`)
	if i < 0 {
		return 0
	}
	rest := data[i+len(`"Freight":"`):]
	end := strings.IndexByte(rest, '"')
	if end < 0 {
		return 0
	}
	v, err := amount("freight", rest[:end])
	if err != nil {
		return 0
	}
	return v
}

// RefundRow is one summary line with the figures the tax authority needs for
// the export tax refund (退税).
type RefundRow struct {
	SumNo     string `json:"sumNo"`
	Month     string `json:"month"`
	EbcCode   string `json:"ebcCode"`
	OwnerCode string `json:"ownerCode"`
	Country   string `json:"country"`
	PortCode  string `json:"portCode"`
	Gseqno    int    `json:"gseqno"`
	Gcode     string `json:"gcode"`
	Unit      string `json:"unit"`
	Qty       string `json:"qty"`
	Currency  string `json:"currency"`
	Value     string `json:"value"` // FOB value of the merged lines
	Lists     int    `json:"lists"`
	Departed  bool   `json:"departed"` // every list behind the line has left the country
}

// Refund lists a month's summary lines for the tax refund (all consignors, or one).
func (s *Service) Refund(ctx context.Context, month, ebcCode string) ([]RefundRow, error) {
	_, month, err := ParseMonth("month", month)
	if err != nil {
		return nil, err
	}
	q := `SELECT s.sum_no, s.month, s.ebc_code, s.owner_code, s.country, s.port_code, l.gseqno, l.gcode, l.unit, l.qty, l.currency, l.total_fen, l.lines,
		(SELECT COUNT(*) FROM export_summary_items x JOIN export_inventories i ON i.id = x.inventory_id WHERE x.sum_no = s.sum_no AND x.gseqno = l.gseqno AND i.closed_at IS NULL)
		FROM export_summaries s JOIN export_summary_lines l ON l.sum_no = s.sum_no WHERE s.month = $1`
	args := []any{month}
	if ebcCode != "" {
		q, args = q+` AND s.ebc_code = $2`, append(args, ebcCode)
	}
	rows, err := s.DB.Query(ctx, q+` ORDER BY s.sum_no, l.gseqno`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []RefundRow{}
	for rows.Next() {
		var r RefundRow
		var total int64
		var open int
		if err := rows.Scan(&r.SumNo, &r.Month, &r.EbcCode, &r.OwnerCode, &r.Country, &r.PortCode, &r.Gseqno, &r.Gcode, &r.Unit, &r.Qty, &r.Currency, &total, &r.Lists, &open); err != nil {
			return nil, err
		}
		r.Value, r.Departed = fen(total), open == 0
		out = append(out, r)
	}
	return out, rows.Err()
}

// NoInvoice is a 无票免税 registration: goods bought without a purchase
// invoice, exempt from VAT and consumption tax in a comprehensive pilot zone.
type NoInvoice struct {
	ID        string    `json:"id"`
	EbcCode   string    `json:"ebcCode"`
	Date      string    `json:"date"`
	Name      string    `json:"name"`
	Unit      string    `json:"unit"`
	Qty       string    `json:"qty"`
	UnitPrice string    `json:"unitPrice"`
	Amount    string    `json:"amount"`
	CreatedAt time.Time `json:"createdAt"`
}

// RegisterNoInvoice records a 无票免税 registration; amount must be qty × unitPrice.
func (s *Service) RegisterNoInvoice(ctx context.Context, in NoInvoice) (*NoInvoice, error) {
	var list errs.List
	if _, err := time.Parse(time.DateOnly, in.Date); err != nil {
		list = append(list, errs.Invalidf("date", "date_invalid", "date=%q is not a date like 2026-11-03", in.Date))
	}
	for field, v := range map[string]string{"ebcCode": in.EbcCode, "name": in.Name, "unit": in.Unit} {
		if strings.TrimSpace(v) == "" {
			list = append(list, errs.Invalidf(field, field+"_missing", "%s is required", field))
		}
	}
	qty, err := decimal("qty", in.Qty)
	if err == nil && qty.Sign() <= 0 {
		err = errs.Invalidf("qty", "qty_not_positive", "qty=%q must be greater than zero", in.Qty)
	}
	if err != nil {
		list = append(list, err.(*errs.Error))
	}
	price, err1 := money.ParseAmount(in.UnitPrice)
	amt, err2 := money.ParseAmount(in.Amount)
	if err1 != nil {
		list = append(list, errs.Invalidf("unitPrice", "amount_invalid", "unitPrice: %v", err1))
	}
	if err2 != nil {
		list = append(list, errs.Invalidf("amount", "amount_invalid", "amount: %v", err2))
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	want, err := times(price.Decimal(), qty)
	if err != nil {
		return nil, errs.Invalidf("qty", "qty_invalid", "qty × unitPrice: %v", err)
	}
	if want != amt.Fen() {
		return nil, errs.Invalidf("amount", "amount_mismatch", "amount=%s, qty × unitPrice = %s", in.Amount, fen(want))
	}
	in.ID, in.CreatedAt, in.Qty, in.UnitPrice, in.Amount = newID(), s.Now(), qty.String(), price.String(), amt.String()
	err = s.Batch.Do(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO export_no_invoice (id, ebc_code, goods_date, name, unit, qty, unit_price_fen, amount_fen, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
			in.ID, in.EbcCode, in.Date, in.Name, in.Unit, in.Qty, price.Fen(), amt.Fen(), in.CreatedAt)
		return err
	})
	return &in, wrap("register 无票免税 goods", err)
}

// NoInvoices lists a month's 无票免税 registrations (all consignors, or one).
func (s *Service) NoInvoices(ctx context.Context, month, ebcCode string) ([]NoInvoice, error) {
	m, _, err := ParseMonth("month", month)
	if err != nil {
		return nil, err
	}
	q := `SELECT id, ebc_code, goods_date, name, unit, qty, unit_price_fen, amount_fen, created_at FROM export_no_invoice WHERE goods_date >= $1 AND goods_date < $2`
	args := []any{m.Start.Format(time.DateOnly), m.End.Format(time.DateOnly)}
	if ebcCode != "" {
		q, args = q+` AND ebc_code = $3`, append(args, ebcCode)
	}
	rows, err := s.DB.Query(ctx, q+` ORDER BY goods_date, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []NoInvoice{}
	for rows.Next() {
		var n NoInvoice
		var p, a int64
		var at store.Time
		if err := rows.Scan(&n.ID, &n.EbcCode, &n.Date, &n.Name, &n.Unit, &n.Qty, &p, &a, &at); err != nil {
			return nil, err
		}
		n.UnitPrice, n.Amount, n.CreatedAt = fen(p), fen(a), at.In(cst)
		out = append(out, n)
	}
	return out, rows.Err()
}

// Warehouse is an overseas warehouse filed with customs (9810).
type Warehouse struct {
	Code    string    `json:"code"`
	EbcCode string    `json:"ebcCode"`
	Name    string    `json:"name"`
	Country string    `json:"country"`
	Address string    `json:"address"`
	FiledAt time.Time `json:"filedAt"`
}

// FileWarehouse records an overseas warehouse.
func (s *Service) FileWarehouse(ctx context.Context, w Warehouse) (*Warehouse, error) {
	var list errs.List
	for field, v := range map[string]string{"code": w.Code, "ebcCode": w.EbcCode, "name": w.Name, "address": w.Address} {
		if strings.TrimSpace(v) == "" {
			list = append(list, errs.Invalidf(field, field+"_missing", "%s is required", field))
		}
	}
	if len(w.Country) != 3 || strings.Trim(w.Country, "0123456789") != "" {
		list = append(list, errs.Invalidf("country", "country_invalid", "country=%q is not a 3-digit customs country code like 502", w.Country))
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	e, err := s.Parties.Get(ctx, w.EbcCode)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, errs.Invalidf("ebcCode", "enterprise_unknown", "ebcCode=%s is not a registered enterprise", w.EbcCode)
	}
	w.FiledAt = s.Now()
	err = s.Batch.Do(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO export_warehouses (code, ebc_code, name, country, address, filed_at) VALUES ($1,$2,$3,$4,$5,$6)`,
			w.Code, w.EbcCode, w.Name, w.Country, w.Address, w.FiledAt)
		if errs.KindOf(err) == errs.Conflict {
			return errs.New(errs.Conflict, "warehouse_taken", "code", "overseas warehouse %s is already filed", w.Code)
		}
		return err
	})
	return &w, wrap("file overseas warehouse", err)
}

// Warehouses lists the overseas warehouses (all, or one consignor's).
func (s *Service) Warehouses(ctx context.Context, ebcCode string) ([]Warehouse, error) {
	q, args := `SELECT code, ebc_code, name, country, address, filed_at FROM export_warehouses`, []any{}
	if ebcCode != "" {
		q, args = q+` WHERE ebc_code = $1`, append(args, ebcCode)
	}
	rows, err := s.DB.Query(ctx, q+` ORDER BY code`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Warehouse{}
	for rows.Next() {
		var w Warehouse
		var at store.Time
		if err := rows.Scan(&w.Code, &w.EbcCode, &w.Name, &w.Country, &w.Address, &at); err != nil {
			return nil, err
		}
		w.FiledAt = at.In(cst)
		out = append(out, w)
	}
	return out, rows.Err()
}

// InventoryView is an export inventory as shown to its declarer.
type InventoryView struct {
	CopNo, PreNo, InvtNo, AgentCode, EbcCode, OrderNo, LogisticsNo, TradeMode, StatisticsFlag string
	Status, ReasonCode, ReasonInfo, Country, Currency, Value, SumNo                           string
	ReleasedAt, ClosedAt                                                                      *time.Time
}

// Inventory reads an export inventory by the agent's copNo or by invtNo.
func (s *Service) Inventory(ctx context.Context, number string) (*InventoryView, error) {
	var v InventoryView
	var total int64
	var rel, closed store.NullTime
	err := s.DB.QueryRow(ctx, `SELECT cop_no, pre_no, invt_no, agent_code, ebc_code, order_no, logistics_no, trade_mode, statistics_flag, status, reason_code,
		reason_info, country, currency, total_fen, sum_no, released_at, closed_at FROM export_inventories WHERE invt_no = $1 OR cop_no = $1 ORDER BY declared_at DESC LIMIT 1`, number).
		Scan(&v.CopNo, &v.PreNo, &v.InvtNo, &v.AgentCode, &v.EbcCode, &v.OrderNo, &v.LogisticsNo, &v.TradeMode, &v.StatisticsFlag, &v.Status, &v.ReasonCode,
			&v.ReasonInfo, &v.Country, &v.Currency, &total, &v.SumNo, &rel, &closed)
	if err != nil {
		return nil, errs.New(errs.NotFound, "export_inventory_not_found", "number", "no export inventory %s", number)
	}
	v.Value = fen(total)
	if rel.Valid {
		t := rel.Time.In(cst)
		v.ReleasedAt = &t
	}
	if closed.Valid {
		t := closed.Time.In(cst)
		v.ClosedAt = &t
	}
	return &v, nil
}

// ParamsFrom builds Params from settings; the caller validated them.
func ParamsFrom(summaryDay int, lead, interval time.Duration, overdue, months int, from, until string, food, prohibited []string, limit string) (Params, error) {
	f, err1 := time.ParseInLocation(time.DateOnly, from, cst)
	u, err2 := time.ParseInLocation(time.DateOnly, until, cst)
	l, err3 := money.ParseAmount(limit)
	if err1 != nil || err2 != nil || err3 != nil {
		return Params{}, fmt.Errorf("rules.export: bad policy dates or simplified limit")
	}
	return Params{SummaryDay: summaryDay, SummaryLead: lead, SummaryInterval: interval, ForexOverdueDays: overdue, ReturnMonths: months,
		ReturnPolicyFrom: f, ReturnPolicyUntil: u, FoodHS: food, ProhibitedHS: prohibited, SimplifiedLimit: l}, nil
}
