package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/logging"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/refdata"
)

// catalogRoutes registers the reference-data endpoints (contract §6): CSV
// uploads of the tariff table, the positive and negative lists and product
// filings, and reads of what is in force.
func (a *API) catalogRoutes() {
	a.handle("POST /api/v1/tariff", a.admin(a.importTable(refdata.Tariff)))
	a.handle("GET /api/v1/tariff", a.authenticated(a.listVersions(refdata.Tariff)))
	a.handle("GET /api/v1/tariff/{hsCode}", a.authenticated(a.getTariff))
	a.handle("POST /api/v1/positive-list", a.admin(a.importTable(refdata.PositiveList)))
	a.handle("GET /api/v1/positive-list", a.authenticated(a.listVersions(refdata.PositiveList)))
	a.handle("GET /api/v1/positive-list/{hsCode}", a.authenticated(a.getPositive))
	a.handle("POST /api/v1/negative-list", a.admin(a.importTable(refdata.NegativeList)))
	a.handle("GET /api/v1/negative-list", a.authenticated(a.listVersions(refdata.NegativeList)))
	a.handle("POST /api/v1/products", a.enterpriseOnly(a.importProducts))
	a.handle("GET /api/v1/products", a.authenticated(a.listProducts))
	a.handle("GET /api/v1/products/{itemNo}", a.authenticated(a.getProduct))
}

// authenticated lets the administrator or any active enterprise through.
func (a *API) authenticated(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := a.authenticate(r)
		if err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// importTable answers an upload of a versioned table.
func (a *API) importTable(kind refdata.Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		u := refdata.Upload{By: "admin"}
		var err error
		if u.EffectiveFrom, err = timeParam(q.Get("effectiveFrom"), "effectiveFrom"); err != nil {
			return err
		}
		if u.Replace, err = boolParam(q.Get("replace"), "replace"); err != nil {
			return err
		}
		body, err := csvBody(r)
		if err != nil {
			return err
		}
		v, err := a.importer(kind)(r.Context(), bytes.NewReader(body), u)
		if err != nil {
			return a.csvError(w, r, err)
		}
		// Exactly the answer of contract §6; GET on the same path lists the
		// versions with their numbers and dates.
		return writeJSON(w, http.StatusOK, map[string]int{"imported": v.Rows})
	}
}

// importer is the Reference method loading a table of that kind.
func (a *API) importer(kind refdata.Kind) func(context.Context, io.Reader, refdata.Upload) (refdata.VersionInfo, error) {
	switch kind {
	case refdata.PositiveList:
		return a.Reference.ImportPositiveList
	case refdata.NegativeList:
		return a.Reference.ImportNegativeList
	}
	return a.Reference.ImportTariff
}

func (a *API) importProducts(w http.ResponseWriter, r *http.Request) error {
	ent := caller(r).enterprise
	if !ent.HasRole(enterprise.RoleSeller) {
		return errs.New(errs.Forbidden, "ebc_role_required", "Authorization",
			"enterprise %s does not hold the role ebc: only an e-commerce enterprise files products", ent.Code)
	}
	body, err := csvBody(r)
	if err != nil {
		return err
	}
	n, err := a.Reference.ImportProducts(r.Context(), ent.Code, bytes.NewReader(body))
	if err != nil {
		return a.csvError(w, r, err)
	}
	return writeJSON(w, http.StatusOK, map[string]int{"imported": n})
}

// csvBody reads the whole upload first, so that a body over the size limit
// answers 413 rather than a CSV problem at whatever line it was cut.
func csvBody(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		switch {
		case err != nil:
			return nil, errs.Invalidf("Content-Type", "content_type", "Content-Type %q: %v", ct, err)
		case mt == "application/json", mt == "application/xml", mt == "text/xml", mt == "multipart/form-data":
			return nil, errs.Invalidf("Content-Type", "content_type", "want text/csv, got %s: send the CSV file itself as the body", mt)
		}
	}
	return io.ReadAll(r.Body)
}

// csvProblem is one problem of an upload: the shape of every error answer
// with the line it was found on.
type csvProblem struct {
	Kind    errs.Kind `json:"kind"`
	Code    string    `json:"code"`
	Field   string    `json:"field,omitempty"`
	Line    int       `json:"line"`
	Message string    `json:"message"`
}

// maxProblemsShown bounds the answer for a file that is wrong throughout;
// problemCount still tells how many there are.
const maxProblemsShown = 1000

