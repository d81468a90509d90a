package loadgen

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/ident"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/xmlsig"
)

var (
	testPartiesOnce sync.Once
	testParties     *Parties
	testPartiesErr  error
)

// parties makes one set of SM2 identities for the package's tests.
func parties(t testing.TB) *Parties {
	t.Helper()
	testPartiesOnce.Do(func() { testParties, testPartiesErr = NewParties("TEST1", DefaultParties, xmlsig.SM2SM3) })
	if testPartiesErr != nil {
		t.Fatal(testPartiesErr)
	}
	return testParties
}

var testNow = time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)

// decodeValid decodes msg and fails on any error-level problem.
func decodeValid(t *testing.T, msg []byte) ceb.Message {
	t.Helper()
	d, err := ceb.Decode(msg)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !d.Valid() {
		t.Fatalf("%s has problems: %v", d.Type, d.Errors())
	}
	return d.Message
}

func amount(t *testing.T, s string) money.Amount {
	t.Helper()
	a, err := money.ParseAmount(s)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return a
}

// violations checks one declaration's four decoded documents against rules
// §3, §4 and §6, independently of the generator's own bookkeeping, and
// returns the bad kinds whose rule is broken.
func violations(t *testing.T, tx *taxer, o ceb.Order, p ceb.PaymentHead, w ceb.LogisticsHead, inv ceb.Inventory) []BadKind {
	t.Helper()
	var out []BadKind
	oh, ih := o.OrderHead, inv.InventoryHead
	// §3.2 order arithmetic: line totals, goodsValue, acturalPaid.
	var goodsValue money.Amount
	for _, l := range o.OrderList {
		qty, err := strconv.ParseInt(l.Qty, 10, 64)
		if err != nil {
			t.Fatalf("qty %q: %v", l.Qty, err)
		}
		if amount(t, l.Price).Fen()*qty != amount(t, l.TotalPrice).Fen() {
			t.Errorf("order %s line %s: totalPrice %s ≠ price × qty", oh.OrderNo, l.Gnum, l.TotalPrice)
		}
		goodsValue = mustAdd(goodsValue, amount(t, l.TotalPrice))
	}
	if goodsValue != amount(t, oh.GoodsValue) {
		t.Errorf("order %s: goodsValue %s ≠ Σ lines %s", oh.OrderNo, oh.GoodsValue, goodsValue)
	}
	paid := mustSub(mustAdd(amount(t, oh.GoodsValue), amount(t, oh.Freight), amount(t, oh.TaxTotal)), amount(t, oh.Discount))
	if paid != amount(t, oh.ActuralPaid) {
		t.Errorf("order %s: acturalPaid %s ≠ %s", oh.OrderNo, oh.ActuralPaid, paid)
	}
	// §3.3 payment.
	if p.OrderNo != oh.OrderNo || p.EbpCode != oh.EbpCode || p.PayTransactionId != oh.PayTransactionId {
		t.Errorf("payment keys %s/%s do not match order %s", p.EbpCode, p.OrderNo, oh.OrderNo)
	}
	if p.AmountPaid != oh.ActuralPaid {
		out = append(out, BadPaymentAmount)
	}
	if p.PayerIdNumber != oh.BuyerIdNumber || p.PayerName != oh.BuyerName {
		t.Errorf("order %s: payer is not the buyer", oh.OrderNo)
	}
	// §3.4 waybill.
	if w.OrderNo != oh.OrderNo || w.LogisticsNo != ih.LogisticsNo || w.LogisticsCode != ih.LogisticsCode {
		t.Errorf("waybill %s keys do not match", w.LogisticsNo)
	}
	if w.Consignee != oh.Consignee || w.ConsigneeAddress != oh.ConsigneeAddress || w.ConsigneeTelephone != oh.ConsigneeTelephone {
		out = append(out, BadConsignee)
	}
	// §3.5 inventory vs order, and the ID number.
	if ih.OrderNo != oh.OrderNo || ih.EbpCode != oh.EbpCode || ih.EbcCode != oh.EbcCode ||
		ih.BuyerIdNumber != oh.BuyerIdNumber || ih.BuyerName != oh.BuyerName || ih.BuyerTelephone != oh.BuyerTelephone ||
		ih.Freight != oh.Freight || len(inv.InventoryList) != len(o.OrderList) {
		t.Errorf("inventory %s does not match order %s", ih.CopNo, oh.OrderNo)
	}
	var lines []Line
	for i, il := range inv.InventoryList {
		ol := o.OrderList[i]
		if il.Gnum != ol.Gnum || il.ItemNo != ol.ItemNo || il.Qty != ol.Qty || il.Price != ol.Price || il.TotalPrice != ol.TotalPrice {
			t.Errorf("inventory %s line %s differs from the order", ih.CopNo, il.Gnum)
		}
		g := slices.IndexFunc(goods, func(g Good) bool { return g.ItemNo == il.ItemNo })
		if g < 0 || goods[g].HSCode != il.Gcode {
			t.Fatalf("inventory %s line %s: unknown item %s/%s", ih.CopNo, il.Gnum, il.ItemNo, il.Gcode)
		}
		qty, _ := strconv.ParseInt(il.Qty, 10, 64)
		lines = append(lines, Line{Good: g, Qty: qty, Price: amount(t, il.Price), Total: amount(t, il.TotalPrice)})
		if want := legalQty(lines[i]); il.Qty1 != want {
			t.Errorf("inventory %s line %s: qty1 %s, want %s", ih.CopNo, il.Gnum, il.Qty1, want)
		}
	}
	if ident.ValidateResidentID(ih.BuyerIdNumber, testNow) != nil {
		out = append(out, BadIDCheck)
	}
	// §4 single limit (the one-line-one-piece exception never applies here).
	dutiable := mustAdd(goodsValue, amount(t, ih.Freight), amount(t, ih.InsuredFee))
	if dutiable.Cmp(singleLimit) > 0 {
		out = append(out, BadSingleLimit)
	}
	// §6 declared tax = computed tax.
	computed, err := tx.inventoryTax(lines, amount(t, ih.Freight), amount(t, ih.InsuredFee))
	if err != nil {
		t.Fatal(err)
	}
	if computed != amount(t, oh.TaxTotal) {
		out = append(out, BadTaxTotal)
	}
	if ih.TradeMode == Bonded && (ih.EmsNo == "" || inv.InventoryList[0].ItemRecordNo == "") {
		t.Errorf("bonded inventory %s without account book", ih.CopNo)
	}
	return out
}

