package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("Nodes", runNodes) }

// What several nodes on one database share: the leader lock of the periodic
// jobs, the last runs of the daily ones, notifications between nodes, and the
// claims of webhook deliveries.
func runNodes(t *testing.T, open Opener) {
	t.Run("OneLeader", func(t *testing.T) { testOneLeader(t, open(t)) })
	t.Run("RunClaimedOncePerPeriod", func(t *testing.T) { testRunClaim(t, open(t)) })
	t.Run("NotifyReachesListeners", func(t *testing.T) { testNotify(t, open(t)) })
	t.Run("WebhookClaimedOnce", func(t *testing.T) { testWebhookClaim(t, open(t)) })
}

// Each Leader is a session of its own, as each node's is: on PostgreSQL one
// holds a name at a time, the others keep trying, and the name is free again
// once its holder lets go. SQLite has one node, always the leader.
func testOneLeader(t *testing.T, db *store.DB) {
	ctx := context.Background()
	first, second, other := db.Leader("jobs"), db.Leader("jobs"), db.Leader("other jobs")
	defer first.Release()
	defer second.Release()
	defer other.Release()
	if ok, err := first.Try(ctx); !ok || err != nil {
		t.Fatalf("first Try = %v, %v; want the lead", ok, err)
	}
	if ok, err := first.Try(ctx); !ok || err != nil {
		t.Fatalf("the holder's Try again = %v, %v; want the lead still", ok, err)
	}
	if err := first.Check(ctx); err != nil {
		t.Fatalf("Check of a held lead: %v", err)
	}
	if ok, err := other.Try(ctx); !ok || err != nil {
		t.Fatalf("Try of another name = %v, %v; want the lead", ok, err)
	}
	for range 2 { // a candidate keeps its session between tries
		ok, err := second.Try(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := db.Engine == store.SQLite; ok != want {
			t.Fatalf("second candidate's Try = %v, want %v", ok, want)
		}
	}
	if db.Engine == store.SQLite {
		return
	}
	if err := second.Check(ctx); err == nil {
		t.Error("Check of a candidate that does not hold the lock passed")
	}
	first.Release()
	if err := first.Check(ctx); err == nil {
		t.Error("Check after Release passed")
	}
	// The server frees the lock when the session's backend has ended, just after the close.
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := second.Try(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the lock stayed taken after its holder released it")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Of nodes claiming a periodic job's run at once (two that both believe they
// lead), one gets it; nobody gets it again before the period has passed since
// that run, and each job keeps its own last run.
func testRunClaim(t *testing.T, db *store.DB) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	const nodes = 6
	won := make([]bool, nodes)
	var wg sync.WaitGroup
	for i := range won {
		wg.Go(func() {
			var err error
			if won[i], err = db.ClaimRun(ctx, "daily", t0, 24*time.Hour); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(slices.DeleteFunc(won, func(w bool) bool { return !w })); n != 1 {
		t.Fatalf("%d of %d claims won, want 1", n, nodes)
	}
	for _, c := range []struct {
		name string
		at   time.Time
		want bool
	}{
		{"daily", t0.Add(23*time.Hour + 59*time.Minute), false},
		{"other", t0.Add(time.Hour), true}, // another job's first run
		{"daily", t0.Add(24 * time.Hour), true},
		{"daily", t0.Add(25 * time.Hour), false}, // a day after the run just claimed, not the first
	} {
		if got, err := db.ClaimRun(ctx, c.name, c.at, 24*time.Hour); err != nil || got != c.want {
			t.Errorf("claim %s at %s = %v, %v; want %v", c.name, c.at.Format(time.RFC3339), got, err, c.want)
		}
	}
}

// A notification reaches a listener on another connection with its payload;
// the listener returns nil when its context ends. SQLite sends nothing and
// its listener only waits.
func testNotify(t *testing.T, db *store.DB) {
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan struct{})
	got := make(chan string, 4)
	var err error
	var wg sync.WaitGroup
	wg.Go(func() {
		err = db.Listen(ctx, "cbec_test", func() { close(listening) }, func(p string) { got <- p })
	})
	<-listening
	if err := db.Notify(context.Background(), "cbec_test", `{"parcel":"pcl_1"}`); err != nil {
		t.Fatal(err)
	}
	if err := db.Notify(context.Background(), "cbec_other", `{"parcel":"pcl_2"}`); err != nil {
		t.Fatal(err)
	}
	if db.Engine == store.Postgres {
		select {
		case p := <-got:
			if p != `{"parcel":"pcl_1"}` {
				t.Errorf("payload %q", p)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the notification did not arrive")
		}
	}
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("Listen ended with %v, want nil at the context's end", err)
	}
	select {
	case p := <-got:
		t.Errorf("unexpected notification %q (another channel, or SQLite)", p)
	default:
	}
}

// Of nodes claiming a due delivery at once, one gets it; it is not due again
// until the claim runs out or its outcome is recorded, and then it is due at
// once with the cursor moved.
func testWebhookClaim(t *testing.T, db *store.DB) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	if err := db.PutWebhook(ctx, &store.Webhook{EnterpriseCode: "HOOK000001", URL: "https://erp.example/hook", Secret: "s", UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.AddReceipts(ctx, []*store.Receipt{
			{EnterpriseCode: "HOOK000001", MessageType: "CEB622Message", CopNo: "c1", ReturnStatus: "120", XML: "<x/>", CreatedAt: t0},
			{EnterpriseCode: "HOOK000001", MessageType: "CEB622Message", CopNo: "c1", ReturnStatus: "800", XML: "<x/>", CreatedAt: t0},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Second)
	due, err := db.DueWebhooks(ctx, now)
	if err != nil || len(due) != 1 {
		t.Fatalf("due = %v, %v; want the endpoint", due, err)
	}
	const nodes = 6
	claims := make([]*store.Webhook, nodes)
	var wg sync.WaitGroup
	for i := range claims {
		wg.Go(func() {
			var err error
			if claims[i], err = db.ClaimWebhook(ctx, "HOOK000001", now, now.Add(time.Minute)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	won := 0
	for _, c := range claims {
		if c != nil {
			won++
			if c.DeliveredSeq != 0 || !c.NextAttempt.Equal(now.Add(time.Minute)) {
				t.Errorf("claimed %+v", c)
			}
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d claims won, want 1", won, nodes)
	}
	if due, _ := db.DueWebhooks(ctx, now.Add(30*time.Second)); len(due) != 0 {
		t.Errorf("a claimed delivery is due again within its claim: %v", due)
	}
	if w, err := db.ClaimWebhook(ctx, "HOOK000001", now.Add(61*time.Second), now.Add(2*time.Minute)); err != nil || w == nil {
		t.Fatalf("claim after the first ran out = %v, %v; want it", w, err)
	}
	// The node that claimed first records its delivery late: the cursor moves and the next batch is due at once.
	if err := db.WebhookDelivered(ctx, "HOOK000001", 2, now.Add(62*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := db.WebhookDelivered(ctx, "HOOK000001", 1, now.Add(63*time.Second)); err != nil {
		t.Fatal(err)
	}
	w, err := db.Webhook(ctx, "HOOK000001")
	if err != nil {
		t.Fatal(err)
	}
	if w.DeliveredSeq != 2 || !w.NextAttempt.Equal(now.Add(63*time.Second)) {
		t.Errorf("after deliveries: seq %d next %v; want 2 and the last record's time", w.DeliveredSeq, w.NextAttempt)
	}
}
