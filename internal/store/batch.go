package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
)

// Batcher runs many small write jobs in few transactions (group commit).
// SQLite has one writer, and every commit costs a WAL sync; PostgreSQL pays a
// round trip and a WAL flush per commit. Jobs queued while a transaction runs
// go into the next one, so the batch grows with the load and latency stays
// one commit. Each job runs inside its own savepoint: a job that fails is
// rolled back alone and the others commit.
type Batcher struct {
	db   *DB
	jobs chan *job
	max  int
	wg   sync.WaitGroup
	stop chan struct{}
}

type job struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// NewBatcher starts workers goroutines that each commit up to max jobs per
// transaction. SQLite has a single writer, so one worker is right there;
// PostgreSQL takes several.
func (db *DB) NewBatcher(workers, max int) *Batcher {
	if workers < 1 {
		workers = 1
	}
	if max < 1 {
		max = 1
	}
	b := &Batcher{db: db, jobs: make(chan *job, max*workers*4), max: max, stop: make(chan struct{})}
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
// cancelled before its turn is not run.
func (b *Batcher) Do(ctx context.Context, fn func(*Tx) error) error {
	j := &job{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case b.jobs <- j:
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
		select {
		case j := <-b.jobs:
			batch = append(batch[:0], j)
		case <-b.stop:
			b.drain()
			return
		}
	fill:
		for len(batch) < b.max {
			select {
			case j := <-b.jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		b.run(batch)
	}
}

// drain runs what is left in the queue when the batcher stops.
func (b *Batcher) drain() {
	for {
		select {
		case j := <-b.jobs:
			b.run([]*job{j})
		default:
			return
		}
	}
}

func (b *Batcher) run(batch []*job) {
	results := make([]error, len(batch))
	err := b.db.InTx(context.Background(), func(tx *Tx) error {
		for i, j := range batch {
			if err := j.ctx.Err(); err != nil {
				results[i] = err
				continue
			}
			results[i] = runSavepoint(tx, i, j.fn)
		}
		return nil
	})
	for i, j := range batch {
		if err != nil && results[i] == nil {
			results[i] = err // the commit failed: nothing of the batch is stored
		}
		j.done <- results[i]
	}
}

func runSavepoint(tx *Tx, i int, fn func(*Tx) error) (err error) {
	ctx := context.Background()
	defer func() {
		// A bug in one job must not stop the writer that every request waits on.
		if p := recover(); p != nil {
			_, _ = tx.Exec(ctx, "ROLLBACK TO SAVEPOINT j"+strconv.Itoa(i))
			err = fmt.Errorf("store: write job panicked: %v", p)
		}
	}()
	name := "j" + strconv.Itoa(i)
	if _, err := tx.Exec(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(tx); err != nil {
		if _, rerr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return fmt.Errorf("%w (and rolling back: %v)", err, rerr)
		}
		_, _ = tx.Exec(ctx, "RELEASE SAVEPOINT "+name)
		return err
	}
	if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}
