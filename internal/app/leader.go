package app

import (
	"context"
	"sync"
	"time"

	"github.com/cbec-platform/cbec/internal/console"
	"github.com/cbec-platform/cbec/internal/store"
)

// job is a periodic job that must run on one node of a deployment at a time:
// two nodes billing, sweeping or summarising the same rows at once would do
// the work twice or race for it.
type job struct {
	name string
	run  func(context.Context)
}

// leaderJobs are the periodic jobs only the leader runs. The others stay on
// every node: each node's engine workers judge what its own queue holds, the
// trace facts and risk rules are reloaded into each node's memory (risk's
// expiry of credit records is a conditional update per record, which another
// node finds done), and webhook deliveries are claimed one by one.
func (a *App) leaderJobs() []job {
	return []job{
		{"engine_sweep", a.Engine.RunSweep},
		{"bonded_billing", a.Bonded.Run},
		{"export_summaries", a.Export.Run},
		{"logistics_alerts", a.Logistics.Run},
		{"support_escalation", a.Support.Run},
	}
}

// leaderLock names the lock whose holder runs the jobs.
const leaderLock = "periodic jobs"

// lead runs jobs while this node holds the leader lock, until ctx ends.
// Every LeaderInterval a node without it tries to take it. On SQLite the
// only node leads at once.
func (a *App) lead(ctx context.Context, jobs []job) {
	every := time.Duration(a.Config.LeaderInterval)
	l := a.DB.Leader(leaderLock)
	defer l.Release()
	for {
		ok, err := l.Try(ctx)
		if err != nil && ctx.Err() == nil {
			a.Log.Warn("trying to take over the periodic jobs failed; tried again", "error", err)
		}
		if ok {
			a.runJobs(ctx, l, jobs, every)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// leadership is what runJobs needs of store.Leader.
type leadership interface {
	Check(context.Context) error
	Release()
}

// runJobs runs the jobs until ctx ends or the leadership is lost, waits
// until they have stopped, then gives the lock up. A node that lost its
// connection to the database may learn it only at its next check, while
// another node could take the lock at once: the new leader waits two
// intervals before starting, so that the old one has stopped by then.
func (a *App) runJobs(ctx context.Context, l leadership, jobs []job, every time.Duration) {
	defer l.Release()
	held := func() bool {
		cctx, cancel := context.WithTimeout(ctx, every)
		defer cancel()
		err := l.Check(cctx)
		if err != nil && ctx.Err() == nil {
			a.Log.Warn("this node lost the lead of the periodic jobs; another node takes them over", "error", err)
		}
		return err == nil
	}
	t := time.NewTicker(every)
	defer t.Stop()
	if a.DB.Engine != store.SQLite {
		for range 2 {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if !held() {
				return
			}
		}
	}
	a.Log.Info("this node runs the periodic jobs")
	jctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() {
			a.API.Metrics.JobRunning(j.name, true)
			defer a.API.Metrics.JobRunning(j.name, false)
			j.run(jctx)
		})
	}
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case <-t.C:
			if !held() {
				break wait
			}
		}
	}
	stop()
	wg.Wait()
}

// relayLive brings the sorting lines' events published on other nodes to
// this node's live screens, until ctx ends; a lost connection is listened
// again after LeaderInterval (the screens reload what they missed when they
// reconnect). On SQLite it only waits for ctx.
func (a *App) relayLive(ctx context.Context) {
	for {
		err := a.DB.Listen(ctx, console.LiveChannel, func() {}, func(payload string) { a.Officers.Relayed(ctx, payload) })
		if ctx.Err() != nil {
			return
		}
		a.Log.Warn("listening for other nodes' live events failed; listening again", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(a.Config.LeaderInterval)):
		}
	}
}
