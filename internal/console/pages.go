package console

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// Figures are the dashboard's numbers for one day (China time).
type Figures struct {
	Day            string  `json:"day"`
	Declared       int     `json:"declared"`
	Released       int     `json:"released"`
	ReleaseRate    string  `json:"releaseRate"`
	InspectionRate string  `json:"inspectionRate"`
	ClearanceP50   string  `json:"clearanceP50"`
	ClearanceP99   string  `json:"clearanceP99"`
	ByStatus       []Count `json:"byStatus"`
	Rejections     []Count `json:"rejections"`
}

// Count is one bar of a chart.
type Count struct {
	Key     string `json:"key"`
	Label   string `json:"label,omitempty"`
	Count   int    `json:"count"`
	Percent int    `json:"-"`
}

// Today computes the dashboard figures from the inventories declared today.
func (s *Service) Today(ctx context.Context) (_ *Figures, err error) {
	defer errs.Wrap(&err, "console.Today")
	now := s.now().In(china)
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, china)
	declared, err := s.DB.DashboardInventories(ctx, start)
	if err != nil {
		return nil, err
	}
	f := &Figures{Day: start.Format("2006-01-02")}
	status, reasons := map[string]int{}, map[string]int{}
	var durations []time.Duration
	for _, v := range declared {
		f.Declared++
		status[v.Status]++
		if v.Status == "100" {
			reasons[v.ReasonCode]++
		}
		if v.ReleasedAt != nil {
			f.Released++
			durations = append(durations, v.ReleasedAt.Sub(v.CreatedAt))
		}
	}
	// Inspected: went through 500 today, whatever the status now.
	inspected, err := s.DB.DashboardInspected(ctx, start)
	if err != nil {
		return nil, err
	}
	pct := func(n int) string {
		if f.Declared == 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", float64(n)*100/float64(f.Declared))
	}
	f.ReleaseRate, f.InspectionRate = pct(f.Released), pct(inspected)
	f.ClearanceP50, f.ClearanceP99 = quantile(durations, 0.50), quantile(durations, 0.99)
	f.ByStatus, f.Rejections = bars(status, nil), bars(reasons, reasonLabel)
	return f, nil
}

func reasonLabel(code string) string {
	for _, r := range clearance.Reasons {
		if r.Code == code {
			return r.Zh
		}
	}
	return ""
}

func bars(m map[string]int, label func(string) string) []Count {
	out := []Count{}
	max := 0
	for k, n := range m {
		c := Count{Key: k, Count: n}
		if label != nil {
			c.Label = label(k)
		}
		out = append(out, c)
		max = maxInt(max, n)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Count > out[j].Count || out[i].Count == out[j].Count && out[i].Key < out[j].Key
	})
	for i := range out {
		out[i].Percent = out[i].Count * 100 / max
	}
	return out
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func quantile(d []time.Duration, q float64) string {
	if len(d) == 0 {
		return "—"
	}
	slices.Sort(d)
	i := int(q*float64(len(d))+0.999999) - 1
	i = min(max(i, 0), len(d)-1)
	return d[i].Round(time.Millisecond).String()
}

func (s *Service) dashboardPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	f, err := s.Today(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "dashboard", o, f, "")
}

