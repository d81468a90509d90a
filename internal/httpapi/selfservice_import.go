package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
)

// Spreadsheet import: the template has one sheet per document kind with the
// fields' Chinese labels as headers; each row is one document with one goods
// line. An upload is read at once (its size is capped by max_body_bytes and
// its unpacked size by maxUnzipped), then checked and imported in the
// background, row by row through checkDocument and submitDocument, while the
// console shows the progress. Nothing is stored from a file with a bad row
// unless the user then asks for the good rows to be imported.

const (
	maxImportRows   = 20000     // documents in one file
	maxUnzipped     = 256 << 20 // bytes of a file's unpacked parts
	maxListedErrors = 1000      // problems kept to show; the count is exact
	importWorkers   = 4         // rows submitted at once, for intake's group commit
	importKeep      = time.Hour // how long a finished import stays to be looked at
	codesSheet      = "代码表"
)

func (a *API) importRoutes() {
	a.handle("GET /console/import/template.xlsx", a.consolePage(a.consoleTemplate))
	a.handle("POST /console/import", a.consolePage(a.consoleUpload))
	a.handle("GET /console/import/{id}", a.consolePage(a.consoleImportPage))
	a.handle("GET /console/import/{id}/progress", a.consolePage(a.consoleImportProgress))
	a.handle("POST /console/import/{id}", a.consolePage(a.consoleImportDecide))
	a.handle("GET /console/receipts.xlsx", a.consolePage(a.consoleReceiptsXLSX))
	a.handle("GET /console/receipts.csv", a.consolePage(a.consoleReceiptsCSV))
}

// importRow is one document of an upload: its kind, where it is and the
// values of the kind's fields (by index).
type importRow struct {
	kind   *docKind
	sheet  string
	row    int
	values []string
	cols   []string // column letter of each field, "" when the sheet lacks it
}

func (r *importRow) value(path string) string {
	for i, f := range r.kind.Fields {
		if f.Path == path {
			return r.values[i]
		}
	}
	return ""
}

// rowProblem is why a row is refused: sheet, row, column and reason.
type rowProblem struct {
	Sheet  string `json:"sheet"`
	Row    int    `json:"row"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// Import states.
const (
	importChecking  = "checking"  // rows being checked
	importChecked   = "checked"   // some rows are bad: waiting for the user's choice
	importImporting = "importing" // good rows being submitted
	importDone      = "done"
	importDiscarded = "discarded"
	importFailed    = "failed"
)

// importJob is one upload being checked and imported.
type importJob struct {
	ID    string `json:"id"`
	Owner string `json:"-"` // the enterprise that uploaded it
	File  string `json:"file"`

	mu       sync.Mutex
	State    string       `json:"state"`
	Total    int          `json:"total"`
	Checked  int          `json:"checked"`
	BadRows  int          `json:"badRows"`
	Errors   int          `json:"errors"`
	Problems []rowProblem `json:"problems"`
	ToImport int          `json:"toImport"`
	Imported int          `json:"imported"`
	Accepted int          `json:"accepted"` // documents whose receipt is not a refusal
	Refused  []rowProblem `json:"refused"`  // documents intake refused (status 100)
	Failure  string       `json:"failure,omitempty"`
	// Finished is when the job stopped running: done, failed, discarded, or
	// checked and waiting for the user's choice. An hour later it is dropped.
	Finished time.Time `json:"-"`

	rows []importRow
	bad  []bool
}

// importJobs are the uploads of this node. An import lives on the node that
// took the upload.
type importJobs struct {
	mu   sync.Mutex
	jobs map[string]*importJob
}

// start registers a job. An enterprise runs one import at a time, and holds
// the rows of one file: a file of its own still waiting for the choice is
// discarded. Jobs stopped for longer than importKeep are dropped.
func (js *importJobs) start(j *importJob, now time.Time) error {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.jobs == nil {
		js.jobs = map[string]*importJob{}
	}
	var waiting []*importJob
	for id, o := range js.jobs {
		o.mu.Lock()
		finished, owner, state := o.Finished, o.Owner, o.State
		o.mu.Unlock()
		if !finished.IsZero() && now.Sub(finished) > importKeep {
			delete(js.jobs, id)
			continue
		}
		if owner != j.Owner {
			continue
		}
		switch state {
		case importChecking, importImporting:
			return errs.New(errs.Conflict, "import_running", "file", "import %s of %s is still running; wait for it to finish", o.ID, o.File)
		case importChecked:
			waiting = append(waiting, o)
		}
	}
	for _, o := range waiting {
		o.update(func(o *importJob) {
			if o.State == importChecked {
				o.State, o.Finished, o.rows = importDiscarded, now, nil
			}
		})
	}
	js.jobs[j.ID] = j
	return nil
}

// get finds an enterprise's job; another enterprise's is not found.
func (js *importJobs) get(id, owner string) (*importJob, error) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j := js.jobs[id]
	if j == nil || j.Owner != owner {
		return nil, errs.New(errs.NotFound, "import_not_found", "id", "no import %s", id)
	}
	return j, nil
}

func (j *importJob) update(f func(j *importJob)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f(j)
}

// snapshot copies what the pages show.
func (j *importJob) snapshot() importJob {
	j.mu.Lock()
	defer j.mu.Unlock()
	return importJob{ID: j.ID, File: j.File, State: j.State, Total: j.Total, Checked: j.Checked, BadRows: j.BadRows, Errors: j.Errors,
		Problems: append([]rowProblem(nil), j.Problems...), ToImport: j.ToImport, Imported: j.Imported, Accepted: j.Accepted,
		Refused: append([]rowProblem(nil), j.Refused...), Failure: j.Failure}
}

// consoleTemplate writes the import template: one sheet per kind the
// enterprise may enter, Chinese headers, every cell text, and drop-down
// lists for coded fields taken from a code sheet.
func (a *API) consoleTemplate(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	me, err := consoleEnterprise(p)
	if err != nil {
		return "", consoleView{}, err
	}
	f, err := importTemplate(kindsOf(me))
	if err != nil {
		return "", consoleView{}, err
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="cbec-import-template.xlsx"`)
	return "", consoleView{}, f.Write(w)
}

