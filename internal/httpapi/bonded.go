package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/cbec-platform/cbec/internal/bonded"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/money"
)

// bondedRoutes registers bonded import (rules §6–§8): account books, zone
// entries, tallies, guarantees (contract §7), tax bills, returns and the gate.
func (a *API) bondedRoutes() {
	a.handle("POST /api/v1/books", a.admin(a.createBook))
	a.handle("GET /api/v1/books/{emsNo}", a.authenticated(a.bookOwner(a.getBook)))
	a.handle("POST /api/v1/books/{emsNo}/items", a.authenticated(a.bookOwner(a.addBookItems)))
	a.handle("POST /api/v1/books/{emsNo}/entries", a.authenticated(a.bookOwner(a.recordEntries)))
	a.handle("POST /api/v1/books/{emsNo}/adjustments", a.admin(a.adjustStock))
	a.handle("GET /api/v1/books/{emsNo}/moves", a.authenticated(a.bookOwner(a.listMoves)))
	a.handle("GET /api/v1/books/{emsNo}/reconciliation", a.authenticated(a.bookOwner(a.reconcile)))
	a.handle("POST /api/v1/tallies", a.enterpriseOnly(a.recordTally))
	a.handle("GET /api/v1/tallies", a.authenticated(a.listTallies))
	a.handle("GET /api/v1/tallies/{tallyNo}", a.authenticated(a.getTally))
	a.handle("POST /api/v1/guarantees", a.admin(a.lodgeGuarantee))
	a.handle("GET /api/v1/guarantees/{assureCode}", a.authenticated(a.getGuarantee))
	a.handle("GET /api/v1/tax-bills", a.authenticated(a.listBills))
	a.handle("POST /api/v1/tax-bills/run", a.admin(a.runBilling))
	a.handle("GET /api/v1/tax-bills/upcoming", a.authenticated(a.upcomingBills))
	a.handle("GET /api/v1/tax-bills/{billNo}", a.authenticated(a.getBill))
	a.handle("POST /api/v1/tax-bills/{billNo}/payment", a.admin(a.payBill))
	a.handle("GET /api/v1/returns", a.authenticated(a.listReturns))
	a.handle("GET /api/v1/returns/{id}", a.authenticated(a.getReturn))
	a.handle("POST /api/v1/returns/{id}/arrival", a.authenticated(a.returnArrived))
	a.handle("POST /api/v1/gate/checks", a.authenticated(a.gateCheck))
}

// who names the caller for the bonded service: "admin" or the enterprise code.
func who(r *http.Request) string {
	if p := caller(r); p != nil && p.enterprise != nil {
		return p.enterprise.Code
	}
	return "admin"
}

// bookOwner lets the administrator, or the zone operator keeping {emsNo}, through.
func (a *API) bookOwner(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := caller(r)
		if p.admin {
			return h(w, r)
		}
		b, err := a.Bonded.Book(r.Context(), r.PathValue("emsNo"))
		if err != nil {
			return err
		}
		if b.OperatorCode != p.enterprise.Code {
			return errs.New(errs.Forbidden, "not_your_book", "emsNo", "account book %s is kept by another enterprise", b.EmsNo)
		}
		return h(w, r)
	}
}

// zoneOperator requires the administrator or an enterprise with the role area.
func zoneOperator(r *http.Request) error {
	p := caller(r)
	if p.admin || p.enterprise.HasRole(enterprise.RoleArea) {
		return nil
	}
	return errs.New(errs.Forbidden, "role_missing", "Authorization", "this operation needs a zone operator (role area)")
}

func (a *API) createBook(w http.ResponseWriter, r *http.Request) error {
	var in struct{ EmsNo, OperatorCode, Name string }
	if err := readJSON(r, &in); err != nil {
		return err
	}
	b, err := a.Bonded.CreateBook(r.Context(), in.EmsNo, in.OperatorCode, in.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, b)
}

func (a *API) getBook(w http.ResponseWriter, r *http.Request) error {
	b, err := a.Bonded.Book(r.Context(), r.PathValue("emsNo"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, b)
}

func (a *API) addBookItems(w http.ResponseWriter, r *http.Request) error {
	var in struct{ Items []bonded.NewItem }
	if err := readJSON(r, &in); err != nil {
		return err
	}
	b, err := a.Bonded.AddItems(r.Context(), r.PathValue("emsNo"), in.Items)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, b)
}

