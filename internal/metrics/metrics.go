// Package metrics holds the Prometheus registry of the platform and the HTTP
// and database collectors every deployment gets.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the registry and the platform-wide collectors.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	throttle *prometheus.CounterVec
	jobs     *prometheus.GaugeVec
}

// New returns a registry with Go runtime, process, HTTP and database pool metrics.
func New(pools map[string]*sql.DB) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cbec_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cbec_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		throttle: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cbec_throttled_total", Help: "Requests answered 429 by a limit: quota_address, quota_id, failed_auth, enterprise, provider.",
		}, []string{"limit"}),
		jobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cbec_background_job_running", Help: "1 while a periodic job that runs on one node of a deployment (the leader) runs on this one.",
		}, []string{"job"}),
	}
	reg.MustRegister(m.requests, m.latency, m.throttle, m.jobs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for name, db := range pools {
		reg.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
	return m
}

// WriterTotals are the database writer's running totals since the node
// started (store.WriterStats, whose fields these mirror so that one converts
// to the other).
type WriterTotals struct {
	Statements, RoundTrips, Transactions, RolledBack int64
	Busy                                             time.Duration
	Retries                                          int64
}

// Writer exports the database writer's totals, read from totals at each
// scrape: what the write path costs per declaration, and how much of it a
// rollback threw away, as an operator sees it on a live node.
func (m *Metrics) Writer(totals func() WriterTotals) {
	counter := func(name, help string, value func(WriterTotals) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return value(totals()) })
	}
	m.Registry.MustRegister(
		counter("cbec_writer_transactions_total", "Write transactions committed or rolled back.",
			func(w WriterTotals) float64 { return float64(w.Transactions) }),
		counter("cbec_writer_rollbacks_total", "Write transactions rolled back: their work was thrown away and, for the jobs that did not fail, done again.",
			func(w WriterTotals) float64 { return float64(w.RolledBack) }),
		counter("cbec_writer_retries_total", "Batches run again after a deadlock or serialization failure (PostgreSQL).",
			func(w WriterTotals) float64 { return float64(w.Retries) }),
		counter("cbec_writer_statements_total", "Statements run in write transactions, begin and commit included.",
			func(w WriterTotals) float64 { return float64(w.Statements) }),
		counter("cbec_writer_round_trips_total", "Calls of write transactions that waited for the database: one a statement on SQLite, one a pipeline sent on PostgreSQL.",
			func(w WriterTotals) float64 { return float64(w.RoundTrips) }),
		counter("cbec_writer_busy_seconds_total", "Time from begin to the end of commit or rollback, summed over write transactions: on SQLite, whose one writer runs them one at a time, its busy share.",
			func(w WriterTotals) float64 { return w.Busy.Seconds() }),
	)
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Observe records one finished request. route is the ServeMux pattern, so that
// URLs with ids do not explode the label space.
func (m *Metrics) Observe(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// Throttled counts one request refused by the named limit.
func (m *Metrics) Throttled(limit string) { m.throttle.WithLabelValues(limit).Inc() }

// JobRunning records that a leader's periodic job started (true) or stopped on this node.
func (m *Metrics) JobRunning(job string, running bool) {
	v := 0.0
	if running {
		v = 1
	}
	m.jobs.WithLabelValues(job).Set(v)
}
