package httpapi_test

import (
	"bytes"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/config"
)

// parties names who sends what in a self-service parcel.
type parties struct{ ebp, pay, carrier, agent, assure string }

// parcelFields are the values a seller types for one purchase, by document
// kind and by the field's Chinese label (the form's label, the template's header).
func parcelFields(d *decl, p parties) map[string]map[string]string {
	l := d.lines[0]
	return map[string]map[string]string{
		"order": {"订单编号": d.orderNo, "电商平台代码": p.ebp, "电商企业代码": p.ebp, "商品价格": d.goodsValue, "运杂费": d.freight, "代扣税款": d.taxTotal,
			"实际支付金额": d.acturalPaid, "订购人注册号": "u1", "订购人姓名": d.buyer, "订购人电话": d.phone, "订购人身份证号": d.buyerID,
			"支付企业代码": p.pay, "支付企业名称": "支付", "收货人": d.consignee, "收货人电话": d.consPhone, "收货地址": d.consAddr,
			"商品货号": l.item, "商品名称": l.name, "规格型号": "规格", "计量单位": "011", "数量": l.qty, "单价": l.price, "总价": total(l), "原产国": "502"},
		"payment": {"支付企业代码": p.pay, "支付交易编号": "PAY" + d.orderNo, "订单编号": d.orderNo, "电商平台代码": p.ebp, "电商平台名称": "平台",
			"支付人身份证号": d.payerID, "支付人姓名": d.buyer, "支付金额": d.amountPaid, "支付时间": appTime},
		"waybill": {"物流企业代码": p.carrier, "物流运单编号": d.logisticsNo, "订单编号": d.orderNo, "运费": d.freight, "毛重（千克）": "2",
			"收货人": d.consignee, "收货地址": d.consAddr, "收货人电话": d.consPhone},
		"inventory": {"企业内部编号": d.copNo, "订单编号": d.orderNo, "电商平台代码": p.ebp, "电商平台名称": "平台", "电商企业代码": p.ebp, "电商企业名称": "电商",
			"物流运单编号": d.logisticsNo, "物流企业代码": p.carrier, "物流企业名称": "物流", "担保企业代码": p.assure, "申报企业代码": p.agent,
			"申报海关代码": "8010", "口岸海关代码": "8010", "运输方式": "5", "起运国": "502", "订购人身份证号": d.buyerID, "订购人姓名": d.buyer,
			"订购人电话": d.phone, "收货地址": d.consAddr, "运费": d.freight, "毛重（千克）": "2", "净重（千克）": "1.6",
			"商品货号": l.item, "商品编码": l.hs, "商品名称": l.name, "规格型号": "规格", "原产国": "502", "数量": l.qty, "计量单位": "011",
			"法定数量": l.qty1, "法定计量单位": l.unit1, "单价": l.price, "总价": total(l)},
	}
}

// The sheet of each kind in the template.
var kindSheets = map[string]string{"order": "电子订单", "payment": "支付单", "waybill": "运单", "inventory": "清单"}

var formFieldRE = regexp.MustCompile(`data-field="([^"]+)"><th><label for="f\d+">([^<]+)<br>`)

// formFields reads a form page: input name by Chinese label.
func formFields(t testing.TB, page []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range formFieldRE.FindAllSubmatch(page, -1) {
		out[html.UnescapeString(string(m[2]))] = html.UnescapeString(string(m[1]))
	}
	if len(out) == 0 {
		t.Fatalf("no form fields on the page:\n%s", page)
	}
	return out
}

// submitForm fills a document form by label, as a person would, and posts it.
func submitForm(t testing.TB, s *apptest.Server, key, kind string, values map[string]string) *apptest.Response {
	t.Helper()
	r := s.Do("GET", "/console/documents/"+kind, key, "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("form %s: %d %s", kind, r.Status, r.Body)
	}
	names := formFields(t, r.Body)
	form := url.Values{}
	for label, v := range values {
		name, ok := names[label]
		if !ok {
			t.Fatalf("form %s has no field %s", kind, label)
		}
		form.Set(name, v)
	}
	return s.Do("POST", "/console/documents/"+kind, key, "application/x-www-form-urlencoded", []byte(form.Encode()))
}

func optionalSignatures(c *config.Config) { c.SignaturePolicy = "optional" }

