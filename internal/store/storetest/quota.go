package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("Quota", runQuota) }

func runQuota(t *testing.T, open Opener) {
	t.Run("InvariantsUnderRandomOperations", func(t *testing.T) { testQuotaProperty(t, open(t)) })
	t.Run("ConcurrentReservationsNeverPassTheLimit", func(t *testing.T) { testQuotaConcurrent(t, open(t)) })
}

// Whatever sequence of reservations, releases and restorations happens, a
// buyer's use equals the sum of its live entries and never passes the limit.
func testQuotaProperty(t *testing.T, db *store.DB) {
	ctx := context.Background()
	var run int
	rapid.Check(t, func(rt *rapid.T) {
		run++
		buyer := fmt.Sprintf("buyer-%d", run)
		limit := rapid.Int64Range(1000, 100000).Draw(rt, "limit")
		live := map[string]int64{}
		states := map[string]string{}
		n := rapid.IntRange(1, 25).Draw(rt, "ops")
		for i := range n {
			id := fmt.Sprintf("%s-inv-%d", buyer, rapid.IntRange(0, i).Draw(rt, "inventory"))
			op := rapid.SampledFrom([]string{"reserve", "reserve released", "release", "restore"}).Draw(rt, "op")
			amount := rapid.Int64Range(1, limit/2+1).Draw(rt, "amount")
			err := db.InTx(ctx, func(tx *store.Tx) error {
				switch op {
				case "reserve", "reserve released": // the engine writes a release's entry released at once
					state := map[string]string{"reserve": "reserved", "reserve released": "released"}[op]
					short, err := tx.ReserveQuota(ctx, id, buyer, "name", 2026, amount, limit, nil, state, time.Now())
					if err != nil {
						return err
					}
					if _, reserved := live[id]; !short.Exceeded && !reserved {
						live[id], states[id] = amount, state
					}
				case "release", "restore":
					state := map[string]string{"release": "released", "restore": "restored"}[op]
					if err := tx.SetQuotaState(ctx, id, state, time.Now()); err != nil {
						return err
					}
					if s, ok := states[id]; ok && s != "restored" && s != state {
						states[id] = state
						if state == "restored" {
							delete(live, id)
						}
					}
				}
				return nil
			})
			if err != nil {
				rt.Fatalf("%s %s: %v", op, id, err)
			}
			var want int64
			for _, a := range live {
				want += a
			}
			used, err := db.QuotaUsed(ctx, buyer, "name", 2026)
			if err != nil {
				rt.Fatal(err)
			}
			if used != want || used > limit {
				rt.Fatalf("after %s %s: used %d, live entries sum to %d, limit %d", op, id, used, want, limit)
			}
		}
	})
}

// Many writers reserving for one buyer at once admit exactly what fits: 50
// reservations of 610 under a limit of 26,000 admit 42 (42 × 610 = 25,620).
func testQuotaConcurrent(t *testing.T, db *store.DB) {
	ctx := context.Background()
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.InTx(ctx, func(tx *store.Tx) error {
				short, err := tx.ReserveQuota(ctx, fmt.Sprintf("c-%d", i), "buyer-c", "name", 2026, 610_00, 26000_00, nil, "reserved", time.Now())
				if err == nil && !short.Exceeded {
					admitted.Add(1)
				}
				return err
			})
			if err != nil {
				t.Errorf("reserve: %v", err)
			}
		}()
	}
	wg.Wait()
	used, err := db.QuotaUsed(ctx, "buyer-c", "name", 2026)
	if err != nil {
		t.Fatal(err)
	}
	if admitted.Load() != 42 || used != 42*610_00 {
		t.Errorf("admitted %d, used %d fen; want 42 and %d", admitted.Load(), used, 42*610_00)
	}
}
