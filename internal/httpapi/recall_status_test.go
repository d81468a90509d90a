package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// TestRecallNoticeIsNotARelease: a recall notice in an enterprise's feed is
// not a decision (docs/reasons.md, 2700), so its returnStatus is 120, which
// no program can read as a release (800); the inventory stays released.
func TestRecallNoticeIsNotARelease(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := traceFixture(t, engine)
		d, _ := f.released(t)
		f.admin("POST", "/api/v1/recalls", map[string]any{"title": "婴儿配方奶粉召回", "reason": "检出阪崎肠杆菌", "gtin": milkGTIN}, http.StatusCreated)

		var feed struct{ Receipts []feedReceipt }
		f.s.Do("GET", "/api/v1/receipts?after=0&limit=1000", f.keys[platform], "", nil).JSON(t, &feed)
		notices := 0
		for _, rc := range feed.Receipts {
			if rc.MessageType != "RecallNotice" {
				continue
			}
			notices++
			if rc.CopNo != d.copNo || code(rc.ReturnInfo) != "2700" || rc.ReturnStatus != "120" {
				t.Errorf("recall notice: want copNo %s, 2700 with returnStatus 120 (not a decision), got %s %s %s", d.copNo, rc.CopNo, rc.ReturnStatus, rc.ReturnInfo)
			}
		}
		if notices != 1 {
			t.Fatalf("want one recall notice in the platform's feed, got %d", notices)
		}
		var inv struct{ Status string }
		f.admin("GET", "/api/v1/risk/inventories/"+agent+"/"+d.copNo, nil, http.StatusOK).JSON(t, &inv)
		if inv.Status != "800" {
			t.Errorf("the recalled inventory's status: want it still released (800), got %s", inv.Status)
		}
	})
}
