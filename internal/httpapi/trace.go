package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/ident"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/publicweb"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/trace"
)

// traceRoutes registers quality and traceability (rules §10): the officers'
// recalls, holds, warnings and policies; enterprises' lab applications, the
// labs' results; codes, labels, QR images, batches, piece events and EPCIS
// exports; and mounts the public pages (package publicweb) at /.
func (a *API) traceRoutes() {
	if a.Trace == nil {
		return
	}
	a.handle("POST /api/v1/recalls", a.admin(a.startRecall))
	a.handle("GET /api/v1/recalls", a.admin(a.listRecalls))
	a.handle("GET /api/v1/recalls/{id}", a.admin(a.getRecall))
	a.handle("POST /api/v1/recalls/{id}/close", a.admin(a.closeRecall))
	a.handle("GET /api/v1/product-holds", a.admin(a.listHolds))
	a.handle("POST /api/v1/product-holds/{id}/lift", a.admin(a.liftHold))
	a.handle("POST /api/v1/warnings", a.admin(a.publish("warning")))
	a.handle("DELETE /api/v1/warnings/{id}", a.admin(a.withdraw))
	a.handle("POST /api/v1/policies", a.admin(a.publish("policy")))
	a.handle("DELETE /api/v1/policies/{id}", a.admin(a.withdraw))
	a.handle("POST /api/v1/lab-applications", a.enterpriseOnly(a.applyLab))
	a.handle("GET /api/v1/lab-applications", a.authenticated(a.listLab))
	a.handle("GET /api/v1/lab-applications/{id}", a.authenticated(a.getLab))
	a.handle("POST /api/v1/lab-applications/{id}/accept", a.enterpriseOnly(a.acceptLab))
	a.handle("POST /api/v1/lab-applications/{id}/results", a.enterpriseOnly(a.recordLab))
	a.handle("GET /api/v1/inventories/{copNo}/trace-codes", a.enterpriseOnly(a.inventoryCodes))
	a.handle("GET /api/v1/inventories/{copNo}/labels", a.enterpriseOnly(a.labels))
	a.handle("GET /api/v1/inventories/{copNo}/epcis", a.enterpriseOnly(a.inventoryEPCIS))
	a.handle("POST /api/v1/inventories/{copNo}/batches", a.enterpriseOnly(a.setBatch))
	a.handle("GET /api/v1/trace-codes/{code}/qr.png", a.authenticated(a.qr("png")))
	a.handle("GET /api/v1/trace-codes/{code}/qr.svg", a.authenticated(a.qr("svg")))
	a.handle("GET /api/v1/trace-codes/{code}/epcis", a.authenticated(a.codeEPCIS))
	a.handle("POST /api/v1/trace-events", a.authenticated(a.traceEvents))

	site := &publicweb.Site{Trace: a.Trace, Credit: &creditList{e: a.Enterprises}, Quota: a.publicQuota,
		Limit: publicweb.NewLimiter(10, 30, time.Now), Log: a.Log, Now: time.Now}
	for _, rt := range site.Routes() {
		a.routes = append(a.routes, rt.Pattern)
		a.mux.Handle(rt.Pattern, rt.Handler)
	}
}

// officerOrEnterprise is the enterprise calling, nil for the administrator.
func officerOrEnterprise(r *http.Request) *enterprise.Enterprise {
	if p := caller(r); p != nil && !p.admin {
		return p.enterprise
	}
	return nil
}

type recallView struct {
	ID           string     `json:"id"`
	Title        string     `json:"title"`
	Reason       string     `json:"reason"`
	Advice       string     `json:"advice"`
	RiskLevel    string     `json:"riskLevel"`
	EbcCode      string     `json:"ebcCode,omitempty"`
	ItemNo       string     `json:"itemNo,omitempty"`
	GTIN         string     `json:"gtin,omitempty"`
	Batch        string     `json:"batch,omitempty"`
	ProducedFrom string     `json:"producedFrom,omitempty"`
	ProducedTo   string     `json:"producedTo,omitempty"`
	Product      string     `json:"product"`
	Status       string     `json:"status"`
	Pieces       int        `json:"pieces"`
	HoldID       string     `json:"holdId"`
	CreatedAt    time.Time  `json:"createdAt"`
	ClosedAt     *time.Time `json:"closedAt,omitempty"`
}

