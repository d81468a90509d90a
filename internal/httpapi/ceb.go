package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/ident"
	"github.com/cbec-platform/cbec/internal/money"
)

// clearanceRoutes registers CEB intake, the receipts feed, inventory reads and
// the public quota query (contract §3–§5).
func (a *API) clearanceRoutes() {
	a.handle("POST /api/v1/ceb", a.enterpriseOnly(a.submitCEB))
	a.handle("GET /api/v1/receipts", a.enterpriseOnly(a.listReceipts))
	a.handle("GET /api/v1/inventories/{copNo}", a.enterpriseOnly(a.getInventory))
	a.handle("GET /api/v1/quota", a.quota)
	a.handle("POST /api/v1/documents/{type}", a.enterpriseOnly(a.submitJSON))
	a.webhookRoutes()
}

func (a *API) submitCEB(w http.ResponseWriter, r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.Contains(ct, "xml") {
		return errs.Invalidf("Content-Type", "content_type", "want application/xml, got %q", ct)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err // MaxBytesError becomes 413
	}
	ans, err := a.Intake.Submit(r.Context(), caller(r).enterprise, body)
	if err != nil {
		return err
	}
	if ans.Refusal != "" {
		a.Log.InfoContext(r.Context(), "CEB message refused", "enterprise", caller(r).enterprise.Code, "refusal", ans.Refusal)
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(ans.Status)
	_, err = w.Write(ans.Body)
	return err
}

func (a *API) listReceipts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	after, err := intParam(q.Get("after"), "after", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := intParam(q.Get("limit"), "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	read := a.Store.Receipts
	if a.Feed != nil {
		read = a.Feed
	}
	list, err := read(r.Context(), caller(r).enterprise.Code, int64(after), limit)
	if err != nil {
		return err
	}
	next := int64(after)
	if len(list) > 0 {
		next = list[len(list)-1].Seq
	}
	return writeJSON(w, http.StatusOK, map[string]any{"receipts": list, "next": next})
}

func intParam(v, name string, def, min, max int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, errs.Invalidf(name, name+"_range", "%s %q must be a whole number from %d to %d", name, v, min, max)
	}
	return n, nil
}

// inventoryView is an inventory as its declarer sees it: status, amounts and history, personal data masked.
type inventoryView struct {
	CopNo       string       `json:"copNo"`
	PreNo       string       `json:"preNo"`
	InvtNo      string       `json:"invtNo"`
	OrderNo     string       `json:"orderNo"`
	EbpCode     string       `json:"ebpCode"`
	EbcCode     string       `json:"ebcCode"`
	LogisticsNo string       `json:"logisticsNo"`
	TradeMode   string       `json:"tradeMode"`
	Status      string       `json:"status"`
	ReturnInfo  string       `json:"returnInfo"`
	BuyerName   string       `json:"buyerName"`
	BuyerID     string       `json:"buyerIdNumber"`
	Dutiable    money.Amount `json:"dutiableValue"`
	Duty        money.Amount `json:"duty"`
	CT          money.Amount `json:"consumptionTax"`
	VAT         money.Amount `json:"vat"`
	Tax         money.Amount `json:"taxTotal"`
	Regime      string       `json:"taxRegime,omitempty"`
	DeclaredAt  time.Time    `json:"declaredAt"`
	ReleasedAt  *time.Time   `json:"releasedAt,omitempty"`
	Events      []eventView  `json:"events"`
}

type eventView struct {
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	Code   string    `json:"code"`
	Info   string    `json:"info"`
	Actor  string    `json:"actor"`
}

func (a *API) getInventory(w http.ResponseWriter, r *http.Request) error {
	v, err := a.inventoryOf(r, caller(r).enterprise, r.PathValue("copNo"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// inventoryOf is the inventory copNo that enterprise me declared, as me sees it.
func (a *API) inventoryOf(r *http.Request, me *enterprise.Enterprise, copNo string) (inventoryView, error) {
	inv, err := a.Store.InventoryByCopNo(r.Context(), me.Code, copNo)
	if err != nil {
		return inventoryView{}, err
	}
	var doc clearance.Inventory
	if err := json.Unmarshal(inv.Data, &doc); err != nil {
		return inventoryView{}, fmt.Errorf("read inventory %s: %w", copNo, err)
	}
	events, err := a.Store.Events(r.Context(), inv.ID)
	if err != nil {
		return inventoryView{}, err
	}
	v := inventoryView{CopNo: inv.CopNo, PreNo: inv.PreNo, InvtNo: inv.InvtNo, OrderNo: inv.OrderNo, EbpCode: inv.EbpCode,
		EbcCode: inv.EbcCode, LogisticsNo: inv.LogisticsNo, TradeMode: inv.TradeMode, Status: inv.Status, ReturnInfo: inv.ReasonInfo,
		BuyerName: doc.BuyerName.Masked, BuyerID: doc.BuyerID.Masked,
		Dutiable: money.FromFen(inv.DutiableFen), Duty: money.FromFen(inv.DutyFen), CT: money.FromFen(inv.CTFen),
		VAT: money.FromFen(inv.VATFen), Tax: money.FromFen(inv.Tax), Regime: inv.Regime,
		DeclaredAt: inv.CreatedAt, ReleasedAt: inv.ReleasedAt, Events: []eventView{}}
	for _, e := range events {
		e.Actor = actorForEnterprise(e.Actor)
		v.Events = append(v.Events, eventView(e))
	}
	return v, nil
}

// actorForEnterprise is who took a step, as an enterprise sees it: an officer
// who acted through the API is recorded as "officer:<name>" for officers
// (GET /api/v1/risk/inventories/…), and shown to the enterprise as
// "officer", since an officer's name is personal data the enterprise has no
// need of. The console's decisions record a decision id, not a name, already.
func actorForEnterprise(actor string) string {
	if strings.HasPrefix(actor, "officer:") {
		return "officer"
	}
	return actor
}

// quota answers a consumer's question: how much of my yearly amount is left (contract §5).
func (a *API) quota(w http.ResponseWriter, r *http.Request) error {
	if err := a.quotaAddress(r); err != nil {
		return err
	}
	q := r.URL.Query()
	name := strings.TrimSpace(q.Get("name"))
	id := ident.Normalize(q.Get("idNumber"))
	var problems errs.List
	if name == "" {
		problems = append(problems, errs.Invalidf("name", "name_required", "name is required"))
	}
	if err := ident.ValidateResidentID(id, time.Now()); err != nil {
		problems = append(problems, errs.Invalidf("idNumber", "id_number_invalid", "not a valid resident ID number: %v", err))
	}
	year := time.Now().In(time.FixedZone("CST", 8*3600)).Year()
	if v := q.Get("year"); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil || y < 2016 || y > year+1 {
			problems = append(problems, errs.Invalidf("year", "year_range", "year %q must be from 2016 to %d", v, year+1))
		}
		year = y
	}
	if err := problems.Err(); err != nil {
		return err
	}
	pr := clearance.Protector{V: a.Vault}
	if err := a.quotaID(pr.ID(id).Hash); err != nil {
		return err
	}
	used, err := a.Store.QuotaUsed(r.Context(), pr.ID(id).Hash, pr.Name(name).Hash, year)
	if err != nil {
		return err
	}
	limit := a.AnnualLimit
	remaining := money.FromFen(max(limit.Fen()-used, 0))
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, map[string]any{"year": year, "used": money.FromFen(used), "remaining": remaining, "limit": limit})
}