// importTemplate builds the template for the kinds.
func importTemplate(kinds []*docKind) (*excelize.File, error) {
	f := excelize.NewFile()
	lists, err := writeCodeSheet(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("template style: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true}})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("template style: %w", err)
	}
	for _, k := range kinds {
		if err := writeKindSheet(f, k, lists, text, bold); err != nil {
			f.Close()
			return nil, fmt.Errorf("template sheet %s: %w", k.Zh, err)
		}
	}
	if len(kinds) > 0 {
		f.SetActiveSheet(1)
	}
	if err := f.DeleteSheet("Sheet1"); err != nil {
		f.Close()
		return nil, fmt.Errorf("template: %w", err)
	}
	return f, nil
}

// writeCodeSheet writes the code lists, one per column, and answers the
// range of each list by name.
func writeCodeSheet(f *excelize.File) (map[string]string, error) {
	if _, err := f.NewSheet(codesSheet); err != nil {
		return nil, fmt.Errorf("code sheet: %w", err)
	}
	ranges := map[string]string{}
	for i, l := range codeLists() {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetCellStr(codesSheet, col+"1", l.Zh); err != nil {
			return nil, err
		}
		for j, c := range l.Codes {
			cell := fmt.Sprintf("%s%d", col, j+2)
			if err := f.SetCellStr(codesSheet, cell, c.Code); err != nil {
				return nil, err
			}
			name, _ := excelize.ColumnNumberToName(i + 1 + len(codeLists()))
			if err := f.SetCellStr(codesSheet, fmt.Sprintf("%s%d", name, j+2), c.Zh+" "+c.En); err != nil {
				return nil, err
			}
		}
		ranges[l.Name] = fmt.Sprintf("'%s'!$%s$2:$%s$%d", codesSheet, col, col, len(l.Codes)+1)
	}
	return ranges, nil
}

// writeKindSheet writes a kind's headers, text format and drop-down lists.
func writeKindSheet(f *excelize.File, k *docKind, lists map[string]string, text, bold int) error {
	if _, err := f.NewSheet(k.Zh); err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(k.Fields))
	if err := f.SetColStyle(k.Zh, "A:"+last, text); err != nil {
		return err
	}
	if err := f.SetColWidth(k.Zh, "A", last, 16); err != nil {
		return err
	}
	for i, fd := range k.Fields {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetCellStr(k.Zh, col+"1", fd.Zh); err != nil {
			return err
		}
		if err := f.SetCellStyle(k.Zh, col+"1", col+"1", bold); err != nil {
			return err
		}
		if fd.Codes == nil {
			continue
		}
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, maxImportRows+1)
		dv.SetSqrefDropList(lists[fd.Codes.Name])
		style, msg := excelize.DataValidationErrorStyleWarning, "不在常用代码表中，请确认。 Not a common code; please check."
		if fd.Codes.Complete {
			style, msg = excelize.DataValidationErrorStyleStop, "请从列表中选择。 Choose a value from the list."
		}
		dv.SetError(style, fd.Zh, msg)
		if err := f.AddDataValidation(k.Zh, dv); err != nil {
			return err
		}
	}
	return f.SetPanes(k.Zh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

// consoleUpload reads an upload, checks that its sheets and headers are
// known, and starts checking its rows in the background.
func (a *API) consoleUpload(w http.ResponseWriter, r *http.Request, p *principal) (string, consoleView, error) {
	me, err := consoleEnterprise(p)
	if err != nil {
		return "", consoleView{}, err
	}
	file, name, err := uploadedFile(r)
	if err != nil {
		return "", consoleView{}, err
	}
	rows, err := readImport(file)
	if err != nil {
		return "", consoleView{}, err
	}
	j := &importJob{ID: newJobID(), Owner: me.Code, File: name, State: importChecking, Total: len(rows), rows: rows, bad: make([]bool, len(rows))}
	if err := a.imports.start(j, time.Now()); err != nil {
		return "", consoleView{}, err
	}
	go a.runImport(context.WithoutCancel(r.Context()), me, j, false)
	http.Redirect(w, r, "/console/import/"+j.ID, http.StatusSeeOther)
	return "", consoleView{}, nil
}

// uploadedFile streams the "file" part of a multipart form (the body is capped by max_body_bytes).
func uploadedFile(r *http.Request) (io.Reader, string, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", errs.Invalidf("file", "upload_invalid", "send the file as multipart/form-data: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", errs.Invalidf("file", "file_required", "choose an .xlsx file to upload")
		}
		if err != nil {
			return nil, "", errs.Invalidf("file", "upload_invalid", "the upload could not be read: %v", err)
		}
		if part.FormName() == "file" {
			return part, part.FileName(), nil
		}
	}
}

