package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Jobs queued with DoFirst while the writer is busy run ahead of those
// queued earlier with Do, in the same transaction.
func TestBatcherRunsFirstJobsFirst(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "", filepath.Join(t.TempDir(), "db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := db.NewBatcher(1, 16)
	defer b.Close()

	started, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = b.Do(ctx, func(*Tx) error { close(started); <-release; return nil })
	}()
	<-started

	var mu sync.Mutex
	var order []string
	job := func(name string) func(*Tx) error {
		return func(*Tx) error {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, name)
			return nil
		}
	}
	var wg sync.WaitGroup
	for i, name := range []string{"do 1", "do 2"} {
		wg.Go(func() {
			if err := b.Do(ctx, job(name)); err != nil {
				t.Error(err)
			}
		})
		waitQueued(t, b.jobs, i+1)
	}
	wg.Go(func() {
		if err := b.DoFirst(ctx, nil, job("first")); err != nil {
			t.Error(err)
		}
	})
	waitQueued(t, b.first, 1)
	close(release)
	wg.Wait()
	if len(order) != 3 || order[0] != "first" {
		t.Errorf("jobs ran in the order %v, want the DoFirst job first", order)
	}
}

// waitQueued waits until queue holds n jobs.
func waitQueued(t *testing.T, queue chan *job, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(queue) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs queued, want %d", len(queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// A job that fails costs the batch one more transaction, not one per job:
// the others are written together again and the failed one alone (the
// engine's decisions fail this way whenever an inventory changed meanwhile,
// several times a second under load).
func TestBatcherFailureReRunsTheOthersTogether(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "", filepath.Join(t.TempDir(), "db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := db.NewBatcher(1, 64)
	defer b.Close()

	started, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = b.Do(ctx, func(*Tx) error { close(started); <-release; return nil })
	}()
	<-started

	failed := errors.New("the inventory changed meanwhile")
	const n = 20
	errsOf := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errsOf[i] = b.Do(ctx, func(*Tx) error {
				if i == 7 {
					return failed
				}
				return nil
			})
		})
		waitQueued(t, b.jobs, i+1)
	}
	before := db.WriterStats().Transactions
	close(release)
	wg.Wait()
	for i, err := range errsOf {
		if (i == 7) != errors.Is(err, failed) {
			t.Errorf("job %d: %v", i, err)
		}
	}
	// The first job's own transaction may end after before was read.
	if tx := db.WriterStats().Transactions - before; tx > 4 {
		t.Errorf("%d transactions for a batch of %d with one failure, want at most 4 (the batch, the others again, the failed one alone, and the first job's)", tx, n)
	}
}
