package httpapi

import (
	"encoding/csv"
	"fmt"
	"net/http"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/export"
)

// exportRoutes registers export (rules §11): inventories, summary
// declarations and their report, tax-refund and 无票免税 data, forex
// settlement and overseas warehouses. Export messages themselves go through
// POST /api/v1/ceb.
func (a *API) exportRoutes() {
	a.handle("GET /api/v1/export/inventories/{number}", a.authenticated(a.exportInventory))
	a.handle("POST /api/v1/export/inventories/{number}/inspection", a.admin(a.inspectExport))
	a.handle("POST /api/v1/export/summaries/run", a.admin(a.runSummaries))
	a.handle("GET /api/v1/export/summaries", a.authenticated(a.summaryReport))
	a.handle("GET /api/v1/export/summaries/{sumNo}", a.authenticated(a.getSummary))
	a.handle("GET /api/v1/export/refund", a.authenticated(a.refundData))
	a.handle("POST /api/v1/export/no-invoice", a.authenticated(a.registerNoInvoice))
	a.handle("GET /api/v1/export/no-invoice", a.authenticated(a.listNoInvoice))
	a.handle("GET /api/v1/export/forex", a.authenticated(a.forex))
	a.handle("POST /api/v1/export/warehouses", a.admin(a.fileWarehouse))
	a.handle("GET /api/v1/export/warehouses", a.authenticated(a.listWarehouses))
}

// ebcScope is the consignor a request may see: the administrator any (the
// ebcCode parameter, or all), an enterprise only itself.
func ebcScope(r *http.Request) (string, error) {
	q := r.URL.Query().Get("ebcCode")
	p := caller(r)
	if p.admin {
		return q, nil
	}
	if q != "" && q != p.enterprise.Code {
		return "", errs.New(errs.Forbidden, "not_your_data", "ebcCode", "enterprise %s may see only its own export data", p.enterprise.Code)
	}
	return p.enterprise.Code, nil
}

func (a *API) exportInventory(w http.ResponseWriter, r *http.Request) error {
	v, err := a.Export.Inventory(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	if p := caller(r); !p.admin && p.enterprise.Code != v.AgentCode && p.enterprise.Code != v.EbcCode {
		return errs.New(errs.NotFound, "export_inventory_not_found", "number", "no export inventory %s", r.PathValue("number"))
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) runSummaries(w http.ResponseWriter, r *http.Request) error {
	var in struct{ Month, EbcCode string }
	if err := readJSON(r, &in); err != nil {
		return err
	}
	sums, err := a.Export.Summarize(r.Context(), in.Month, in.EbcCode, "api")
	if err != nil {
		return err
	}
	if sums == nil {
		sums = []export.Summary{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"summaries": sums})
}

func (a *API) summaryReport(w http.ResponseWriter, r *http.Request) error {
	ebc, err := ebcScope(r)
	if err != nil {
		return err
	}
	rep, err := a.Export.MonthReport(r.Context(), r.URL.Query().Get("month"), ebc)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (a *API) getSummary(w http.ResponseWriter, r *http.Request) error {
	sum, err := a.Export.Summary(r.Context(), r.PathValue("sumNo"))
	if err != nil {
		return err
	}
	if p := caller(r); !p.admin && p.enterprise.Code != sum.EbcCode && p.enterprise.Code != sum.AgentCode {
		return errs.New(errs.NotFound, "summary_not_found", "sumNo", "no summary declaration %s", sum.SumNo)
	}
	return writeJSON(w, http.StatusOK, sum)
}

// refundData serves a month's refund figures as JSON, or CSV with format=csv.
func (a *API) refundData(w http.ResponseWriter, r *http.Request) error {
	ebc, err := ebcScope(r)
	if err != nil {
		return err
	}
	month := r.URL.Query().Get("month")
	rows, err := a.Export.Refund(r.Context(), month, ebc)
	if err != nil {
		return err
	}
	noInv, err := a.Export.NoInvoices(r.Context(), month, ebc)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") != "csv" {
		return writeJSON(w, http.StatusOK, map[string]any{"month": month, "lines": rows, "noInvoice": noInv})
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=export-refund-%s.csv", month))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"sum_no", "month", "ebc_code", "owner_code", "country", "port_code", "gseqno", "gcode", "unit", "qty", "currency", "value", "lists", "departed"})
	for _, x := range rows {
		_ = cw.Write([]string{x.SumNo, x.Month, x.EbcCode, x.OwnerCode, x.Country, x.PortCode, fmt.Sprint(x.Gseqno), x.Gcode, x.Unit, x.Qty, x.Currency, x.Value,
			fmt.Sprint(x.Lists), fmt.Sprint(x.Departed)})
	}
	cw.Flush()
	return cw.Error()
}

func (a *API) registerNoInvoice(w http.ResponseWriter, r *http.Request) error {
	var in export.NoInvoice
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if p := caller(r); !p.admin {
		if in.EbcCode != "" && in.EbcCode != p.enterprise.Code {
			return errs.New(errs.Forbidden, "not_your_data", "ebcCode", "enterprise %s may register only its own goods", p.enterprise.Code)
		}
		in.EbcCode = p.enterprise.Code
	}
	out, err := a.Export.RegisterNoInvoice(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (a *API) listNoInvoice(w http.ResponseWriter, r *http.Request) error {
	ebc, err := ebcScope(r)
	if err != nil {
		return err
	}
	out, err := a.Export.NoInvoices(r.Context(), r.URL.Query().Get("month"), ebc)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"registrations": out})
}

func (a *API) forex(w http.ResponseWriter, r *http.Request) error {
	ebc, err := ebcScope(r)
	if err != nil {
		return err
	}
	rows, err := a.Export.Forex(r.Context(), ebc)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []export.ForexRow{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"rows": rows})
}

func (a *API) fileWarehouse(w http.ResponseWriter, r *http.Request) error {
	var in export.Warehouse
	if err := readJSON(r, &in); err != nil {
		return err
	}
	out, err := a.Export.FileWarehouse(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (a *API) listWarehouses(w http.ResponseWriter, r *http.Request) error {
	ebc, err := ebcScope(r)
	if err != nil {
		return err
	}
	out, err := a.Export.Warehouses(r.Context(), ebc)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"warehouses": out})
}

// inspectExport records an officer's inspection of an export selected for inspection (500).
func (a *API) inspectExport(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Passed *bool
		Note   string
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.Passed == nil {
		return errs.Invalidf("passed", "passed_required", "passed must be true (release) or false (reject)")
	}
	v, err := a.Export.Inspect(r.Context(), r.PathValue("number"), *in.Passed, in.Note, who(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}
