package store

import (
	"context"
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