// The four roles enter a parcel in the forms; it clears like one sent through the API.
func TestSelfServiceFormsClearAParcel(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine, optionalSignatures)
		d := f.newDecl()
		p := parties{ebp: platform, pay: payer, carrier: carrier, agent: agent, assure: guarantor}
		vals := parcelFields(d, p)
		for _, step := range []struct{ kind, sender string }{{"order", platform}, {"payment", payer}, {"waybill", carrier}, {"inventory", agent}} {
			r := submitForm(t, f.s, f.keys[step.sender], step.kind, vals[step.kind])
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `id="result"`) || !strings.Contains(string(r.Body), ">120<") {
				t.Fatalf("%s: %d\n%s", step.kind, r.Status, r.Body)
			}
		}
		if r := f.final(d.copNo); r.ReturnStatus != "800" {
			t.Fatalf("want 800 released, got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		page := f.s.Do("GET", "/console/inventories/"+d.copNo, f.keys[agent], "", nil)
		if page.Status != http.StatusOK || !strings.Contains(string(page.Body), "<b>800</b>") || strings.Contains(string(page.Body), d.buyerID) {
			t.Errorf("inventory page: %d\n%s", page.Status, page.Body)
		}
		if other := f.s.Do("GET", "/console/inventories/"+d.copNo, f.keys[carrier], "", nil); other.Status != http.StatusNotFound {
			t.Errorf("the carrier sees the agent's inventory: %d", other.Status)
		}
	})
}

// A form's problems are the API's: the same document sent as JSON is refused
// with the same message, and the form shows it next to the field it names.
func TestSelfServiceFormSameMessagesAsAPI(t *testing.T) {
	f := newFixture(t, apptest.SQLite, optionalSignatures)
	d := f.newDecl()
	vals := parcelFields(d, parties{ebp: platform, pay: payer, carrier: carrier, agent: agent, assure: guarantor})["order"]
	vals["商品价格"] = "4oo"
	delete(vals, "订购人姓名")
	r := submitForm(t, f.s, f.keys[platform], "order", vals)
	if r.Status != http.StatusBadRequest {
		t.Fatalf("want 400, got %d\n%s", r.Status, r.Body)
	}
	d.goodsValue = "4oo"
	d.buyer = ""
	api := f.s.Do("POST", "/api/v1/documents/CEB311Message", f.keys[platform], "application/json", orderJSON(d))
	var e struct {
		Problems []struct{ Field, Message string }
	}
	api.JSON(t, &e)
	if api.Status != http.StatusBadRequest || len(e.Problems) != 2 {
		t.Fatalf("API: %d %s", api.Status, api.Body)
	}
	for _, det := range e.Problems {
		field := map[string]string{"Order[1]/OrderHead/goodsValue": "H/goodsValue", "Order[1]/OrderHead/buyerName": "H/buyerName"}[det.Field]
		row := regexp.MustCompile(`(?s)data-field="` + regexp.QuoteMeta(field) + `">.*?<td class="bad field-error">([^<]*)<br>`).FindSubmatch(r.Body)
		if row == nil || html.UnescapeString(string(row[1])) != det.Message {
			t.Errorf("field %s: the API says %q, the form shows %q", field, det.Message, row)
		}
	}
	if list := f.s.Do("GET", "/api/v1/receipts", f.keys[platform], "", nil); strings.Contains(string(list.Body), d.orderNo) {
		t.Error("a refused form left a receipt")
	}
}

// orderJSON is the order of d as the JSON API takes it, as the form builds it.
func orderJSON(d *decl) []byte {
	l := d.lines[0]
	return []byte(fmt.Sprintf(`{"guid":%q,"version":"1.0","Order":[{"OrderHead":{"guid":%q,"appType":"1","appTime":%q,"appStatus":"2","orderType":"I",
		"orderNo":%q,"ebpCode":%q,"ebpName":"平台","ebcCode":%q,"ebcName":"电商","goodsValue":%q,"freight":%q,"discount":"0","taxTotal":%q,
		"acturalPaid":%q,"currency":"142","buyerRegNo":"u1","buyerName":%q,"buyerTelephone":%q,"buyerIdType":"1","buyerIdNumber":%q,
		"payCode":%q,"payName":"支付","consignee":%q,"consigneeTelephone":%q,"consigneeAddress":%q},
		"OrderList":[{"gnum":"1","itemNo":%q,"itemName":%q,"gmodel":"规格","unit":"011","qty":%q,"price":%q,"totalPrice":%q,"currency":"142","country":"502"}]}],
		"BaseTransfer":{"copCode":%q,"copName":"平台","dxpMode":"DXP","dxpId":"DXPENT%s"}}`,
		guid(), guid(), appTime, d.orderNo, platform, platform, d.goodsValue, d.freight, d.taxTotal, d.acturalPaid, d.buyer, d.phone, d.buyerID,
		payer, d.consignee, d.consPhone, d.consAddr, l.item, l.name, l.qty, l.price, total(l), platform, platform))
}