// csvError answers a refused upload: 400 naming every problem by line and
// column when the file was at fault, the ordinary error answer otherwise.
func (a *API) csvError(w http.ResponseWriter, r *http.Request, err error) error {
	probs, ok := catalog.AsProblems(err)
	if !ok {
		return err
	}
	body := struct {
		Error        csvProblem   `json:"error"`
		Problems     []csvProblem `json:"problems"`
		ProblemCount int          `json:"problemCount"`
		RequestID    string       `json:"requestId"`
	}{ProblemCount: len(probs), RequestID: logging.RequestID(r.Context())}
	for i, p := range probs {
		if i == maxProblemsShown {
			break
		}
		body.Problems = append(body.Problems, csvProblem{Kind: errs.Invalid, Code: "csv_invalid", Field: p.Column, Line: p.Line, Message: p.Message})
	}
	body.Error = body.Problems[0]
	body.Error.Message = fmt.Sprintf("%s (%d problem(s) in the file; nothing was imported)", probs[0], len(probs))
	return writeJSON(w, http.StatusBadRequest, body)
}

// timeParam parses an optional RFC 3339 time with its zone; "" is zero.
func timeParam(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errs.Invalidf(name, "time_format", "%s %q is not an RFC 3339 time with a zone, e.g. 2027-01-01T00:00:00+08:00", name, v)
	}
	return t, nil
}

func boolParam(v, name string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errs.Invalidf(name, "bool_format", "%s %q is not true or false", name, v)
	}
	return b, nil
}

// versionView is a version with whether it is in force yet.
type versionView struct {
	refdata.VersionInfo
	State string `json:"state"` // "effective" or "scheduled"
}

func versionViews(vs []refdata.VersionInfo, now time.Time) []versionView {
	out := make([]versionView, len(vs))
	for i, v := range vs {
		out[i] = versionView{VersionInfo: v, State: "effective"}
		if v.EffectiveFrom.After(now) {
			out[i].State = "scheduled"
		}
	}
	return out
}

