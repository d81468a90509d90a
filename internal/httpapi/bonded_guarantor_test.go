package httpapi_test

import (
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// Rules §12 (CEB621 InventoryHead.assureCode: only the declaring enterprise,
// the e-commerce enterprise or the logistics enterprise of the inventory):
// an entrusted agent declaring a 1210 inventory that names as guarantor an
// enterprise outside the inventory, which has a guarantee lodged, is refused
// at intake with 1109; nothing is stored, no stock reserved, the guarantee is
// untouched. Named by its agent, its ebc or its logistics firm, the release
// debits that guarantor.
func TestBondedGuarantorMustBeAPartyOfTheInventory(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "10", "1000.00")
		const stranger = guarantor // an enterprise with the assure role, no party of the inventory
		b.lodge(stranger, "1000.00")

		d := b.bondedDecl()
		d.assure = stranger
		for _, m := range []struct {
			sender string
			xml    []byte
		}{{platform, d.order("1")}, {payer, d.payment()}, {carrier, d.waybill()}} {
			if st, rs, info, _ := b.post(m.sender, m.xml); st != 200 || rs != "120" {
				t.Fatalf("from %s: HTTP %d %s %s", m.sender, st, rs, info)
			}
		}
		st, rs, info, _ := b.post(agent, b.bondedInventory(d))
		if st != 200 || rs != "100" || code(info) != "1109" || !strings.Contains(info, "assureCode="+stranger) ||
			!strings.Contains(info, agent) || !strings.Contains(info, platform) || !strings.Contains(info, carrier) {
			t.Errorf("1210 inventory naming another enterprise's guarantee: HTTP %d %s %s", st, rs, info)
		}
		if r := b.s.Do("GET", "/api/v1/inventories/"+d.copNo, b.keys[agent], "", nil); r.Status != 404 {
			t.Errorf("the refused inventory was stored: %d %s", r.Status, r.Body)
		}
		if on, res := b.stock("1"); on != "10.000" || res != "0.000" {
			t.Errorf("stock after the refusal: onHand %s reserved %s, want 10 and 0", on, res)
		}
		if a := b.accountAs(stranger, apptest.AdminToken); a.Balance != "1000.00" || a.Debited != "0.00" || len(a.History) != 1 {
			t.Errorf("the stranger's guarantee after the refusal: %+v", a)
		}

		// The inventory's own parties may guarantee it: the agent (the
		// fixture's guarantor), the ebc, the logistics firm.
		b.mayGuarantee(platform, "ebp", "ebc")
		b.lodge(platform, "100.00")
		b.mayGuarantee(carrier, "logistics")
		b.lodge(carrier, "100.00")
		for _, g := range []string{agent, platform, carrier} {
			d := b.bondedDecl()
			d.assure = g
			if r := b.declare(d); r.ReturnStatus != "800" {
				t.Fatalf("guaranteed by %s: %s %s", g, r.ReturnStatus, r.ReturnInfo)
			}
			if a := b.accountAs(g, apptest.AdminToken); a.Debited != "37.31" {
				t.Errorf("guarantee of %s after release: %+v", g, a)
			}
		}
		if a := b.accountAs(stranger, apptest.AdminToken); a.Debited != "0.00" {
			t.Errorf("the stranger's guarantee was debited: %+v", a)
		}
	})
}
