package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/xmlsig/xmlsigtest"
)

// Ownership and entrustment (issue 16, rules §12): who may create, modify and
// delete each document, and what a refused attempt leaves behind (nothing).

// Enterprises that are not the parties of the purchase.
const (
	otherPayer = "4403169D3X" // a payment firm the order does not name
	otherEbc   = "1105910160" // another e-commerce enterprise
	otherAgent = "330766K00R" // a declaring agent the platform has not entrusted
)

// registerSigned registers an enterprise with a signing certificate of its own
// (CEB621 must be signed) and returns its identity.
func (f *fixture) registerSigned(code string, roles ...string) *xmlsigtest.Identity {
	f.t.Helper()
	id := xmlsigtest.NewSM2(f.t)
	r := f.s.JSON("POST", "/api/v1/enterprises", apptest.AdminToken, map[string]any{"code": code, "name": "企业" + code, "roles": roles,
		"certificates": []string{string(id.CertPEM)}})
	if r.Status != http.StatusCreated {
		f.t.Fatalf("register %s: %d %s", code, r.Status, r.Body)
	}
	var out struct{ APIKey string }
	r.JSON(f.t, &out)
	f.keys[code] = out.APIKey
	return id
}

// inventoryBy is the inventory of d signed by id (the fixture signs as the agent).
func (f *fixture) inventoryBy(id *xmlsigtest.Identity, d *decl, appType string) []byte {
	own := f.sign
	f.sign = id
	defer func() { f.sign = own }()
	return f.inventory(d, appType)
}

// expect posts a message and checks the receipt's returnStatus and reason code.
func (f *fixture) expect(what, sender string, xml []byte, status, reason string) {
	f.t.Helper()
	st, rs, info, body := f.post(sender, xml)
	if st != http.StatusOK || rs != status || code(info) != reason {
		f.t.Errorf("%s: want %s [Code:%s], got HTTP %d %s %s\n%s", what, status, reason, st, rs, info, body)
	}
}

// feedOf lists an enterprise's receipts.
func (f *fixture) feedOf(code string) []feedReceipt {
	f.t.Helper()
	var page struct{ Receipts []feedReceipt }
	f.s.Do("GET", "/api/v1/receipts?after=0&limit=1000", f.keys[code], "", nil).JSON(f.t, &page)
	return page.Receipts
}

// mustRelease checks that the purchase clears as its owners declared it.
func (f *fixture) mustRelease(d *decl) {
	f.t.Helper()
	if r := f.final(d.copNo); r.ReturnStatus != "800" {
		f.t.Fatalf("the owners' parcel: want 800, got %s %s", r.ReturnStatus, r.ReturnInfo)
	}
}

// Item 1: a non-owner's appType 2 of an order, payment or inventory is
// refused and the owner's document stays as it was.
func TestNonOwnerCannotModify(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		f.keys[otherPayer] = f.s.Register(otherPayer, "pay")
		f.keys[otherEbc] = f.s.Register(otherEbc, "ebc")
		intruder := f.registerSigned("1105910161", "ebc")

		t.Run("payment", func(t *testing.T) {
			f.t = t
			// The order names no payment firm: the first to send keeps the payment.
			d := f.newDecl()
			d.payCode = "-"
			f.expect("order", platform, d.order("1"), "120", "1800")
			f.expect("payment", payer, d.paymentAs(payer, "1"), "120", "1800")
			f.expect("another firm's appType 2", otherPayer, d.paymentAs(otherPayer, "2"), "100", "1106")
			f.expect("another firm's appType 3", otherPayer, d.paymentAs(otherPayer, "3"), "100", "1106")
			f.expect("waybill", carrier, d.waybill(), "120", "1800")
			f.expect("inventory", agent, f.inventory(d, "1"), "120", "1800")
			f.mustRelease(d)
		})
		t.Run("order", func(t *testing.T) {
			f.t = t
			d := f.newDecl()
			f.expect("order", platform, d.order("1"), "120", "1800")
			changed := *d
			changed.ebc, changed.consAddr = otherEbc, "重庆市江北区某某路1号"
			f.expect("another ebc's appType 2", otherEbc, changed.order("2"), "100", "1106")
			f.expect("another ebc's appType 3", otherEbc, changed.order("3"), "100", "1106")
			f.expect("payment", payer, d.payment(), "120", "1800")
			f.expect("waybill", carrier, d.waybill(), "120", "1800")
			f.expect("inventory", agent, f.inventory(d, "1"), "120", "1800")
			f.mustRelease(d) // a changed consignee address would have been refused 1340
		})
		t.Run("inventory", func(t *testing.T) {
			f.t = t
			d := f.newDecl()
			f.expect("order", platform, d.order("1"), "120", "1800")
			f.expect("inventory", agent, f.inventory(d, "1"), "120", "1800")
			changed := *d
			changed.ebc = "1105910161"
			f.expect("an intruder's appType 2", "1105910161", f.inventoryBy(intruder, &changed, "2"), "100", "1106")
			f.expect("an intruder's appType 3", "1105910161", f.inventoryBy(intruder, &changed, "3"), "100", "1106")
			f.expect("payment", payer, d.payment(), "120", "1800")
			f.expect("waybill", carrier, d.waybill(), "120", "1800")
			f.mustRelease(d)
			var inv struct{ EbcCode string }
			f.s.Do("GET", "/api/v1/inventories/"+d.copNo, f.keys[agent], "", nil).JSON(t, &inv)
			if inv.EbcCode != platform {
				t.Errorf("the inventory's ebcCode is %q, want %s", inv.EbcCode, platform)
			}
		})
		f.t = t
		for _, code := range []string{otherPayer, otherEbc, "1105910161"} {
			for _, r := range f.feedOf(code) {
				if r.ReturnStatus != "100" {
					t.Errorf("intruder %s got a receipt other than a refusal: %+v", code, r)
				}
			}
		}
	})
}

