package httpapi_test

import (
	"regexp"
	"slices"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// The new orders of one message are stored together (intake's storeNew: one
// insert and one wake-up for all of them), and each is answered as it would
// be alone: new ones accepted, one sent again unchanged answered as before,
// one whose key is taken with other content refused, and of two with one key
// in a message the first taken and the second judged against it. An
// inventory that waited for one of them is woken and decided.
func TestOrdersOfOneMessageAnsweredOneByOne(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		waiting := f.newDecl()
		f.accept(sent{payer, waiting.payment()}, sent{carrier, waiting.waybill()}, sent{agent, f.inventory(waiting, "1")})
		a, b := f.newDecl(), f.newDecl()
		got := statuses(t, f, platform, ordersMessage(a.orderDoc("1"), waiting.orderDoc("1"), b.orderDoc("1")))
		if !slices.Equal(got, []string{"120", "120", "120"}) {
			t.Fatalf("three new orders: %v, want all accepted", got)
		}
		if r := f.final(waiting.copNo); r.ReturnStatus != "800" {
			t.Errorf("the inventory that waited for its order: %s %s, want released", r.ReturnStatus, r.ReturnInfo)
		}

		changed := a.orderDoc("1")
		changed.OrderHead.Freight = "9"
		twice, c := f.newDecl(), f.newDecl()
		second := twice.orderDoc("1")
		second.OrderHead.Freight = "9"
		got = statuses(t, f, platform, ordersMessage(b.orderDoc("1"), changed, c.orderDoc("1"), twice.orderDoc("1"), second))
		// b again unchanged: accepted again (120, its earlier answer); a with
		// other content: refused (1101); c new; twice's first copy new, its
		// second with other content refused.
		if !slices.Equal(got, []string{"120", "100", "120", "120", "100"}) {
			t.Errorf("again, changed, new, new, changed in one message: %v, want 120 100 120 120 100", got)
		}
	})
}

// A message's new payments are stored together too, each checked against
// the order it belongs to: a payment whose order names another payment firm
// is refused (1107) as it would be alone, the others accepted.
func TestPaymentsOfOneMessageAnsweredOneByOne(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		ours, theirs, early := f.newDecl(), f.newDecl(), f.newDecl()
		theirs.payCode = otherPayer
		for _, d := range []*decl{ours, theirs} {
			if got := statuses(t, f, platform, d.order("1")); !slices.Equal(got, []string{"120"}) {
				t.Fatalf("order %s: %v", d.orderNo, got)
			}
		}
		// early's order has not come: its payment is taken, as it would be alone.
		got := statuses(t, f, payer, paymentsMessage(payer, ours.paymentDoc(payer, "1"), theirs.paymentDoc(payer, "1"), early.paymentDoc(payer, "1")))
		if !slices.Equal(got, []string{"120", "100", "120"}) {
			t.Errorf("payments for our order, another firm's, and one before its order: %v, want 120 100 120", got)
		}
	})
}

// returnStatus in the synchronous receipt, in order.
func statuses(t *testing.T, f *fixture, sender string, xml []byte) []string {
	t.Helper()
	st, _, _, body := f.post(sender, xml)
	if st != 200 {
		t.Fatalf("HTTP %d\n%s", st, body)
	}
	var out []string
	for _, m := range regexp.MustCompile(`<returnStatus>([^<]*)</returnStatus>`).FindAllSubmatch(body, -1) {
		out = append(out, string(m[1]))
	}
	return out
}
