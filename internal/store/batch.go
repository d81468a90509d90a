package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/cbec-platform/cbec/internal/tracing"
)

// Batcher runs many small write jobs in few transactions (group commit).
// SQLite has one writer, and every commit writes the WAL; PostgreSQL pays a
// round trip and a WAL flush per commit. Jobs queued while a transaction runs
// go into the next one, so the batch grows with the load and latency stays
// one commit.
//
// A job that fails must not undo the others. Failures are rare, so the batch
// runs optimistically in one transaction; when a job fails, that transaction
// is rolled back, the other jobs run again together and the failed one alone
// (see write). Jobs must therefore give the same result when run again after
// a rollback (they read what they need inside the transaction).
//
// Jobs queued with DoFirst go into the next transaction ahead of those queued
// with Do.
//
// On PostgreSQL several workers, on one node or many, write at once. Rows
// that many jobs write (an enterprise's receipt counter, a buyer's quota, an
// item's stock: hot rows) would deadlock them if two batches took them in
// different orders, so a job names the hot rows it will write (DoKeys), and
// a batch first takes one transaction-scoped advisory lock per named row,
// sorted by lock id, in one statement: batches that share a hot row run one
// after the other, the others side by side, and none waits for a lock
// while holding one a waiter ahead of it needs. Correctness does not rest
// on the names (the rows' own locks and conditional updates keep quotas,
// stock and feeds exact); a row not named can still deadlock, and the
// batch then runs again. Jobs queued with Do name nothing: their batch
// takes writerGate exclusively and runs alone, as every batch did before.
type Batcher struct {
	db    *DB
	jobs  chan *job
	first chan *job
	max   int
	wg    sync.WaitGroup
	stop  chan struct{}
}

type job struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
	// keyed: the job named its hot rows (locks, the ids of their advisory
	// locks); a job that did not runs alone.
	keyed bool
	locks []int64
	// commitLocks are the advisory locks of the rows it named with
	// CommitRow, taken only when the job runs again after a change of one
	// of them failed at commit (now).
	commitLocks []int64
	now         bool
}

// NewBatcher starts workers goroutines that each commit up to max jobs per
// transaction. SQLite has a single writer, so one worker is right there;
// PostgreSQL takes several (see the type's comment for how they share rows).
func (db *DB) NewBatcher(workers, max int) *Batcher {
	if workers < 1 {
		workers = 1
	}
	if max < 1 {
		max = 1
	}
	b := &Batcher{db: db, jobs: make(chan *job, max*workers*4), first: make(chan *job, max*workers), max: max, stop: make(chan struct{})}
	for range workers {
		b.wg.Add(1)
		go b.loop()
	}
	return b
}

// Close stops the workers after the queued jobs are done.
func (b *Batcher) Close() {
	close(b.stop)
	b.wg.Wait()
}

// Do runs fn in a write transaction shared with other jobs and returns once
// that transaction has committed (nil) or fn's error. A job whose context is
// cancelled before its turn is not run. On PostgreSQL its transaction runs
// while no other batch writes: for jobs whose hot rows are not named (DoKeys).
func (b *Batcher) Do(ctx context.Context, fn func(*Tx) error) error {
	return b.do(ctx, b.jobs, nil, false, fn)
}

// DoKeys is Do for a job that writes no hot row but those keys name (built
// with HotRow); on PostgreSQL it writes alongside other batches, locking the
// named rows first, in the one order of all writers.
func (b *Batcher) DoKeys(ctx context.Context, keys []string, fn func(*Tx) error) error {
	return b.do(ctx, b.jobs, keys, true, fn)
}

// NamesRows tells whether named hot rows are locked (PostgreSQL). SQLite's
// one writer needs no names, so a caller may skip building them.
func (b *Batcher) NamesRows() bool { return b.db.Engine == Postgres }

// DoFirst is Do for work that must not wait behind new arrivals: the
// engine's decisions on inventories already accepted. Under a flood of
// messages the writer would otherwise spend its transactions taking in new
// inventories while those taken in wait ever longer for their final receipt;
// served first, the decisions keep pace and the messages wait instead, which
// slows the senders down. Its keys are DoKeys's.
func (b *Batcher) DoFirst(ctx context.Context, keys []string, fn func(*Tx) error) error {
	return b.do(ctx, b.first, keys, true, fn)
}

