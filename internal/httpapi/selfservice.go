package httpapi

import (
	"html/template"
	"net/http"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
)

// Self-service in the console: an enterprise without an integration enters
// the documents of its roles in forms, imports them from a spreadsheet and
// follows their receipts. Every route needs the enterprise's console session
// and shows or changes only that enterprise's documents: what it sends goes
// through intake as its own, and what it reads is looked up under its code.

func (a *API) selfServiceRoutes() {
	a.handle("GET /console/documents", a.consolePage(a.consoleDocuments))
	a.handle("GET /console/documents/{kind}", a.consolePage(a.consoleDocumentForm))
	a.handle("POST /console/documents/{kind}", a.consolePage(a.consoleDocumentSubmit))
	a.handle("GET /console/inventories/{copNo}", a.consolePage(a.consoleInventory))
	a.importRoutes()
}

var _ = template.Must(consoleTmpl.Parse(`
{{define "documents"}}{{template "head" .}}<p>选择要申报的单证，或从 Excel 导入。 Enter a document, or import them from Excel.</p>
<ul>{{range .Data.Kinds}}<li><a href="/console/documents/{{.Name}}">{{.Zh}} {{.En}}</a></li>{{else}}<li class="muted">您的企业角色不申报零售进口单证。 Your roles send no retail import documents.</li>{{end}}</ul>
<h2>Excel 导入 Import</h2><p><a href="/console/import/template.xlsx" download>下载模板 Download the template (.xlsx)</a> — 每种单证一个工作表，一行一票。 One sheet per document kind, one document per row.</p>
<form method="post" action="/console/import" enctype="multipart/form-data"><input type="file" name="file" accept=".xlsx" required> <button>上传并检查 Upload and check</button></form>
<h2>回执 Receipts</h2><p><a href="/console/receipts">查看回执 See the receipts</a> · <a href="/console/receipts.xlsx">导出 Excel</a> · <a href="/console/receipts.csv">导出 CSV</a></p>{{template "foot" .}}{{end}}

{{define "document"}}{{template "head" .}}{{with .Data}}
{{with .Result}}<div id="result"><h2>回执 Receipt</h2><table>{{range .}}<tr><td{{if eq .returnStatus "100"}} class="bad"{{else}} class="ok"{{end}}>{{.returnStatus}}</td><td>{{.returnInfo}}</td>
<td>{{if .copNo}}<a href="/console/inventories/{{.copNo}}">{{.copNo}}</a>{{end}} {{.orderNo}} {{.logisticsNo}}</td></tr>{{end}}</table></div>{{end}}
{{if .General}}<ul id="problems">{{range .General}}<li class="bad">{{.}}</li>{{end}}</ul>{{end}}
<form method="post" action="/console/documents/{{.Kind.Name}}" id="docform"><table>
{{range $i, $f := .Kind.Fields}}{{if eq $i $.Data.FirstLine}}<tr><th colspan="3"><h3>商品 Goods</h3></th></tr>{{end}}<tr data-field="{{.Path}}"><th><label for="f{{$i}}">{{.Zh}}<br><span class="muted">{{.En}}</span></label></th>
<td><input id="f{{$i}}" name="{{.Path}}" value="{{index $.Data.Values .Path}}"{{if .Codes}} list="codes{{$i}}"{{end}} size="30">{{if .Codes}}<datalist id="codes{{$i}}">{{range .Codes.Codes}}<option value="{{.Code}}">{{.Zh}} {{.En}}</option>{{end}}</datalist>{{end}}</td>
<td class="bad field-error">{{range index $.Data.Errors .Path}}{{.}}<br>{{end}}</td></tr>{{end}}</table>
<p><button>提交 Submit</button></p></form>{{end}}{{template "foot" .}}{{end}}

{{define "inventory"}}{{template "head" .}}{{with .Data}}<table>
<tr><th>状态 Status</th><td id="status"><b>{{.Status}}</b> {{.ReturnInfo}}</td></tr><tr><th>订单 Order</th><td>{{.OrderNo}}</td></tr><tr><th>运单 Waybill</th><td>{{.LogisticsNo}}</td></tr>
<tr><th>清单编号 Inventory no.</th><td>{{.InvtNo}} {{.PreNo}}</td></tr><tr><th>订购人 Buyer</th><td>{{.BuyerName}} {{.BuyerID}}</td></tr>
<tr><th>完税价格 Dutiable value</th><td>{{.Dutiable}}</td></tr><tr><th>税款 Tax</th><td>{{.Tax}} (关税 duty {{.Duty}} · 消费税 excise {{.CT}} · 增值税 VAT {{.VAT}})</td></tr>
<tr><th>申报 Declared</th><td>{{t .DeclaredAt}}</td></tr><tr><th>放行 Released</th><td>{{t .ReleasedAt}}</td></tr></table>
<h2>状态轨迹 Timeline</h2><table>{{range .Events}}<tr><td>{{t .At}}</td><td>{{.Status}}</td><td>{{.Code}}</td><td>{{.Info}}</td></tr>{{end}}</table>{{end}}{{template "foot" .}}{{end}}
`))

