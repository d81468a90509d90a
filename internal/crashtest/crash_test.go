// Package crashtest runs the real cbec binary under a mixed load, kills it
// with SIGKILL at random moments, restarts it and checks after every restart
// that nothing acknowledged was lost and every bookkeeping invariant holds
// (issue 10). `go test ./...` runs a short form; set CBEC_CRASH_CYCLES for
// a long run by hand (docs/reliability.md).
package crashtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/loadgen"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
	"github.com/cbec-platform/cbec/internal/tcpproxy"
	"github.com/cbec-platform/cbec/internal/vault"
)

// cycles is the number of kill -9 cycles: CBEC_CRASH_CYCLES, or 3 (1 with -short).
func cycles(t *testing.T) int {
	if s := os.Getenv("CBEC_CRASH_CYCLES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("CBEC_CRASH_CYCLES=%q: want a positive number", s)
		}
		return n
	}
	if testing.Short() {
		return 1
	}
	return 3
}

// engine is how a crash run reaches its database.
type engine struct {
	env  []string                  // for the server process
	open func() (*store.DB, error) // for the checks
	// outage, when set, takes the database away for a moment under load and
	// returns a function that brings it back.
	outage func() (restore func())
	// nodes is how many servers share the database (PostgreSQL); 0 is one.
	nodes int
}

func TestCrashSQLite(t *testing.T) {
	dir := t.TempDir()
	crashRun(t, engine{
		env: []string{"CBEC_DATA=" + dir},
		open: func() (*store.DB, error) {
			return store.Open(context.Background(), "", dir, store.Options{MaxConns: 1})
		},
	})
}

func TestCrashPostgres(t *testing.T) {
	crashRun(t, postgresEngine(t, 1))
}

// TestCrashPostgresTwoNodes is the crash test with two servers on one
// database taking the load at once (issue 17): each cycle kills one node
// under load while the other goes on writing, then the other.
func TestCrashPostgresTwoNodes(t *testing.T) {
	crashRun(t, postgresEngine(t, 2))
}

// postgresEngine reaches a fresh schema through a proxy that can cut it off.
func postgresEngine(t *testing.T, nodes int) engine {
	dsn := storetest.PostgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	// The proxy stands between the server and PostgreSQL so that the test
	// can take the database away and bring it back, as a database restart
	// looks to the server, without touching a cluster other tests share.
	px, err := tcpproxy.Listen("127.0.0.1:0", u.Host, 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = px.Serve() }()
	t.Cleanup(func() { _ = px.Close() })
	u.Host = px.Addr()
	return engine{
		env: []string{"CBEC_DATA=" + t.TempDir(), "CBEC_DB=" + u.String()},
		open: func() (*store.DB, error) {
			return store.Open(context.Background(), dsn, "", store.Options{MaxConns: 2})
		},
		outage: func() func() {
			px.Down()
			return px.Up
		},
		nodes: nodes,
	}
}

// figures are what a run measured, for docs/reliability.md.
type figures struct {
	cycles, acked, feed, posted, outages int
}