// Item 2: a payment firm the order does not name cannot pre-empt the payment.
func TestPaymentOnlyFromTheNamedFirm(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		f.keys[otherPayer] = f.s.Register(otherPayer, "pay")

		t.Run("order first", func(t *testing.T) {
			f.t = t
			d := f.newDecl()
			f.expect("order", platform, d.order("1"), "120", "1800")
			f.expect("a firm the order does not name", otherPayer, d.paymentAs(otherPayer, "1"), "100", "1107")
			f.expect("the named firm's payment", payer, d.payment(), "120", "1800")
			f.expect("the wrong firm's appType 2", otherPayer, d.paymentAs(otherPayer, "2"), "100", "1107")
			f.expect("waybill", carrier, d.waybill(), "120", "1800")
			f.expect("inventory", agent, f.inventory(d, "1"), "120", "1800")
			f.mustRelease(d)
		})
		t.Run("wrong payment first", func(t *testing.T) {
			f.t = t
			d := f.newDecl()
			// Before the order arrives nobody can tell the wrong firm; once it
			// names the right one, that firm's payment takes the place.
			f.expect("a payment before the order", otherPayer, d.paymentAs(otherPayer, "1"), "120", "1800")
			f.expect("order", platform, d.order("1"), "120", "1800")
			f.expect("the wrong firm's appType 2 after the order", otherPayer, d.paymentAs(otherPayer, "2"), "100", "1107")
			f.expect("the named firm's payment", payer, d.payment(), "120", "1800")
			f.expect("waybill", carrier, d.waybill(), "120", "1800")
			f.expect("inventory", agent, f.inventory(d, "1"), "120", "1800")
			f.mustRelease(d)
		})
	})
}

// Item 3: only an agent the ebc entrusted declares its inventories; the
// entrusted one is not blocked, and the buyer's quota is used once.
func TestInventoryOnlyFromAnEntrustedAgent(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		stranger := f.registerSigned(otherAgent, "agent")
		d := f.newDecl()
		for _, m := range []struct {
			sender string
			xml    []byte
		}{{platform, d.order("1")}, {payer, d.payment()}, {carrier, d.waybill()}} {
			f.expect("documents", m.sender, m.xml, "120", "1800")
		}
		foreign := *d
		foreign.agent = otherAgent
		f.expect("an agent not entrusted", otherAgent, f.inventoryBy(stranger, &foreign, "1"), "100", "1108")
		f.expect("the entrusted agent", agent, f.inventory(d, "1"), "120", "1800")
		f.mustRelease(d)
		var q struct{ Used string }
		f.s.Do("GET", "/api/v1/quota?name="+d.buyer+"&idNumber="+d.buyerID, "", "", nil).JSON(t, &q)
		if q.Used != "410.00" {
			t.Errorf("quota used %s, want 410.00 (one parcel)", q.Used)
		}
		for _, r := range f.feedOf(otherAgent) {
			if r.ReturnStatus != "100" {
				t.Errorf("the agent not entrusted got %+v", r)
			}
		}

		// Entrusted, then revoked: refused at once.
		id := f.entrust(platform, otherAgent)
		d2 := f.newDecl()
		d2.agent = otherAgent
		f.expect("order", platform, d2.order("1"), "120", "1800")
		f.expect("an entrusted agent", otherAgent, f.inventoryBy(stranger, d2, "1"), "120", "1800")
		if r := f.s.Do("DELETE", "/api/v1/entrustments/"+id, f.keys[platform], "", nil); r.Status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		d3 := f.newDecl()
		d3.agent = otherAgent
		f.expect("order", platform, d3.order("1"), "120", "1800")
		f.expect("after revocation", otherAgent, f.inventoryBy(stranger, d3, "1"), "100", "1108")
		// An ebc holding the agent role declares for itself.
		self := f.registerSigned("1105910162", "ebc", "agent")
		d4 := f.newDecl()
		d4.ebc, d4.agent = "1105910162", "1105910162"
		f.expect("an ebc with the agent role", "1105910162", f.inventoryBy(self, d4, "1"), "120", "1800")
	})
}