func viewRecall(r *store.Recall) recallView {
	m := r.Match
	return recallView{ID: r.ID, Title: r.Title, Reason: r.Reason, Advice: r.Advice, RiskLevel: r.RiskLevel, EbcCode: m.EbcCode,
		ItemNo: m.ItemNo, GTIN: m.GTIN, Batch: m.Batch, ProducedFrom: m.ProducedFrom, ProducedTo: m.ProducedTo, Product: r.ProductName,
		Status: r.Status, Pieces: r.Pieces, HoldID: r.HoldID, CreatedAt: r.CreatedAt, ClosedAt: r.ClosedAt}
}

type recalledOrder struct {
	CopNo   string `json:"copNo"`
	OrderNo string `json:"orderNo"`
	EbpCode string `json:"ebpCode"`
	EbcCode string `json:"ebcCode"`
	Pieces  int    `json:"pieces"`
}

func (a *API) startRecall(w http.ResponseWriter, r *http.Request) error {
	var in trace.RecallInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	res, err := a.Trace.StartRecall(r.Context(), in, "admin")
	if err != nil {
		return err
	}
	orders := []recalledOrder{}
	for _, inv := range res.Inventories {
		orders = append(orders, recalledOrder{CopNo: inv.CopNo, OrderNo: inv.OrderNo, EbpCode: inv.EbpCode, EbcCode: inv.EbcCode, Pieces: inv.Pieces})
	}
	notified := res.Notified
	if notified == nil {
		notified = []string{}
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"recall": viewRecall(res.Recall), "orders": orders, "notified": notified,
		"publicUrl": "/recalls#" + res.Recall.ID})
}

func (a *API) listRecalls(w http.ResponseWriter, r *http.Request) error {
	status := r.URL.Query().Get("status")
	if status != "" && status != "active" && status != "closed" {
		return errs.Invalidf("status", "status_unknown", "status %q: want active or closed", status)
	}
	list, err := a.Store.Recalls(r.Context(), status, 1000)
	if err != nil {
		return err
	}
	out := []recallView{}
	for i := range list {
		out = append(out, viewRecall(&list[i]))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"recalls": out})
}

func (a *API) getRecall(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := intParam(q.Get("limit"), "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	rep, err := a.Trace.Report(r.Context(), r.PathValue("id"), q.Get("after"), limit)
	if err != nil {
		return err
	}
	type piece struct {
		Code    string `json:"code"`
		State   string `json:"state"`
		CopNo   string `json:"copNo"`
		OrderNo string `json:"orderNo"`
		EbcCode string `json:"ebcCode"`
		Gnum    int    `json:"gnum"`
		Piece   int    `json:"piece"`
	}
	pieces := []piece{}
	next := ""
	for _, p := range rep.Pieces {
		pieces = append(pieces, piece(p))
		next = p.Code
	}
	if len(pieces) < limit {
		next = ""
	}
	return writeJSON(w, http.StatusOK, map[string]any{"recall": viewRecall(rep.Recall), "recalled": rep.Recall.Pieces,
		"returned": rep.Returned, "pieces": pieces, "next": next})
}

func (a *API) closeRecall(w http.ResponseWriter, r *http.Request) error {
	rc, err := a.Trace.CloseRecall(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewRecall(rc))
}

func (a *API) listHolds(w http.ResponseWriter, r *http.Request) error {
	list, err := a.Store.ProductHolds(r.Context(), r.URL.Query().Get("all") != "true")
	if err != nil {
		return err
	}
	type hold struct {
		ID        string     `json:"id"`
		Source    string     `json:"source"`
		EbcCode   string     `json:"ebcCode,omitempty"`
		ItemNo    string     `json:"itemNo,omitempty"`
		GTIN      string     `json:"gtin,omitempty"`
		Batch     string     `json:"batch,omitempty"`
		Reason    string     `json:"reason"`
		Active    bool       `json:"active"`
		CreatedAt time.Time  `json:"createdAt"`
		LiftedAt  *time.Time `json:"liftedAt,omitempty"`
	}
	out := []hold{}
	for _, h := range list {
		out = append(out, hold(h))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"holds": out})
}

