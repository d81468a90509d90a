package httpapi_test

import (
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/config"
)

// A parcel detained at inspection and then released still counts against the
// buyer's yearly amount; one detained and then rejected gives it back.
func TestDetentionKeepsTheQuotaUntilTheEnd(t *testing.T) {
	f := newFixture(t, apptest.SQLite, func(c *config.Config) { c.Rules.InspectionRates["general"] = "1" })
	quota := func() string {
		var q struct{ Used string }
		f.s.Do("GET", "/api/v1/quota?name=王小明&idNumber=110101199003074514", "", "", nil).JSON(t, &q)
		return q.Used
	}
	decide := func(copNo, status string) {
		t.Helper()
		r := f.s.JSON("POST", "/api/v1/risk/inventories/"+agent+"/"+copNo+"/decision", apptest.AdminToken,
			map[string]string{"status": status, "reason": "查验结果 inspection result", "actor": "officer-1"})
		if r.Status != 200 {
			t.Fatalf("decision %s on %s: %d %s", status, copNo, r.Status, r.Body)
		}
	}
	released := f.newDecl()
	f.send(released)
	if r := f.final(released.copNo); r.ReturnStatus != "500" {
		t.Fatalf("want 500 first, got %s %s", r.ReturnStatus, r.ReturnInfo)
	}
	decide(released.copNo, "502")
	if got := quota(); got != "410.00" {
		t.Errorf("detained: used %s, want 410.00 (still reserved)", got)
	}
	decide(released.copNo, "800")
	if got := quota(); got != "410.00" {
		t.Errorf("released after detention: used %s, want 410.00", got)
	}
	rejected := f.newDecl()
	f.send(rejected)
	f.final(rejected.copNo)
	decide(rejected.copNo, "503")
	decide(rejected.copNo, "100")
	if got := quota(); got != "410.00" {
		t.Errorf("rejected after detention: used %s, want 410.00 (only the released one)", got)
	}
}
