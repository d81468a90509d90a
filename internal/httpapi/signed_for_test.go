package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/ceb"
)

// signedFor is a CEB513 saying the carrier's waybill was signed for (S).
func signedFor(logisticsNo string, at time.Time) []byte {
	ls := ceb.LogisticsStatus{Guid: guid(), AppType: "1", AppTime: appTime, AppStatus: "2", LogisticsCode: carrier, LogisticsName: "物流",
		LogisticsNo: logisticsNo, LogisticsStatus: "S", LogisticsTime: at.In(time.FixedZone("CST", 8*3600)).Format("20060102150405")}
	return mustEncode(&ceb.CEB513Message{Guid: guid(), Version: "1.0", LogisticsStatus: []ceb.LogisticsStatus{ls}, BaseTransfer: transfer(carrier)})
}

// TestSignedForOnlyAfterRelease: a parcel cannot be signed for (CEB513 S)
// while its inventory is held (300), nor can a waybill never declared; the
// refusal names why, changes nothing, and the manifest does not show the held
// parcel delivered. Once released it can be signed for.
func TestSignedForOnlyAfterRelease(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		var m struct{ ID string }
		f.admin("POST", "/api/v1/risk/measures", map[string]any{"kind": "hs_prefix", "value": "1901", "reason": "配方奶粉抽检", "legalBasis": "海关总署公告",
			"author": "李科长"}, http.StatusCreated).JSON(t, &m)
		d := f.newDecl()
		f.send(d)
		if r := f.final(d.copNo); r.ReturnStatus != "300" {
			t.Fatalf("want the inventory held (300), got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		var man manifestView
		f.s.JSON("POST", "/api/v1/manifests", f.keys[carrier], map[string]any{"billNo": "SF1", "voyageNo": "CA101", "trafMode": "5", "weightKg": "2",
			"parcels": []string{d.logisticsNo}}).JSON(t, &man)

		if st, rs, info, _ := f.post(carrier, signedFor(d.logisticsNo, time.Now())); st != 200 || rs != "100" || code(info) != "1343" {
			t.Errorf("signed for a held parcel: want 100/1343, got HTTP %d %s %s", st, rs, info)
		}
		if st, rs, info, _ := f.post(carrier, signedFor("LNNEVERDECLARED1", time.Now())); st != 200 || rs != "100" || code(info) != "1342" {
			t.Errorf("signed for an unknown waybill: want 100/1342, got HTTP %d %s %s", st, rs, info)
		}
		f.s.Do("GET", "/api/v1/manifests/"+man.ID, f.keys[carrier], "", nil).JSON(t, &man)
		if len(man.Parcels) != 1 || man.Parcels[0].Stage == "delivered" || man.Parcels[0].DeliveredAt != nil {
			t.Errorf("the manifest shows the held parcel delivered: %+v", man.Parcels)
		}

		// Released, it can be signed for.
		f.admin("POST", "/api/v1/risk/measures/"+m.ID+"/lift", map[string]any{"reason": "抽检合格", "author": "李科长"}, http.StatusOK)
		f.await(d.copNo, "800")
		if st, rs, info, _ := f.post(carrier, signedFor(d.logisticsNo, time.Now())); st != 200 || rs != "120" {
			t.Fatalf("signed for a released parcel: want 120, got HTTP %d %s %s", st, rs, info)
		}
		f.s.Do("GET", "/api/v1/manifests/"+man.ID, f.keys[carrier], "", nil).JSON(t, &man)
		if man.Parcels[0].Stage != "delivered" || man.Parcels[0].DeliveredAt == nil {
			t.Errorf("after release and signing: %+v", man.Parcels)
		}
	})
}