func (a *API) liftHold(w http.ResponseWriter, r *http.Request) error {
	if err := a.Trace.LiftHold(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "active": false})
}

type noticeView struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	Product     string    `json:"product,omitempty"`
	EbcCode     string    `json:"ebcCode,omitempty"`
	ItemNo      string    `json:"itemNo,omitempty"`
	GTIN        string    `json:"gtin,omitempty"`
	RiskLevel   string    `json:"riskLevel,omitempty"`
	Advice      string    `json:"advice,omitempty"`
	Source      string    `json:"source"`
	PublishedAt time.Time `json:"publishedAt"`
}

func (a *API) publish(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in trace.NoticeInput
		if err := readJSON(r, &in); err != nil {
			return err
		}
		n, err := a.Trace.Publish(r.Context(), kind, in, "officer")
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, noticeView{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, Product: n.Product,
			EbcCode: n.EbcCode, ItemNo: n.ItemNo, GTIN: n.GTIN, RiskLevel: n.RiskLevel, Advice: n.Advice, Source: n.Source, PublishedAt: n.PublishedAt})
	}
}

func (a *API) withdraw(w http.ResponseWriter, r *http.Request) error {
	if err := a.Trace.Withdraw(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type labView struct {
	ID          string            `json:"id"`
	Applicant   string            `json:"applicant"`
	LabCode     string            `json:"labCode"`
	EbcCode     string            `json:"ebcCode"`
	ItemNo      string            `json:"itemNo"`
	GTIN        string            `json:"gtin,omitempty"`
	Batch       string            `json:"batch,omitempty"`
	Product     string            `json:"product"`
	Sample      string            `json:"sample"`
	Items       []string          `json:"items"`
	Status      string            `json:"status"`
	Note        string            `json:"note,omitempty"`
	Results     []store.LabResult `json:"results"`
	WarningID   string            `json:"warningId,omitempty"`
	HoldID      string            `json:"holdId,omitempty"`
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	ProductPage string            `json:"productPage"`
}

func viewLab(l *store.LabApplication) labView {
	rs := l.Results
	if rs == nil {
		rs = []store.LabResult{}
	}
	return labView{ID: l.ID, Applicant: l.Applicant, LabCode: l.LabCode, EbcCode: l.EbcCode, ItemNo: l.ItemNo, GTIN: l.GTIN, Batch: l.Batch,
		Product: l.ProductName, Sample: l.Sample, Items: l.Items, Status: l.Status, Note: l.Note, Results: rs, WarningID: l.WarningID,
		HoldID: l.HoldID, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt, ProductPage: "/products/" + l.EbcCode + "/" + l.ItemNo}
}

func (a *API) applyLab(w http.ResponseWriter, r *http.Request) error {
	var in trace.LabInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	l, err := a.Trace.Apply(r.Context(), caller(r).enterprise, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, viewLab(l))
}

func (a *API) listLab(w http.ResponseWriter, r *http.Request) error {
	limit, err := intParam(r.URL.Query().Get("limit"), "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	list, err := a.Trace.Applications(r.Context(), officerOrEnterprise(r), limit)
	if err != nil {
		return err
	}
	out := []labView{}
	for i := range list {
		out = append(out, viewLab(&list[i]))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"applications": out})
}

func (a *API) getLab(w http.ResponseWriter, r *http.Request) error {
	l, err := a.Trace.Application(r.Context(), officerOrEnterprise(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewLab(l))
}

func (a *API) acceptLab(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Accept *bool  `json:"accept"`
		Note   string `json:"note"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.Accept == nil {
		return errs.Invalidf("accept", "accept_required", "accept must be true or false")
	}
	l, err := a.Trace.Accept(r.Context(), caller(r).enterprise, r.PathValue("id"), *in.Accept, in.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewLab(l))
}

func (a *API) recordLab(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Results []trace.ResultInput `json:"results"`
		Hold    *bool               `json:"hold"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	hold := in.Hold == nil || *in.Hold
	l, err := a.Trace.Record(r.Context(), caller(r).enterprise, r.PathValue("id"), in.Results, hold)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewLab(l))
}

// origin is the scheme and host the caller reached, for absolute links in QR
// codes and EPCIS identifiers.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type codeView struct {
	Code       string    `json:"code"`
	Gnum       int       `json:"gnum"`
	Piece      int       `json:"piece"`
	ItemNo     string    `json:"itemNo"`
	GTIN       string    `json:"gtin,omitempty"`
	Batch      string    `json:"batch,omitempty"`
	ProducedOn string    `json:"producedOn,omitempty"`
	State      string    `json:"state"`
	ReleasedAt time.Time `json:"releasedAt"`
	URL        string    `json:"url"`
}

// ownInventory is the calling agent's inventory with its codes.
func (a *API) ownInventory(r *http.Request) (*store.Inventory, []store.TraceCode, error) {
	inv, err := a.Store.InventoryByCopNo(r.Context(), caller(r).enterprise.Code, r.PathValue("copNo"))
	if err != nil {
		return nil, nil, err
	}
	codes, err := a.Store.TraceCodesOfInventory(r.Context(), inv.ID)
	return inv, codes, err
}

func (a *API) inventoryCodes(w http.ResponseWriter, r *http.Request) error {
	inv, codes, err := a.ownInventory(r)
	if err != nil {
		return err
	}
	base := origin(r)
	out := []codeView{}
	for _, c := range codes {
		out = append(out, codeView{Code: c.Code, Gnum: c.Gnum, Piece: c.Piece, ItemNo: c.ItemNo, GTIN: c.GTIN, Batch: c.Batch,
			ProducedOn: c.ProducedOn, State: c.State, ReleasedAt: c.ReleasedAt, URL: base + trace.LookupPath(c.Code, c.GTIN)})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"copNo": inv.CopNo, "status": inv.Status, "codes": out})
}