// readImport reads the rows of every known sheet; an unknown sheet or header
// refuses the file, as does a file that is not a spreadsheet.
func readImport(file io.Reader) ([]importRow, error) {
	f, err := excelize.OpenReader(file, excelize.Options{RawCellValue: true, UnzipSizeLimit: maxUnzipped})
	if err != nil {
		return nil, errs.Invalidf("file", "xlsx_invalid", "the file is not an .xlsx spreadsheet: %v", err)
	}
	defer f.Close()
	var rows []importRow
	for _, k := range docKinds {
		if idx, _ := f.GetSheetIndex(k.Zh); idx < 0 {
			continue
		}
		got, err := readSheet(f, k, maxImportRows-len(rows))
		if err != nil {
			return nil, err
		}
		rows = append(rows, got...)
	}
	if len(rows) == 0 {
		return nil, errs.Invalidf("file", "xlsx_empty", "the file has no rows to import in the sheets %s", sheetNames())
	}
	return rows, nil
}

func sheetNames() string {
	var names []string
	for _, k := range docKinds {
		names = append(names, k.Zh)
	}
	return strings.Join(names, ", ")
}

// readSheet reads a kind's sheet: the header row names the columns, and
// every non-empty row after it is a document.
func readSheet(f *excelize.File, k *docKind, room int) ([]importRow, error) {
	it, err := f.Rows(k.Zh)
	if err != nil {
		return nil, errs.Invalidf("file", "xlsx_invalid", "sheet %s cannot be read: %v", k.Zh, err)
	}
	defer it.Close()
	var cols []int // field index of each column, -1 for none
	var letters []string
	var out []importRow
	for n := 1; it.Next(); n++ {
		cells, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, errs.Invalidf("file", "xlsx_invalid", "sheet %s row %d cannot be read: %v", k.Zh, n, err)
		}
		if cols == nil {
			if cols, letters, err = headerColumns(k, cells); err != nil {
				return nil, err
			}
			continue
		}
		if blank(cells) {
			continue
		}
		if len(out) == room {
			return nil, errs.New(errs.TooLarge, "too_many_rows", "file", "the file has more than %d documents; split it", maxImportRows)
		}
		row := importRow{kind: k, sheet: k.Zh, row: n, values: make([]string, len(k.Fields)), cols: letters}
		for c, v := range cells {
			if c < len(cols) && cols[c] >= 0 {
				row.values[cols[c]] = strings.TrimSpace(v)
			} else if strings.TrimSpace(v) != "" {
				col, _ := excelize.ColumnNumberToName(c + 1)
				return nil, errs.Invalidf("file", "xlsx_column", "sheet %s cell %s%d: the column has no header this sheet knows", k.Zh, col, n)
			}
		}
		out = append(out, row)
	}
	if err := it.Error(); err != nil {
		return nil, errs.Invalidf("file", "xlsx_invalid", "sheet %s cannot be read: %v", k.Zh, err)
	}
	return out, nil
}

