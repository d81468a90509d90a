package httpapi

import (
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cbec-platform/cbec/internal/csvsafe"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/refdata"
	"github.com/cbec-platform/cbec/internal/store"
)

// The import's progress and result pages, and the receipts export.

// codeLists are the lists the template offers as drop-downs.
func codeLists() []refdata.CodeList {
	return []refdata.CodeList{refdata.Currencies, refdata.Units, refdata.Countries, refdata.TradeModes}
}

var _ = template.Must(consoleTmpl.Funcs(template.FuncMap{"minus": func(a, b int) int { return a - b }}).Parse(`
{{define "import"}}{{template "head" .}}{{with .Data}}<div id="import" data-state="{{.State}}">
<p>文件 File: {{.File}} · 共 {{.Total}} 行 rows · 已检查 checked {{.Checked}}{{if .ToImport}} · 已导入 imported {{.Imported}} / {{.ToImport}}{{end}}</p>
<progress max="{{.Total}}" value="{{if .ToImport}}{{.Imported}}{{else}}{{.Checked}}{{end}}"></progress> <a class="muted" href="/console/import/{{.ID}}/progress">JSON</a>
{{if eq .State "checking"}}<p>正在检查…… Checking…</p>{{end}}
{{if eq .State "importing"}}<p>正在导入…… Importing…</p>{{end}}
{{if eq .State "checked"}}<p class="bad" id="summary">{{.BadRows}} 行有错误，共 {{.Errors}} 处；尚未导入任何数据。 {{.BadRows}} rows have errors ({{.Errors}} in all); nothing has been imported.</p>
<form method="post" action="/console/import/{{.ID}}"><button name="action" value="good">仅导入正确的 {{minus .Total .BadRows}} 行 Import the {{minus .Total .BadRows}} good rows</button>
<button name="action" value="discard">放弃 Discard</button></form>{{end}}
{{if eq .State "done"}}<p class="ok" id="summary">导入完成：{{.Imported}} 票，回执通过 {{.Accepted}}，退回 {{len .Refused}}。 Imported {{.Imported}} documents: {{.Accepted}} taken, {{len .Refused}} refused.</p>
<p><a href="/console/receipts">查看回执 See the receipts</a> · <a href="/console/receipts.xlsx">导出 Excel</a> · <a href="/console/receipts.csv">导出 CSV</a></p>{{end}}
{{if eq .State "discarded"}}<p id="summary">已放弃，未导入任何数据。 Discarded; nothing was imported.</p>{{end}}
{{if .Failure}}<p class="bad" id="summary">{{.Failure}}</p>{{end}}
{{if .Problems}}<h2>错误 Refused rows</h2><table id="problems"><tr><th>工作表 Sheet</th><th>行 Row</th><th>列 Column</th><th>原因 Reason</th></tr>
{{range .Problems}}<tr><td>{{.Sheet}}</td><td>{{.Row}}</td><td>{{.Column}}</td><td>{{.Reason}}</td></tr>{{end}}</table>{{if gt .Errors (len .Problems)}}<p class="muted">仅列出前 {{len .Problems}} 处。 The first {{len .Problems}} are listed.</p>{{end}}{{end}}
{{if .Refused}}<h2>退回 Refused by the rules</h2><table id="refused"><tr><th>工作表 Sheet</th><th>行 Row</th><th>原因 Reason</th></tr>
{{range .Refused}}<tr><td>{{.Sheet}}</td><td>{{.Row}}</td><td>{{.Reason}}</td></tr>{{end}}</table>{{end}}</div>{{end}}{{template "foot" .}}{{end}}
`))

// importOf is the signed-in enterprise's import named in the URL.
func (a *API) importOf(r *http.Request, p *principal) (*importJob, error) {
	me, err := consoleEnterprise(p)
	if err != nil {
		return nil, err
	}
	return a.imports.get(r.PathValue("id"), me.Code)
}

// consoleImportPage shows an import's progress, refreshing itself while it runs.
func (a *API) consoleImportPage(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	j, err := a.importOf(r, p)
	if err != nil {
		return "", consoleView{}, err
	}
	s := j.snapshot()
	if s.State == importChecking || s.State == importImporting {
		w.Header().Set("Refresh", "1")
	}
	return "import", consoleView{Title: "Excel 导入 Import", Data: &s}, nil
}