// recordEntries takes zone entries as JSON (one entry) or CSV (columns
// entry_no, item_record_no, qty and optional tally_no; rows of one entry_no
// form one entry). A bad row is named by line and nothing is applied.
func (a *API) recordEntries(w http.ResponseWriter, r *http.Request) error {
	emsNo := r.PathValue("emsNo")
	var entries []bonded.Entry
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "text/csv" {
		var err error
		if entries, err = entriesCSV(r.Body, emsNo); err != nil {
			return err
		}
	} else {
		var in struct {
			EntryNo, TallyNo string
			Items            []bonded.EntryLine
		}
		if err := readJSON(r, &in); err != nil {
			return err
		}
		entries = []bonded.Entry{{EntryNo: in.EntryNo, EmsNo: emsNo, TallyNo: in.TallyNo, Items: in.Items, Source: "json"}}
	}
	out, err := a.Bonded.RecordEntries(r.Context(), who(r), entries)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"entries": out})
}

func entriesCSV(body io.Reader, emsNo string) ([]bonded.Entry, error) {
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff"))))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, errs.Invalidf("body", "csv_empty", "the CSV has no header row (entry_no,item_record_no,qty[,tally_no])")
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(strings.ToLower(h))] = i
	}
	for _, need := range []string{"entry_no", "item_record_no", "qty"} {
		if _, ok := col[need]; !ok {
			return nil, errs.Invalidf(need, "csv_column_missing", "the CSV header lacks the column %s", need)
		}
	}
	var entries []bonded.Entry
	index := map[string]int{}
	var list errs.List
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errs.Invalidf(fmt.Sprintf("line %d", line), "csv_syntax", "CSV line %d: %v", line, err)
		}
		get := func(c string) string {
			i, ok := col[c]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		no := get("entry_no")
		if no == "" {
			list = append(list, errs.Invalidf(fmt.Sprintf("line %d: entry_no", line), "entry_no_invalid", "line %d: entry_no is empty", line))
			continue
		}
		i, ok := index[no]
		if !ok {
			i = len(entries)
			index[no] = i
			entries = append(entries, bonded.Entry{EntryNo: no, EmsNo: emsNo, TallyNo: get("tally_no"), Source: "csv"})
		}
		entries[i].Items = append(entries[i].Items, bonded.EntryLine{ItemRecordNo: get("item_record_no"), Qty: get("qty")})
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, errs.Invalidf("body", "csv_empty", "the CSV holds no entry rows")
	}
	return entries, nil
}

func (a *API) adjustStock(w http.ResponseWriter, r *http.Request) error {
	var in struct{ ItemRecordNo, Qty, Reason string }
	if err := readJSON(r, &in); err != nil {
		return err
	}
	b, err := a.Bonded.Adjust(r.Context(), r.PathValue("emsNo"), in.ItemRecordNo, in.Qty, in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, b)
}

func (a *API) listMoves(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	after, err := intParam(q.Get("after"), "after", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := intParam(q.Get("limit"), "limit", 500, 1, 5000)
	if err != nil {
		return err
	}
	moves, err := a.Bonded.Moves(r.Context(), r.PathValue("emsNo"), q.Get("item"), int64(after), limit)
	if err != nil {
		return err
	}
	next := int64(after)
	if len(moves) > 0 {
		next = moves[len(moves)-1].ID
	}
	return writeJSON(w, http.StatusOK, map[string]any{"moves": moves, "next": next})
}

func (a *API) reconcile(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	rep, err := a.Bonded.Reconcile(r.Context(), r.PathValue("emsNo"), q.Get("month"))
	if err != nil {
		return err
	}
	switch q.Get("format") {
	case "", "json":
		return writeJSON(w, http.StatusOK, rep)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "reconciliation-"+rep.EmsNo+"-"+rep.Month+".csv"))
		return rep.WriteCSV(w)
	default:
		return errs.Invalidf("format", "format_invalid", "format must be json or csv")
	}
}