func (s *Service) dashboardJSON(w http.ResponseWriter, r *http.Request, o *Officer) error {
	f, err := s.Today(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

var statuses = []string{"120", "100", "300", "500", "501", "502", "503", "599", "800", "399"}

// Search finds inventories by copNo, order or waybill number (exact), or the latest ones.
func (s *Service) Search(ctx context.Context, q, status string) (_ []*store.Inventory, err error) {
	defer errs.Wrap(&err, "console.Search(%q)", status)
	q = strings.TrimSpace(q)
	if len(q) > 60 {
		return nil, errs.Invalidf("q", "query_too_long", "the search text has at most 60 characters")
	}
	if status != "" && !slices.Contains(statuses, status) {
		return nil, errs.Invalidf("status", "status_unknown", "status %q is not one of %s", status, strings.Join(statuses, ", "))
	}
	ids, err := s.DB.SearchInventoryIDs(ctx, q, status)
	if err != nil {
		return nil, err
	}
	out := []*store.Inventory{}
	for _, id := range ids {
		inv, err := s.DB.Inventory(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, nil
}

func (s *Service) inventoriesPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	q, st := r.URL.Query().Get("q"), r.URL.Query().Get("status")
	list, err := s.Search(r.Context(), q, st)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "inventories", o, map[string]any{"Query": q, "Status": st, "Statuses": statuses, "Rows": list}, "")
}

type docColumn struct {
	Kind    string
	Present bool
	values  map[string]string
}

type docField struct {
	Name    string
	Values  []string
	Differs bool
}

type inventoryView struct {
	Inv                          *store.Inventory
	Dutiable, Duty, CT, VAT, Tax string
	RiskHits                     []string
	Events                       []store.Event
	Docs                         []docColumn
	Fields                       []docField
	Clear                        []clearField
}

type clearField struct{ Name, Value string }

// flatten turns a document's JSON into field → shown value; protected
// personal data shows its masked form only. A list shows element by element,
// numbered from 1 ("lines[2].qty"), so that the documents' goods lines are
// compared line by line.
func flatten(data []byte) map[string]string {
	out := map[string]string{}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return out
	}
	for k, v := range m {
		flattenValue(k, v, out)
	}
	return out
}

func flattenValue(key string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		if masked, ok := x["m"].(string); ok {
			out[key] = masked
		} else if _, ok := x["h"]; ok {
			out[key] = "***"
		} else {
			for k, v := range x {
				flattenValue(key+"."+k, v, out)
			}
		}
	case []any:
		for i, e := range x {
			flattenValue(fmt.Sprintf("%s[%d]", key, i+1), e, out)
		}
	case nil:
	default:
		out[key] = fmt.Sprint(x)
	}
}

// ownFields are what each message carries of its own: they differ between
// the four documents by nature, so the comparison never highlights them.
var ownFields = map[string]bool{"guid": true, "appTime": true}

