package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/intake"
	"github.com/cbec-platform/cbec/internal/refdata"
)

// Self-service documents: what a small seller enters in the console's forms
// or a spreadsheet row. Each becomes the very JSON document POST
// /api/v1/documents/{type} takes, decoded into the CEB message the same way,
// and goes through the same checks and the same intake; the forms and the
// template only name the fields.

// docKind is one kind of document: the CEB message that carries it, the roles
// that may send it and the fields a person fills in.
type docKind struct {
	Name, Zh, En string
	MsgType      string
	Element      string // the document's element in the message, e.g. "Order"
	Head, List   string // its head and goods-line elements
	Roles        []enterprise.Role
	Fixed        map[string]string // head values that are not asked: the spec allows one
	Fields       []docField
}

// docField is one field: its path below the document ("OrderHead/orderNo"),
// its labels (the Chinese one is the spreadsheet's column header), the code
// list offered for it and the value it takes when left empty.
type docField struct {
	Path, Zh, En string
	Codes        *refdata.CodeList
	Default      string // a value, or $code / $name (the signed-in enterprise's), $now, $today
}

func head(name, zh, en string) docField { return docField{Path: "H/" + name, Zh: zh, En: en} }
func line(name, zh, en string) docField { return docField{Path: "L/" + name, Zh: zh, En: en} }

func (f docField) codes(list refdata.CodeList) docField { f.Codes = &list; return f }
func (f docField) or(def string) docField               { f.Default = def; return f }

// Name is the field's element name ("orderNo").
func (f docField) Name() string { return f.Path[2:] }

