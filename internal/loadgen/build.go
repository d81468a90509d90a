package loadgen

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/xmlsig"
)

// Message types the generator sends.
const (
	TypeOrder     = "CEB311Message"
	TypePayment   = "CEB411Message"
	TypeWaybill   = "CEB511Message"
	TypeInventory = "CEB621Message"
)

// Messages are one batch ready to send, in sending order. Extra holds the
// demo's additional order messages (a resubmission with the same guid, or an
// appType 2 change), sent right after Order.
type Messages struct {
	Order, Payment, Waybill, Inventory []byte
	Extra                              [][]byte
}

// chinaTime is China Standard Time (no daylight saving), the zone of CEB
// timestamps.
var chinaTime = time.FixedZone("CST", 8*3600)

// Builder turns batches into signed CEB XML, or into the platform's JSON
// form of the same messages.
type Builder struct {
	Parties *Parties
	SignAll bool // also sign orders, payments and waybills (only inventories must be signed)
	// JSON writes each message as JSON (the ceb struct, field names as in
	// Go) for POST /api/v1/documents/{type}, unsigned: the server writes the
	// JSON back as XML without the newline xmlsig.Sign puts before
	// ds:Signature, so an XML signature carried in JSON never verifies. JSON
	// runs therefore need a server whose signature policy is optional or none.
	JSON bool
}

func transfer(p *Party) ceb.BaseTransfer {
	return ceb.BaseTransfer{CopCode: p.Code, CopName: p.Name, DxpMode: "DXP", DxpId: "DXPENT" + p.Code}
}

// Build encodes the four messages of b (and the demo extras) and signs them.
func (bl *Builder) Build(b *Batch, now time.Time) (*Messages, error) {
	ps := bl.Parties
	shop, pay, logi, agent := ps.Shops[b.Shop%len(ps.Shops)], ps.Pays[b.Pay%len(ps.Pays)], ps.Logistics[b.Logi%len(ps.Logistics)], ps.Agents[b.Agent%len(ps.Agents)]
	appTime := now.In(chinaTime).Format("20060102150405")
	var err error
	out := &Messages{}

	order := &ceb.CEB311Message{Guid: b.Guids[0], Version: "1.0", BaseTransfer: transfer(ps.Platform)}
	payment := &ceb.CEB411Message{Guid: b.Guids[1], Version: "1.0", BaseTransfer: transfer(pay)}
	waybill := &ceb.CEB511Message{Guid: b.Guids[2], Version: "1.0", BaseTransfer: transfer(logi)}
	inventory := &ceb.CEB621Message{Guid: b.Guids[3], Version: "1.0", BaseTransfer: transfer(agent)}
	for _, d := range b.Decls {
		order.Order = append(order.Order, orderOf(d, ps.Platform, shop, pay, appTime))
		payment.Payment = append(payment.Payment, paymentOf(d, ps.Platform, pay, appTime))
		waybill.Logistics = append(waybill.Logistics, waybillOf(d, logi, appTime))
		inventory.Inventory = append(inventory.Inventory, inventoryOf(d, ps.Platform, shop, b.Shop%len(ps.Shops), logi, agent, now, appTime))
	}
	if out.Order, err = bl.encode(order, ps.Platform, false); err != nil {
		return nil, err
	}
	if b.Resend {
		out.Extra = append(out.Extra, out.Order)
	}
	if b.Modify {
		changed := *order
		changed.Guid = b.Guids[4]
		changed.Order = []ceb.Order{order.Order[0]}
		h := &changed.Order[0].OrderHead
		h.Guid, h.AppType, h.Note = b.Guids[4], "2", "收货时间变更：工作日白天"
		msg, err := bl.encode(&changed, ps.Platform, false)
		if err != nil {
			return nil, err
		}
		out.Extra = append(out.Extra, msg)
	}
	if out.Payment, err = bl.encode(payment, pay, false); err != nil {
		return nil, err
	}
	if out.Waybill, err = bl.encode(waybill, logi, false); err != nil {
		return nil, err
	}
	if out.Inventory, err = bl.encode(inventory, agent, true); err != nil {
		return nil, err
	}
	return out, nil
}