// naturalCompare orders field names with their numbers as numbers
// ("lines[2]" before "lines[10]").
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, _ := strconv.Atoi(a[:da])
			nb, _ := strconv.Atoi(b[:db])
			if na != nb {
				return cmp.Compare(na, nb)
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func (s *Service) inventoryView(ctx context.Context, id string) (*inventoryView, error) {
	inv, err := s.DB.Inventory(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &inventoryView{Inv: inv, Dutiable: fen(inv.DutiableFen), Duty: fen(inv.DutyFen), CT: fen(inv.CTFen), VAT: fen(inv.VATFen), Tax: fen(inv.Tax)}
	v.RiskHits = s.riskHits(ctx, inv.ID)
	if v.Events, err = s.DB.Events(ctx, inv.ID); err != nil {
		return nil, err
	}
	for i, e := range v.Events {
		if v.Events[i].Actor, err = s.whoDecided(ctx, e.Actor); err != nil {
			return nil, err
		}
	}
	order, payment, waybill, err := s.DB.DocumentsFor(ctx, inv.EbpCode, inv.OrderNo, inv.LogisticsCode, inv.LogisticsNo)
	if err != nil {
		return nil, err
	}
	v.Docs = append(v.Docs, docColumn{Kind: "inventory", Present: true, values: flatten(inv.Data)})
	for _, d := range []struct {
		kind string
		doc  *store.Document
	}{{"order", order}, {"payment", payment}, {"logistics", waybill}} {
		c := docColumn{Kind: d.kind, values: map[string]string{}}
		if d.doc != nil {
			c.Present, c.values = true, flatten(d.doc.Data)
		}
		v.Docs = append(v.Docs, c)
	}
	names := map[string]bool{}
	for _, c := range v.Docs {
		for k := range c.values {
			names[k] = true
		}
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, naturalCompare)
	for _, k := range keys {
		f := docField{Name: k}
		seen := map[string]bool{}
		for _, c := range v.Docs {
			val, ok := c.values[k]
			f.Values = append(f.Values, val)
			if ok && val != "" {
				seen[val] = true
			}
		}
		f.Differs = len(seen) > 1 && !ownFields[k]
		v.Fields = append(v.Fields, f)
	}
	return v, nil
}

func (s *Service) inventoryPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	v, err := s.inventoryView(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "inventory", o, v, "")
}

var personalTags = regexp.MustCompile(`<(?:[A-Za-z0-9]+:)?(buyerName|buyerIdNumber|buyerTelephone|consignee|consigneeTelephone|consigneeAddress|payerName|payerNumber|payerIdNumber)>([^<]*)<`)

// Unmask opens the sealed messages of an inventory and its documents and
// returns the personal data in clear; the caller audits it.
func (s *Service) Unmask(ctx context.Context, o *Officer, id string) (_ []clearField, err error) {
	defer errs.Wrap(&err, "console.Unmask(%q)", id)
	if !o.May("unmask") {
		return nil, errs.New(errs.Forbidden, "not_permitted", "department", "the %s department may not see personal data", o.Department)
	}
	inv, err := s.DB.Inventory(ctx, id)
	if err != nil {
		return nil, err
	}
	order, payment, waybill, err := s.DB.DocumentsFor(ctx, inv.EbpCode, inv.OrderNo, inv.LogisticsCode, inv.LogisticsNo)
	if err != nil {
		return nil, err
	}
	var out []clearField
	seen := map[string]bool{}
	add := func(kind, messageID, key string) error {
		if messageID == "" || s.Vault == nil {
			return nil
		}
		body, err := s.DB.SealedMessageBody(ctx, messageID)
		if err != nil {
			return nil // a message pruned by retention: nothing to show
		}
		plain, err := s.Vault.Open(body)
		if err != nil {
			return fmt.Errorf("open sealed message %s: %w", messageID, err)
		}
		text := string(plain)
		// The document's own element: from the head before its key to the head after.
		if i := strings.Index(text, ">"+key+"<"); i >= 0 {
			from := strings.LastIndex(text[:i], "Head")
			to := strings.Index(text[i:], "Head>")
			if from >= 0 && to >= 0 {
				text = text[from : i+to]
			}
		}
		for _, m := range personalTags.FindAllStringSubmatch(text, -1) {
			k := kind + "." + m[1]
			if !seen[k] {
				seen[k] = true
				out = append(out, clearField{k, m[2]})
			}
		}
		return nil
	}
	if err := add("inventory", inv.MessageID, inv.CopNo); err != nil {
		return nil, err
	}
	for _, d := range []struct {
		kind string
		doc  *store.Document
	}{{"order", order}, {"payment", payment}, {"logistics", waybill}} {
		if d.doc != nil {
			if err := add(d.kind, d.doc.MessageID, d.doc.K2); err != nil {
				return nil, err
			}
		}
	}
	names := make([]string, len(out))
	for i, f := range out {
		names[i] = f.Name
	}
	if err := s.Audit(ctx, o, "inventory.unmask", inv.ID, "masked", strings.Join(names, ",")); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) unmaskPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	v, err := s.inventoryView(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if v.Clear, err = s.Unmask(r.Context(), o, v.Inv.ID); err != nil {
		return err
	}
	if v.Clear == nil {
		v.Clear = []clearField{{"—", tr(lang(r), "none")}}
	}
	return s.render(w, r, http.StatusOK, "inventory", o, v, "")
}

func (s *Service) reviewsPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	list, err := s.Search(r.Context(), "", "300")
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "reviews", o, list, "")
}

// whoDecided adds, for officers' eyes, the officer behind a decision actor
// ("customs decision dec_…") from the audit entry that names the decision id.
func (s *Service) whoDecided(ctx context.Context, actor string) (string, error) {
	i := strings.Index(actor, " decision dec_")
	if i < 0 {
		return actor, nil
	}
	username, err := s.DB.FirstAuditorWithAfterSuffix(ctx, actor[i:])
	if errs.KindOf(err) == errs.NotFound {
		return actor, nil
	}
	if err != nil {
		return "", fmt.Errorf("find the officer of %s: %w", actor, err)
	}
	return actor + " (" + username + ")", nil
}

