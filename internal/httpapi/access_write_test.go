package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/xmlsig/xmlsigtest"
)

// The write half of the access matrix (issue 16, rules §12): every import
// message type with appType 2 and 3 for another's document, from an
// enterprise of each role and from one holding every role, each naming its
// own code where the message must name the sender. Every attempt is refused
// (HTTP 403, or a receipt with returnStatus 100), the owners' feeds gain
// nothing, and the owners' parcels then clear as declared.
func TestAccessMatrixWrites(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		entrustment := f.entrust(platform, agent)
		type intruder struct {
			code string
			id   *xmlsigtest.Identity
		}
		var intruders []intruder
		for i, role := range accessRoles {
			code := fmt.Sprintf("66%02d000000", i)
			intruders = append(intruders, intruder{code, f.registerSigned(code, role)})
		}
		intruders = append(intruders, intruder{"6699000000", f.registerSigned("6699000000", accessRoles...)})

		// One purchase with order, payment and waybill; another whose
		// inventory waits for its documents. Nothing is decided yet, so no
		// refusal below comes from a locked document.
		docs, waiting := f.newDecl(), f.newDecl()
		for _, m := range []struct {
			sender string
			xml    []byte
		}{{platform, docs.order("1")}, {payer, docs.payment()}, {carrier, docs.waybill()}, {platform, waiting.order("1")}, {agent, f.inventory(waiting, "1")}} {
			f.expect("owner's document", m.sender, m.xml, "120", "1800")
		}
		f.awaiting(waiting.copNo)
		owners := []string{platform, payer, carrier, agent}
		fed := map[string]int{}
		for _, o := range owners {
			fed[o] = len(f.feedOf(o))
		}

		for _, in := range intruders {
			for _, appType := range []string{"2", "3"} {
				order, inv := *docs, *waiting
				order.ebc, order.consAddr = in.code, "重庆市江北区某某路1号"
				inv.ebc = in.code
				wb := *docs
				wb.consAddr = "重庆市江北区某某路1号"
				for _, m := range []struct {
					what string
					xml  []byte
				}{
					{"CEB311 order", order.order(appType)},
					{"CEB411 payment", docs.paymentAs(in.code, appType)},
					{"CEB511 waybill", wb.waybillAs(appType)},
					{"CEB621 inventory", f.inventoryBy(in.id, &inv, appType)},
				} {
					st, rs, info, _ := f.post(in.code, m.xml)
					if !(st == http.StatusForbidden || st == http.StatusOK && rs == "100") {
						t.Errorf("%s appType %s by %s: HTTP %d %s %s", m.what, appType, in.code, st, rs, info)
					}
				}
			}
			if r := f.s.Do("DELETE", "/api/v1/entrustments/"+entrustment, f.keys[in.code], "", nil); r.Status != http.StatusNotFound {
				t.Errorf("revoke the platform's entrustment by %s: %d", in.code, r.Status)
			}
		}
		for _, o := range owners {
			if feed := f.feedOf(o); len(feed) != fed[o] {
				t.Errorf("%s's feed grew by %d during the intrusions: %+v", o, len(feed)-fed[o], feed[fed[o]:])
			}
		}
		f.expect("inventory", agent, f.inventory(docs, "1"), "120", "1800")
		f.mustRelease(docs)
		f.expect("payment", payer, waiting.payment(), "120", "1800")
		f.expect("waybill", carrier, waiting.waybill(), "120", "1800")
		f.mustRelease(waiting)

		// A provider the owner authorised may send for it.
		const provider = "9150000TSP"
		f.keys[provider] = f.s.Register(provider, "provider")
		until := time.Now().AddDate(1, 0, 0).Format(time.RFC3339)
		if r := f.s.JSON("POST", "/api/v1/authorisations", f.keys[platform], map[string]any{"providerCode": provider,
			"messageTypes": []string{"CEB311Message"}, "validUntil": until}); r.Status != http.StatusCreated {
			t.Fatalf("authorise: %d %s", r.Status, r.Body)
		}
		pending := f.newDecl()
		f.expect("order", platform, pending.order("1"), "120", "1800")
		pending.consAddr = "重庆市渝北区金开大道99号"
		f.expect("the owner's provider modifies", provider, pending.order("2"), "120", "1800")
	})
}

