package trace

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
)

// BenchmarkReleaseIntoALargeIndex measures what a release's pieces cost to
// store once the pieces' index is far larger than SQLite's page cache, as it
// is after a few minutes at full rate (gigabytes against a 64 MiB cache).
// The ratio is scaled down: a 1 MiB cache and 300,000 pieces stored first.
// "random" are codes of the old form, 17 random symbols; "minute-led" the
// codes NewCodes makes now, which lead with their release minute, so a
// release writes into the pages of the last minutes instead of anywhere in
// the index. Each op is a release of 100 pieces in its own transaction; the
// clock moves a minute every 100 releases (10,000 pieces a minute).
//
//	go test ./internal/trace -run '^$' -bench ReleaseIntoALargeIndex -benchtime 3000x
func BenchmarkReleaseIntoALargeIndex(b *testing.B) {
	for _, form := range []struct {
		name  string
		codes func(at time.Time, n int) ([]string, error)
	}{
		{"random", oldFormCodes},
		{"minute-led", func(at time.Time, n int) ([]string, error) { return NewCodes(nil, at, n) }},
	} {
		b.Run(form.name, func(b *testing.B) {
			ctx := context.Background()
			db, err := store.Open(ctx, "", b.TempDir(), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
				b.Fatal(err)
			}
			if _, err := db.Pools()["write"].ExecContext(ctx, "PRAGMA cache_size = -1024"); err != nil {
				b.Fatal(err)
			}
			at := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
			release := func(i int) {
				if i%100 == 0 {
					at = at.Add(time.Minute)
				}
				codes, err := form.codes(at, 100)
				if err != nil {
					b.Fatal(err)
				}
				pieces := make([]store.TraceCode, len(codes))
				for j, c := range codes {
					pieces[j] = store.TraceCode{Code: c, InventoryID: fmt.Sprintf("inv-%d", i), Gnum: 1 + j/10, Piece: j % 10,
						EbcCode: "3301960001", ItemNo: "ITEM-1", Name: "goods", OriginCountry: "142", HSCode: "3304990099",
						CustomsCode: "8012", PortCode: "8012", State: "released", ReleasedAt: at}
				}
				if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertTraceCodes(ctx, pieces) }); err != nil {
					b.Fatal(err)
				}
			}
			const before = 3000 // releases of 100 pieces stored before the clock starts
			for i := range before {
				release(i)
			}
			b.ResetTimer()
			for i := range b.N {
				release(before + i)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*100), "µs/piece")
		})
	}
}

// oldFormCodes makes codes of the form issued before the minute led them: 17
// random symbols and the check symbol over them.
func oldFormCodes(_ time.Time, n int) ([]string, error) {
	random, err := Symbols(nil, n*bodyLen)
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		body := string(random[i*bodyLen : (i+1)*bodyLen])
		c, _ := checkSymbol(body)
		out[i] = body + string(c)
	}
	return out, nil
}
