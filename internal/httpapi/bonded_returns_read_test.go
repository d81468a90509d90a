package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// A zone operator reads the returns of the goods its own books hold, not
// another zone's (rules §12): by id another zone gets the answer for an
// unknown return, and its lists leave the return out. The holding zone, the
// declarer and the administrator see it.
func TestReturnsReadOnlyByTheirZone(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		b := newBondedFixture(t, engine, "10", "1000.00")
		const other = "6799000000"
		b.registerSigned(other, "area")
		b.must(b.s.JSON("POST", "/api/v1/books", apptest.AdminToken, map[string]any{"emsNo": "T8010W999999", "operatorCode": other, "name": "另一保税仓"}), 201)
		d := b.bondedDecl()
		if r := b.declare(d); r.ReturnStatus != "800" {
			t.Fatalf("declare: %s %s", r.ReturnStatus, r.ReturnInfo)
		}
		if rs, info := b.applyReturn(d, "R"+d.copNo, map[int]string{1: "1"}); rs != "120" {
			t.Fatalf("return: %s %s", rs, info)
		}
		ret := b.returnOf(d)
		invtNo := b.invtNo(d.copNo)
		count := func(key, query string) int {
			t.Helper()
			var out struct{ Returns []returnView }
			b.must(b.s.Do("GET", "/api/v1/returns?"+query, key, "", nil), 200).JSON(t, &out)
			return len(out.Returns)
		}
		for _, who := range []string{zone, agent} {
			if r := b.s.Do("GET", "/api/v1/returns/"+ret.ID, b.keys[who], "", nil); r.Status != http.StatusOK {
				t.Errorf("%s reads the return: %d %s", who, r.Status, r.Body)
			}
		}
		if n := count(b.keys[zone], "invtNo="+invtNo); n != 1 {
			t.Errorf("the holding zone lists %d returns of %s, want 1", n, invtNo)
		}
		if r := b.s.Do("GET", "/api/v1/returns/"+ret.ID, b.keys[other], "", nil); r.Status != http.StatusNotFound {
			t.Errorf("another zone reads the return: %d %s, want 404", r.Status, r.Body)
		}
		for _, q := range []string{"invtNo=" + invtNo, "agentCode=" + agent} {
			if n := count(b.keys[other], q); n != 0 {
				t.Errorf("another zone lists %d returns with %s, want 0", n, q)
			}
		}
	})
}
