package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/xmlsig/xmlsigtest"
)

// bondedEntryExt is the ExtendMessage of a CEB711 naming one item of a book.
func bondedEntryExt(book, qty string) *ceb.ExtendMessage {
	return &ceb.ExtendMessage{Name: "BondedEntry", Version: "1.0",
		Message: "<BondedEntry><emsNo>" + book + "</emsNo><Item><itemRecordNo>1</itemRecordNo><qty>" + qty + "</qty></Item></BondedEntry>"}
}

// The bonded twin of TestAccessMatrixWrites (rules §12: the zone operator
// keeps its book, its tallies and entries; the declarer cancels and returns;
// the zone whose book holds the goods records their arrival and gate; the
// administrator alone lodges guarantees, bills, adjusts and opens books).
// An enterprise of each role and one with every role, each area one keeping
// a book of its own, try every bonded route and message on the zone's book,
// tally, return and released parcel: each is refused (HTTP 403, or a receipt
// with returnStatus 100), nothing changes, and the owners then act as usual.
// A zone the declarer named as areaCode does not keep the book, so it does
// not record the return's arrival.
func TestBondedAccessWrites(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "10", "1000.00")
		type intruder struct {
			code, book string
			id         *xmlsigtest.Identity
		}
		var intruders []intruder
		for i, role := range append(append([]string{}, accessRoles...), "all") {
			in := intruder{code: fmt.Sprintf("67%02d000000", i)}
			roles := []string{role}
			if role == "all" {
				roles = accessRoles
			}
			in.id = b.registerSigned(in.code, roles...)
			if role == "area" || role == "all" {
				in.book = fmt.Sprintf("T8010W9%05d", i)
				b.must(b.s.JSON("POST", "/api/v1/books", apptest.AdminToken, map[string]any{"emsNo": in.book, "operatorCode": in.code, "name": "另一保税仓"}), 201)
				b.must(b.s.JSON("POST", "/api/v1/books/"+in.book+"/items", b.keys[in.code], map[string]any{"items": []map[string]string{
					{"itemRecordNo": "1", "ebcCode": platform, "itemNo": "MILK-1", "name": "婴儿配方奶粉", "unit": "122"}}}), 200)
			}
			intruders = append(intruders, in)
		}
		otherZone := intruders[6]

		// The owners' state: a released purchase with a return applied for,
		// one whose inventory names another zone as areaCode, and a tally.
		sold, named := b.bondedDecl(), b.bondedDecl()
		named.area = otherZone.code
		for _, d := range []*decl{sold, named} {
			if r := b.declare(d); r.ReturnStatus != "800" {
				t.Fatalf("declare: %s %s", r.ReturnStatus, r.ReturnInfo)
			}
			if rs, info := b.applyReturn(d, "R"+d.copNo, map[int]string{1: "1"}); rs != "120" {
				t.Fatalf("return: %s %s", rs, info)
			}
		}
		b.must(b.s.JSON("POST", "/api/v1/tallies", b.keys[zone], map[string]any{"tallyNo": "TL-A", "emsNo": emsNo,
			"items": []map[string]string{{"itemRecordNo": "1", "qty": "4"}}}), 201)
		soldReturn, namedReturn := b.returnOf(sold).ID, b.returnOf(named).ID
		owners := []string{zone, agent, platform} // the agent is also the guarantor
		fed := map[string]int{}
		for _, o := range owners {
			fed[o] = len(b.feedOf(o))
		}
		on1, res1 := b.stock("1")
		on2, _ := b.stock("2")
		acc := b.account()

		refusedHTTP := func(what string, r *apptest.Response) {
			t.Helper()
			if r.Status != http.StatusForbidden {
				t.Errorf("%s: want 403, got %d %s", what, r.Status, r.Body)
			}
		}
		for _, in := range intruders {
			key := b.keys[in.code]
			refusedHTTP("book items by "+in.code, b.s.JSON("POST", "/api/v1/books/"+emsNo+"/items", key, map[string]any{"items": []map[string]string{
				{"itemRecordNo": "9", "ebcCode": platform, "itemNo": "X", "name": "x", "unit": "122"}}}))
			refusedHTTP("JSON entry by "+in.code, b.s.JSON("POST", "/api/v1/books/"+emsNo+"/entries", key, map[string]any{"entryNo": "RK-X" + in.code,
				"tallyNo": "TL-A", "items": []map[string]string{{"itemRecordNo": "1", "qty": "5"}}}))
			refusedHTTP("CSV entry by "+in.code, b.s.Do("POST", "/api/v1/books/"+emsNo+"/entries", key, "text/csv", []byte("entry_no,item_record_no,qty\nRK-C"+in.code+",1,5\n")))
			refusedHTTP("tally by "+in.code, b.s.JSON("POST", "/api/v1/tallies", key, map[string]any{"tallyNo": "TL-X" + in.code, "emsNo": emsNo,
				"items": []map[string]string{{"itemRecordNo": "1", "qty": "5"}}}))
			refusedHTTP("arrival by "+in.code, b.s.JSON("POST", "/api/v1/returns/"+soldReturn+"/arrival", key, map[string]any{}))
			refusedHTTP("arrival of a return naming it as areaCode by "+in.code, b.s.JSON("POST", "/api/v1/returns/"+namedReturn+"/arrival", key, map[string]any{}))
			for _, admin := range []struct{ path string }{{"/api/v1/books"}, {"/api/v1/books/" + emsNo + "/adjustments"}, {"/api/v1/guarantees"},
				{"/api/v1/tax-bills/run"}, {"/api/v1/tax-bills/B1/payment"}} {
				refusedHTTP(admin.path+" by "+in.code, b.s.JSON("POST", admin.path, key, map[string]any{"emsNo": emsNo, "operatorCode": in.code,
					"itemRecordNo": "1", "qty": "5", "reason": "x", "assureCode": bondedGuarantor, "amount": "-1000.00", "reference": "x"}))
			}
			var gate struct {
				Parcels []struct{ Reason string }
			}
			if r := b.s.JSON("POST", "/api/v1/gate/checks", key, map[string]any{"vehicleNo": "渝A1", "parcels": []string{sold.logisticsNo}}); r.Status == 200 {
				if r.JSON(t, &gate); len(gate.Parcels) != 1 || gate.Parcels[0].Reason != "unknown" {
					t.Errorf("gate check of the zone's parcel by %s: %s", in.code, r.Body)
				}
			} else if r.Status != http.StatusForbidden {
				t.Errorf("gate check by %s: %d %s", in.code, r.Status, r.Body)
			}

			for _, m := range []struct {
				what, sender string
				xml          []byte
			}{
				{"CEB711 into the zone's book", in.code, entryMessage(in.code, "RK711-X"+in.code, bondedEntryExt(emsNo, "5"))},
				{"CEB711 declaring the zone's tally", in.code, entryMessage(in.code, "TL-A", nil)},
				{"CEB711 naming the zone", in.code, entryMessage(zone, "RK711-Z"+in.code, bondedEntryExt(emsNo, "5"))},
				{"CEB623 naming itself", in.code, b.cancelMessage(in.code, sold)},
				{"CEB623 naming the agent", in.code, b.cancelMessage(agent, sold)},
				{"CEB625 naming itself", in.code, b.returnMessage(in.code, sold, "R2"+sold.copNo, map[int]string{1: "1"})},
				{"CEB625 naming the agent", in.code, b.returnMessage(agent, sold, "R3"+sold.copNo, map[int]string{1: "1"})},
			} {
				st, rs, info, _ := b.post(m.sender, in.id.Sign(t, m.xml))
				if !(st == http.StatusForbidden || st == http.StatusOK && rs == "100") {
					t.Errorf("%s by %s: HTTP %d %s %s", m.what, in.code, st, rs, info)
				}
				if m.what != "CEB711 naming the zone" && strings.Contains(info, zone) {
					t.Errorf("%s by %s: the refusal names the zone operator: %s", m.what, in.code, info)
				}
			}
		}

		for _, o := range owners {
			if feed := b.feedOf(o); len(feed) != fed[o] {
				t.Errorf("%s's feed grew by %d during the intrusions: %+v", o, len(feed)-fed[o], feed[fed[o]:])
			}
		}
		if on, res := b.stock("1"); on != on1 || res != res1 {
			t.Errorf("item 1: %s/%s, was %s/%s", on, res, on1, res1)
		}
		if on, _ := b.stock("2"); on != on2 {
			t.Errorf("item 2: %s, was %s", on, on2)
		}
		if a := b.account(); a.Balance != acc.Balance || len(a.History) != len(acc.History) {
			t.Errorf("guarantee: %+v, was %+v", a, acc)
		}
		for _, d := range []*decl{sold, named} {
			if r := b.returnOf(d); r.State != "applied" {
				t.Errorf("return of %s: %s", d.copNo, r.State)
			}
		}

		// The owners act as before the intrusions.
		b.must(b.s.JSON("POST", "/api/v1/returns/"+soldReturn+"/arrival", b.keys[zone], map[string]any{}), 200)
		b.must(b.s.JSON("POST", "/api/v1/returns/"+namedReturn+"/arrival", b.keys[zone], map[string]any{}), 200)
		if st, rs, info, _ := b.post(zone, b.sign.Sign(t, entryMessage(zone, "TL-A", nil))); st != 200 || rs != "120" {
			t.Errorf("the zone declares its tally: %d %s %s", st, rs, info)
		}
		if on, _ := b.stock("1"); on != "12.000" {
			t.Errorf("item 1 after two arrivals and the tally's entry: %s, want 6 + 1 + 1 + 4", on)
		}

	})
}