// consoleEnterprise is the signed-in enterprise; the administrator has no documents of its own.
func consoleEnterprise(p *principal) (*enterprise.Enterprise, error) {
	if p.enterprise == nil {
		return nil, errs.New(errs.Forbidden, "enterprise_only", "Authorization", "documents are an enterprise's; sign in with its API key")
	}
	return p.enterprise, nil
}

func (a *API) consoleDocuments(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	me, err := consoleEnterprise(p)
	if err != nil {
		return "", consoleView{}, err
	}
	return "documents", consoleView{Title: "自助申报 Documents", Data: map[string]any{"Kinds": kindsOf(me)}}, nil
}

// formView is a document form: the values entered, the problems by field,
// those no field holds, and the receipt once submitted.
type formView struct {
	Kind      *docKind
	FirstLine int // index of the first goods-line field
	Values    map[string]string
	Errors    map[string][]string
	General   []string
	Result    []ceb.Keys
}

// kindFor is the document kind of the URL, if the enterprise may enter it.
func kindFor(r *http.Request, me *enterprise.Enterprise) (*docKind, error) {
	k, err := kindNamed(r.PathValue("kind"))
	if err != nil {
		return nil, err
	}
	if !k.mayEnter(me) {
		return nil, errs.New(errs.Forbidden, "role_missing", "kind", "enterprise %s does not hold the role %s a %s needs", me.Code, k.Roles[0], k.Name)
	}
	return k, nil
}

func newFormView(k *docKind) *formView {
	v := &formView{Kind: k, FirstLine: -1, Values: map[string]string{}, Errors: map[string][]string{}}
	for i, f := range k.Fields {
		if f.Path[0] == 'L' && v.FirstLine < 0 {
			v.FirstLine = i
		}
	}
	return v
}

func (a *API) consoleDocumentForm(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	me, err := consoleEnterprise(p)
	if err != nil {
		return "", consoleView{}, err
	}
	k, err := kindFor(r, me)
	if err != nil {
		return "", consoleView{}, err
	}
	v := newFormView(k)
	v.defaults(me, a.Intake.Now())
	return "document", consoleView{Title: k.Zh + " " + k.En, Data: v}, nil
}

// consoleDocumentSubmit builds the document from the form and submits it
// through submitDocument; the problems come back next to the fields they name.
func (a *API) consoleDocumentSubmit(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	me, err := consoleEnterprise(p)
	if err != nil {
		return "", consoleView{}, err
	}
	k, err := kindFor(r, me)
	if err != nil {
		return "", consoleView{}, err
	}
	if err := r.ParseForm(); err != nil {
		return "", consoleView{}, errs.Invalidf("body", "form_invalid", "the form could not be read: %v", err)
	}
	v := newFormView(k)
	cv := consoleView{Title: k.Zh + " " + k.En, Data: v, Status: http.StatusBadRequest}
	for _, f := range k.Fields {
		v.Values[f.Path] = r.PostFormValue(f.Path)
	}
	m, err := k.message(r.PostFormValue, me, a.Intake.Now())
	if err != nil {
		return "", cv, err
	}
	res, err := a.submitDocument(r.Context(), me, m)
	if e, ok := errs.As(err); ok && e.Kind == errs.Forbidden {
		v.place(e.Field, e.Message)
		cv.Status = http.StatusForbidden
		return "document", cv, nil
	}
	if err != nil {
		return "", cv, err
	}
	if res.Receipt == nil || res.Status != http.StatusOK {
		for _, pr := range res.Problems {
			if pr.Severity == ceb.Error {
				v.place(pr.Path, pr.Message)
			}
		}
		if len(res.Problems) == 0 && res.Receipt != nil {
			v.General = append(v.General, refusalText(res.Receipt))
		}
		return "document", cv, nil
	}
	// Taken: the receipt above a fresh form for the next document.
	v.Result, cv.Status = ceb.DocumentKeys(res.Receipt.Message), http.StatusOK
	v.defaults(me, a.Intake.Now())
	return "document", cv, nil
}

// defaults fills the form with what its fields take when left empty.
func (v *formView) defaults(me *enterprise.Enterprise, now time.Time) {
	for _, f := range v.Kind.Fields {
		v.Values[f.Path] = f.value("", me, now)
	}
}

// place puts a problem next to the field its path names, or with the general ones.
func (v *formView) place(path, msg string) {
	if f := v.Kind.fieldOf(path); f != "" {
		v.Errors[f] = append(v.Errors[f], msg)
		return
	}
	if path != "" {
		msg = path + ": " + msg
	}
	v.General = append(v.General, msg)
}

// refusalText is what a CEB900 without a problem list says (its DXP code and text).
func refusalText(d *ceb.Decoded) string {
	for _, k := range ceb.DocumentKeys(d.Message) {
		if k["returnInfo"] != "" {
			return k["returnInfo"]
		}
	}
	return "the message was refused"
}

func (a *API) consoleInventory(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	me, err := consoleEnterprise(p)
	if err != nil {
		return "", consoleView{}, err
	}
	v, err := a.inventoryOf(r, me, r.PathValue("copNo"))
	if err != nil {
		return "", consoleView{}, err
	}
	return "inventory", consoleView{Title: "清单 Inventory " + v.CopNo, Data: v}, nil
}