func (a *API) recordTally(w http.ResponseWriter, r *http.Request) error {
	var in bonded.Tally
	if err := readJSON(r, &in); err != nil {
		return err
	}
	t, err := a.Bonded.RecordTally(r.Context(), caller(r).enterprise, bonded.Tally{TallyNo: in.TallyNo, EmsNo: in.EmsNo, Items: in.Items})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (a *API) listTallies(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f bonded.TallyFilter
	var err error
	if f.Overdue, err = boolParam(q.Get("overdue"), "overdue"); err != nil {
		return err
	}
	if f.Differences, err = boolParam(q.Get("differences"), "differences"); err != nil {
		return err
	}
	if !caller(r).admin {
		f.Operator = who(r)
	}
	ts, err := a.Bonded.Tallies(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tallies": ts})
}

func (a *API) getTally(w http.ResponseWriter, r *http.Request) error {
	operator := r.URL.Query().Get("operatorCode")
	if !caller(r).admin {
		operator = who(r) // an enterprise reads its own tallies only
	}
	t, err := a.Bonded.TallyByNo(r.Context(), operator, r.PathValue("tallyNo"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (a *API) lodgeGuarantee(w http.ResponseWriter, r *http.Request) error {
	var in bonded.Lodgement
	if err := readJSON(r, &in); err != nil {
		return err
	}
	out, err := a.Bonded.Lodge(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// ownGuarantor refuses an enterprise reading another guarantor's data.
func ownGuarantor(r *http.Request, code string) error {
	if p := caller(r); !p.admin && p.enterprise.Code != code {
		return errs.New(errs.Forbidden, "not_your_guarantee", "assureCode", "a guarantor may only read its own guarantee and bills")
	}
	return nil
}

func (a *API) getGuarantee(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("assureCode")
	if err := ownGuarantor(r, code); err != nil {
		return err
	}
	acc, err := a.Bonded.Account(r.Context(), code)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, acc)
}

func (a *API) listBills(w http.ResponseWriter, r *http.Request) error {
	code := r.URL.Query().Get("assureCode")
	if p := caller(r); !p.admin {
		if code == "" {
			code = p.enterprise.Code
		}
		if err := ownGuarantor(r, code); err != nil {
			return err
		}
	}
	bills, err := a.Bonded.Bills(r.Context(), code, r.URL.Query().Get("month"))
	if err != nil {
		return err
	}
	var total money.Amount
	for _, b := range bills {
		if total, err = total.Add(b.Total); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"bills": bills, "total": total})
}

func (a *API) getBill(w http.ResponseWriter, r *http.Request) error {
	b, err := a.Bonded.Bill(r.Context(), r.PathValue("billNo"))
	if err != nil {
		return err
	}
	if err := ownGuarantor(r, b.AssureCode); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, b)
}

func (a *API) upcomingBills(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	code := q.Get("assureCode")
	if p := caller(r); !p.admin && code == "" {
		code = p.enterprise.Code
	}
	if code == "" {
		return errs.Invalidf("assureCode", "param_missing", "give assureCode")
	}
	if err := ownGuarantor(r, code); err != nil {
		return err
	}
	u, err := a.Bonded.Upcoming(r.Context(), code, q.Get("until"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

func (a *API) runBilling(w http.ResponseWriter, r *http.Request) error {
	run, err := a.Bonded.RunBilling(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, run)
}

func (a *API) payBill(w http.ResponseWriter, r *http.Request) error {
	var in struct{ Reference string }
	if err := readJSON(r, &in); err != nil {
		return err
	}
	b, err := a.Bonded.Pay(r.Context(), r.PathValue("billNo"), in.Reference)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, b)
}

func (a *API) listReturns(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	agent := q.Get("agentCode")
	p := caller(r)
	if !p.admin && !p.enterprise.HasRole(enterprise.RoleArea) {
		agent = p.enterprise.Code // a declarer sees its own returns
	}
	if p.admin || p.enterprise.HasRole(enterprise.RoleArea) {
		if q.Get("invtNo") == "" && agent == "" && !p.admin {
			return errs.Invalidf("invtNo", "param_missing", "give invtNo or agentCode")
		}
	}
	rs, err := a.Bonded.Returns(r.Context(), q.Get("invtNo"), agent)
	if err != nil {
		return err
	}
	shown := rs[:0]
	for i := range rs {
		ok, err := a.mayReadReturn(r.Context(), p, &rs[i])
		if err != nil {
			return err
		}
		if ok {
			shown = append(shown, rs[i])
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"returns": shown})
}

func (a *API) getReturn(w http.ResponseWriter, r *http.Request) error {
	ret, err := a.Bonded.ReturnByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok, err := a.mayReadReturn(r.Context(), caller(r), ret)
	if err != nil {
		return err
	}
	if !ok {
		return errs.New(errs.NotFound, "return_not_found", "id", "no return %s", ret.ID)
	}
	return writeJSON(w, http.StatusOK, ret)
}

// mayReadReturn: a return is read by the administrator, its declarer and the
// zone operator whose book holds its goods (rules §12); anyone else is
// answered as for an unknown return.
func (a *API) mayReadReturn(ctx context.Context, p *principal, ret *bonded.Return) (bool, error) {
	switch {
	case p.admin || p.enterprise.Code == ret.AgentCode:
		return true, nil
	case !p.enterprise.HasRole(enterprise.RoleArea):
		return false, nil
	}
	return a.Bonded.HeldBy(ctx, ret, p.enterprise.Code)
}

func (a *API) returnArrived(w http.ResponseWriter, r *http.Request) error {
	if err := zoneOperator(r); err != nil {
		return err
	}
	ret, err := a.Bonded.Arrive(r.Context(), r.PathValue("id"), who(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ret)
}

func (a *API) gateCheck(w http.ResponseWriter, r *http.Request) error {
	if err := zoneOperator(r); err != nil {
		return err
	}
	var in bonded.GateCheck
	if err := readJSON(r, &in); err != nil {
		return err
	}
	res, err := a.Bonded.Gate(r.Context(), who(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
