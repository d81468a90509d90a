package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
)

// The other features' records, read-only in the console: risk rules (with a
// dry-run), emergency measures, credit records and enterprises. Changes stay
// with their JSON APIs.

// table is a generic list page: columns from the records' JSON fields.
type table struct {
	Title   string
	Columns []string
	Rows    [][]string
	Action  string // a link per row: path prefix, the row's first cell appended
	Button  string
	Link    bool // the link is Action + first cell (else Action + first cell + "/dry-run")
	Extra   any
}

func makeTable(title string, items any, first []string) (*table, error) {
	b, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	var rows []map[string]any
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	cols := slices.Clone(first)
	for _, c := range cols {
		seen[c] = true
	}
	var rest []string
	for _, r := range rows {
		for k, v := range r {
			if _, nested := v.(map[string]any); nested || seen[k] {
				continue
			}
			seen[k] = true
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	cols = append(cols, rest...)
	t := &table{Title: title, Columns: cols}
	for _, r := range rows {
		row := make([]string, len(cols))
		for i, c := range cols {
			switch v := r[c].(type) {
			case nil:
			case string:
				row[i] = v
			case []any:
				vb, _ := json.Marshal(v)
				row[i] = string(vb)
			default:
				row[i] = fmt.Sprint(v)
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

func (s *Service) rulesPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	if s.Risk == nil {
		return errs.New(errs.NotFound, "not_available", "", "risk rules are not running")
	}
	rules, err := s.Risk.Rules(r.Context(), "")
	if err != nil {
		return err
	}
	t, err := makeTable(tr(lang(r), "risk_rules"), rules, []string{"id", "name", "state", "action", "expr"})
	if err != nil {
		return err
	}
	t.Action, t.Button = "/console/officer/risk/rules/", tr(lang(r), "dry_run")
	return s.render(w, r, http.StatusOK, "table", o, t, "")
}

func (s *Service) dryRunPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	if s.Risk == nil {
		return errs.New(errs.NotFound, "not_available", "", "risk rules are not running")
	}
	days := 7
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 90 {
			return errs.Invalidf("days", "days_invalid", "days must be a number from 1 to 90")
		}
		days = n
	}
	res, err := s.Risk.DryRun(r.Context(), r.PathValue("id"), days)
	if err != nil {
		return err
	}
	if err := s.Audit(r.Context(), o, "risk.dry_run", r.PathValue("id"), "", fmt.Sprintf("%d days: %d of %d hit", days, res.Hits, res.Evaluated)); err != nil {
		return err
	}
	t, err := makeTable(fmt.Sprintf("%s %s v%d · %d days · evaluated %d · hits %d · errors %d", tr(lang(r), "dry_run"), res.RuleID, res.Version,
		res.Days, res.Evaluated, res.Hits, res.Errors), res.Sample, nil)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "table", o, t, "")
}

func (s *Service) measuresPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	if s.Risk == nil {
		return errs.New(errs.NotFound, "not_available", "", "emergency measures are not running")
	}
	list, err := s.Risk.Measures(r.Context(), "")
	if err != nil {
		return err
	}
	t, err := makeTable(tr(lang(r), "measures"), list, []string{"id", "kind", "value", "state"})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "table", o, t, "")
}

func (s *Service) creditPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	if s.Risk == nil {
		return errs.New(errs.NotFound, "not_available", "", "credit records are not running")
	}
	list, err := s.Risk.CreditRecords(r.Context(), r.URL.Query().Get("enterprise"))
	if err != nil {
		return err
	}
	t, err := makeTable(tr(lang(r), "credit"), list, []string{"id", "enterpriseCode", "department", "kind", "class", "state"})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "table", o, t, "")
}

func (s *Service) enterprisesPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	list, err := s.DB.ListEnterprises(r.Context(), enterprise.Filter{After: r.URL.Query().Get("after"), Limit: 500})
	if err != nil {
		return err
	}
	t, err := makeTable(tr(lang(r), "enterprises"), list, []string{"code", "name", "roles", "creditClass", "status"})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "table", o, t, "")
}

// bookPage shows an account book's items and stock (query emsNo), or the list
// of books to choose from.
func (s *Service) bookPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	if s.Bonded == nil {
		return errs.New(errs.NotFound, "not_available", "", "bonded import is not running")
	}
	ems := strings.TrimSpace(r.URL.Query().Get("emsNo"))
	if ems == "" {
		books, err := s.DB.BookHeads(r.Context())
		if err != nil {
			return err
		}
		t := &table{Title: tr(lang(r), "books"), Columns: []string{"emsNo", "operatorCode", "name"}}
		for _, b := range books {
			t.Rows = append(t.Rows, []string{b.EmsNo, b.OperatorCode, b.Name})
		}
		t.Action, t.Button, t.Link = "/console/officer/books?emsNo=", tr(lang(r), "open"), true
		return s.render(w, r, http.StatusOK, "table", o, t, "")
	}
	b, err := s.Bonded.Book(r.Context(), ems)
	if err != nil {
		return err
	}
	t, err := makeTable(tr(lang(r), "books")+" "+b.EmsNo+" · "+b.Name, b.Items, []string{"itemRecordNo", "name", "onHand", "reserved"})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "table", o, t, "")
}

// returnsPage lists bonded returns of an inventory (query invtNo) or a declarer (agentCode).
func (s *Service) returnsPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	if s.Bonded == nil {
		return errs.New(errs.NotFound, "not_available", "", "bonded import is not running")
	}
	q := r.URL.Query()
	invt, agent := strings.TrimSpace(q.Get("invtNo")), strings.TrimSpace(q.Get("agentCode"))
	if invt == "" && agent == "" {
		return errs.Invalidf("invtNo", "query_required", "give invtNo (an inventory number) or agentCode (a declarer)")
	}
	list, err := s.Bonded.Returns(r.Context(), invt, agent)
	if err != nil {
		return err
	}
	t, err := makeTable(tr(lang(r), "returns"), list, []string{"invtNo", "state"})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "table", o, t, "")
}
