package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/config"
)

// TestAbnormalListDrawsAtTheDishonestRate: rules §9 — an e-commerce
// enterprise on the market regulator's abnormal operations list is drawn for
// inspection at the dishonest class's rate, not at its own class's.
func TestAbnormalListDrawsAtTheDishonestRate(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		// Its own class never draws, the dishonest class always does.
		f := newFixture(t, engine, func(c *config.Config) { c.Rules.InspectionRates["dishonest"] = "1" })
		before := f.newDecl()
		f.send(before)
		if r := f.final(before.copNo); r.ReturnStatus != "800" {
			t.Fatalf("before the listing: want 800, got %s %s", r.ReturnStatus, r.ReturnInfo)
		}

		f.admin("POST", "/api/v1/credit-records", map[string]any{"enterpriseCode": platform, "department": "market", "kind": "abnormal_list",
			"legalBasis": "《企业经营异常名录管理暂行办法》", "decisionNo": "渝市监异〔2026〕12号", "author": "王科员"}, http.StatusCreated)
		d := f.newDecl()
		f.send(d)
		if r := f.final(d.copNo); r.ReturnStatus != "500" || code(r.ReturnInfo) != "2500" {
			t.Fatalf("on the abnormal list: want 500/2500 (drawn at the dishonest rate), got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		var view struct {
			Selection struct {
				CreditClass, Rate string
				AbnormalList      bool
				Selected          bool
			}
		}
		f.admin("GET", "/api/v1/risk/inventories/"+agent+"/"+d.copNo, nil, http.StatusOK).JSON(t, &view)
		if s := view.Selection; s.CreditClass != "general" || !s.AbnormalList || s.Rate != "1" || !s.Selected {
			t.Errorf("selection audit: want class general on the abnormal list at rate 1, selected; got %+v", s)
		}
	})
}