// docKinds are the documents of the retail import roles, in the order a parcel needs them.
var docKinds = []*docKind{
	{Name: "order", Zh: "电子订单", En: "Order", MsgType: "CEB311Message", Element: "Order", Head: "OrderHead", List: "OrderList",
		Roles: []enterprise.Role{enterprise.RolePlatform, enterprise.RoleSeller}, Fixed: map[string]string{"orderType": "I", "buyerIdType": "1"},
		Fields: []docField{
			head("orderNo", "订单编号", "Order no."),
			head("ebpCode", "电商平台代码", "Platform code").or("$code"), head("ebpName", "电商平台名称", "Platform name").or("$name"),
			head("ebcCode", "电商企业代码", "Seller code").or("$code"), head("ebcName", "电商企业名称", "Seller name").or("$name"),
			head("goodsValue", "商品价格", "Goods value"), head("freight", "运杂费", "Freight").or("0"),
			head("discount", "非现金抵扣金额", "Non-cash discount").or("0"), head("taxTotal", "代扣税款", "Tax withheld").or("0"),
			head("acturalPaid", "实际支付金额", "Amount paid"), head("currency", "币制", "Currency").codes(refdata.Currencies).or("142"),
			head("buyerRegNo", "订购人注册号", "Buyer account"), head("buyerName", "订购人姓名", "Buyer name"),
			head("buyerTelephone", "订购人电话", "Buyer phone"), head("buyerIdNumber", "订购人身份证号", "Buyer ID number"),
			head("payCode", "支付企业代码", "Payment firm code"), head("payName", "支付企业名称", "Payment firm name"),
			head("payTransactionId", "支付交易编号", "Payment transaction no."),
			head("consignee", "收货人", "Consignee"), head("consigneeTelephone", "收货人电话", "Consignee phone"),
			head("consigneeAddress", "收货地址", "Consignee address"),
			line("itemNo", "商品货号", "Item no."), line("itemName", "商品名称", "Item name"), line("gmodel", "规格型号", "Model"),
			line("unit", "计量单位", "Unit").codes(refdata.Units), line("qty", "数量", "Quantity"), line("price", "单价", "Unit price"),
			line("totalPrice", "总价", "Total price"), line("currency", "商品币制", "Line currency").codes(refdata.Currencies).or("142"),
			line("country", "原产国", "Country of origin").codes(refdata.Countries),
			head("note", "备注", "Note"),
		}},
	{Name: "payment", Zh: "支付单", En: "Payment", MsgType: "CEB411Message", Element: "Payment", Head: "PaymentHead",
		Roles: []enterprise.Role{enterprise.RolePayment}, Fixed: map[string]string{"payerIdType": "1"},
		Fields: []docField{
			head("payCode", "支付企业代码", "Payment firm code").or("$code"), head("payName", "支付企业名称", "Payment firm name").or("$name"),
			head("payTransactionId", "支付交易编号", "Payment transaction no."), head("orderNo", "订单编号", "Order no."),
			head("ebpCode", "电商平台代码", "Platform code"), head("ebpName", "电商平台名称", "Platform name"),
			head("payerIdNumber", "支付人身份证号", "Payer ID number"), head("payerName", "支付人姓名", "Payer name"),
			head("telephone", "支付人电话", "Payer phone"), head("amountPaid", "支付金额", "Amount paid"),
			head("currency", "币制", "Currency").codes(refdata.Currencies).or("142"),
			head("payTime", "支付时间", "Paid at (YYYYMMDDhhmmss)").or("$now"), head("note", "备注", "Note"),
		}},
	{Name: "waybill", Zh: "运单", En: "Waybill", MsgType: "CEB511Message", Element: "Logistics", Head: "LogisticsHead",
		Roles: []enterprise.Role{enterprise.RoleLogistics}, Fixed: map[string]string{"packNo": "1"},
		Fields: []docField{
			head("logisticsCode", "物流企业代码", "Carrier code").or("$code"), head("logisticsName", "物流企业名称", "Carrier name").or("$name"),
			head("logisticsNo", "物流运单编号", "Waybill no."), head("billNo", "提运单号", "Bill of lading no."), head("orderNo", "订单编号", "Order no."),
			head("freight", "运费", "Freight").or("0"), head("insuredFee", "保价费", "Insurance").or("0"),
			head("currency", "币制", "Currency").codes(refdata.Currencies).or("142"), head("weight", "毛重（千克）", "Gross weight (kg)"),
			head("consignee", "收货人", "Consignee"), head("consigneeAddress", "收货地址", "Consignee address"),
			head("consigneeTelephone", "收货人电话", "Consignee phone"), head("goodsInfo", "主要货物信息", "Goods"), head("note", "备注", "Note"),
		}},
	{Name: "inventory", Zh: "清单", En: "Inventory", MsgType: "CEB621Message", Element: "Inventory", Head: "InventoryHead", List: "InventoryList",
		Roles: []enterprise.Role{enterprise.RoleAgent, enterprise.RoleSeller}, Fixed: map[string]string{"ieFlag": "I", "buyerIdType": "1", "packNo": "1"},
		Fields: []docField{
			head("copNo", "企业内部编号", "Internal no."), head("orderNo", "订单编号", "Order no."),
			head("ebpCode", "电商平台代码", "Platform code"), head("ebpName", "电商平台名称", "Platform name"),
			head("ebcCode", "电商企业代码", "Seller code"), head("ebcName", "电商企业名称", "Seller name"),
			head("logisticsNo", "物流运单编号", "Waybill no."), head("logisticsCode", "物流企业代码", "Carrier code"),
			head("logisticsName", "物流企业名称", "Carrier name"), head("assureCode", "担保企业代码", "Guarantor code"),
			head("agentCode", "申报企业代码", "Declaring agent code").or("$code"), head("agentName", "申报企业名称", "Declaring agent name").or("$name"),
			head("customsCode", "申报海关代码", "Customs office"), head("portCode", "口岸海关代码", "Port customs office"),
			head("declTime", "申报日期", "Declared on (YYYYMMDD)").or("$today"),
			head("tradeMode", "贸易方式", "Trade mode").codes(refdata.TradeModes).or("9610"), head("trafMode", "运输方式", "Transport mode"),
			head("country", "起运国", "Country of departure").codes(refdata.Countries),
			head("buyerIdNumber", "订购人身份证号", "Buyer ID number"), head("buyerName", "订购人姓名", "Buyer name"),
			head("buyerTelephone", "订购人电话", "Buyer phone"), head("consigneeAddress", "收货地址", "Consignee address"),
			head("freight", "运费", "Freight").or("0"), head("insuredFee", "保价费", "Insurance").or("0"),
			head("currency", "币制", "Currency").codes(refdata.Currencies).or("142"),
			head("grossWeight", "毛重（千克）", "Gross weight (kg)"), head("netWeight", "净重（千克）", "Net weight (kg)"),
			line("itemNo", "商品货号", "Item no."), line("gcode", "商品编码", "HS code"), line("gname", "商品名称", "Goods name"),
			line("gmodel", "规格型号", "Model"), line("country", "原产国", "Country of origin").codes(refdata.Countries),
			line("qty", "数量", "Quantity"), line("unit", "计量单位", "Unit").codes(refdata.Units),
			line("qty1", "法定数量", "Legal quantity"), line("unit1", "法定计量单位", "Legal unit").codes(refdata.Units),
			line("price", "单价", "Unit price"), line("totalPrice", "总价", "Total price"),
			line("currency", "商品币制", "Line currency").codes(refdata.Currencies).or("142"),
			head("note", "备注", "Note"),
		}},
}

// kindNamed finds a document kind by its URL name.
func kindNamed(name string) (*docKind, error) {
	for _, k := range docKinds {
		if k.Name == name {
			return k, nil
		}
	}
	return nil, errs.New(errs.NotFound, "document_kind", "kind", "no document kind %q; use order, payment, waybill or inventory", name)
}

// mayEnter reports whether the enterprise holds a role that sends this kind.
func (k *docKind) mayEnter(e *enterprise.Enterprise) bool {
	return slices.ContainsFunc(k.Roles, e.HasRole)
}

// kindsOf lists the kinds an enterprise may enter.
func kindsOf(e *enterprise.Enterprise) []*docKind {
	var out []*docKind
	for _, k := range docKinds {
		if k.mayEnter(e) {
			out = append(out, k)
		}
	}
	return out
}