// headerColumns maps the header row's labels (Chinese, or the element name
// where only one field has it) to the kind's fields, and answers each
// field's column letter.
func headerColumns(k *docKind, header []string) ([]int, []string, error) {
	cols := make([]int, len(header))
	letters := make([]string, len(k.Fields))
	for c, h := range header {
		h = strings.TrimSpace(h)
		cols[c] = -1
		if h == "" {
			continue
		}
		col, _ := excelize.ColumnNumberToName(c + 1)
		for i, f := range k.Fields {
			if h == f.Zh || strings.EqualFold(h, f.Name()) && k.uniqueName(f.Name()) {
				if letters[i] != "" {
					return nil, nil, errs.Invalidf("file", "xlsx_header", "sheet %s: column %s repeats the header %q of column %s", k.Zh, col, h, letters[i])
				}
				cols[c], letters[i] = i, col
			}
		}
		if cols[c] < 0 {
			return nil, nil, errs.Invalidf("file", "xlsx_header", "sheet %s column %s: %q is not a field of a %s; use the template's headers", k.Zh, col, h, k.Zh)
		}
	}
	return cols, letters, nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func newJobID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// runImport checks the rows (unless only importing after the user's choice)
// and imports the good ones when there are no bad ones or goodRows is set.
func (a *API) runImport(ctx context.Context, me *enterprise.Enterprise, j *importJob, goodRows bool) {
	if !goodRows {
		if err := a.checkRows(ctx, me, j); err != nil {
			a.failImport(ctx, j, err)
			return
		}
		j.mu.Lock()
		stop := j.BadRows > 0
		if stop {
			j.State, j.Finished = importChecked, time.Now()
		}
		j.mu.Unlock()
		if stop {
			return
		}
	}
	if err := a.importRows(ctx, me, j); err != nil {
		a.failImport(ctx, j, err)
		return
	}
	j.update(func(j *importJob) { j.State, j.Finished, j.rows = importDone, time.Now(), nil })
}

func (a *API) failImport(ctx context.Context, j *importJob, err error) {
	a.Log.ErrorContext(ctx, "console import failed", "import", j.ID, "error", err)
	j.update(func(j *importJob) {
		j.State, j.Failure, j.Finished, j.rows = importFailed, "the import stopped on an internal error; rows already imported stay imported", time.Now(), nil
	})
}

// checkRows runs every check of intake on each row and records the problems.
func (a *API) checkRows(ctx context.Context, me *enterprise.Enterprise, j *importJob) error {
	for i := range j.rows {
		row := &j.rows[i]
		problems, err := a.checkRow(ctx, me, row)
		if err != nil {
			return err
		}
		j.update(func(j *importJob) {
			j.Checked++
			if len(problems) == 0 {
				return
			}
			j.bad[i] = true
			j.BadRows++
			j.Errors += len(problems)
			for _, p := range problems {
				if len(j.Problems) < maxListedErrors {
					j.Problems = append(j.Problems, p)
				}
			}
		})
	}
	return nil
}

// checkRow builds a row's document and checks it; a Forbidden answer
// (the enterprise may not send it) is a problem of the row too.
func (a *API) checkRow(ctx context.Context, me *enterprise.Enterprise, row *importRow) ([]rowProblem, error) {
	m, err := row.kind.message(row.value, me, a.Intake.Now())
	if err != nil {
		return nil, err
	}
	problems, err := a.checkDocument(ctx, me, m)
	if e, ok := errs.As(err); ok && e.Kind == errs.Forbidden {
		return []rowProblem{row.problem(e.Field, e.Message)}, nil
	}
	if err != nil {
		return nil, err
	}
	var out []rowProblem
	for _, p := range problems {
		if p.Severity == ceb.Error {
			out = append(out, row.problem(p.Path, p.Message))
		}
	}
	return out, nil
}

// problem names the column of the field a problem's path points at.
func (r *importRow) problem(path, msg string) rowProblem {
	p := rowProblem{Sheet: r.sheet, Row: r.row, Reason: msg}
	if f := r.kind.fieldOf(path); f != "" {
		for i, fd := range r.kind.Fields {
			if fd.Path == f {
				p.Column = strings.TrimSpace(r.cols[i] + " " + fd.Zh)
			}
		}
		return p
	}
	if path != "" {
		p.Reason = path + ": " + msg
	}
	return p
}

// importRows submits the good rows, kind by kind in the order a parcel needs
// them, a few at once so that intake commits them together.
func (a *API) importRows(ctx context.Context, me *enterprise.Enterprise, j *importJob) error {
	j.mu.Lock()
	rows, bad := j.rows, j.bad
	j.State, j.ToImport = importImporting, len(rows)-j.BadRows
	j.mu.Unlock()
	for _, k := range docKinds {
		work := make(chan *importRow)
		errc := make(chan error, importWorkers)
		var wg sync.WaitGroup
		for range importWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for row := range work {
					if err := a.importRow(ctx, me, j, row); err != nil {
						errc <- err
						for range work { // drain: the sender stops at the first error it sees
						}
						return
					}
				}
			}()
		}
		var err error
	feed:
		for i := range rows {
			if rows[i].kind != k || bad[i] {
				continue
			}
			select {
			case work <- &rows[i]:
			case err = <-errc:
				break feed
			}
		}
		close(work)
		wg.Wait()
		if err != nil {
			return err
		}
		select {
		case err := <-errc:
			return err
		default:
		}
	}
	return nil
}

