package httpapi_test

import (
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// An order replaced (appType 2) while its inventory waits for the waybill is
// judged as replaced. On SQLite the engine takes the documents this process
// has just written from the store's cache (store.DB.DocumentsToJudge): the
// first order is there when the inventory is first judged, and the
// replacement must put it out, or the inventory would be rejected for the
// buyer's phone of the first order.
func TestReplacedOrderIsJudgedAsReplaced(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		d := f.newDecl()
		d.invPhone, d.phone = d.phone, "13700000000" // the first order names another phone than the inventory
		f.post(platform, d.order("1"))
		f.post(payer, d.payment())
		f.post(agent, f.inventory(d, "1"))
		f.awaiting(d.copNo)
		d.phone = d.invPhone
		if _, rs, info, _ := f.post(platform, d.order("2")); rs != "120" {
			t.Fatalf("replace the order: %s %s", rs, info)
		}
		f.post(carrier, d.waybill())
		if r := f.final(d.copNo); r.ReturnStatus != "800" {
			t.Errorf("judged with the replaced order: %s %s, want 800", r.ReturnStatus, r.ReturnInfo)
		}
	})
}