func TestGeneratedMessagesDecodeVerifyAndAreConsistent(t *testing.T) {
	ps := parties(t)
	gen, err := NewGenerator(7, "TEST1", Mix{Bonded: 0.4, Bad: 0.3, Buyers: 50, BatchLen: 20}, DefaultParties)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := newTaxer()
	if err != nil {
		t.Fatal(err)
	}
	bl := &Builder{Parties: ps}
	seen := map[BadKind]int{}
	for round := range 6 {
		n := 1
		if round%2 == 1 {
			n = 20
		}
		b, err := gen.NextN(n)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := bl.Build(b, testNow)
		if err != nil {
			t.Fatal(err)
		}
		order := decodeValid(t, msgs.Order).(*ceb.CEB311Message)
		payment := decodeValid(t, msgs.Payment).(*ceb.CEB411Message)
		waybill := decodeValid(t, msgs.Waybill).(*ceb.CEB511Message)
		inventory := decodeValid(t, msgs.Inventory).(*ceb.CEB621Message)
		res, err := xmlsig.Verify(msgs.Inventory)
		if err != nil {
			t.Fatalf("inventory signature: %v", err)
		}
		if agent := ps.Agents[b.Agent%len(ps.Agents)]; res.Certificate.Fingerprint != agent.Identity.Cert.Fingerprint {
			t.Errorf("inventory signed by %s, want the agent's certificate", res.Certificate.Subject)
		}
		if len(order.Order) != n || len(payment.Payment) != n || len(waybill.Logistics) != n || len(inventory.Inventory) != n {
			t.Fatalf("batch of %d: got %d/%d/%d/%d documents", n, len(order.Order), len(payment.Payment), len(waybill.Logistics), len(inventory.Inventory))
		}
		for i, d := range b.Decls {
			got := violations(t, tx, order.Order[i], payment.Payment[i].PaymentHead, waybill.Logistics[i].LogisticsHead, inventory.Inventory[i])
			want := []BadKind{}
			if d.Bad != Valid {
				want = append(want, d.Bad)
			}
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("declaration %d (%q): breaks %v, want exactly %v", d.Seq, d.Bad, got, want)
			}
			seen[d.Bad]++
		}
	}
	for _, k := range BadKinds {
		if seen[k] == 0 {
			t.Errorf("no %s declaration generated", k)
		}
	}
	if seen[Valid] == 0 {
		t.Error("no valid declaration generated")
	}
}

func TestGeneratorIsDeterministic(t *testing.T) {
	draw := func() []*Declaration {
		gen, err := NewGenerator(42, "RUNAA", Mix{Bonded: 0.5, Bad: 0.2, Buyers: 10}, DefaultParties)
		if err != nil {
			t.Fatal(err)
		}
		b, err := gen.NextN(30)
		if err != nil {
			t.Fatal(err)
		}
		return b.Decls
	}
	a, b := draw(), draw()
	for i := range a {
		if a[i].OrderNo != b[i].OrderNo || a[i].Buyer != b[i].Buyer || a[i].ActuralPaid != b[i].ActuralPaid ||
			a[i].Guids != b[i].Guids || a[i].Bad != b[i].Bad || !slices.Equal(a[i].Lines, b[i].Lines) {
			t.Fatalf("declaration %d differs between two runs of the same seed", i+1)
		}
	}
	other, err := NewGenerator(42, "RUNBB", Mix{}, DefaultParties)
	if err != nil {
		t.Fatal(err)
	}
	ob, _ := other.NextN(1)
	if ob.Decls[0].Guids[0] == a[0].Guids[0] {
		t.Error("another run id must give other guids")
	}
}

