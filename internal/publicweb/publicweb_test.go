package publicweb_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/publicweb"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
	"github.com/cbec-platform/cbec/internal/trace"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	l := publicweb.NewLimiter(2, 3, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("burst request %d refused", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("4th request: %v, wait %v", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another client is limited too")
	}
	now = now.Add(500 * time.Millisecond) // one token back at 2/s
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("token not refilled")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("more than the refill allowed")
	}
	now = now.Add(time.Hour)
	for range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatal("bucket not full after an hour")
		}
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("refill exceeded the burst")
	}
}

// products is a one-product reference for the site's service.
type products struct{}

func (products) Product(ebc, item string) (catalog.Product, bool) {
	return catalog.Product{EBCCode: ebc, ItemNo: item, Name: "婴儿配方奶粉", GTIN: "4006381333931", Brand: "示例牌", OriginCountry: "502"}, true
}
func (products) Tariff(string) (catalog.TariffRow, bool) { return catalog.TariffRow{}, false }
func (products) Positive(string) (catalog.PositiveListEntry, bool) {
	return catalog.PositiveListEntry{}, false
}
func (products) Negative(catalog.Goods) []catalog.NegativeListEntry { return nil }

// site builds the public pages on a SQLite database holding n released pieces.
func site(tb testing.TB, n int) (http.Handler, []string) {
	ctx := context.Background()
	db := storetest.OpenSQLite(tb)
	if err := db.CreateEnterprise(ctx, &enterprise.Enterprise{Code: "1105910159", Name: "示例跨境电商", Roles: []enterprise.Role{"ebc"},
		CreditClass: enterprise.CreditGeneral, Status: enterprise.StatusActive, CreatedAt: time.Now(), UpdatedAt: time.Now()}, nil); err != nil {
		tb.Fatal(err)
	}
	codes, err := trace.NewCodes(nil, time.Now(), n)
	if err != nil {
		tb.Fatal(err)
	}
	rows := make([]store.TraceCode, n)
	for i, c := range codes {
		rows[i] = store.TraceCode{Code: c, InventoryID: "inv", Gnum: 1, Piece: i + 1, EbcCode: "1105910159", ItemNo: "MILK-1",
			GTIN: "4006381333931", Name: "婴儿配方奶粉", Brand: "示例牌", OriginCountry: "502", HSCode: "1901101000", CustomsCode: "8010",
			PortCode: "8010", State: "released", ReleasedAt: time.Now()}
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertTraceCodes(ctx, rows) }); err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := &trace.Service{DB: db, Ref: products{}, Parties: enterprise.NewCache(db, 5*time.Second), Now: time.Now, Log: log}
	if _, err := svc.Publish(ctx, "warning", trace.NoticeInput{Title: "风险预警", Body: "说明", ItemNo: "MILK-1", EbcCode: "1105910159"}, "officer"); err != nil {
		tb.Fatal(err)
	}
	s := &publicweb.Site{Trace: svc, Log: log, Now: time.Now}
	mux := http.NewServeMux()
	for _, r := range s.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	return mux, codes
}

func TestLookupPageFromStore(t *testing.T) {
	h, codes := site(t, 3)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/t/"+codes[1], nil))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "示例跨境电商") || !strings.Contains(body, "本商品有风险预警") || !strings.Contains(body, "4006381333931") {
		t.Fatalf("%d %s", rec.Code, body)
	}
	if ct := rec.Header().Get("Content-Security-Policy"); !strings.Contains(ct, "default-src 'none'") {
		t.Errorf("CSP %q", ct)
	}
}

// BenchmarkLookup measures code lookups end to end below HTTP: the handler
// reads the code from SQLite, matches recalls and warnings in memory and
// renders the page. It runs on every core (b.RunParallel), as a server would.
func BenchmarkLookup(b *testing.B) {
	h, codes := site(b, 5000)
	cpu0 := cpuTime(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/t/"+codes[i%len(codes)], nil))
			if rec.Code != 200 {
				b.Errorf("status %d", rec.Code)
				return
			}
			i += 7919
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	// CPU time tells the cost apart from other processes' load on a shared machine.
	perLookup := (cpuTime(b) - cpu0).Seconds() / float64(b.N)
	b.ReportMetric(perLookup*1e6, "cpu-µs/lookup")
	b.ReportMetric(1/perLookup, "lookups/cpu-s")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
