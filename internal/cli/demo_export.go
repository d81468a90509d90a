package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/client"
	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/loadgen"
)

// exportDemo plays an exporter's month against a server: orders to several
// countries with their receipts of payment and waybills, export inventories,
// the arrival and the departure, then the month's summary declarations and
// the refund and forex reports.
type exportDemo struct {
	ctx   context.Context
	admin *client.Client
	keys  map[string]string
}

const (
	demoSeller  = "3301960D01"
	demoPay     = "4403169D01"
	demoCarrier = "4401962D01"
	demoAgent   = "330766D001"
)

// as is the client acting for the demo enterprise code.
func (d *exportDemo) as(code string) *client.Client { return d.admin.As(d.keys[code]) }

// enterprise registers a demo enterprise, or gives an existing one a new key.
func (d *exportDemo) enterprise(code, name string, roles ...string) error {
	var out struct{ APIKey string }
	err := d.admin.Call(d.ctx, "POST", "/api/v1/enterprises", map[string]any{"code": code, "name": name, "roles": roles}, &out)
	if client.StatusOf(err) == http.StatusConflict {
		err = d.admin.Call(d.ctx, "POST", "/api/v1/enterprises/"+code+"/keys", nil, &out)
	}
	if err != nil {
		return fmt.Errorf("register %s: %w", code, err)
	}
	d.keys[code] = out.APIKey
	return nil
}

// send posts a CEB message and checks its first returnStatus.
func (d *exportDemo) send(from string, m ceb.Message, want string) error {
	xml, err := ceb.Encode(m)
	if err != nil {
		return err
	}
	got, err := loadgen.FirstStatus(d.ctx, d.as(from), m.MessageType(), xml)
	if err != nil {
		return fmt.Errorf("from %s: %w", from, err)
	}
	if got != want {
		return fmt.Errorf("%s from %s: returnStatus %s, want %s", m.MessageType(), from, got, want)
	}
	return nil
}

func demoTransfer(code string) ceb.ExportBaseTransfer {
	return ceb.ExportBaseTransfer{CopCode: code, CopName: "企业" + code, DxpMode: "DXP", DxpId: "DXPENT" + code}
}

