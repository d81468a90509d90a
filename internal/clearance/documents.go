// Package clearance holds retail import clearance (rules §2–§6, §8 release):
// the four documents as the platform keeps them, the three-document matching
// checks in the order of the rules, limits, catalogue and tax checks, and the
// decision for each inventory. It is pure: storage, queues and HTTP live in
// other packages and reach it through small interfaces.
//
// Personal data (names, ID numbers, phones, addresses) is kept only as keyed
// hashes, to compare, and masked forms, to show; the clear values stay in the
// sealed raw message.
package clearance

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/ident"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/vault"
)

// Kind names a document kind.
type Kind string

// The document kinds of retail import.
const (
	KindOrder     Kind = "order"
	KindPayment   Kind = "payment"
	KindWaybill   Kind = "waybill"
	KindInventory Kind = "inventory"
)

// Protected is one piece of personal data: a keyed hash and a masked form.
type Protected struct {
	Hash   string `json:"h,omitempty"`
	Masked string `json:"m,omitempty"`
}

// Protector turns clear personal data into Protected values.
type Protector struct{ V *vault.Vault }

// Name protects a person's name.
func (p Protector) Name(s string) Protected {
	s = strings.TrimSpace(s)
	return Protected{Hash: p.V.Hash("name", s), Masked: ident.MaskName(s)}
}

// ID protects an ID number.
func (p Protector) ID(s string) Protected {
	n := ident.Normalize(s)
	return Protected{Hash: p.V.Hash("id", n), Masked: ident.MaskIDNumber(n)}
}

// Phone protects a phone number.
func (p Protector) Phone(s string) Protected {
	s = strings.TrimSpace(s)
	return Protected{Hash: p.V.Hash("phone", s), Masked: ident.MaskPhone(s)}
}

// Address protects an address; its masked form keeps the first few characters (the region).
func (p Protector) Address(s string) Protected {
	s = strings.TrimSpace(s)
	r := []rune(s)
	shown := min(len(r), 6)
	return Protected{Hash: p.V.Hash("address", s), Masked: string(r[:shown]) + strings.Repeat("*", len(r)-shown)}
}

// Head is what every document carries about its declaration.
type Head struct {
	Guid    string `json:"guid"`
	AppType string `json:"appType"` // 1 new, 2 modify, 3 delete
	AppTime string `json:"appTime"`
}

// OrderLine is one goods line of an order.
type OrderLine struct {
	Gnum       int           `json:"gnum"`
	ItemNo     string        `json:"itemNo"`
	ItemName   string        `json:"itemName"`
	BarCode    string        `json:"barCode,omitempty"`
	Unit       string        `json:"unit"`
	Qty        money.Decimal `json:"qty"`
	Price      money.Decimal `json:"price"`
	TotalPrice money.Decimal `json:"totalPrice"`
	Country    string        `json:"country"`
}

// Order is an electronic order (CEB311).
type Order struct {
	Head
	OrderNo          string        `json:"orderNo"`
	EbpCode          string        `json:"ebpCode"`
	EbcCode          string        `json:"ebcCode"`
	GoodsValue       money.Decimal `json:"goodsValue"`
	Freight          money.Decimal `json:"freight"`
	Discount         money.Decimal `json:"discount"`
	TaxTotal         money.Decimal `json:"taxTotal"`
	ActuralPaid      money.Decimal `json:"acturalPaid"`
	BuyerIDType      string        `json:"buyerIdType"`
	BuyerName        Protected     `json:"buyerName"`
	BuyerID          Protected     `json:"buyerId"`
	BuyerPhone       Protected     `json:"buyerPhone"`
	PayCode          string        `json:"payCode,omitempty"`
	PayTransactionID string        `json:"payTransactionId,omitempty"`
	Consignee        Protected     `json:"consignee"`
	ConsigneePhone   Protected     `json:"consigneePhone"`
	ConsigneeAddress Protected     `json:"consigneeAddress"`
	Lines            []OrderLine   `json:"lines"`
}

// Payment is a payment voucher (CEB411).
type Payment struct {
	Head
	PayCode          string        `json:"payCode"`
	PayTransactionID string        `json:"payTransactionId"`
	OrderNo          string        `json:"orderNo"`
	EbpCode          string        `json:"ebpCode"`
	PayerIDType      string        `json:"payerIdType"`
	PayerName        Protected     `json:"payerName"`
	PayerID          Protected     `json:"payerId"`
	AmountPaid       money.Decimal `json:"amountPaid"`
	PayTime          string        `json:"payTime"`
}