// awaiting waits until the engine has judged the inventory and told the agent
// it waits for its documents (1801), so that the feed holds still.
func (f *fixture) awaiting(copNo string) {
	f.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, r := range f.feedOf(agent) {
			if r.CopNo == copNo && code(r.ReturnInfo) == "1801" {
				return
			}
		}
	}
	f.t.Fatalf("inventory %s was not judged within 10 s", copNo)
}

// writeHalf is the part of docs/access.md on writes, checked by
// TestAccessMatrixWrites and the ownership tests.
const writeHalf = `
## Writes: who may create, modify and delete each document

The table above says who may call a route. Who may then *change* a document is decided per document, from the
documents themselves (rules §12), and checked by ` + "`TestAccessMatrixWrites`" + ` (every import message type with appType 2
and 3 for another's document, from an enterprise of each role and from one holding every role), its bonded twin
` + "`TestBondedAccessWrites`" + ` (every bonded route and CEB623, CEB625, CEB711 on a zone's book, tally, return and parcel from
the same intruders, area ones keeping books of their own), and the tests of ` + "`internal/httpapi/ownership_test.go`" + `,
` + "`internal/httpapi/bonded_access_test.go`" + ` and ` + "`TestExportOwnership`" + `.

- **Owner.** A document belongs to the enterprise that first sent it (the documents' ` + "`sender`" + `). When a technical
  service provider transmitted it, the owner is the client and the provider is recorded with the message
  (` + "`tsp_messages`" + `). Only the owner, or a provider it authorised for that message type, may send it again,
  modify it (appType 2) or delete it (appType 3). Anyone else gets a receipt with returnStatus 100 and
  **1106**; the stored document, the owner's feed, the buyer's quota, stock and guarantees do not change.
- **Who creates what.**

| document | created by | refused otherwise |
|---|---|---|
| order (CEB311, export CEB303) | its ebpCode or ebcCode (ebp or ebc role) | 403 |
| payment (CEB411) | the payment firm the order names in OrderHead.payCode; when the order names none, the first firm to send | 1107 (named firm), 1106 (first firm keeps it) |
| receipt of payment (export CEB403) | its payCode | 403 |
| waybill (CEB511, export CEB505), waybill status (CEB513) | its logisticsCode; the inventory's logisticsCode chooses the waybill | 403 |
| inventory (CEB621, export CEB603) | its agentCode, holding the agent role, entrusted by its ebcCode (` + "`POST /api/v1/entrustments`" + `) or being the ebcCode itself | 1108 |
| cancel, return (CEB623, CEB625) | the stored inventory's agentCode or ebcCode | 1380 |
| zone entry (CEB711; JSON or CSV on ` + "`/api/v1/books/{emsNo}/entries`" + `), tally | its operatorCode (area role), the zone operator keeping the book; entry and tally numbers are each operator's own, so another zone's number never blocks it | 403, 1386 (another's book or tally) |
| account-book items | the zone operator keeping the book (the administrator opens the book) | 403 |
| guarantee debited by an inventory (its assureCode; the trade modes of ` + "`rules.guarantee_trade_modes`" + `, 1210) | the inventory's agentCode, ebcCode or logisticsCode (CEB621 specification); a platform only when it is the ebcCode | 1109 |
| stock of a book item (reserved by a 1210 inventory) | an inventory of the ebcCode the item was opened for | 1374 |
| arrival of returned goods, gate check | the zone whose account book holds the goods (the inventory's areaCode only when it names no book) | 403; the gate answers another zone's parcel as unknown |
| reading a return (GET /api/v1/returns, /returns/{id}) | its declarer, the zone whose account book holds the goods, the administrator | 404 by id; lists leave it out |
| guarantee lodgement, stock adjustment, billing run, tax-bill payment | the administrator | 403 |

- **A wrong sender cannot block the right one.** A payment from a firm the order does not name is refused when the
  order is there; one sent before the order is replaced by the named firm's payment when that arrives.
- **Entrustments** are granted and revoked by the ebc (or exporter) and are in force for the next message; the agent
  sees those it holds (` + "`GET /api/v1/entrustments`" + `).
- **Re-sending unchanged** (appType 1 again, a new guid, the same content) is answered with the stored status and reason and adds
  nothing to the feed.
`
