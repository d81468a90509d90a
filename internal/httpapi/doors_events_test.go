package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// Issue 16 item 7: only the carrier of a waybill (and the goods' owner) records
// trace events on its goods; another carrier or a zone that does not hold them
// is refused, and the piece's state, shown on the public page, does not move.
func TestTraceEventsOnlyByTheCarrier(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := traceFixture(t, engine)
		_, cl := f.released(t)
		code := cl.Codes[0].Code
		intruders := map[string]string{
			"another carrier": f.s.Register("4401960000", "logistics"),
			"a zone":          f.s.Register("5001660000", "area"),
		}
		for name, key := range intruders {
			r := f.s.JSON("POST", "/api/v1/trace-events", key, map[string]any{"codes": []string{code}, "event": "returned"})
			if r.Status != 400 || !strings.Contains(string(r.Body), `"code":"code_not_yours"`) || !strings.Contains(string(r.Body), `"field":"codes[0]"`) {
				t.Errorf("%s recorded an event on another's goods: %d %s", name, r.Status, r.Body)
			}
		}
		if _, body := f.page("/t/" + code + "?lang=en"); strings.Contains(body, "eturned") {
			t.Errorf("the public page shows the intruder's event")
		}
		if r := f.s.JSON("POST", "/api/v1/trace-events", f.keys[carrier], map[string]any{"codes": []string{code}, "event": "exited"}); r.Status != 200 {
			t.Errorf("the waybill's carrier: %d %s", r.Status, r.Body)
		}
	})
}

// Issue 16 item 7: a zone gets the gate's answer only for parcels its own
// book holds; for another zone's parcel it gets the answer of an unknown
// parcel (no inventory number, no status) and nothing is marked as left.
func TestGateAnswersOnlyTheZoneHoldingTheParcel(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "10", "40.00")
		d := b.bondedDecl()
		b.declare(d)
		other := b.s.Register("5001660000", "area")
		r := b.must(b.s.JSON("POST", "/api/v1/gate/checks", other, map[string]any{"vehicleNo": "渝C00001", "parcels": []string{d.logisticsNo, "LN-NOPE"}}), http.StatusOK)
		var v struct {
			Pass    bool
			Parcels []map[string]any
		}
		r.JSON(t, &v)
		if v.Pass || len(v.Parcels) != 2 {
			t.Fatalf("other zone: %s", r.Body)
		}
		mine, unknown := v.Parcels[0], v.Parcels[1]
		delete(mine, "parcel")
		delete(unknown, "parcel")
		if mine["reason"] != "unknown" || mine["invtNo"] != nil || mine["status"] != nil || mine["detail"] != unknown["detail"] {
			t.Errorf("another zone's parcel answered %v; an unknown one %v", mine, unknown)
		}
		// The zone holding it still lets it out once: the other zone marked nothing.
		r = b.must(b.s.JSON("POST", "/api/v1/gate/checks", b.keys[zone], map[string]any{"vehicleNo": "渝A12345", "parcels": []string{d.logisticsNo}}), http.StatusOK)
		r.JSON(t, &v)
		if !v.Pass {
			t.Errorf("the holding zone: %s", r.Body)
		}
	})
}