// A form for a document of a role the enterprise does not hold is refused.
func TestSelfServiceFormNeedsTheRole(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	for _, c := range []struct {
		key, kind string
		want      int
	}{{f.keys[payer], "order", 403}, {f.keys[payer], "payment", 200}, {f.keys[carrier], "inventory", 403}, {f.keys[agent], "inventory", 200},
		{apptest.AdminToken, "order", 403}, {f.keys[platform], "parcel", 404}} {
		if r := f.s.Do("GET", "/console/documents/"+c.kind, c.key, "", nil); r.Status != c.want {
			t.Errorf("%s form: want %d, got %d", c.kind, c.want, r.Status)
		}
	}
}

// seller registers one enterprise holding every role of a retail import
// parcel (platform, seller, payment, carrier, declaring agent) with its
// product filed, and returns its code and key.
func seller(t testing.TB, f *fixture, code string) string {
	key := f.s.Register(code, "ebp", "ebc", "pay", "logistics", "agent")
	f.s.App.Reference.PutProducts([]catalog.Product{
		{EBCCode: code, ItemNo: "MILK-1", Name: "婴儿配方奶粉", HSCode: "1901101000", OriginCountry: "502", LegalUnit: "035"}})
	return key
}

// fillTemplate downloads the enterprise's template and writes one row per
// parcel in each sheet, by header label; bad breaks cells (sheet kind, row
// index, label → value).
func fillTemplate(t testing.TB, s *apptest.Server, key string, parcels []map[string]map[string]string) []byte {
	t.Helper()
	r := s.Do("GET", "/console/import/template.xlsx", key, "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("template: %d %s", r.Status, r.Body)
	}
	x, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for kind, sheet := range kindSheets {
		header, err := x.GetRows(sheet)
		if err != nil || len(header) == 0 {
			t.Fatalf("template sheet %s: %v", sheet, err)
		}
		col := map[string]string{}
		for i, h := range header[0] {
			col[h], _ = excelize.ColumnNumberToName(i + 1)
		}
		for n, p := range parcels {
			for label, v := range p[kind] {
				if col[label] == "" {
					t.Fatalf("sheet %s has no column %s", sheet, label)
				}
				if err := x.SetCellStr(sheet, fmt.Sprintf("%s%d", col[label], n+2), v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload posts a file as the console's upload form does and answers the import page's URL.
func upload(t testing.TB, s *apptest.Server, key string, file []byte) *apptest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	w, err := mw.CreateFormFile("file", "parcels.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(file)
	mw.Close()
	return s.Do("POST", "/console/import", key, mw.FormDataContentType(), body.Bytes())
}

type importProgress struct {
	State                                     string
	Total, Checked, BadRows, Errors, Imported int
	Accepted                                  int
	Problems                                  []struct {
		Sheet  string
		Row    int
		Column string
		Reason string
	}
	Refused []struct{ Reason string }
}

// progress waits until the import leaves the running states.
func progress(t testing.TB, s *apptest.Server, key, id string) importProgress {
	t.Helper()
	var p importProgress
	waitFor(t, func() bool {
		s.Do("GET", "/console/import/"+id+"/progress", key, "", nil).JSON(t, &p)
		return p.State != "checking" && p.State != "importing"
	})
	return p
}

var importIDRE = regexp.MustCompile(`action="/console/import/([0-9a-f]+)"|/console/import/([0-9a-f]{24})`)

func TestSelfServiceImport(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine, optionalSignatures)
		const me = "3301960001"
		key := seller(t, f, me)
		p := parties{ebp: me, pay: me, carrier: me, agent: me, assure: guarantor}
		var decls []*decl
		var rows []map[string]map[string]string
		for range 3 {
			d := f.newDecl()
			decls = append(decls, d)
			rows = append(rows, parcelFields(d, p))
		}
		rows[1]["order"]["商品价格"] = "abc"
		rows[2]["waybill"]["收货人电话"] = ""
		r := upload(t, f.s, key, fillTemplate(t, f.s, key, rows))
		m := importIDRE.FindSubmatch([]byte(r.Header.Get("Content-Location") + string(r.Body)))
		if r.Status != http.StatusOK || m == nil {
			t.Fatalf("upload: %d\n%s", r.Status, r.Body)
		}
		id := string(m[1]) + string(m[2])
		for _, other := range []string{"/console/import/" + id, "/console/import/" + id + "/progress"} {
			if r := f.s.Do("GET", other, f.keys[platform], "", nil); r.Status != http.StatusNotFound {
				t.Errorf("another enterprise reads %s: %d", other, r.Status)
			}
		}
		got := progress(t, f.s, key, id)
		if got.State != "checked" || got.Total != 12 || got.BadRows != 2 || len(got.Problems) != 2 {
			t.Fatalf("after the check: %+v", got)
		}
		want := map[string]string{"电子订单": "3|F 商品价格", "运单": "4|L 收货人电话"}
		for _, pr := range got.Problems {
			if w := want[pr.Sheet]; w != fmt.Sprintf("%d|%s", pr.Row, pr.Column) || pr.Reason == "" {
				t.Errorf("problem %+v, want row|column %s", pr, w)
			}
		}
		page := f.s.Do("GET", "/console/import/"+id, key, "", nil)
		if !strings.Contains(string(page.Body), "F 商品价格") || !strings.Contains(string(page.Body), "nothing has been imported") {
			t.Errorf("import page:\n%s", page.Body)
		}
		if list := f.s.Do("GET", "/api/v1/receipts", key, "", nil); strings.Contains(string(list.Body), "returnStatus") {
			t.Fatalf("a file with errors stored something: %s", list.Body)
		}
		form := url.Values{"action": {"good"}}
		if r := f.s.Do("POST", "/console/import/"+id, key, "application/x-www-form-urlencoded", []byte(form.Encode())); r.Status != http.StatusOK {
			t.Fatalf("import the good rows: %d %s", r.Status, r.Body)
		}
		got = progress(t, f.s, key, id)
		if got.State != "done" || got.Imported != 10 || got.Accepted != 10 {
			t.Fatalf("after importing the good rows: %+v", got)
		}
		// Parcel 0 has all four documents and clears; parcel 1 has no order, parcel 2 no waybill.
		waitFor(t, func() bool {
			inv, err := f.s.App.DB.InventoryByCopNo(t.Context(), me, decls[0].copNo)
			return err == nil && inv.Status == "800"
		})
		// The engine may still add receipts (the waiting parcels'), so the
		// two exports are compared only when the feed did not change between
		// them: a CSV read before and after the xlsx, and both the same.
		var csv *apptest.Response
		var xrows [][]string
		waitFor(t, func() bool {
			before := f.s.Do("GET", "/console/receipts.csv", key, "", nil)
			xl := f.s.Do("GET", "/console/receipts.xlsx", key, "", nil)
			csv = f.s.Do("GET", "/console/receipts.csv", key, "", nil)
			if !bytes.Equal(before.Body, csv.Body) {
				return false
			}
			x, err := excelize.OpenReader(bytes.NewReader(xl.Body))
			if err != nil {
				t.Fatalf("receipts xlsx: %v", err)
			}
			defer x.Close()
			if xrows, err = x.GetRows("回执"); err != nil {
				t.Fatalf("receipts xlsx: %v", err)
			}
			return true
		})
		if csv.Status != http.StatusOK || !strings.Contains(string(csv.Body), decls[0].copNo+",") || strings.Count(string(csv.Body), "\n") < 11 {
			t.Errorf("receipts CSV: %d\n%s", csv.Status, csv.Body)
		}
		if len(xrows) != strings.Count(string(csv.Body), "\n") {
			t.Errorf("xlsx has %d rows, CSV %d lines", len(xrows), strings.Count(string(csv.Body), "\n"))
		}

		// A row the rules refuse when it is stored (an order declared again with
		// other content) is listed with the receipt's reason.
		again := parcelFields(decls[0], p)
		again["order"]["运杂费"] = "12"
		r = upload(t, f.s, key, fillTemplate(t, f.s, key, []map[string]map[string]string{{"order": again["order"]}}))
		m = importIDRE.FindSubmatch(r.Body)
		if m == nil {
			t.Fatalf("second upload: %d\n%s", r.Status, r.Body)
		}
		got = progress(t, f.s, key, string(m[1])+string(m[2]))
		if got.State != "done" || got.Imported != 1 || got.Accepted != 0 || len(got.Refused) != 1 || !strings.Contains(got.Refused[0].Reason, "1101") {
			t.Errorf("an order declared again: %+v", got)
		}
	})
}

// The self-service forms refuse posts another site's page makes, like every console form.
func TestSelfServiceRefusesCrossOriginPosts(t *testing.T) {
	f := newFixture(t, apptest.SQLite, optionalSignatures)
	d := f.newDecl()
	for _, path := range []string{"/console/documents/order", "/console/import", "/console/import/0123456789abcdef01234567"} {
		form := url.Values{"H/orderNo": {d.orderNo}, "action": {"good"}}
		req, err := http.NewRequest("POST", f.s.URL+path, strings.NewReader(form.Encode()))
		must(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+f.keys[platform])
		req.Header.Set("Origin", "https://elsewhere.example")
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s from another origin: %d", path, resp.StatusCode)
		}
	}
	if list := f.s.Do("GET", "/api/v1/receipts", f.keys[platform], "", nil); strings.Contains(string(list.Body), d.orderNo) {
		t.Error("a cross-origin post stored a document")
	}
}

// A file that is not a spreadsheet, or has a column the sheet does not know,
// is refused whole, with the reason.
func TestSelfServiceImportRefusesBadFiles(t *testing.T) {
	f := newFixture(t, apptest.SQLite, optionalSignatures)
	key := seller(t, f, "3301960002")
	x := excelize.NewFile()
	defer x.Close()
	must(t, x.SetSheetName("Sheet1", "电子订单"))
	must(t, x.SetSheetRow("电子订单", "A1", &[]any{"订单编号", "运费险"}))
	must(t, x.SetSheetRow("电子订单", "A2", &[]any{"ORD1", "3"}))
	var buf bytes.Buffer
	must(t, x.Write(&buf))
	for _, c := range []struct {
		file []byte
		want string
	}{{[]byte("orderNo,goodsValue\nORD1,400\n"), "not an .xlsx spreadsheet"}, {buf.Bytes(), "column B: &#34;运费险&#34; is not a field"}} {
		r := upload(t, f.s, key, c.file)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("want 400 with %q, got %d\n%s", c.want, r.Status, r.Body)
		}
	}
}