func (a *API) listVersions(kind refdata.Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		at, err := atParam(r)
		if err != nil {
			return err
		}
		out := map[string]any{"versions": versionViews(a.Reference.Versions(kind), at)}
		if kind == refdata.NegativeList {
			// The negative list is short and matched in full, so it is shown whole.
			out["entries"] = negativeViews(a.Reference.NegativeAt(at))
			out["at"] = at
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

// atParam is the optional moment a read is about, now by default.
func atParam(r *http.Request) (time.Time, error) {
	at, err := timeParam(r.URL.Query().Get("at"), "at")
	if err != nil || !at.IsZero() {
		return at, err
	}
	return time.Now(), nil
}

func hsParam(r *http.Request, lengths ...int) (string, error) {
	hs := r.PathValue("hsCode")
	if err := catalog.ValidateHSCode(hs, lengths...); err != nil {
		return "", errs.Invalidf("hsCode", "hs_code_format", "%v", err)
	}
	return hs, nil
}

// tariffView is a tariff row as JSON: decimals as strings, optional values
// left out when not set.
type tariffView struct {
	HSCode           string    `json:"hsCode"`
	Name             string    `json:"name"`
	VATRate          string    `json:"vatRate"`
	CTRate           string    `json:"consumptionTaxRate"`
	CTThreshold      string    `json:"consumptionTaxThreshold,omitempty"`
	CTUnit           string    `json:"consumptionTaxUnit,omitempty"`
	CTThresholdPiece string    `json:"consumptionTaxThresholdPiece,omitempty"`
	CTSpecific       string    `json:"consumptionTaxSpecific,omitempty"`
	CTSpecificUnit   string    `json:"consumptionTaxSpecificUnit,omitempty"`
	CTSpecificBelow  string    `json:"consumptionTaxSpecificBelow,omitempty"`
	LitresPerTonne   string    `json:"litresPerTonne,omitempty"`
	LegalUnit        string    `json:"legalUnit,omitempty"`
	DutyRate         string    `json:"dutyRate"`
	Version          int64     `json:"version"`
	At               time.Time `json:"at"`
}

func optional(d money.Decimal) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func (a *API) getTariff(w http.ResponseWriter, r *http.Request) error {
	hs, err := hsParam(r, 10)
	if err != nil {
		return err
	}
	at, err := atParam(r)
	if err != nil {
		return err
	}
	row, v, ok := a.Reference.TariffAt(hs, at)
	if !ok {
		return errs.New(errs.NotFound, "tariff_not_found", "hsCode", "no tariff row for HS code %s is in force at %s", hs, at.UTC().Format(time.RFC3339))
	}
	return writeJSON(w, http.StatusOK, tariffView{
		HSCode: row.HSCode, Name: row.Name, VATRate: row.VATRate.String(), CTRate: row.CTRate.String(),
		CTThreshold: optional(row.CTThreshold), CTUnit: string(row.CTUnit), CTThresholdPiece: optional(row.CTThresholdPiece),
		CTSpecific: optional(row.CTSpecific), CTSpecificUnit: string(row.CTSpecificUnit), CTSpecificBelow: optional(row.CTSpecificBelow),
		LitresPerTonne: optional(row.LitresPerTonne), LegalUnit: string(row.LegalUnit), DutyRate: row.DutyRate.String(),
		Version: v, At: at,
	})
}

func (a *API) getPositive(w http.ResponseWriter, r *http.Request) error {
	hs, err := hsParam(r, 8, 10)
	if err != nil {
		return err
	}
	at, err := atParam(r)
	if err != nil {
		return err
	}
	e, v, ok := a.Reference.PositiveAt(hs, at)
	if !ok {
		return errs.New(errs.NotFound, "positive_list_not_found", "hsCode",
			"HS code %s is not on the positive list in force at %s: it may not be imported as CBEC retail goods", hs, at.UTC().Format(time.RFC3339))
	}
	out := map[string]any{"hsCode": e.HSCode, "name": e.Name, "remarkKind": string(e.RemarkKind), "remark": e.Remark, "version": v, "at": at}
	if e.YearlyCap != nil {
		out["yearlyCap"] = map[string]string{"amount": e.YearlyCap.Amount.String(), "unit": string(e.YearlyCap.Unit)}
	}
	return writeJSON(w, http.StatusOK, out)
}

type negativeView struct {
	HSPrefix string `json:"hsPrefix,omitempty"`
	GTIN     string `json:"gtin,omitempty"`
	Name     string `json:"name,omitempty"`
	Kind     string `json:"kind"`
	Reason   string `json:"reason"`
}

func negativeViews(es []catalog.NegativeListEntry) []negativeView {
	out := make([]negativeView, len(es))
	for i, e := range es {
		out[i] = negativeView{HSPrefix: e.HSPrefix, GTIN: e.GTIN, Name: e.Name, Kind: string(e.Kind), Reason: e.Reason}
	}
	return out
}

// filingView is a stored product filing as JSON.
type filingView struct {
	EBCCode       string    `json:"ebcCode"`
	ItemNo        string    `json:"itemNo"`
	Name          string    `json:"name"`
	HSCode        string    `json:"hsCode"`
	GTIN          string    `json:"gtin"`
	Brand         string    `json:"brand"`
	OriginCountry string    `json:"originCountry"`
	Spec          string    `json:"spec"`
	LegalUnit     string    `json:"legalUnit"`
	ItemRecordNo  string    `json:"itemRecordNo"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

func toFilingView(f refdata.Filing) filingView {
	return filingView{EBCCode: f.EBCCode, ItemNo: f.ItemNo, Name: f.Name, HSCode: f.HSCode, GTIN: f.GTIN, Brand: f.Brand,
		OriginCountry: f.OriginCountry, Spec: f.Spec, LegalUnit: f.LegalUnit, ItemRecordNo: f.ItemRecordNo, UpdatedAt: f.UpdatedAt}
}

// filingOwner is whose filings a read concerns: an enterprise reads its own
// (ebcCode, if given, must be its code); the administrator names one.
func filingOwner(r *http.Request) (string, error) {
	p, code := caller(r), r.URL.Query().Get("ebcCode")
	if p.admin {
		if code == "" {
			return "", errs.Invalidf("ebcCode", "ebc_code_required", "name the e-commerce enterprise: ?ebcCode=…")
		}
		return code, nil
	}
	if code != "" && code != p.enterprise.Code {
		return "", errs.New(errs.Forbidden, "not_your_enterprise", "ebcCode", "an enterprise may only read its own product filings")
	}
	return p.enterprise.Code, nil
}

func (a *API) getProduct(w http.ResponseWriter, r *http.Request) error {
	ebc, err := filingOwner(r)
	if err != nil {
		return err
	}
	f, err := a.Reference.ProductFiling(r.Context(), ebc, r.PathValue("itemNo"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toFilingView(f))
}

func (a *API) listProducts(w http.ResponseWriter, r *http.Request) error {
	ebc, err := filingOwner(r)
	if err != nil {
		return err
	}
	limit, err := intParam(r.URL.Query().Get("limit"), "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	list, err := a.Reference.ProductFilings(r.Context(), ebc, r.URL.Query().Get("after"), limit)
	if err != nil {
		return err
	}
	out := make([]filingView, len(list))
	for i, f := range list {
		out[i] = toFilingView(f)
	}
	next := ""
	if len(list) == limit {
		next = list[len(list)-1].ItemNo
	}
	return writeJSON(w, http.StatusOK, map[string]any{"products": out, "next": next})
}