// encode validates and writes m; inventories (and with SignAll every
// message) are signed with the sender's key.
func (bl *Builder) encode(m ceb.Message, sender *Party, mustSign bool) ([]byte, error) {
	xml, err := ceb.Encode(m)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", m.MessageType(), err)
	}
	if (mustSign || bl.SignAll) && !bl.JSON {
		if xml, err = xmlsig.Sign(xml, sender.Identity.Key, sender.Identity.Cert); err != nil {
			return nil, fmt.Errorf("sign %s: %w", m.MessageType(), err)
		}
	}
	if !bl.JSON {
		return xml, nil
	}
	return toJSON(xml)
}

// toJSON re-reads a finished message and writes it as JSON, the form the
// platform's document API reads.
func toJSON(xml []byte) ([]byte, error) {
	d, err := ceb.Decode(xml)
	if err != nil {
		return nil, fmt.Errorf("json form: %w", err)
	}
	out, err := json.Marshal(d.Message)
	if err != nil {
		return nil, fmt.Errorf("json form of %s: %w", d.Type, err)
	}
	return out, nil
}

func amt(a money.Amount) string { return a.String() }

func orderOf(d *Declaration, ebp, ebc, pay *Party, appTime string) ceb.Order {
	h := ceb.OrderHead{
		Guid: d.Guids[0], AppType: "1", AppTime: appTime, AppStatus: "2", OrderType: "I",
		OrderNo: d.OrderNo, EbpCode: ebp.Code, EbpName: ebp.Name, EbcCode: ebc.Code, EbcName: ebc.Name,
		GoodsValue: amt(d.GoodsValue), Freight: amt(d.Freight), Discount: amt(d.Discount), TaxTotal: amt(d.TaxTotal),
		ActuralPaid: amt(d.ActuralPaid), Currency: "142",
		BuyerRegNo: d.Buyer.RegNo, BuyerName: d.Buyer.Name, BuyerTelephone: d.Buyer.Phone, BuyerIdType: "1",
		BuyerIdNumber: d.Buyer.IDNumber, PayCode: pay.Code, PayName: pay.Name, PayTransactionId: d.PayTransactionID,
		Consignee: d.Buyer.Name, ConsigneeTelephone: d.Buyer.Phone, ConsigneeAddress: d.Buyer.Address,
		ConsigneeDistrict: d.Buyer.District,
	}
	o := ceb.Order{OrderHead: h}
	for i, l := range d.Lines {
		g := goods[l.Good]
		o.OrderList = append(o.OrderList, ceb.OrderList{
			Gnum: strconv.Itoa(i + 1), ItemNo: g.ItemNo, ItemName: g.Name, Gmodel: g.Spec, BarCode: gtinOf(l.Good),
			Unit: g.Unit, Qty: strconv.FormatInt(l.Qty, 10), Price: amt(l.Price), TotalPrice: amt(l.Total),
			Currency: "142", Country: g.Origin,
		})
	}
	return o
}

func paymentOf(d *Declaration, ebp, pay *Party, appTime string) ceb.Payment {
	return ceb.Payment{PaymentHead: ceb.PaymentHead{
		Guid: d.Guids[1], AppType: "1", AppTime: appTime, AppStatus: "2",
		PayCode: pay.Code, PayName: pay.Name, PayTransactionId: d.PayTransactionID, OrderNo: d.OrderNo,
		EbpCode: ebp.Code, EbpName: ebp.Name, PayerIdType: "1", PayerIdNumber: d.Buyer.IDNumber,
		PayerName: d.Buyer.Name, Telephone: d.Buyer.Phone, AmountPaid: amt(d.AmountPaid), Currency: "142",
		PayTime: appTime,
	}}
}

func waybillOf(d *Declaration, logi *Party, appTime string) ceb.Logistics {
	_, gross := weights(d)
	return ceb.Logistics{LogisticsHead: ceb.LogisticsHead{
		Guid: d.Guids[2], AppType: "1", AppTime: appTime, AppStatus: "2",
		LogisticsCode: logi.Code, LogisticsName: logi.Name, LogisticsNo: d.LogisticsNo,
		BillNo: billNo(d), OrderNo: d.OrderNo, Freight: amt(d.Freight), InsuredFee: amt(d.InsuredFee),
		Currency: "142", Weight: gross, PackNo: "1", GoodsInfo: goodsInfo(d),
		Consignee: d.Buyer.Name, ConsigneeAddress: d.Buyer.Address, ConsigneeTelephone: d.WaybillPhone,
	}}
}