// Entry and tally numbers are the zone operator's own (rules §12): the
// numbers another zone gives its entries and tallies first stay free for the
// zone, and each zone's CEB711 and reads find its own tally of that number.
func TestBondedNumbersNotPreempted(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "", "")
		const other, otherBook = "5001660B02", "T8010W000002"
		id := b.registerSigned(other, "area")
		b.must(b.s.JSON("POST", "/api/v1/books", apptest.AdminToken, map[string]any{"emsNo": otherBook, "operatorCode": other, "name": "另一保税仓"}), 201)
		b.must(b.s.JSON("POST", "/api/v1/books/"+otherBook+"/items", b.keys[other], map[string]any{"items": []map[string]string{
			{"itemRecordNo": "1", "ebcCode": platform, "itemNo": "MILK-1", "name": "婴儿配方奶粉", "unit": "122"}}}), 200)
		for _, z := range []struct {
			code, book, qty string
			sign            func(testing.TB, []byte) []byte
		}{{other, otherBook, "1", id.Sign}, {zone, emsNo, "2", b.sign.Sign}} {
			items := []map[string]string{{"itemRecordNo": "1", "qty": z.qty}}
			if r := b.s.JSON("POST", "/api/v1/books/"+z.book+"/entries", b.keys[z.code], map[string]any{"entryNo": "RK-NEXT", "items": items}); r.Status != http.StatusCreated {
				t.Errorf("entry RK-NEXT by %s: %d %s", z.code, r.Status, r.Body)
			}
			for _, tl := range []string{"TL-NEXT", "TL-711"} {
				if r := b.s.JSON("POST", "/api/v1/tallies", b.keys[z.code], map[string]any{"tallyNo": tl, "emsNo": z.book, "items": items}); r.Status != http.StatusCreated {
					t.Errorf("tally %s by %s: %d %s", tl, z.code, r.Status, r.Body)
				}
			}
			if r := b.s.JSON("POST", "/api/v1/books/"+z.book+"/entries", b.keys[z.code], map[string]any{"entryNo": "RK-T", "tallyNo": "TL-NEXT", "items": items}); r.Status != http.StatusCreated {
				t.Errorf("entry declaring TL-NEXT by %s: %d %s", z.code, r.Status, r.Body)
			}
			for _, m := range []struct {
				copNo string
				ext   *ceb.ExtendMessage
			}{{"RK711-NEXT", bondedEntryExt(z.book, z.qty)}, {"TL-711", nil}} {
				if st, rs, info, _ := b.post(z.code, z.sign(t, entryMessage(z.code, m.copNo, m.ext))); st != 200 || rs != "120" {
					t.Errorf("CEB711 %s by %s: %d %s %s", m.copNo, z.code, st, rs, info)
				}
			}
		}
		var tl struct{ EmsNo, OperatorCode, EntryNo string }
		b.must(b.s.Do("GET", "/api/v1/tallies/TL-NEXT", b.keys[zone], "", nil), 200).JSON(t, &tl)
		if tl.EmsNo != emsNo || tl.OperatorCode != zone || tl.EntryNo != "RK-T" {
			t.Errorf("the zone's tally TL-NEXT: %+v", tl)
		}
		r := b.s.Do("GET", "/api/v1/tallies/TL-NEXT", apptest.AdminToken, "", nil)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"field":"operatorCode"`) {
			t.Errorf("the administrator's read of a number two zones keep: %d %s", r.Status, r.Body)
		}
		b.must(b.s.Do("GET", "/api/v1/tallies/TL-NEXT?operatorCode="+other, apptest.AdminToken, "", nil), 200).JSON(t, &tl)
		if tl.EmsNo != otherBook {
			t.Errorf("the other zone's tally TL-NEXT: %+v", tl)
		}
		var book struct{ Items []struct{ OnHand string } }
		for _, z := range []struct{ code, book, want string }{{other, otherBook, "4.000"}, {zone, emsNo, "8.000"}} {
			b.must(b.s.Do("GET", "/api/v1/books/"+z.book, b.keys[z.code], "", nil), 200).JSON(t, &book)
			if len(book.Items) == 0 || book.Items[0].OnHand != z.want {
				t.Errorf("book %s: %+v, want item 1 at %s (four entries of its own)", z.book, book.Items, z.want)
			}
		}
	})
}

// The stock of a book item belongs to the e-commerce enterprise the item was
// opened for (rules §12): another e-commerce enterprise's 1210 inventory
// naming that book and item record, even with a product filing of its own
// naming the same record, is refused, and the item's stock stays the owner's.
func TestBondedStockOnlyForItsEnterprise(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "10", "1000.00")
		const rival = "6800000000"
		b.registerSigned(rival, "ebc")
		b.s.App.Reference.PutProducts([]catalog.Product{{EBCCode: rival, ItemNo: "MILK-1", Name: "婴儿配方奶粉", HSCode: "1901101000",
			OriginCountry: "502", LegalUnit: "035", ItemRecordNo: "1"}})
		b.entrust(rival, agent)
		d := b.bondedDecl()
		d.ebc = rival
		r := b.declare(d)
		if r.ReturnStatus != "100" || code(r.ReturnInfo) != "1374" {
			t.Errorf("another enterprise's inventory on the platform's stock: %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		if on, res := b.stock("1"); on != "10.000" || res != "0.000" {
			t.Errorf("item 1: on hand %s, reserved %s; want 10 and 0", on, res)
		}
		if own := b.bondedDecl(); b.declare(own).ReturnStatus != "800" {
			t.Error("the platform's own purchase after the refusal was not released")
		}
	})
}