// Review approves (800) or rejects (100) an inventory waiting for manual
// review, through the engine, with the officer as actor.
func (s *Service) Review(ctx context.Context, o *Officer, id, action, reason string) (_ *store.Inventory, err error) {
	defer errs.Wrap(&err, "console.Review(%q)", id)
	if !o.May("review") {
		return nil, errs.New(errs.Forbidden, "not_permitted", "department", "only customs officers decide manual reviews")
	}
	reason = strings.TrimSpace(reason)
	var to string
	var f clearance.Finding
	switch action {
	case "approve":
		to, f = "800", clearance.Finding{Code: "2601", Detail: reason}
	case "reject":
		if reason == "" {
			return nil, errs.Invalidf("reason", "reason_required", "a rejection needs a reason")
		}
		to, f = "100", clearance.Finding{Code: "1502", Detail: reason}
	default:
		return nil, errs.Invalidf("action", "action_invalid", "action %q is not approve or reject", action)
	}
	if len([]rune(reason)) > 500 {
		return nil, errs.Invalidf("reason", "reason_too_long", "reason has at most 500 characters")
	}
	// The detail goes to the enterprise: the department and the decision id,
	// never the officer (the audit entry ties the id to them).
	decision := newID("dec_")
	if f.Detail == "" {
		f.Detail = "approved by " + o.Department + ", decision " + decision
	} else {
		f.Detail += " (" + o.Department + " decision " + decision + ")"
	}
	inv, err := s.DB.Inventory(ctx, id)
	if err != nil {
		return nil, err
	}
	if inv.Status != "300" {
		return nil, errs.New(errs.Conflict, "not_in_review", "status", "inventory %s is in status %s, not waiting for review (300)", inv.CopNo, inv.Status)
	}
	if s.Guard != nil {
		if err := s.Guard(ctx, inv, to); err != nil {
			return nil, err
		}
	}
	out, err := s.Engine.Transition(ctx, inv.ID, to, f, decisionActor(o, decision))
	if err != nil {
		return nil, err
	}
	if err := s.Audit(ctx, o, "review."+action, inv.ID, inv.Status, to+" "+reason+" decision "+decision); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) reviewDecision(w http.ResponseWriter, r *http.Request, o *Officer) error {
	if err := r.ParseForm(); err != nil {
		return errs.Invalidf("body", "form_invalid", "the form could not be read")
	}
	if _, err := s.Review(r.Context(), o, r.PathValue("id"), r.PostFormValue("action"), r.PostFormValue("reason")); err != nil {
		return err
	}
	http.Redirect(w, r, "/console/officer/reviews", http.StatusSeeOther)
	return nil
}

func (s *Service) auditPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	list, err := s.AuditLog(r.Context(), r.URL.Query().Get("officer"), r.URL.Query().Get("action"), 500)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "audit", o, list, "")
}

func (s *Service) auditCSV(w http.ResponseWriter, r *http.Request, o *Officer) error {
	list, err := s.AuditLog(r.Context(), r.URL.Query().Get("officer"), r.URL.Query().Get("action"), 0)
	if err != nil {
		return err
	}
	if err := s.Audit(r.Context(), o, "audit.export", "officer_audit", "", strconv.Itoa(len(list))+" entries"); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit.csv"`)
	return WriteAuditCSV(w, list)
}

func (s *Service) auditJSON(w http.ResponseWriter, r *http.Request, o *Officer) error {
	limit := 500
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return errs.Invalidf("limit", "limit_invalid", "limit must be a number from 1 to 10000")
		}
		limit = n
	}
	list, err := s.AuditLog(r.Context(), r.URL.Query().Get("officer"), r.URL.Query().Get("action"), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"entries": list})
}

func (s *Service) addOfficerJSON(w http.ResponseWriter, r *http.Request, o *Officer) error {
	var in OfficerInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	created, err := s.AddOfficer(r.Context(), in, o)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, created)
}
