package export

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
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
func (s *Service) Forex(ctx context.Context, ebcCode string) (_ []ForexRow, err error) {
	defer errs.Wrap(&err, "export.Forex(%s)", ebcCode)
	now := s.Now()
	rows, err := s.DB.ExportForexRows(ctx, ebcCode)
	if err != nil {
		return nil, err
	}
	idx := map[string]*ForexRow{}
	var out []*ForexRow
	for _, v := range rows {
		freight, err := freightOf(v)
		if err != nil {
			return nil, err
		}
		due := v.TotalFen + freight
		settled := min(v.ReceiptFen, due)
		if v.ReceiptCurrency != "" && v.ReceiptCurrency != v.Currency {
			settled = 0
		}
		month := monthOf(v.ReleasedAt)
		key := strings.Join([]string{v.EbcCode, month, v.Country, v.Currency}, "|")
		row, ok := idx[key]
		if !ok {
			row = &ForexRow{EbcCode: v.EbcCode, Month: month, Country: v.Country, Currency: v.Currency}
			idx[key] = row
			out = append(out, row)
		}
		row.Exports++
		row.due += due
		row.settled += settled
		row.unsettled += due - settled
		if due > settled && now.After(v.ReleasedAt.AddDate(0, 0, s.Params.ForexOverdueDays)) {
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
	return res, nil
}

// freightOf is the declared freight of a stored inventory, in fen. The
// schema lets through numbers that are none here ("5.", "+5", "-5"): such a
// freight is an error naming the inventory, since counting it as nothing
// would understate what is due.
func freightOf(v store.ExportForexRow) (int64, error) {
	var d ceb.ExportInventory
	if err := json.Unmarshal([]byte(v.Data), &d); err != nil {
		return 0, fmt.Errorf("decode stored export inventory of %s released at %s: %w", v.EbcCode, v.ReleasedAt.Format(time.RFC3339), err)
	}
	h := d.InventoryHead
	freight, err := amount("InventoryHead.freight", h.Freight)
	if err != nil {
		return 0, damaged(fmt.Sprintf("export inventory %s/%s", h.AgentCode, h.CopNo), err)
	}
	return freight, nil
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
func (s *Service) Refund(ctx context.Context, month, ebcCode string) (_ []RefundRow, err error) {
	defer errs.Wrap(&err, "export.Refund(%s, %s)", month, ebcCode)
	_, month, err = ParseMonth("month", month)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.ExportRefundRows(ctx, month, ebcCode)
	if err != nil {
		return nil, err
	}
	out := []RefundRow{}
	for _, v := range rows {
		l := v.Line
		out = append(out, RefundRow{SumNo: v.SumNo, Month: v.Month, EbcCode: v.EbcCode, OwnerCode: v.OwnerCode, Country: v.Country,
			PortCode: v.PortCode, Gseqno: l.Gseqno, Gcode: l.Gcode, Unit: l.Unit, Qty: l.Qty, Currency: l.Currency, Value: fen(l.TotalFen),
			Lists: l.Lines, Departed: v.OpenLists == 0})
	}
	return out, nil
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
		return tx.InsertExportNoInvoice(ctx, &store.ExportNoInvoice{ID: in.ID, EbcCode: in.EbcCode, GoodsDate: in.Date, Name: in.Name,
			Unit: in.Unit, Qty: in.Qty, UnitPriceFen: price.Fen(), AmountFen: amt.Fen(), CreatedAt: in.CreatedAt})
	})
	return &in, wrap("register 无票免税 goods", err)
}

// NoInvoices lists a month's 无票免税 registrations (all consignors, or one).
func (s *Service) NoInvoices(ctx context.Context, month, ebcCode string) (_ []NoInvoice, err error) {
	defer errs.Wrap(&err, "export.NoInvoices(%s, %s)", month, ebcCode)
	m, _, err := ParseMonth("month", month)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.ExportNoInvoices(ctx, m.Start.Format(time.DateOnly), m.End.Format(time.DateOnly), ebcCode)
	if err != nil {
		return nil, err
	}
	out := []NoInvoice{}
	for _, v := range rows {
		out = append(out, NoInvoice{ID: v.ID, EbcCode: v.EbcCode, Date: v.GoodsDate, Name: v.Name, Unit: v.Unit, Qty: v.Qty,
			UnitPrice: fen(v.UnitPriceFen), Amount: fen(v.AmountFen), CreatedAt: v.CreatedAt.In(cst)})
	}
	return out, nil
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
		err := tx.InsertExportWarehouse(ctx, &store.ExportWarehouse{Code: w.Code, EbcCode: w.EbcCode, Name: w.Name, Country: w.Country,
			Address: w.Address, FiledAt: w.FiledAt})
		if errs.KindOf(err) == errs.Conflict {
			return errs.New(errs.Conflict, "warehouse_taken", "code", "overseas warehouse %s is already filed", w.Code)
		}
		return err
	})
	return &w, wrap("file overseas warehouse", err)
}

// Warehouses lists the overseas warehouses (all, or one consignor's).
func (s *Service) Warehouses(ctx context.Context, ebcCode string) (_ []Warehouse, err error) {
	defer errs.Wrap(&err, "export.Warehouses(%s)", ebcCode)
	rows, err := s.DB.ExportWarehouses(ctx, ebcCode)
	if err != nil {
		return nil, err
	}
	out := []Warehouse{}
	for _, v := range rows {
		out = append(out, Warehouse{Code: v.Code, EbcCode: v.EbcCode, Name: v.Name, Country: v.Country, Address: v.Address, FiledAt: v.FiledAt.In(cst)})
	}
	return out, nil
}

// InventoryView is an export inventory as shown to its declarer.
type InventoryView struct {
	CopNo, PreNo, InvtNo, AgentCode, EbcCode, OrderNo, LogisticsNo, TradeMode, StatisticsFlag string
	Status, ReasonCode, ReasonInfo, Country, Currency, Value, SumNo                           string
	ReleasedAt, ClosedAt                                                                      *time.Time
}

// Inventory reads an export inventory by the agent's copNo or by invtNo.
func (s *Service) Inventory(ctx context.Context, number string) (_ *InventoryView, err error) {
	defer errs.Wrap(&err, "export.Inventory(%s)", number)
	inv, err := s.DB.LatestExportInventory(ctx, number)
	if err != nil {
		return nil, err
	}
	if inv == nil {
		return nil, errs.New(errs.NotFound, "export_inventory_not_found", "number", "no export inventory %s", number)
	}
	v := InventoryView{CopNo: inv.CopNo, PreNo: inv.PreNo, InvtNo: inv.InvtNo, AgentCode: inv.AgentCode, EbcCode: inv.EbcCode, OrderNo: inv.OrderNo,
		LogisticsNo: inv.LogisticsNo, TradeMode: inv.TradeMode, StatisticsFlag: inv.StatisticsFlag, Status: inv.Status, ReasonCode: inv.ReasonCode,
		ReasonInfo: inv.ReasonInfo, Country: inv.Country, Currency: inv.Currency, Value: fen(inv.TotalFen), SumNo: inv.SumNo}
	if inv.ReleasedAt != nil {
		t := inv.ReleasedAt.In(cst)
		v.ReleasedAt = &t
	}
	if inv.ClosedAt != nil {
		t := inv.ClosedAt.In(cst)
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