// runExportDemo plays the exporter's month and prints what came of it.
func runExportDemo(ctx context.Context, server, admin string, out io.Writer) error {
	api, err := client.New(server, admin)
	if err != nil {
		return err
	}
	d := &exportDemo{ctx: ctx, admin: api, keys: map[string]string{}}
	for _, p := range []struct {
		code, name string
		roles      []string
	}{{demoSeller, "示例出口电商", []string{"ebp", "ebc"}}, {demoPay, "示例跨境收款", []string{"pay"}},
		{demoCarrier, "示例出口物流", []string{"logistics"}}, {demoAgent, "示例出口报关行", []string{"agent"}}} {
		if err := d.enterprise(p.code, p.name, p.roles...); err != nil {
			return err
		}
	}
	// The agent declares the seller's inventories: the seller entrusts it (contract §8).
	if err := d.as(demoSeller).Call(ctx, http.MethodPost, "/api/v1/entrustments", map[string]string{"agentCode": demoAgent}, nil); err != nil {
		return fmt.Errorf("entrust %s: %w", demoAgent, err)
	}
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	at, run := now.Format("20060102150405"), now.Format("150405")
	goods := []struct{ item, hs, price string }{{"TEE-1", "6109100010", "15.50"}, {"CUP-1", "6912001000", "7.25"}, {"LAMP-1", "9405119000", "32.00"}}
	countries := []string{"502", "303", "116"} // United States, United Kingdom, Japan
	var nos []string
	for i := 0; i < 9; i++ {
		g := goods[i%len(goods)]
		country := countries[(i/3)%len(countries)]
		orderNo, no := fmt.Sprintf("DXO%s%02d", run, i), fmt.Sprintf("DXL%s%02d", run, i)
		qty := fmt.Sprint(2 + i)
		var p float64
		fmt.Sscan(g.price, &p)
		total := fmt.Sprintf("%.2f", p*float64(2+i))
		o := ceb.ExportOrder{OrderHead: ceb.ExportOrderHead{Guid: ceb.NewGuid(), AppType: "1", AppTime: at, AppStatus: "2", OrderType: "E", OrderNo: orderNo,
			EbpCode: demoSeller, EbpName: "示例出口电商", EbcCode: demoSeller, EbcName: "示例出口电商", GoodsValue: total, Freight: "5", Currency: "142"},
			OrderList: []ceb.ExportOrderList{{Gnum: "1", ItemNo: g.item, ItemName: g.item, Unit: "011", Currency: "142", Qty: qty, Price: g.price, TotalPrice: total}}}
		var charge float64
		fmt.Sscan(total, &charge)
		r := ceb.Receipts{Guid: ceb.NewGuid(), AppType: "1", AppTime: at, AppStatus: "2", EbpCode: demoSeller, EbpName: "示例出口电商", EbcCode: demoSeller,
			EbcName: "示例出口电商", OrderNo: orderNo, PayCode: demoPay, PayName: "示例跨境收款", PayNo: "P" + orderNo, Charge: fmt.Sprintf("%.2f", charge+5),
			Currency: "142", AccountingDate: at}
		w := ceb.ExportLogistics{Guid: ceb.NewGuid(), AppType: "1", AppTime: at, AppStatus: "2", LogisticsCode: demoCarrier, LogisticsName: "示例出口物流",
			LogisticsNo: no, Freight: "5", InsuredFee: "0", Currency: "142", GrossWeight: "1.5", PackNo: "1", GoodsInfo: g.item, EbcCode: demoSeller, EbcName: "示例出口电商"}
		inv := ceb.ExportInventory{InventoryHead: ceb.ExportInventoryHead{Guid: ceb.NewGuid(), AppType: "1", AppTime: at, AppStatus: "2", CustomsCode: "8010",
			EbpCode: demoSeller, EbpName: "示例出口电商", OrderNo: orderNo, LogisticsCode: demoCarrier, LogisticsName: "示例出口物流", LogisticsNo: no,
			CopNo: "DXC" + run + fmt.Sprintf("%02d", i), IeFlag: "E", PortCode: "8012", IeDate: now.Format("20060102"), StatisticsFlag: "B", AgentCode: demoAgent,
			AgentName: "示例出口报关行", EbcCode: demoSeller, EbcName: "示例出口电商", OwnerCode: demoSeller, OwnerName: "示例出口电商", TradeMode: "9610", TrafMode: "5",
			Country: country, POD: "1401", Freight: "5", FCurrency: "142", FFlag: "3", InsuredFee: "0", ICurrency: "142", IFlag: "3", WrapType: "2", PackNo: "1",
			GrossWeight: "1.5", NetWeight: "1.2"},
			InventoryList: []ceb.ExportInventoryList{{Gnum: "1", ItemNo: g.item, ItemName: g.item, Gcode: g.hs, Gname: g.item, Gmodel: "标准", BarCode: "无",
				Country: country, Currency: "142", Qty: qty, Qty1: qty, Unit: "011", Unit1: "011", Price: g.price, TotalPrice: total}}}
		for _, m := range []struct {
			from string
			msg  ceb.Message
		}{{demoSeller, &ceb.CEB303Message{Guid: ceb.NewGuid(), Version: "1.0", Order: []ceb.ExportOrder{o}, BaseTransfer: demoTransfer(demoSeller)}},
			{demoPay, &ceb.CEB403Message{Guid: ceb.NewGuid(), Version: "1.0", Receipts: []ceb.Receipts{r}, BaseTransfer: demoTransfer(demoPay)}},
			{demoCarrier, &ceb.CEB505Message{Guid: ceb.NewGuid(), Version: "1.0", Logistics: []ceb.ExportLogistics{w}, BaseTransfer: demoTransfer(demoCarrier)}},
			{demoAgent, &ceb.CEB603Message{Guid: ceb.NewGuid(), Version: "1.0", Inventory: []ceb.ExportInventory{inv}, BaseTransfer: demoTransfer(demoAgent)}}} {
			if err := d.send(m.from, m.msg, "120"); err != nil {
				return err
			}
		}
		nos = append(nos, no)
	}
	arr := ceb.Arrival{ArrivalHead: ceb.ArrivalHead{Guid: ceb.NewGuid(), AppType: "1", AppTime: at, AppStatus: "2", CustomsCode: "8010", CopNo: "DARR" + run,
		OperatorCode: demoCarrier, OperatorName: "示例出口物流", IeFlag: "E", TrafMode: "5", BillNo: "DB" + run, DomesticTrafNo: "渝A00001",
		LogisticsCode: demoCarrier, LogisticsName: "示例出口物流", MsgCount: "1", MsgSeqNo: "1"}}
	dep := ceb.Departure{DepartureHead: ceb.DepartureHead{Guid: ceb.NewGuid(), AppType: "1", AppTime: at, AppStatus: "2", CustomsCode: "8010", CopNo: "DDEP" + run,
		LogisticsCode: demoCarrier, LogisticsName: "示例出口物流", TrafMode: "5", TrafName: "CA1234", VoyageNo: "CA1234", BillNo: "DB" + run, LeaveTime: at,
		MsgCount: "1", MsgSeqNo: "1"}}
	for i, n := range nos {
		arr.ArrivalList = append(arr.ArrivalList, ceb.ArrivalList{Gnum: fmt.Sprint(i + 1), LogisticsNo: n})
		dep.DepartureList = append(dep.DepartureList, ceb.DepartureList{Gnum: fmt.Sprint(i + 1), LogisticsNo: n})
	}
	if err := d.send(demoCarrier, &ceb.CEB507Message{Guid: ceb.NewGuid(), Version: "1.0", Arrival: []ceb.Arrival{arr}, BaseTransfer: demoTransfer(demoCarrier)}, "120"); err != nil {
		return err
	}
	if err := d.inspectSelected(run, len(nos)); err != nil {
		return err
	}
	if err := d.send(demoCarrier, &ceb.CEB509Message{Guid: ceb.NewGuid(), Version: "1.0", Departure: []ceb.Departure{dep}, BaseTransfer: demoTransfer(demoCarrier)}, "120"); err != nil {
		return err
	}
	month := now.Format("2006-01")
	if err := api.Call(ctx, "POST", "/api/v1/export/summaries/run", map[string]string{"month": month, "ebcCode": demoSeller}, nil); err != nil {
		return fmt.Errorf("export summaries: %w", err)
	}
	var rep struct {
		Summaries []struct {
			SumNo, Country string
			Lists          int
			Totals         currencyTotals
		}
		ListsTotals, LinesTotals currencyTotals
	}
	if err := d.as(demoSeller).Call(ctx, "GET", "/api/v1/export/summaries?month="+month, nil, &rep); err != nil {
		return err
	}
	var refund struct {
		Lines []struct{ SumNo, Gcode, Qty, Value string }
	}
	if err := d.as(demoSeller).Call(ctx, "GET", "/api/v1/export/refund?month="+month, nil, &refund); err != nil {
		return err
	}
	var fx struct {
		Rows []struct{ Month, Country, Due, Settled, Unsettled, Overdue string }
	}
	if err := d.as(demoSeller).Call(ctx, "GET", "/api/v1/export/forex", nil, &fx); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nExporter's month (%s, ebcCode %s): %d exports to %d countries released on arrival and closed on departure\n",
		month, demoSeller, len(nos), len(countries))
	fmt.Fprintf(out, "  summary declarations: %d, lists total %s = lines total %s\n", len(rep.Summaries), rep.ListsTotals, rep.LinesTotals)
	for _, s := range rep.Summaries {
		fmt.Fprintf(out, "    %s  country %s  %d lists  %s\n", s.SumNo, s.Country, s.Lists, s.Totals)
	}
	fmt.Fprintf(out, "  refund lines (退税):\n")
	for _, l := range refund.Lines {
		fmt.Fprintf(out, "    %s  HS %s  qty %s  value %s\n", l.SumNo, l.Gcode, l.Qty, l.Value)
	}
	fmt.Fprintf(out, "  forex (结汇), month / country / due / settled / unsettled / overdue:\n")
	for _, r := range fx.Rows {
		fmt.Fprintf(out, "    %s  %s  %s  %s  %s  %s\n", r.Month, r.Country, r.Due, r.Settled, r.Unsettled, r.Overdue)
	}
	return nil
}

// inspectSelected plays the officer for the exports that arrival selected for
// inspection at their credit class's rate (500): the goods pass, so they are
// released and may depart with the others.
func (d *exportDemo) inspectSelected(run string, n int) error {
	for i := range n {
		copNo := "DXC" + run + fmt.Sprintf("%02d", i)
		var v struct{ Status string }
		if err := d.admin.Call(d.ctx, "GET", "/api/v1/export/inventories/"+copNo, nil, &v); err != nil {
			return fmt.Errorf("export inventory %s: %w", copNo, err)
		}
		if v.Status != "500" {
			continue
		}
		in := map[string]any{"passed": true, "note": "查验无异常 inspected, nothing found"}
		if err := d.admin.Call(d.ctx, "POST", "/api/v1/export/inventories/"+copNo+"/inspection", in, nil); err != nil {
			return fmt.Errorf("inspect export %s: %w", copNo, err)
		}
	}
	return nil
}

// currencyTotals are an export report's sums, one per currency (never added
// together).
type currencyTotals []struct{ Currency, Value string }

// String renders them as "155.00 (142), 25.00 (502)".
func (ts currencyTotals) String() string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.Value + " (" + t.Currency + ")"
	}
	return strings.Join(parts, ", ")
}