var labelSheet = template.Must(template.New("labels").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>溯源码标签 {{.CopNo}}</title>
<style>
@page { size: A4; margin: 8mm; }
body { font-family: system-ui, "Noto Sans CJK SC", sans-serif; margin: 0; }
.sheet { display: grid; grid-template-columns: repeat(3, 1fr); gap: 3mm; }
.label { border: 1px dashed #999; padding: 2mm; break-inside: avoid; text-align: center; font-size: 8pt; }
.label svg { width: 30mm; height: 30mm; display: block; margin: 0 auto; }
.code { font-family: ui-monospace, monospace; font-size: 9pt; letter-spacing: .05em; }
@media print { .label { border-color: transparent; } h1 { display: none; } }
</style></head>
<body><h1>{{.CopNo}} · {{len .Labels}} 件 / pieces</h1>
<div class="sheet">{{range .Labels}}<div class="label">{{.SVG}}<div class="code">{{.Grouped}}</div><div>{{.Name}} · {{.Gnum}}-{{.Piece}}</div><div>扫码查验真伪 / scan to verify</div></div>{{end}}</div>
</body></html>`))

// labels serves a printable HTML sheet of an inventory's QR labels, three across on A4.
func (a *API) labels(w http.ResponseWriter, r *http.Request) error {
	inv, codes, err := a.ownInventory(r)
	if err != nil {
		return err
	}
	type label struct {
		SVG           template.HTML
		Grouped, Name string
		Gnum, Piece   int
	}
	base := origin(r)
	data := struct {
		CopNo  string
		Labels []label
	}{CopNo: inv.CopNo}
	for _, c := range codes {
		svg, err := trace.QRSVG(base+trace.LookupPath(c.Code, c.GTIN), c.Code)
		if err != nil {
			return err
		}
		data.Labels = append(data.Labels, label{SVG: template.HTML(svg), Grouped: trace.Group(c.Code), Name: c.Name, Gnum: c.Gnum, Piece: c.Piece}) // #nosec: our own SVG
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return labelSheet.Execute(w, data)
}

func (a *API) setBatch(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Gnum       int    `json:"gnum"`
		Batch      string `json:"batch"`
		ProducedOn string `json:"producedOn"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	var problems errs.List
	if in.Gnum < 1 {
		problems = append(problems, errs.Invalidf("gnum", "gnum_invalid", "gnum must be a goods line number from 1"))
	}
	in.Batch = strings.TrimSpace(in.Batch)
	if in.Batch == "" || len([]rune(in.Batch)) > 50 {
		problems = append(problems, errs.Invalidf("batch", "batch_invalid", "batch must have 1 to 50 characters"))
	}
	if in.ProducedOn != "" {
		if _, err := time.Parse("2006-01-02", in.ProducedOn); err != nil {
			problems = append(problems, errs.Invalidf("producedOn", "date_invalid", "producedOn %q: want a date YYYY-MM-DD", in.ProducedOn))
		}
	}
	if err := problems.Err(); err != nil {
		return err
	}
	inv, err := a.Store.InventoryByCopNo(r.Context(), caller(r).enterprise.Code, r.PathValue("copNo"))
	if err != nil {
		return err
	}
	n, err := a.Store.SetTraceBatch(r.Context(), inv.ID, in.Gnum, in.Batch, in.ProducedOn)
	if err != nil {
		return err
	}
	if n == 0 {
		return errs.New(errs.NotFound, "codes_not_found", "gnum", "inventory %s has no released pieces on line %d", inv.CopNo, in.Gnum)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"copNo": inv.CopNo, "gnum": in.Gnum, "updated": n})
}