// consoleImportProgress answers an import's progress as JSON.
func (a *API) consoleImportProgress(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	j, err := a.importOf(r, p)
	if err != nil {
		return "", consoleView{}, err
	}
	s := j.snapshot()
	w.Header().Set("Cache-Control", "no-store")
	return "", consoleView{}, writeJSON(w, http.StatusOK, &s)
}

// consoleImportDecide takes the user's choice for a file with bad rows:
// import the good rows, or discard the file.
func (a *API) consoleImportDecide(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	j, err := a.importOf(r, p)
	if err != nil {
		return "", consoleView{}, err
	}
	action := r.PostFormValue("action")
	j.mu.Lock()
	state := j.State
	if state == importChecked {
		switch action {
		case "good":
			j.State, j.Finished = importImporting, time.Time{}
		case "discard":
			j.State, j.Finished, j.rows = importDiscarded, time.Now(), nil
		}
	}
	j.mu.Unlock()
	switch {
	case state != importChecked:
		return "", consoleView{}, errs.New(errs.Conflict, "import_state", "action", "import %s is %s; only a checked file with errors waits for a choice", j.ID, state)
	case action == "good":
		me, _ := consoleEnterprise(p)
		go a.runImport(context.WithoutCancel(r.Context()), me, j, true)
	case action != "discard":
		return "", consoleView{}, errs.Invalidf("action", "action_unknown", "%q is not a choice; use good or discard", action)
	}
	http.Redirect(w, r, "/console/import/"+j.ID, http.StatusSeeOther)
	return "", consoleView{}, nil
}

// maxExport bounds the receipts one export holds.
const maxExport = 100000

// receiptColumns are the export's headers.
var receiptColumns = []string{"序号 Seq", "时间 Time", "回执类型 Type", "企业内部编号 copNo", "订单编号 orderNo", "回执状态 Status", "回执信息 Info"}

// eachReceipt pages through the enterprise's receipts after ?after= (oldest first).
func (a *API) eachReceipt(r *http.Request, code string, f func(store.Receipt) error) error {
	after, err := intParam(r.URL.Query().Get("after"), "after", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	seq, n := int64(after), 0
	for n < maxExport {
		list, err := a.Store.Receipts(r.Context(), code, seq, min(1000, maxExport-n))
		if err != nil {
			return err
		}
		for _, rc := range list {
			if err := f(rc); err != nil {
				return err
			}
		}
		if len(list) == 0 {
			return nil
		}
		seq, n = list[len(list)-1].Seq, n+len(list)
	}
	return nil
}

func receiptRecord(rc store.Receipt) []string {
	return []string{strconv.FormatInt(rc.Seq, 10), rc.CreatedAt.In(cst).Format(time.RFC3339), rc.MessageType, rc.CopNo, rc.OrderNo, rc.ReturnStatus, rc.ReturnInfo}
}

// consoleReceiptsCSV streams the receipts as CSV; text that a spreadsheet
// would take for a formula is escaped.
func (a *API) consoleReceiptsCSV(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	me, err := consoleEnterprise(p)
	if err != nil {
		return "", consoleView{}, err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="receipts.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write(receiptColumns)
	err = a.eachReceipt(r, me.Code, func(rc store.Receipt) error {
		rec := receiptRecord(rc)
		for i := 2; i < len(rec); i++ {
			rec[i] = csvsafe.Text(rec[i])
		}
		return cw.Write(rec)
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return "", consoleView{}, err
}

// consoleReceiptsXLSX writes the receipts as a spreadsheet, every cell text,
// through excelize's stream writer (rows are not held in memory).
func (a *API) consoleReceiptsXLSX(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	me, err := consoleEnterprise(p)
	if err != nil {
		return "", consoleView{}, err
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "回执"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return "", consoleView{}, fmt.Errorf("receipts sheet: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return "", consoleView{}, fmt.Errorf("receipts sheet: %w", err)
	}
	_ = sw.SetColWidth(1, len(receiptColumns), 20)
	n := 1
	row := func(vals []string) error {
		cells := make([]any, len(vals))
		for i, v := range vals {
			cells[i] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		n++
		return sw.SetRow(cell, cells)
	}
	if err := row(receiptColumns); err != nil {
		return "", consoleView{}, err
	}
	if err := a.eachReceipt(r, me.Code, func(rc store.Receipt) error { return row(receiptRecord(rc)) }); err != nil {
		return "", consoleView{}, err
	}
	if err := sw.Flush(); err != nil {
		return "", consoleView{}, fmt.Errorf("receipts sheet: %w", err)
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="receipts.xlsx"`)
	return "", consoleView{}, f.Write(w)
}
