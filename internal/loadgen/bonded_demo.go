package loadgen

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/cbec-platform/cbec/client"
	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/xmlsig"
	"github.com/cbec-platform/cbec/internal/xmlsig/xmlsigtest"
)

// bondedTour is a bonded warehouse's story told through the API (rules
// §6–§8): its account book and the zone entry, purchases released from stock
// against the guarantee, a return that comes back, a cancel, the gate, the
// monthly reconciliation and the tax bill that will follow.
type bondedTour struct {
	ctx    context.Context
	api    *client.Client // as the administrator
	keys   map[string]string
	id     *xmlsigtest.Identity
	signer string // the one enterprise whose certificate is id's
}

// as is the client acting with key.
func (b *bondedTour) as(key string) *client.Client { return b.api.As(key) }

// json sends in as JSON with key and decodes the answer into out.
func (b *bondedTour) json(method, path, key string, in, out any, what string) error {
	if err := b.as(key).Call(b.ctx, method, path, in, out); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// ceb sends a CEB message (signed when from the signer) and returns the receipt's first returnStatus.
func (b *bondedTour) ceb(from string, m ceb.Message) (string, error) {
	xml, err := ceb.Encode(m)
	if err != nil {
		return "", err
	}
	if from == b.signer {
		if xml, err = xmlsig.Sign(xml, b.id.Key, b.id.Cert); err != nil {
			return "", err
		}
	}
	return FirstStatus(b.ctx, b.as(b.keys[from]), m.MessageType(), xml)
}

// FirstStatus submits a CEB message and returns the returnStatus of its
// first document; a message refused as a whole is an error.
func FirstStatus(ctx context.Context, api *client.Client, msgType string, xml []byte) (string, error) {
	ans, err := api.SubmitCEB(ctx, xml)
	if err != nil {
		return "", fmt.Errorf("%s: %w", msgType, err)
	}
	rs, err := ans.Results()
	if err != nil {
		return "", fmt.Errorf("%s: %w", msgType, err)
	}
	if ans.Refused() {
		return "", fmt.Errorf("%s: refused: %s %s", msgType, rs[0].ReturnStatus, rs[0].ReturnInfo)
	}
	return rs[0].ReturnStatus, nil
}

// BondedWarehouse plays a bonded warehouse's month against a server and
// prints where to follow it: the book and its stock, the releases against
// the guarantee, a return that arrives, a cancel, the gate, the month's
// reconciliation (which must add up) and the bill that will follow.
func BondedWarehouse(ctx context.Context, server, admin string, out io.Writer) error {
	id, err := xmlsigtest.Generate(xmlsig.SM2SM3, "cbec demo bonded agent")
	if err != nil {
		return err
	}
	api, err := client.New(server, admin)
	if err != nil {
		return err
	}
	b := &bondedTour{ctx: ctx, api: api, keys: map[string]string{}, id: id}
	now := time.Now().In(chinaTime)
	run := now.Format("0405")
	platform, pay, carrier, zone := "11059B"+run, "44031B"+run, "44019B"+run, "50016B"+run
	// The e-commerce enterprise guarantees the tax of its own sales: the
	// guarantor must be a party of the inventory (rules §12).
	guarantor := platform
	b.signer = zone
	for _, p := range []struct {
		code, name string
		roles      []string
		signs      bool
	}{{platform, "示例保税电商", []string{"ebp", "ebc", "assure"}, false}, {pay, "示例支付", []string{"pay"}, false},
		{carrier, "示例物流", []string{"logistics"}, false}, {zone, "示例保税仓（报关、区内经营）", []string{"agent", "area"}, true}} {
		in := map[string]any{"code": p.code, "name": p.name, "roles": p.roles, "creditClass": "general"}
		if p.signs {
			in["certificates"] = []string{string(id.CertPEM)}
		}
		var reg struct{ APIKey string }
		if err := b.json("POST", "/api/v1/enterprises", admin, in, &reg, "register "+p.code); err != nil {
			return err
		}
		b.keys[p.code] = reg.APIKey
	}
	// The zone declares the platform's inventories: the platform entrusts it (contract §8).
	if err := b.json("POST", "/api/v1/entrustments", b.keys[platform], map[string]any{"agentCode": zone}, nil, "entrust the zone"); err != nil {
		return err
	}
	products := "item_no,name,hs_code,gtin,brand,origin_country,spec,legal_unit,item_record_no\nMILK-B1,婴儿配方奶粉,1901101000,,示例,502,800g,035,1\n"
	if _, err := b.as(b.keys[platform]).Do(ctx, "POST", "/api/v1/products", "text/csv", []byte(products)); err != nil {
		return fmt.Errorf("file products: %w", err)
	}
	ems := "T8010W" + zone
	if err := b.json("POST", "/api/v1/books", admin, map[string]any{"emsNo": ems, "operatorCode": zone, "name": "示例保税仓"}, nil, "open book"); err != nil {
		return err
	}
	if err := b.json("POST", "/api/v1/books/"+ems+"/items", b.keys[zone], map[string]any{"items": []map[string]string{
		{"itemRecordNo": "1", "ebcCode": platform, "itemNo": "MILK-B1", "name": "婴儿配方奶粉", "unit": "122"}}}, nil, "book items"); err != nil {
		return err
	}
	if err := b.json("POST", "/api/v1/books/"+ems+"/entries", b.keys[zone], map[string]any{"entryNo": "RK" + zone,
		"items": []map[string]string{{"itemRecordNo": "1", "qty": "20"}}}, nil, "zone entry"); err != nil {
		return err
	}
	if err := b.json("POST", "/api/v1/guarantees", admin, map[string]any{"assureCode": guarantor, "amount": "1000.00", "reference": "示例银行保函"}, nil, "guarantee"); err != nil {
		return err
	}
	// Five purchases of two tins (400 CNY + 10 freight, VAT 37.31 each).
	at, day := now.Format("20060102150405"), now.Format("20060102")
	type buy struct{ orderNo, copNo, logisticsNo, invtNo string }
	var buys []buy
	buyer, buyerID, phone, addr := "王小明", "110101199003074514", "13812345678", "重庆市渝北区金开大道88号"
	for i := 0; i < 5; i++ {
		n := fmt.Sprintf("%s%s%02d", zone[6:], run, i)
		u := buy{orderNo: "BO" + n, copNo: "BC" + n, logisticsNo: "BL" + n}
		o := ceb.Order{OrderHead: ceb.OrderHead{Guid: ceb.NewGuid(), AppType: "1", AppTime: at, AppStatus: "2", OrderType: "I", OrderNo: u.orderNo,
			EbpCode: platform, EbpName: "示例保税电商", EbcCode: platform, EbcName: "示例保税电商", GoodsValue: "400.00", Freight: "10.00", Discount: "0",
			TaxTotal: "37.31", ActuralPaid: "447.31", Currency: "142", BuyerRegNo: "demo", BuyerName: buyer, BuyerTelephone: phone, BuyerIdType: "1",
			BuyerIdNumber: buyerID, PayCode: pay, PayName: "示例支付", Consignee: buyer, ConsigneeTelephone: phone, ConsigneeAddress: addr},
			OrderList: []ceb.OrderList{{Gnum: "1", ItemNo: "MILK-B1", ItemName: "婴儿配方奶粉", Gmodel: "800g", Unit: "122", Qty: "2", Price: "200.00",
				TotalPrice: "400.00", Currency: "142", Country: "502"}}}
		p := ceb.Payment{PaymentHead: ceb.PaymentHead{Guid: ceb.NewGuid(), AppType: "1", AppTime: at, AppStatus: "2", PayCode: pay, PayName: "示例支付",
			PayTransactionId: "PAY" + u.orderNo, OrderNo: u.orderNo, EbpCode: platform, EbpName: "示例保税电商", PayerIdType: "1", PayerIdNumber: buyerID,
			PayerName: buyer, AmountPaid: "447.31", Currency: "142", PayTime: at}}
		w := ceb.Logistics{LogisticsHead: ceb.LogisticsHead{Guid: ceb.NewGuid(), AppType: "1", AppTime: at, AppStatus: "2", LogisticsCode: carrier,
			LogisticsName: "示例物流", LogisticsNo: u.logisticsNo, OrderNo: u.orderNo, Freight: "10.00", InsuredFee: "0", Currency: "142", Weight: "2",
			PackNo: "1", Consignee: buyer, ConsigneeAddress: addr, ConsigneeTelephone: phone}}
		inv := ceb.Inventory{InventoryHead: ceb.InventoryHead{Guid: ceb.NewGuid(), AppType: "1", AppTime: at, AppStatus: "2", OrderNo: u.orderNo,
			EbpCode: platform, EbpName: "示例保税电商", EbcCode: platform, EbcName: "示例保税电商", LogisticsNo: u.logisticsNo, LogisticsCode: carrier,
			LogisticsName: "示例物流", CopNo: u.copNo, AssureCode: guarantor, EmsNo: ems, AreaCode: zone, AreaName: "示例保税仓", IeFlag: "I", DeclTime: day,
			CustomsCode: "8010", PortCode: "8010", BuyerIdType: "1", BuyerIdNumber: buyerID, BuyerName: buyer, BuyerTelephone: phone, ConsigneeAddress: addr,
			AgentCode: zone, AgentName: "示例保税仓", TradeMode: "1210", TrafMode: "Y", Country: "142", Freight: "10.00", InsuredFee: "0", Currency: "142",
			PackNo: "1", GrossWeight: "2", NetWeight: "1.6"},
			InventoryList: []ceb.InventoryList{{Gnum: "1", ItemRecordNo: "1", ItemNo: "MILK-B1", ItemName: "婴儿配方奶粉", Gcode: "1901101000",
				Gname: "婴儿配方奶粉", Gmodel: "800g", Country: "502", Currency: "142", Qty: "2", Unit: "122", Qty1: "1.6", Unit1: "035",
				Price: "200.00", TotalPrice: "400.00"}}}
		for _, m := range []struct {
			from string
			msg  ceb.Message
		}{{platform, &ceb.CEB311Message{Guid: ceb.NewGuid(), Version: "1.0", Order: []ceb.Order{o}, BaseTransfer: tourTransfer(platform)}},
			{pay, &ceb.CEB411Message{Guid: ceb.NewGuid(), Version: "1.0", Payment: []ceb.Payment{p}, BaseTransfer: tourTransfer(pay)}},
			{carrier, &ceb.CEB511Message{Guid: ceb.NewGuid(), Version: "1.0", Logistics: []ceb.Logistics{w}, BaseTransfer: tourTransfer(carrier)}},
			{zone, &ceb.CEB621Message{Guid: ceb.NewGuid(), Version: "1.0", Inventory: []ceb.Inventory{inv}, BaseTransfer: tourTransfer(zone)}}} {
			if rs, err := b.ceb(m.from, m.msg); err != nil || rs != "120" {
				return fmt.Errorf("bonded purchase %d, %s: returnStatus %s %v", i+1, m.msg.MessageType(), rs, err)
			}
		}
		buys = append(buys, u)
	}
	released := 0
	for i := range buys {
		var v struct{ Status, InvtNo string }
		for try := 0; try < 200; try++ {
			if err := b.json("GET", "/api/v1/inventories/"+buys[i].copNo, b.keys[zone], nil, &v, "inventory"); err != nil {
				return err
			}
			if v.Status != "120" {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if v.Status == "500" {
			// Selected for inspection at the credit class's rate: the demo's
			// officer finds nothing and releases it (rules §9).
			in := map[string]string{"status": "800", "reason": "查验无异常 inspected, nothing found", "actor": "demo officer"}
			if err := b.json("POST", "/api/v1/risk/inventories/"+zone+"/"+buys[i].copNo+"/decision", admin, in, &v, "inspection result"); err != nil {
				return err
			}
			if err := b.json("GET", "/api/v1/inventories/"+buys[i].copNo, b.keys[zone], nil, &v, "inventory"); err != nil {
				return err
			}
		}
		buys[i].invtNo = v.InvtNo
		if v.Status == "800" {
			released++
		}
	}
	if released < 2 {
		return fmt.Errorf("bonded demo: only %d of %d purchases released", released, len(buys))
	}
	// A return of one tin of the first purchase, arriving back; a cancel of the second.
	ret := ceb.InvtRefund{InvtRefundHead: ceb.InvtRefundHead{Guid: ceb.NewGuid(), AppType: "1", AppTime: at, AppStatus: "2", CustomsCode: "8010",
		OrderNo: buys[0].orderNo, EbpCode: platform, EbpName: "示例保税电商", EbcCode: platform, EbcName: "示例保税电商", LogisticsNo: buys[0].logisticsNo,
		LogisticsCode: carrier, LogisticsName: "示例物流", CopNo: "R" + buys[0].copNo, InvtNo: buys[0].invtNo, BuyerIdType: "1", BuyerIdNumber: buyerID,
		BuyerName: buyer, BuyerTelephone: phone, AgentCode: zone, AgentName: "示例保税仓", Reason: "七天无理由退货"},
		InvtRefundList: []ceb.InvtRefundList{{Gnum: "1", Gcode: "1901101000", Gname: "婴儿配方奶粉", Qty: "1", Unit: "122"}}}
	if rs, err := b.ceb(zone, &ceb.CEB625Message{Guid: ceb.NewGuid(), Version: "1.0", InvtRefund: []ceb.InvtRefund{ret}, BaseTransfer: tourTransfer(zone)}); err != nil || rs != "120" {
		return fmt.Errorf("bonded demo return: %s %v", rs, err)
	}
	var rets struct{ Returns []struct{ ID string } }
	if err := b.json("GET", "/api/v1/returns?invtNo="+buys[0].invtNo, b.keys[zone], nil, &rets, "returns"); err != nil || len(rets.Returns) == 0 {
		return fmt.Errorf("bonded demo: list returns: %v", err)
	}
	var arrived struct{ TaxRefunded, QuotaRestored string }
	if err := b.json("POST", "/api/v1/returns/"+rets.Returns[0].ID+"/arrival", b.keys[zone], map[string]any{}, &arrived, "return arrival"); err != nil {
		return err
	}
	cancel := ceb.InvtCancel{Guid: ceb.NewGuid(), AppType: "1", AppTime: at, AppStatus: "2", CustomsCode: "8010", OrderNo: buys[1].orderNo,
		EbpCode: platform, EbpName: "示例保税电商", EbcCode: platform, EbcName: "示例保税电商", LogisticsNo: buys[1].logisticsNo, LogisticsCode: carrier,
		LogisticsName: "示例物流", CopNo: "C" + buys[1].copNo, InvtNo: buys[1].invtNo, BuyerIdType: "1", BuyerIdNumber: buyerID, BuyerName: buyer,
		BuyerTelephone: phone, AgentCode: zone, AgentName: "示例保税仓", Reason: "买家取消订单"}
	if rs, err := b.ceb(zone, &ceb.CEB623Message{Guid: ceb.NewGuid(), Version: "1.0", InvtCancel: []ceb.InvtCancel{cancel}, BaseTransfer: tourTransfer(zone)}); err != nil || rs != "399" {
		return fmt.Errorf("bonded demo cancel: %s %v", rs, err)
	}
	// The truck for the remaining parcels, and one that tries the cancelled parcel.
	var gate struct {
		Pass    bool
		Parcels []struct{ Parcel, Reason string }
	}
	if err := b.json("POST", "/api/v1/gate/checks", b.keys[zone], map[string]any{"vehicleNo": "渝A" + run + "1",
		"parcels": []string{buys[2].logisticsNo, buys[3].logisticsNo, buys[4].logisticsNo}}, &gate, "gate"); err != nil {
		return err
	}
	passed := gate.Pass
	if err := b.json("POST", "/api/v1/gate/checks", b.keys[zone], map[string]any{"vehicleNo": "渝A" + run + "2",
		"parcels": []string{buys[1].logisticsNo}}, &gate, "gate"); err != nil {
		return err
	}
	var book struct {
		Items []struct{ ItemRecordNo, OnHand, Reserved, Available string }
	}
	if err := b.json("GET", "/api/v1/books/"+ems, b.keys[zone], nil, &book, "book"); err != nil {
		return err
	}
	month := now.Format("2006-01")
	var rec struct {
		Balanced bool
		Lines    []struct{ Opening, In, Out, Returned, Adjusted, Closing string }
	}
	if err := b.json("GET", "/api/v1/books/"+ems+"/reconciliation?month="+month, b.keys[zone], nil, &rec, "reconciliation"); err != nil {
		return err
	}
	if !rec.Balanced {
		return fmt.Errorf("bonded demo: the reconciliation of %s does not add up: %+v", month, rec)
	}
	var acct struct{ Balance, Debited, Credited string }
	if err := b.json("GET", "/api/v1/guarantees/"+guarantor, b.keys[guarantor], nil, &acct, "guarantee"); err != nil {
		return err
	}
	until := now.AddDate(0, 0, 31).Format("2006-01-02")
	var up struct {
		Total string
		Lines []struct{ InvtNo string }
	}
	if err := b.json("GET", "/api/v1/tax-bills/upcoming?until="+until, b.keys[guarantor], nil, &up, "upcoming bills"); err != nil {
		return err
	}
	l := rec.Lines[0]
	fmt.Fprintf(out, "\nA bonded warehouse's month (1210) through %s\n\n", server)
	fmt.Fprintf(out, "  account book %-19s GET /api/v1/books/%s (operator %s)\n", ems, ems, zone)
	fmt.Fprintf(out, "  stock of item 1              in %s, out %s, returned %s → %s on hand, %s available\n", l.In, l.Out, l.Returned, book.Items[0].OnHand, book.Items[0].Available)
	fmt.Fprintf(out, "  purchases released           %d of %d (guarantor %s: debited %s, credited %s, balance %s)\n", released, len(buys), guarantor, acct.Debited, acct.Credited, acct.Balance)
	fmt.Fprintf(out, "  return of 1 tin arrived      tax %s not levied, quota %s restored (GET /api/v1/returns?invtNo=%s)\n", arrived.TaxRefunded, arrived.QuotaRestored, buys[0].invtNo)
	fmt.Fprintf(out, "  cancel before billing        %s closed (899); stock, quota and guarantee given back\n", buys[1].invtNo)
	fmt.Fprintf(out, "  gate                         truck of 3 parcels passed: %v; the cancelled parcel refused: %s\n", passed, gate.Parcels[0].Reason)
	fmt.Fprintf(out, "  reconciliation %s        opening %s + in %s − out %s + returned %s + adjusted %s = closing %s, adds up: %v\n",
		month, l.Opening, l.In, l.Out, l.Returned, l.Adjusted, l.Closing, rec.Balanced)
	fmt.Fprintf(out, "  bill to come by %s   %s CNY for %d inventories (GET /api/v1/tax-bills/upcoming?until=%s; billed 30 days after release, GET /api/v1/tax-bills?month=…)\n",
		until, up.Total, len(up.Lines), until)
	return nil
}

func tourTransfer(code string) ceb.BaseTransfer {
	return ceb.BaseTransfer{CopCode: code, CopName: "企业" + code, DxpMode: "DXP", DxpId: "DXPENT" + code}
}