func TestDemoExtras(t *testing.T) {
	ps := parties(t)
	gen, err := NewGenerator(3, "TEST1", Mix{Resend: 1, Modify: 1}, DefaultParties)
	if err != nil {
		t.Fatal(err)
	}
	b, err := gen.NextN(1)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := (&Builder{Parties: ps, SignAll: true}).Build(b, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs.Extra) != 2 || string(msgs.Extra[0]) != string(msgs.Order) {
		t.Fatalf("want a resubmission identical to the order and a change, got %d extras", len(msgs.Extra))
	}
	changed := decodeValid(t, msgs.Extra[1]).(*ceb.CEB311Message)
	orig := decodeValid(t, msgs.Order).(*ceb.CEB311Message)
	if changed.Guid == orig.Guid || changed.Order[0].OrderHead.AppType != "2" || changed.Order[0].OrderHead.OrderNo != orig.Order[0].OrderHead.OrderNo {
		t.Error("the change must be a new message, appType 2, for the same order")
	}
	for _, m := range [][]byte{msgs.Order, msgs.Payment, msgs.Waybill, msgs.Extra[1]} {
		if _, err := xmlsig.Verify(m); err != nil {
			t.Errorf("SignAll: %v", err)
		}
	}
}

func TestReferenceDataUploads(t *testing.T) {
	rows, err := catalog.ParseTariffCSV(bytes.NewReader(TariffCSV()))
	if err != nil {
		t.Fatalf("tariff CSV: %v", err)
	}
	codes := map[string]bool{}
	for _, g := range goods {
		codes[g.HSCode] = true
	}
	if len(rows) != len(codes) {
		t.Errorf("tariff upload has %d rows for %d HS codes", len(rows), len(codes))
	}
	pl, err := catalog.ParsePositiveListCSV(bytes.NewReader(PositiveListCSV()))
	if err != nil {
		t.Fatalf("positive list CSV: %v", err)
	}
	for code := range codes {
		if !slices.ContainsFunc(pl, func(e catalog.PositiveListEntry) bool { return strings.HasPrefix(code, e.HSCode) }) {
			t.Errorf("HS code %s is not on the uploaded positive list", code)
		}
	}
	products, err := catalog.ParseProductsCSV(bytes.NewReader(ProductsCSV(1)))
	if err != nil {
		t.Fatalf("products CSV: %v", err)
	}
	if len(products) != len(goods) {
		t.Errorf("%d products for %d goods", len(products), len(goods))
	}
}

// BenchmarkBuild measures the client-side cost of one declaration: drawing
// it, encoding its four messages and signing the inventory.
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(strconv.Itoa(n)+"-documents", func(b *testing.B) {
			gen, err := NewGenerator(1, "BENCH", Mix{}, DefaultParties)
			if err != nil {
				b.Fatal(err)
			}
			bl := &Builder{Parties: parties(b)}
			b.ReportAllocs()
			for b.Loop() {
				batch, err := gen.NextN(n)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := bl.Build(batch, testNow); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/declaration")
		})
	}
}

// The JSON form must be what the document API reads back into the same
// message: unmarshal, write as XML, decode without problems.
func TestJSONFormReadsBack(t *testing.T) {
	ps := parties(t)
	gen, err := NewGenerator(5, "TEST1", Mix{Bonded: 0.5}, DefaultParties)
	if err != nil {
		t.Fatal(err)
	}
	b, err := gen.NextN(3)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := (&Builder{Parties: ps, JSON: true}).Build(b, testNow)
	if err != nil {
		t.Fatal(err)
	}
	var inv ceb.CEB621Message
	if err := json.Unmarshal(msgs.Inventory, &inv); err != nil {
		t.Fatalf("inventory JSON: %v", err)
	}
	if len(inv.Inventory) != 3 || inv.Inventory[0].InventoryHead.CopNo != b.Decls[0].CopNo {
		t.Fatalf("JSON inventory: %d documents", len(inv.Inventory))
	}
	xml, err := ceb.Marshal(&inv)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ceb.Decode(xml)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range d.Errors() {
		if p.Path != "Signature" { // unsigned by design, see Builder.JSON
			t.Errorf("problem in the XML written back from JSON: %v", p)
		}
	}
	var order ceb.CEB311Message
	if err := json.Unmarshal(msgs.Order, &order); err != nil || len(order.Order) != 3 {
		t.Errorf("order JSON: %v", err)
	}
}
