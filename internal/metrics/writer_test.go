package metrics_test

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/metrics"
)

// The writer's totals are read at each scrape, each under its own name.
func TestWriterTotalsAtEachScrape(t *testing.T) {
	m := metrics.New(nil)
	totals := metrics.WriterTotals{Statements: 190, RoundTrips: 140, Transactions: 10, RolledBack: 1, Busy: 1500 * time.Millisecond, Retries: 2}
	m.Writer(func() metrics.WriterTotals { return totals })
	want := map[string]float64{"cbec_writer_statements_total": 190, "cbec_writer_round_trips_total": 140, "cbec_writer_transactions_total": 10,
		"cbec_writer_rollbacks_total": 1, "cbec_writer_busy_seconds_total": 1.5, "cbec_writer_retries_total": 2}
	if got := writerValues(t, m); !maps.Equal(got, want) {
		t.Errorf("scraped %v, want %v", got, want)
	}
	totals.RolledBack, totals.Busy = 3, 2250*time.Millisecond
	want["cbec_writer_rollbacks_total"], want["cbec_writer_busy_seconds_total"] = 3, 2.25
	if got := writerValues(t, m); !maps.Equal(got, want) {
		t.Errorf("after the totals moved: scraped %v, want %v", got, want)
	}
}

// writerValues scrapes m and returns the writer's counters by name.
func writerValues(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "cbec_writer_") {
			out[f.GetName()] = f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return out
}
