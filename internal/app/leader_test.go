package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/httpapi"
	"github.com/cbec-platform/cbec/internal/metrics"
	"github.com/cbec-platform/cbec/internal/store"
)

// fakeLead holds until its checks run out.
type fakeLead struct {
	checks   atomic.Int32 // successful checks left
	released atomic.Bool
}

func (f *fakeLead) Check(context.Context) error {
	if f.checks.Add(-1) < 0 {
		return errors.New("connection lost")
	}
	return nil
}

func (f *fakeLead) Release() { f.released.Store(true) }

func leaderApp(engine store.Engine) *App {
	return &App{Config: config.Config{LeaderInterval: config.Duration(10 * time.Millisecond)}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		DB: &store.DB{Engine: engine}, API: &httpapi.API{Metrics: metrics.New(nil)}}
}

// countingJob counts its starts and tells whether it is running.
type countingJob struct{ starts, running atomic.Int32 }

func (c *countingJob) run(ctx context.Context) {
	c.starts.Add(1)
	c.running.Add(1)
	defer c.running.Add(-1)
	<-ctx.Done()
}

// On PostgreSQL a new leader waits two checks before starting the jobs, and
// a failed check stops them all before the lock is given up.
func TestLeaderStopsJobsWhenTheLeadIsLost(t *testing.T) {
	a := leaderApp(store.Postgres)
	var j1, j2 countingJob
	l := &fakeLead{}
	l.checks.Store(5)
	a.runJobs(context.Background(), l, []job{{"one", j1.run}, {"two", j2.run}}, 10*time.Millisecond)
	if j1.starts.Load() != 1 || j2.starts.Load() != 1 {
		t.Errorf("starts %d, %d; want each job started once", j1.starts.Load(), j2.starts.Load())
	}
	if j1.running.Load() != 0 || j2.running.Load() != 0 {
		t.Error("a job still runs after the lead was lost")
	}
	if !l.released.Load() {
		t.Error("the lock was not given up")
	}

	// Lost during the wait before starting: nothing starts.
	var j3 countingJob
	l = &fakeLead{}
	l.checks.Store(1)
	a.runJobs(context.Background(), l, []job{{"three", j3.run}}, 10*time.Millisecond)
	if j3.starts.Load() != 0 || !l.released.Load() {
		t.Errorf("lead lost before the start: %d starts, released %v", j3.starts.Load(), l.released.Load())
	}
}

// On SQLite the one node leads at once, until the server stops.
func TestLeaderOnSQLite(t *testing.T) {
	db, err := store.Open(context.Background(), "", t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := leaderApp(store.SQLite)
	a.DB = db
	var j countingJob
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.lead(ctx, []job{{"one", j.run}}); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for j.running.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the job did not start")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if j.starts.Load() != 1 || j.running.Load() != 0 {
		t.Errorf("starts %d, running %d; want 1 and 0", j.starts.Load(), j.running.Load())
	}
}
