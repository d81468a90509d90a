package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("Receipts", runReceipts) }

func runReceipts(t *testing.T, open Opener) {
	t.Run("FeedHasNoGapsUnderConcurrentWriters", func(t *testing.T) { testFeedOrder(t, open(t)) })
}

// Writers adding receipts at once, some rolling back, while a reader pages
// through the feed with after=seq: the reader sees every committed receipt
// exactly once, numbered 1, 2, 3 … without gaps.
func testFeedOrder(t *testing.T, db *store.DB) {
	ctx := context.Background()
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := db.InTx(ctx, func(tx *store.Tx) error {
					rs := []*store.Receipt{
						{EnterpriseCode: "FEED000001", MessageType: "CEB622Message", CopNo: fmt.Sprintf("%d-%d-a", w, i), ReturnStatus: "120", XML: "<x/>", CreatedAt: time.Now()},
						{EnterpriseCode: "FEED000001", MessageType: "CEB622Message", CopNo: fmt.Sprintf("%d-%d-b", w, i), ReturnStatus: "800", XML: "<x/>", CreatedAt: time.Now()},
					}
					if err := tx.AddReceipts(ctx, rs); err != nil {
						return err
					}
					if i%5 == 4 {
						return errRollback
					}
					return nil
				})
				if err != nil && err != errRollback {
					t.Errorf("writer %d: %v", w, err)
				}
			}
		}()
	}
	seen := map[int64]bool{}
	var after int64
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	read := func() {
		for {
			page, err := db.Receipts(ctx, "FEED000001", after, 50)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				return
			}
			for _, r := range page {
				if r.Seq != after+1 {
					t.Fatalf("after %d the feed gave %d", after, r.Seq)
				}
				seen[r.Seq] = true
				after = r.Seq
			}
		}
	}
	for {
		select {
		case <-done:
			read()
			if want := writers * (each - each/5) * 2; len(seen) != want {
				t.Errorf("reader saw %d receipts, want %d", len(seen), want)
			}
			return
		default:
			read()
		}
	}
}

var errRollback = fmt.Errorf("roll back on purpose")