// partyCode reads a code that the caller may see: the administrator, or an
// enterprise of its inventory (agent, platform, e-commerce enterprise).
func (a *API) partyCode(r *http.Request) (*store.TraceCode, error) {
	code := trace.Normalize(r.PathValue("code"))
	notFound := errs.New(errs.NotFound, "code_not_found", "code", "no traceability code %s", code)
	if trace.Check(code) != trace.WellFormed {
		return nil, notFound
	}
	c, err := a.Store.TraceCode(r.Context(), code)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, notFound
	}
	if me := officerOrEnterprise(r); me != nil {
		inv, err := a.Store.Inventory(r.Context(), c.InventoryID)
		if err != nil {
			return nil, err
		}
		if me.Code != inv.AgentCode && me.Code != inv.EbcCode && me.Code != inv.EbpCode {
			return nil, notFound
		}
	}
	return c, nil
}

func (a *API) qr(format string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := a.partyCode(r)
		if err != nil {
			return err
		}
		url := origin(r) + trace.LookupPath(c.Code, c.GTIN)
		w.Header().Set("Cache-Control", "private, max-age=86400")
		if format == "svg" {
			svg, err := trace.QRSVG(url, c.Code)
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", "image/svg+xml")
			_, err = w.Write([]byte(svg))
			return err
		}
		size, err := intParam(r.URL.Query().Get("size"), "size", 256, 64, 2048)
		if err != nil {
			return err
		}
		png, err := trace.QRPNG(url, size)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "image/png")
		_, err = w.Write(png)
		return err
	}
}

func (a *API) codeEPCIS(w http.ResponseWriter, r *http.Request) error {
	c, err := a.partyCode(r)
	if err != nil {
		return err
	}
	return a.writeEPCIS(w, r, []store.TraceCode{*c})
}