// Waybill is a logistics waybill (CEB511).
type Waybill struct {
	Head
	LogisticsCode    string        `json:"logisticsCode"`
	LogisticsNo      string        `json:"logisticsNo"`
	OrderNo          string        `json:"orderNo"`
	BillNo           string        `json:"billNo,omitempty"`
	Freight          money.Decimal `json:"freight"`
	InsuredFee       money.Decimal `json:"insuredFee"`
	Weight           money.Decimal `json:"weight"`
	Consignee        Protected     `json:"consignee"`
	ConsigneePhone   Protected     `json:"consigneePhone"`
	ConsigneeAddress Protected     `json:"consigneeAddress"`
}

// InventoryLine is one goods line of an inventory list.
type InventoryLine struct {
	Gnum         int           `json:"gnum"`
	ItemRecordNo string        `json:"itemRecordNo,omitempty"`
	ItemNo       string        `json:"itemNo"`
	ItemName     string        `json:"itemName"`
	Gcode        string        `json:"gcode"`
	Gname        string        `json:"gname"`
	BarCode      string        `json:"barCode,omitempty"`
	Country      string        `json:"country"`
	Qty          money.Decimal `json:"qty"`
	Unit         string        `json:"unit"`
	Qty1         money.Decimal `json:"qty1"`
	Unit1        string        `json:"unit1"`
	Price        money.Decimal `json:"price"`
	TotalPrice   money.Decimal `json:"totalPrice"`
}

// Inventory is an inventory (declaration) list (CEB621).
type Inventory struct {
	Head
	CopNo         string    `json:"copNo"`
	OrderNo       string    `json:"orderNo"`
	EbpCode       string    `json:"ebpCode"`
	EbcCode       string    `json:"ebcCode"`
	LogisticsCode string    `json:"logisticsCode"`
	LogisticsNo   string    `json:"logisticsNo"`
	AgentCode     string    `json:"agentCode"`
	AssureCode    string    `json:"assureCode,omitempty"`
	AreaCode      string    `json:"areaCode,omitempty"`
	EmsNo         string    `json:"emsNo,omitempty"`
	TradeMode     string    `json:"tradeMode"`
	CustomsCode   string    `json:"customsCode"`
	PortCode      string    `json:"portCode"`
	IeDate        string    `json:"ieDate"`
	BuyerIDType   string    `json:"buyerIdType"`
	BuyerName     Protected `json:"buyerName"`
	BuyerID       Protected `json:"buyerId"`
	BuyerPhone    Protected `json:"buyerPhone"`
	// BuyerIDProblem records why the buyer's ID number failed GB 11643, if it
	// did; the number itself is not kept in clear, so the check is made here.
	BuyerIDProblem string          `json:"buyerIdProblem,omitempty"`
	Freight        money.Decimal   `json:"freight"`
	InsuredFee     money.Decimal   `json:"insuredFee"`
	Lines          []InventoryLine `json:"lines"`
}

// ProblemList gathers conversion problems with the element path of each.
type problems struct {
	list []ceb.Problem
	path string
}

func (p *problems) decimal(field, v string) money.Decimal {
	if v == "" {
		return money.Decimal{}
	}
	d, err := money.ParseDecimal(strings.TrimSpace(v))
	if err != nil {
		p.list = append(p.list, ceb.Problem{Code: "CEB-DECIMAL", Path: p.path + "/" + field, Value: v, Rule: "a decimal number", Message: err.Error(), Severity: ceb.Error})
	}
	return d
}

// positive is decimal for a quantity or amount that must be above zero: a
// goods line of nothing would be released, use quota and get trace codes.
func (p *problems) positive(field, v string) money.Decimal {
	n := len(p.list)
	d := p.decimal(field, v)
	if v != "" && len(p.list) == n && d.Sign() <= 0 {
		p.list = append(p.list, ceb.Problem{Code: "CEB-POSITIVE", Path: p.path + "/" + field, Value: v, Rule: "a number above zero",
			Message: fmt.Sprintf("%s must be above zero", field), Severity: ceb.Error})
	}
	return d
}

func (p *problems) int(field, v string) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		p.list = append(p.list, ceb.Problem{Code: "CEB-INT", Path: p.path + "/" + field, Value: v, Rule: "a whole number", Message: fmt.Sprintf("%s %q is not a whole number", field, v), Severity: ceb.Error})
	}
	return n
}

func head(guid, appType, appTime string) Head {
	return Head{Guid: guid, AppType: appType, AppTime: appTime}
}