// Item 8: a goods line of quantity or price zero is refused, naming the field.
func TestZeroQuantityRefused(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		d := f.newDecl()
		d.priced([]line{
			{item: "MILK-1", hs: "1901101000", name: "婴儿配方奶粉", unit1: "035", qty: "2", qty1: "1.6", price: "200"},
			{item: "CREAM-1", hs: "3304990099", name: "精华面霜", unit1: "036", qty: "0", qty1: "0", price: "100"},
		}, "10", "37.31")
		for _, c := range []struct {
			sender, path string
			xml          []byte
		}{
			{platform, "Order[1]/OrderList[2]/qty", d.order("1")},
			{agent, "Inventory[1]/InventoryList[2]/qty", f.inventory(d, "1")},
		} {
			st, _, _, body := f.post(c.sender, c.xml)
			if st != http.StatusBadRequest || !strings.Contains(string(body), "CEB-POSITIVE") || !strings.Contains(string(body), c.path) {
				t.Errorf("%s: want 400 CEB-POSITIVE at %s, got %d\n%s", c.sender, c.path, st, body)
			}
		}
		zero := f.newDecl()
		zero.amountPaid = "0"
		if st, _, _, body := f.post(payer, zero.payment()); st != http.StatusBadRequest || !strings.Contains(string(body), "amountPaid") {
			t.Errorf("payment of 0: want 400 naming amountPaid, got %d\n%s", st, body)
		}
	})
}

// Item 11: an unchanged re-send is answered as before and adds nothing to the feed.
func TestUnchangedResendAnsweredOnce(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		count := func(code, copNo, status string) int {
			n := 0
			for _, r := range f.feedOf(code) {
				if (copNo == "" || r.CopNo == copNo) && r.ReturnStatus == status {
					n++
				}
			}
			return n
		}
		d := f.newDecl()
		f.send(d)
		f.mustRelease(d)
		before := len(f.feedOf(agent))
		f.expect("a released inventory re-sent", agent, f.inventory(d, "1"), "800", "2600")
		if n := count(agent, d.copNo, "800"); n != 1 {
			t.Errorf("%d receipts 800 for %s, want 1", n, d.copNo)
		}
		if after := len(f.feedOf(agent)); after != before {
			t.Errorf("the re-send added %d receipts to the feed", after-before)
		}
		orders := len(f.feedOf(platform))
		f.expect("an order re-sent", platform, d.order("1"), "120", "1800")
		if n := len(f.feedOf(platform)); n != orders {
			t.Errorf("the re-sent order added %d receipts to the feed", n-orders)
		}

		bad := f.newDecl()
		bad.amountPaid = "500"
		f.send(bad)
		if r := f.final(bad.copNo); code(r.ReturnInfo) != "1332" {
			t.Fatalf("want 1332, got %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		st, rs, info, body := f.post(agent, f.inventory(bad, "1"))
		if st != 200 || rs != "100" || code(info) != "1332" || strings.Contains(info, "accepted") || strings.Contains(info, "1800") {
			t.Errorf("a rejected inventory re-sent: want 100 [Code:1332], got %d %s %s\n%s", st, rs, info, body)
		}
		if n := count(agent, bad.copNo, "100"); n != 1 {
			t.Errorf("%d refusals for %s in the feed, want 1", n, bad.copNo)
		}
	})
}