// fieldValue is what a field takes: what was entered, else its default.
func (f docField) value(entered string, e *enterprise.Enterprise, now time.Time) string {
	if v := strings.TrimSpace(entered); v != "" {
		return v
	}
	switch f.Default {
	case "$code":
		return e.Code
	case "$name":
		return e.Name
	case "$now":
		return now.In(cst).Format("20060102150405")
	case "$today":
		return now.In(cst).Format("20060102")
	}
	return f.Default
}

// json builds the JSON document POST /api/v1/documents/{type} takes, one
// document with one goods line, from the entered values (by field path).
func (k *docKind) json(entered func(path string) string, e *enterprise.Enterprise, now time.Time) ([]byte, error) {
	h := map[string]string{"guid": ceb.NewGuid(), "appType": "1", "appTime": now.In(cst).Format("20060102150405"), "appStatus": "2"}
	for name, v := range k.Fixed {
		h[name] = v
	}
	l := map[string]string{"gnum": "1"}
	for _, f := range k.Fields {
		v := f.value(entered(f.Path), e, now)
		if v == "" {
			continue
		}
		if f.Path[0] == 'H' {
			h[f.Name()] = v
		} else {
			l[f.Name()] = v
		}
	}
	doc := map[string]any{k.Head: h}
	if k.List != "" {
		doc[k.List] = []any{l}
	}
	msg := map[string]any{"guid": ceb.NewGuid(), "version": "1.0", k.Element: []any{doc},
		"BaseTransfer": map[string]string{"copCode": e.Code, "copName": e.Name, "dxpMode": "DXP", "dxpId": "DXPENT" + e.Code}}
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", k.Name, err)
	}
	return b, nil
}

// message decodes a JSON document into its CEB message as the JSON API does.
func (k *docKind) message(entered func(path string) string, e *enterprise.Enterprise, now time.Time) (ceb.Message, error) {
	b, err := k.json(entered, e, now)
	if err != nil {
		return nil, err
	}
	m, _ := ceb.New(k.MsgType)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(m); err != nil {
		return nil, fmt.Errorf("decode %s: %w", k.Name, err)
	}
	return m, nil
}

// submitted is intake's answer to a document built from JSON, a form or a row.
type submitted struct {
	Status   int
	Receipt  *ceb.Decoded
	Problems []ceb.Problem // the schema's, or those of a CEB900
}

// submitDocument is the one way in for documents built outside CEB XML: the
// schema check of the message (problems named by element path), then intake,
// which answers a receipt, or a CEB900 with its problems.
func (a *API) submitDocument(ctx context.Context, sender *enterprise.Enterprise, m ceb.Message) (submitted, error) {
	if problems := intake.WithoutSignatureRule(ceb.Validate(m)); ceb.HasErrors(problems) {
		return submitted{Status: 400, Problems: problems}, nil
	}
	xml, err := ceb.Marshal(m)
	if err != nil {
		return submitted{}, err
	}
	ans, err := a.Intake.Submit(ctx, sender, xml)
	if err != nil {
		return submitted{}, err
	}
	d, err := ceb.Decode(ans.Body)
	if err != nil {
		return submitted{}, fmt.Errorf("read the receipt: %w", err)
	}
	return submitted{Status: ans.Status, Receipt: d, Problems: ans.Problems}, nil
}

// checkDocument runs every check submitDocument runs and stores nothing; a
// refusal without problems (a DXP code) comes back as one problem without a path.
func (a *API) checkDocument(ctx context.Context, sender *enterprise.Enterprise, m ceb.Message) ([]ceb.Problem, error) {
	if problems := intake.WithoutSignatureRule(ceb.Validate(m)); ceb.HasErrors(problems) {
		return problems, nil
	}
	xml, err := ceb.Marshal(m)
	if err != nil {
		return nil, err
	}
	refused, err := a.Intake.Check(ctx, sender, xml)
	if err != nil || refused == nil {
		return nil, err
	}
	if len(refused.Problems) == 0 {
		return []ceb.Problem{{Code: refused.Code, Message: refused.Desc, Severity: ceb.Error}}, nil
	}
	return refused.Problems, nil
}

// cst is China Standard Time, the zone of the times and dates inside documents.
var cst = time.FixedZone("CST", 8*3600)

var indexRE = regexp.MustCompile(`\[\d+\]`)

// fieldOf names the field of a document kind a problem's element path points
// at ("Order[1]/OrderList[1]/qty" → "L/qty"), or "" when no field of the form
// holds it.
func (k *docKind) fieldOf(path string) string {
	rest, ok := strings.CutPrefix(indexRE.ReplaceAllString(path, ""), k.Element+"/")
	if !ok {
		return ""
	}
	var p string
	if n, ok := strings.CutPrefix(rest, k.Head+"/"); ok {
		p = "H/" + n
	} else if n, ok := strings.CutPrefix(rest, k.List+"/"); ok && k.List != "" {
		p = "L/" + n
	}
	for _, f := range k.Fields {
		if f.Path == p {
			return p
		}
	}
	return ""
}