func inventoryOf(d *Declaration, ebp, ebc *Party, shop int, logi, agent *Party, now time.Time, appTime string) ceb.Inventory {
	net, gross := weights(d)
	h := ceb.InventoryHead{
		Guid: d.Guids[3], AppType: "1", AppTime: appTime, AppStatus: "2",
		OrderNo: d.OrderNo, EbpCode: ebp.Code, EbpName: ebp.Name, EbcCode: ebc.Code, EbcName: ebc.Name,
		LogisticsNo: d.LogisticsNo, LogisticsCode: logi.Code, LogisticsName: logi.Name, CopNo: d.CopNo,
		AssureCode: ebc.Code, IeFlag: "I", DeclTime: now.In(chinaTime).Format("20060102"),
		BuyerIdType: "1", BuyerIdNumber: d.Buyer.IDNumber, BuyerName: d.Buyer.Name, BuyerTelephone: d.Buyer.Phone,
		ConsigneeAddress: d.Buyer.Address, AgentCode: agent.Code, AgentName: agent.Name,
		TradeMode: d.TradeMode, Freight: amt(d.Freight), InsuredFee: amt(d.InsuredFee), Currency: "142",
		PackNo: "1", GrossWeight: gross, NetWeight: net,
	}
	if d.TradeMode == Bonded {
		// Bonded goods leave a bonded-zone warehouse run by the agent.
		h.CustomsCode, h.PortCode, h.TrafMode, h.Country = "2924", "2924", "Y", "142"
		h.EmsNo, h.AreaCode, h.AreaName = emsNo(agent), agent.Code, agent.Name
	} else {
		h.CustomsCode, h.PortCode, h.TrafMode, h.Country = "5141", "5141", "5", goods[d.Lines[0].Good].Origin
		h.TrafNo, h.VoyageNo, h.BillNo = "CZ3102", "CZ3102", billNo(d)
	}
	inv := ceb.Inventory{InventoryHead: h}
	for i, l := range d.Lines {
		g := goods[l.Good]
		line := ceb.InventoryList{
			Gnum: strconv.Itoa(i + 1), ItemNo: g.ItemNo, ItemName: g.Name, Gcode: g.HSCode, Gname: g.Name,
			Gmodel: g.Spec, BarCode: gtinOf(l.Good), Country: g.Origin, Currency: "142",
			Qty: strconv.FormatInt(l.Qty, 10), Unit: g.Unit, Qty1: legalQty(l), Unit1: g.Unit1,
			Price: amt(l.Price), TotalPrice: amt(l.Total),
		}
		if d.TradeMode == Bonded {
			line.ItemRecordNo = itemRecordNo(shop, l.Good)
		}
		inv.InventoryList = append(inv.InventoryList, line)
	}
	return inv
}

// emsNo is the bonded account book of the zone warehouse an agent runs.
func emsNo(agent *Party) string { return "T2924W" + agent.Code }

func billNo(d *Declaration) string {
	if d.TradeMode == Bonded {
		return ""
	}
	return fmt.Sprintf("784-%08d", 10000000+d.Seq%90000000)
}

// legalQty formats qty1 = pieces × legal quantity per piece.
func legalQty(l Line) string {
	q, err := money.ParseDecimal(goods[l.Good].Qty1Per)
	if err != nil {
		panic(fmt.Sprintf("loadgen: good %s: bad Qty1Per: %v", goods[l.Good].ItemNo, err))
	}
	q, err = q.Mul(money.DecimalFromInt(l.Qty))
	if err != nil {
		panic(fmt.Sprintf("loadgen: qty1: %v", err))
	}
	return q.String()
}

// weights returns the net weight (Σ pieces × weight per piece) and the
// gross weight (plus 300 g of packing), in kg with three decimals.
func weights(d *Declaration) (net, gross string) {
	var grams int64
	for _, l := range d.Lines {
		w, _ := money.ParseAmount(goods[l.Good].WeightKg) // 2 decimals of kg = 10 g steps
		grams += w.Fen() * 10 * l.Qty
	}
	kg := func(g int64) string { return fmt.Sprintf("%d.%03d", g/1000, g%1000) }
	return kg(grams), kg(grams + 300)
}

func goodsInfo(d *Declaration) string {
	g := goods[d.Lines[0].Good]
	s := g.Name + "*" + strconv.FormatInt(d.Lines[0].Qty, 10)
	if len(d.Lines) > 1 {
		s += "等" + strconv.Itoa(len(d.Lines)) + "项"
	}
	return s
}