// importRow submits one row and counts its receipt.
func (a *API) importRow(ctx context.Context, me *enterprise.Enterprise, j *importJob, row *importRow) error {
	m, err := row.kind.message(row.value, me, a.Intake.Now())
	if err != nil {
		return err
	}
	res, err := a.submitDocument(ctx, me, m)
	if e, ok := errs.As(err); ok && e.Kind == errs.Forbidden {
		j.update(func(j *importJob) { j.Imported++; j.Refused = append(j.Refused, row.problem(e.Field, e.Message)) })
		return nil
	}
	if err != nil {
		return fmt.Errorf("import %s row %d: %w", row.sheet, row.row, err)
	}
	j.update(func(j *importJob) {
		j.Imported++
		if res.Receipt == nil || res.Status != http.StatusOK {
			// Checked a moment ago; something changed meanwhile (a sanction, a registration).
			j.Refused = append(j.Refused, rowProblem{Sheet: row.sheet, Row: row.row, Reason: problemsText(res)})
			return
		}
		for _, k := range ceb.DocumentKeys(res.Receipt.Message) {
			if k["returnStatus"] == "100" {
				if len(j.Refused) < maxListedErrors {
					j.Refused = append(j.Refused, rowProblem{Sheet: row.sheet, Row: row.row, Reason: k["returnInfo"]})
				}
				continue
			}
			j.Accepted++
		}
	})
	return nil
}

func problemsText(res submitted) string {
	var parts []string
	for _, p := range res.Problems {
		parts = append(parts, strings.TrimSpace(p.Path+" "+p.Message))
	}
	if len(parts) == 0 && res.Receipt != nil {
		return refusalText(res.Receipt)
	}
	return strings.Join(parts, "; ")
}

// uniqueName reports whether only one field of the kind has the element name.
func (k *docKind) uniqueName(name string) bool {
	n := 0
	for _, f := range k.Fields {
		if strings.EqualFold(f.Name(), name) {
			n++
		}
	}
	return n == 1
}
