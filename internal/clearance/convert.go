package clearance

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/ident"
)

// The converters turn parsed CEB documents into the platform's documents,
// protecting personal data on the way. Values the codec validated (digits,
// lengths) can still fail here only through leniency; such problems are
// returned with the element path so the sender sees them in the receipt.

// FromOrder converts the i-th (0-based) Order of a CEB311.
func FromOrder(pr Protector, o *ceb.Order, i int) (Order, []ceb.Problem) {
	h := o.OrderHead
	p := &problems{path: fmt.Sprintf("Order[%d]/OrderHead", i+1)}
	out := Order{
		Head:    head(h.Guid, h.AppType, h.AppTime),
		OrderNo: h.OrderNo, EbpCode: h.EbpCode, EbcCode: h.EbcCode,
		GoodsValue: p.decimal("goodsValue", h.GoodsValue), Freight: p.decimal("freight", h.Freight),
		Discount: p.decimal("discount", h.Discount), TaxTotal: p.decimal("taxTotal", h.TaxTotal),
		ActuralPaid: p.decimal("acturalPaid", h.ActuralPaid),
		BuyerIDType: h.BuyerIdType, BuyerName: pr.Name(h.BuyerName), BuyerID: pr.ID(h.BuyerIdNumber),
		BuyerPhone: pr.Phone(h.BuyerTelephone), PayCode: h.PayCode, PayTransactionID: h.PayTransactionId,
		Consignee: pr.Name(h.Consignee), ConsigneePhone: pr.Phone(h.ConsigneeTelephone),
		ConsigneeAddress: pr.Address(h.ConsigneeAddress),
	}
	for j, l := range o.OrderList {
		p.path = fmt.Sprintf("Order[%d]/OrderList[%d]", i+1, j+1)
		out.Lines = append(out.Lines, OrderLine{
			Gnum: p.int("gnum", l.Gnum), ItemNo: l.ItemNo, ItemName: l.ItemName, BarCode: l.BarCode, Unit: l.Unit,
			Qty: p.positive("qty", l.Qty), Price: p.positive("price", l.Price), TotalPrice: p.decimal("totalPrice", l.TotalPrice),
			Country: l.Country,
		})
	}
	return out, p.list
}

// FromPayment converts the i-th Payment of a CEB411.
func FromPayment(pr Protector, m *ceb.Payment, i int) (Payment, []ceb.Problem) {
	h := m.PaymentHead
	p := &problems{path: fmt.Sprintf("Payment[%d]/PaymentHead", i+1)}
	return Payment{
		Head:    head(h.Guid, h.AppType, h.AppTime),
		PayCode: h.PayCode, PayTransactionID: h.PayTransactionId, OrderNo: h.OrderNo, EbpCode: h.EbpCode,
		PayerIDType: h.PayerIdType, PayerName: pr.Name(h.PayerName), PayerID: pr.ID(h.PayerIdNumber),
		AmountPaid: p.positive("amountPaid", h.AmountPaid), PayTime: h.PayTime,
	}, p.list
}

// FromWaybill converts the i-th Logistics of a CEB511.
func FromWaybill(pr Protector, m *ceb.Logistics, i int) (Waybill, []ceb.Problem) {
	h := m.LogisticsHead
	p := &problems{path: fmt.Sprintf("Logistics[%d]/LogisticsHead", i+1)}
	return Waybill{
		Head:          head(h.Guid, h.AppType, h.AppTime),
		LogisticsCode: h.LogisticsCode, LogisticsNo: h.LogisticsNo, OrderNo: h.OrderNo, BillNo: h.BillNo,
		Freight: p.decimal("freight", h.Freight), InsuredFee: p.decimal("insuredFee", h.InsuredFee),
		Weight:    p.decimal("weight", h.Weight),
		Consignee: pr.Name(h.Consignee), ConsigneePhone: pr.Phone(h.ConsigneeTelephone),
		ConsigneeAddress: pr.Address(h.ConsigneeAddress),
	}, p.list
}

// FromInventory converts the i-th Inventory of a CEB621; now dates the ID check.
func FromInventory(pr Protector, m *ceb.Inventory, i int, now time.Time) (Inventory, []ceb.Problem) {
	h := m.InventoryHead
	p := &problems{path: fmt.Sprintf("Inventory[%d]/InventoryHead", i+1)}
	out := Inventory{
		Head:  head(h.Guid, h.AppType, h.AppTime),
		CopNo: h.CopNo, OrderNo: h.OrderNo, EbpCode: h.EbpCode, EbcCode: h.EbcCode,
		LogisticsCode: h.LogisticsCode, LogisticsNo: h.LogisticsNo, AgentCode: h.AgentCode,
		AssureCode: h.AssureCode, AreaCode: h.AreaCode, EmsNo: h.EmsNo, TradeMode: h.TradeMode,
		CustomsCode: h.CustomsCode, PortCode: h.PortCode, IeDate: h.IeDate,
		BuyerIDType: h.BuyerIdType, BuyerName: pr.Name(h.BuyerName), BuyerID: pr.ID(h.BuyerIdNumber),
		BuyerPhone: pr.Phone(h.BuyerTelephone),
		Freight:    p.decimal("freight", h.Freight), InsuredFee: p.decimal("insuredFee", h.InsuredFee),
	}
	out.BuyerIDProblem = idProblem(ident.ValidateResidentID(strings.TrimSpace(h.BuyerIdNumber), now))
	for j, l := range m.InventoryList {
		p.path = fmt.Sprintf("Inventory[%d]/InventoryList[%d]", i+1, j+1)
		out.Lines = append(out.Lines, InventoryLine{
			Gnum: p.int("gnum", l.Gnum), ItemRecordNo: l.ItemRecordNo, ItemNo: l.ItemNo, ItemName: l.ItemName,
			Gcode: l.Gcode, Gname: l.Gname, BarCode: l.BarCode, Country: l.Country,
			Qty: p.positive("qty", l.Qty), Unit: l.Unit, Qty1: p.positive("qty1", l.Qty1), Unit1: l.Unit1,
			Price: p.positive("price", l.Price), TotalPrice: p.decimal("totalPrice", l.TotalPrice),
		})
	}
	return out, p.list
}

// idProblem names what is wrong with an ID number without repeating any of it:
// the text is stored and sent in receipts, and must not hold personal data.
func idProblem(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ident.ErrLength):
		return "not 18 characters"
	case errors.Is(err, ident.ErrCharacter):
		return "holds a character other than digits and a final X"
	case errors.Is(err, ident.ErrCheckDigit):
		return "check character does not match (GB 11643)"
	case errors.Is(err, ident.ErrBirthDate):
		return "birth date is not plausible"
	}
	return "not a valid resident ID number"
}
