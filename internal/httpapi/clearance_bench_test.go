package httpapi_test

import (
	"os"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// BenchmarkDeclaration measures one complete declaration — order, payment,
// waybill and signed inventory over HTTP — through to its final receipt, on
// the embedded database, with parallel senders. Messages are built and signed
// before the clock starts, as enterprises' systems do. Besides time per
// declaration it reports what the write transactions cost per declaration:
// statements (begin, commit and savepoints included) and writer time.
// CBEC_BENCH_POSTGRES=1 runs it on the test PostgreSQL (CBEC_TEST_POSTGRES).
func BenchmarkDeclaration(b *testing.B) {
	f := newFixture(b, benchEngine())
	type msgs struct{ order, payment, waybill, inventory []byte }
	all := make([]msgs, b.N)
	for i := range all {
		d := f.newDecl()
		// Spread purchases over buyers so that no yearly amount runs out.
		d.buyerID = buyerIDs[i%len(buyerIDs)]
		d.payerID = d.buyerID
		all[i] = msgs{d.order("1"), d.payment(), d.waybill(), f.inventory(d, "1")}
	}
	var next atomic.Int64
	before := f.s.App.DB.WriterStats()
	b.ResetTimer()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m := all[next.Add(1)-1]
			f.s.Do("POST", "/api/v1/ceb", f.keys[platform], "application/xml", m.order)
			f.s.Do("POST", "/api/v1/ceb", f.keys[payer], "application/xml", m.payment)
			f.s.Do("POST", "/api/v1/ceb", f.keys[carrier], "application/xml", m.waybill)
			f.s.Do("POST", "/api/v1/ceb", f.keys[agent], "application/xml", m.inventory)
		}
	})
	waitFor(b, func() bool { return f.decided() >= b.N })
	b.StopTimer()
	after := f.s.App.DB.WriterStats()
	b.ReportMetric(float64(after.Statements-before.Statements)/float64(b.N), "statements/decl")
	b.ReportMetric(float64(after.RoundTrips-before.RoundTrips)/float64(b.N), "round-trips/decl")
	b.ReportMetric(float64((after.Busy-before.Busy).Microseconds())/float64(b.N), "writer-µs/decl")
	b.ReportMetric(1000*float64(after.RolledBack-before.RolledBack)/float64(b.N), "rollbacks/1000decl")
}

// buyerIDs are valid resident ID numbers.
var buyerIDs = []string{"110101199003074514", "110101199003072914", "110101199003075592", "110101199003070337",
	"11010119900307117X", "110101199003078136", "110101199003076958", "110101199003077774"}

// decided counts the inventories with a decision in the agent's feed.
func (f *fixture) decided() int {
	n, after := 0, int64(0)
	for {
		var page struct {
			Receipts []feedReceipt
			Next     int64
		}
		f.s.Do("GET", "/api/v1/receipts?limit=1000&after="+strconv.FormatInt(after, 10), f.keys[agent], "", nil).JSON(f.t, &page)
		if len(page.Receipts) == 0 {
			return n
		}
		for _, r := range page.Receipts {
			if r.MessageType == "CEB622Message" && r.ReturnStatus != "120" {
				n++
			}
		}
		after = page.Next
	}
}

// benchEngine is the embedded database unless CBEC_BENCH_POSTGRES asks for PostgreSQL.
func benchEngine() apptest.Engine {
	if os.Getenv("CBEC_BENCH_POSTGRES") != "" {
		return apptest.Postgres
	}
	return apptest.SQLite
}