// An enterprise holds the rows of one file: a new upload discards its earlier
// file still waiting for the choice.
func TestSelfServiceNewUploadDiscardsWaitingFile(t *testing.T) {
	f := newFixture(t, apptest.SQLite, optionalSignatures)
	const me = "3301960003"
	key := seller(t, f, me)
	d := f.newDecl()
	order := parcelFields(d, parties{ebp: me, pay: me, carrier: me, agent: me, assure: guarantor})["order"]
	order["商品价格"] = "abc"
	file := fillTemplate(t, f.s, key, []map[string]map[string]string{{"order": order}})
	var ids []string
	for range 2 {
		m := importIDRE.FindSubmatch(upload(t, f.s, key, file).Body)
		if m == nil {
			t.Fatal("no import page")
		}
		ids = append(ids, string(m[1])+string(m[2]))
		if got := progress(t, f.s, key, ids[len(ids)-1]); got.State != "checked" {
			t.Fatalf("upload %d: %+v", len(ids), got)
		}
	}
	if got := progress(t, f.s, key, ids[0]); got.State != "discarded" {
		t.Errorf("the earlier file: %+v", got)
	}
	form := url.Values{"action": {"good"}}
	if r := f.s.Do("POST", "/console/import/"+ids[0], key, "application/x-www-form-urlencoded", []byte(form.Encode())); r.Status != http.StatusConflict {
		t.Errorf("importing a discarded file: %d", r.Status)
	}
}