func (a *API) inventoryEPCIS(w http.ResponseWriter, r *http.Request) error {
	_, codes, err := a.ownInventory(r)
	if err != nil {
		return err
	}
	return a.writeEPCIS(w, r, codes)
}

func (a *API) writeEPCIS(w http.ResponseWriter, r *http.Request, codes []store.TraceCode) error {
	doc, err := a.Trace.EPCIS(r.Context(), origin(r), codes)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/ld+json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func (a *API) traceEvents(w http.ResponseWriter, r *http.Request) error {
	var in trace.EventInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	n, err := a.Trace.RecordEvents(r.Context(), officerOrEnterprise(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"recorded": n, "event": in.Event})
}

// publicQuota answers the public quota page with the rules of contract §5.
func (a *API) publicQuota(r *http.Request, name, idNumber, yearText string) (*publicweb.QuotaAnswer, error) {
	if err := a.quotaAddress(r); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	id := ident.Normalize(idNumber)
	now := time.Now()
	year := now.In(time.FixedZone("CST", 8*3600)).Year()
	var problems errs.List
	if name == "" {
		problems = append(problems, errs.Invalidf("name", "name_required", "姓名必填 / name is required"))
	}
	if err := ident.ValidateResidentID(id, now); err != nil {
		problems = append(problems, errs.Invalidf("idNumber", "id_number_invalid", "身份证号码无效 / not a valid resident ID number: %v", err))
	}
	if yearText = strings.TrimSpace(yearText); yearText != "" {
		y, err := strconv.Atoi(yearText)
		if err != nil || y < 2016 || y > year+1 {
			problems = append(problems, errs.Invalidf("year", "year_range", "年度应为 2016–%d / year must be from 2016 to %d", year+1, year+1))
		} else {
			year = y
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	pr := clearance.Protector{V: a.Vault}
	if err := a.quotaID(pr.ID(id).Hash); err != nil {
		return nil, err
	}
	used, err := a.Store.QuotaUsed(r.Context(), pr.ID(id).Hash, pr.Name(name).Hash, year)
	if err != nil {
		return nil, err
	}
	limit := a.AnnualLimit
	return &publicweb.QuotaAnswer{Year: year, Used: money.FromFen(used).String(), Remaining: money.FromFen(max(limit.Fen()-used, 0)).String(),
		Limit: limit.String()}, nil
}

// creditList reads the public credit list from the enterprise registry: AEO
// enterprises and those sanctioned or on a market-regulator list. It is cached
// for 30 s; credit records of their own (issue 6) can replace it behind the
// same interface.
type creditList struct {
	e    *enterprise.Service
	mu   sync.Mutex
	at   time.Time
	list []publicweb.CreditEntry
}

func (c *creditList) CreditList(ctx context.Context) ([]publicweb.CreditEntry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.list != nil && time.Since(c.at) < 30*time.Second {
		return c.list, nil
	}
	out := []publicweb.CreditEntry{}
	after := ""
	for range 100 { // at most 100,000 enterprises scanned
		page, err := c.e.Store.ListEnterprises(ctx, enterprise.Filter{After: after, Limit: 1000})
		if err != nil {
			return nil, fmt.Errorf("credit list: %w", err)
		}
		for _, e := range page {
			listed := e.CreditClass == enterprise.CreditAdvanced || e.CreditClass == enterprise.CreditDishonest ||
				e.CreditClass == enterprise.CreditSeriouslyDishonest || e.AbnormalList || e.SeriousViolationList
			if listed && e.Status == enterprise.StatusActive || e.CreditClass == enterprise.CreditSeriouslyDishonest {
				out = append(out, publicweb.CreditEntry{Code: e.Code, Name: e.Name, Class: string(e.CreditClass),
					Abnormal: e.AbnormalList, SeriousViolation: e.SeriousViolationList})
			}
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].Code
	}
	c.list, c.at = out, time.Now()
	return out, nil
}