func (b *Batcher) do(ctx context.Context, queue chan *job, keys []string, keyed bool, fn func(*Tx) error) error {
	j := &job{ctx: ctx, fn: fn, done: make(chan error, 1), keyed: keyed}
	if b.NamesRows() { // SQLite's one writer locks nothing
		hot, atCommit := splitCommitRows(keys)
		j.locks, j.commitLocks = lockIDs(hot), lockIDs(atCommit)
	}
	select {
	case queue <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stop:
		return fmt.Errorf("store: batcher closed")
	}
	select {
	case err := <-j.done:
		return err
	case <-b.stop:
		// The worker drains the queue before it stops, so the answer still comes.
		return <-j.done
	}
}

func (b *Batcher) loop() {
	defer b.wg.Done()
	batch := make([]*job, 0, b.max)
	for {
		batch = fill(batch[:0], b.first, b.max)
		if len(batch) == 0 {
			select {
			case j := <-b.first:
				batch = append(batch, j)
			case j := <-b.jobs:
				batch = append(batch, j)
			case <-b.stop:
				b.drain()
				return
			}
		}
		batch = fill(batch, b.first, b.max)
		batch = fill(batch, b.jobs, b.max)
		b.run(batch)
	}
}

// fill adds queued jobs to batch, up to max, without waiting.
func fill(batch []*job, queue chan *job, max int) []*job {
	for len(batch) < max {
		select {
		case j := <-queue:
			batch = append(batch, j)
		default:
			return batch
		}
	}
	return batch
}

// drain runs what is left in the queues when the batcher stops.
func (b *Batcher) drain() {
	for {
		select {
		case j := <-b.first:
			b.run([]*job{j})
		case j := <-b.jobs:
			b.run([]*job{j})
		default:
			return
		}
	}
}

func (b *Batcher) run(batch []*job) {
	live := batch[:0:0]
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.done <- err
			continue
		}
		live = append(live, j)
	}
	b.write(live)
}

// write commits jobs in one transaction and answers each. When a job fails,
// the transaction is undone and the others are written together again, then
// the failed job alone (what an earlier job of the batch wrote may be why it
// failed): a failure costs two transactions more, not one per job. When the
// transaction failed outside any job (its commit, the connection), each job
// is written on its own.
func (b *Batcher) write(jobs []*job) {
	if len(jobs) == 0 {
		return
	}
	failed := -1
	span := commitSpan(jobs)
	err := b.inTx(jobs, func(tx *Tx) error {
		failed = -1
		defer func() { tx.job = -1 }()
		for i, j := range jobs {
			tx.job = i
			if err := tracedJob(tx, j); err != nil {
				failed = i
				return err
			}
		}
		return nil
	})
	// A statement a job queued (PostgreSQL) fails when it is sent, with a
	// later job's statement or the commit: the job that queued it failed.
	if qe := (*queuedError)(nil); errors.As(err, &qe) && qe.job >= 0 {
		failed = qe.job
	}
	tracing.End(span, err)
	// A row the job changed at commit no longer held what it read: it runs
	// again, alone, with its rows locked and changed at once.
	again := failed >= 0 && !jobs[failed].now && errors.Is(err, errCommitRowChanged)
	if again {
		jobs[failed].now = true
	}
	switch {
	case err == nil:
		for _, j := range jobs {
			j.done <- nil
		}
	case len(jobs) == 1 && !again:
		jobs[0].done <- err
	case failed < 0:
		for _, j := range jobs {
			b.write([]*job{j})
		}
	default:
		others := append(jobs[:failed:failed], jobs[failed+1:]...)
		b.write(others)
		b.write(jobs[failed : failed+1])
	}
}

// commitSpan is the span of one transaction of the batch: in the trace of
// its first job, linked to the others'.
func commitSpan(jobs []*job) trace.Span {
	if !tracing.Enabled() {
		return tracing.Off()
	}
	ctxs := make([]context.Context, len(jobs))
	for i, j := range jobs {
		ctxs[i] = j.ctx
	}
	return tracing.StartLinked(ctxs, "store.commit", attribute.Int("cbec.jobs", len(jobs)))
}

// tracedJob runs a job under a span in its caller's trace.
func tracedJob(tx *Tx, j *job) error {
	_, span := tracing.Start(j.ctx, "store.write")
	err := runJob(tx, j.fn)
	tracing.End(span, err)
	return err
}