func crashRun(t *testing.T, eng engine) {
	n := cycles(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d kill -9 cycles", seed, n)
	r := rand.New(rand.NewPCG(seed, 1))
	srvs := []*server{newServer(t, eng.env...)}
	if eng.nodes > 1 {
		// Every node its own data folder and the deployment's one secret key.
		secret, err := vault.NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		srvs = nil
		for range eng.nodes {
			srvs = append(srvs, newServer(t, append(eng.env, "CBEC_DATA="+t.TempDir(), "CBEC_SECRET_KEY="+secret)...))
		}
	}
	startAll := func() error {
		errs := make([]error, len(srvs))
		var wg sync.WaitGroup
		for i, srv := range srvs {
			wg.Go(func() { errs[i] = srv.start(90 * time.Second) })
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	if err := startAll(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	drivers := []*driver{setup(ctx, t, srvs[0].url(), seed)}
	for i, srv := range srvs[1:] {
		drivers = append(drivers, newDriver(t, srv.url(), drivers[0].ps, seed+uint64(i+1)<<32, loadgen.NewRunID()))
	}
	for i, d := range drivers {
		srv := srvs[i]
		d.logs = func(id string) string {
			if id == "" || srv.p == nil {
				return ""
			}
			time.Sleep(200 * time.Millisecond) // the server logs a failure after answering
			return srv.p.out.lines(id)
		}
	}
	acked := func() []acked {
		var all []acked
		for _, d := range drivers {
			d.mu.Lock()
			all = append(all, d.acks...)
			d.mu.Unlock()
		}
		return all
	}
	output := func() string {
		var b strings.Builder
		for i, srv := range srvs {
			fmt.Fprintf(&b, "--- node %d\n%s", i+1, srv.p.out)
		}
		return b.String()
	}
	keys := map[string]string{}
	for _, p := range drivers[0].ps.All() {
		keys[p.Code] = p.Key
	}
	var fig figures
	for i := range n {
		loadCtx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for k, d := range drivers {
			wg.Go(func() { d.run(loadCtx, 3, seed+uint64(i)+uint64(k)<<32) })
		}
		time.Sleep(time.Duration(300+r.IntN(1700)) * time.Millisecond)
		if eng.outage != nil && i%3 == 1 {
			databaseOutage(t, srvs, eng, r)
			fig.outages++
			time.Sleep(time.Duration(200+r.IntN(800)) * time.Millisecond)
		}
		// One node dies first, in turn; the others go on writing a moment.
		for k := range srvs {
			if k > 0 {
				time.Sleep(time.Duration(r.IntN(500)) * time.Millisecond)
			}
			srvs[(i+k)%len(srvs)].kill()
		}
		cancel()
		wg.Wait()
		if t.Failed() {
			t.Fatalf("cycle %d: load failed\n%s", i+1, output())
		}
		acks := acked()
		db, err := eng.open()
		if err != nil {
			t.Fatalf("cycle %d: open database after kill: %v", i+1, err)
		}
		(&checker{t: t, db: db}).database(ctx, acks)
		db.Close()
		if err := startAll(); err != nil {
			t.Fatalf("cycle %d: restart: %v", i+1, err)
		}
		fig.feed = feedAPI(ctx, t, srvs[i%len(srvs)].url(), keys)
		fig.cycles++
		fig.acked = len(acks)
		if t.Failed() {
			t.Fatalf("cycle %d of %d: invariants broken (seed %d)", i+1, n, seed)
		}
		if n > 5 && (i+1)%10 == 0 {
			t.Logf("cycle %d: %d messages acknowledged, %d receipts in the feeds", i+1, fig.acked, fig.feed)
		}
	}
	// A last clean stop: the servers drain and every invariant still holds.
	for _, srv := range srvs {
		if err := srv.stop(); err != nil {
			t.Errorf("SIGTERM: %v\n%s", err, srv.p.out)
		}
	}
	db, err := eng.open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	(&checker{t: t, db: db}).database(ctx, acked())
	stats := map[string]int{}
	for _, d := range drivers {
		fig.posted += int(d.posted.Load())
		for k, v := range d.stats {
			stats[k] += v
		}
	}
	t.Logf("FIGURES nodes=%d cycles=%d acked=%d posted=%d feed=%d outages=%d by type=%v", len(srvs), fig.cycles, fig.acked, fig.posted, fig.feed, fig.outages, stats)
	if fig.acked == 0 {
		t.Error("no message was acknowledged: the load did not run")
	}
}

// databaseOutage takes the database away under load: the server must say
// it is not ready, then recover by itself once the database is back.
func databaseOutage(t *testing.T, srvs []*server, eng engine, r *rand.Rand) {
	t.Helper()
	restore := eng.outage()
	for _, srv := range srvs {
		notReady := false
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			st, _, err := get(context.Background(), srv.url()+"/readyz", "")
			if err == nil && st == 503 {
				notReady = true
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !notReady {
			t.Errorf("database down: /readyz never answered 503\n%s", srv.p.out)
		}
	}
	time.Sleep(time.Duration(200+r.IntN(1000)) * time.Millisecond)
	restore()
	for _, srv := range srvs {
		databaseBack(t, srv)
	}
}

// databaseBack waits until the server is ready again after an outage.
func databaseBack(t *testing.T, srv *server) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, body, err := get(context.Background(), srv.url()+"/readyz", "")
		if err == nil && st == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("database back: /readyz still %d %v %s after 30s\n%s", st, err, strings.TrimSpace(string(body)), srv.p.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