// inTx runs jobs' fn in a transaction, again when the database gave up on it
// for a reason that a second attempt cures: a deadlock or serialization
// failure between writers sharing PostgreSQL. Jobs may run again by contract.
func (b *Batcher) inTx(jobs []*job, fn func(*Tx) error) error {
	if b.db.Engine == Postgres {
		fn = lockHotRows(jobs, fn)
	}
	var err error
	for attempt := range 4 {
		if err = b.db.InTx(context.Background(), fn); err == nil || !retryable(err) {
			return err
		}
		b.db.writer.retries.Add(1)
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
	return err
}

// runJob runs one job, turning a panic into an error: a bug in one job must
// not stop the writer that every request waits on.
func runJob(tx *Tx, fn func(*Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write job panicked: %v", p)
		}
	}()
	return fn(tx)
}

// writerGate is the PostgreSQL advisory lock every batch takes first: shared
// when all its jobs named their hot rows, exclusive when one did not (Do).
// An exclusive holder writes alone, so the rows its jobs lock in their own
// order cannot meet a batch locking them in another. PostgreSQL queues a
// shared request behind a waiting exclusive one, so Do is not starved.
const writerGate int64 = 0x63626563_77726974 // "cbecwrit"

// HotRow names a hot row for DoKeys and DoFirst: kind says which table or
// counter ("feed", "quota", "stock", …), parts the row's key in it.
func HotRow(kind string, parts ...string) string {
	return kind + "\x00" + strings.Join(parts, "\x00")
}

// The hot rows of the clearance path, named alike by every job that writes
// them (an enterprise's receipt counter, the hottest of all, needs no name:
// it is stepped at commit, see numberFeed):
//   - OrderRows, WaybillRows: an order's (or waybill's) documents and the
//     inventories declared on it, which a document wakes and a decision
//     updates (named so that a message and a decision on the same order do
//     not lock those rows in opposite orders);
//   - QuotaRows: a buyer's yearly quota and caps;
//   - BondedItemRow, GuaranteeRow: an item's stock and a guarantor's
//     balance, which a keyed batch changes at commit (CommitRow,
//     commit_rows.go).

// OrderRows names an order's documents and the inventories declared on it.
func OrderRows(ebpCode, orderNo string) string { return HotRow("order", ebpCode, orderNo) }

// WaybillRows names a waybill and the inventories declared on it.
func WaybillRows(logisticsCode, logisticsNo string) string {
	return HotRow("waybill", logisticsCode, logisticsNo)
}

// QuotaRows names a buyer's quota and cap counters.
func QuotaRows(buyerKey string) string { return HotRow("quota", buyerKey) }

// lockIDs turns hot-row keys into advisory lock ids. Two keys that hash
// alike share a lock: they are serialized, which costs time, not safety.
func lockIDs(keys []string) []int64 {
	ids := make([]int64, 0, len(keys))
	for _, k := range keys {
		h := fnv.New64a()
		h.Write([]byte(k))
		ids = append(ids, int64(h.Sum64()))
	}
	return ids
}

// lockHotRows runs fn after taking the advisory locks of jobs' hot rows, held
// until commit or rollback: writerGate, then the rows' locks in ascending
// order, each once, in one statement.
func lockHotRows(jobs []*job, fn func(*Tx) error) func(*Tx) error {
	var ids, commitIDs []int64
	now := false
	for _, j := range jobs {
		if !j.keyed {
			return func(tx *Tx) error {
				if err := tx.later(context.Background(), "take the writers' gate", `SELECT pg_advisory_xact_lock($1)`, writerGate); err != nil {
					return err
				}
				return fn(tx)
			}
		}
		ids = append(ids, j.locks...)
		commitIDs = append(commitIDs, j.commitLocks...)
		now = now || j.now
	}
	// The rows changed at commit (commit_rows.go) are locked from the start
	// only in a job's rerun, and then for the whole batch.
	if now {
		ids = append(ids, commitIDs...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return func(tx *Tx) error {
		// The two parts of a UNION ALL run one after the other, and unnest
		// yields the ids in the array's order, each lock taken as its row is
		// produced: the gate, then the rows ascending.
		// Queued: the locks travel with BEGIN and the first statements, and
		// the server takes them before running those.
		if err := tx.later(context.Background(), fmt.Sprintf("lock %d hot rows", len(ids)), `SELECT pg_advisory_xact_lock_shared($1)
			UNION ALL SELECT pg_advisory_xact_lock(k) FROM unnest($2::bigint[]) AS k`, writerGate, ids); err != nil {
			return err
		}
		tx.deferRows = !now
		return fn(tx)
	}
}
