package support

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// The daily job (retention, certificate warnings) runs once a day across the
// platform: not again on the node that takes the lead over, nor on a node
// restarted within the day, and again once the day has passed. Its effect
// here is retention: a raw message past the retention period is deleted
// only by a run of the daily job.
func TestDailyJobOncePerDayAcrossNodes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
		node := func() *Service { return clockedNode(db, &now) }
		stored := 0
		// expired stores a message past retention and returns its guid.
		expired := func() string {
			stored++
			guid := fmt.Sprint("g", stored)
			storeExpired(t, db, guid, now)
			return guid
		}
		kept := func(guid string) bool { return messageKept(t, db, guid) }

		one, two := node(), node()
		first := expired()
		one.tick(ctx)
		if kept(first) {
			t.Fatal("the first leader's first tick did not run the daily job")
		}
		second := expired()
		two.tick(ctx) // the lead moved to another node
		if !kept(second) {
			t.Error("the daily job ran again on the node that took the lead over")
		}
		now = now.Add(23 * time.Hour)
		node().tick(ctx) // a node restarted
		one.tick(ctx)
		if !kept(second) {
			t.Error("the daily job ran again within the day")
		}
		now = now.Add(time.Hour)
		two.tick(ctx)
		if kept(second) {
			t.Error("the daily job did not run a day after its last run")
		}
	})
}

// A daily job that fails is tried again dailyRetry later, not a day later:
// here retention fails because the database refuses to delete messages (a
// trigger), and once the cause is gone the next tick past dailyRetry runs it.
// Until then, ticks leave it alone, on this node and on another.
func TestDailyJobThatFailedIsTriedAgainSoon(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
		node := func() *Service { return clockedNode(db, &now) }
		exec := func(query string) {
			t.Helper()
			if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, query); return err }); err != nil {
				t.Fatal(err)
			}
		}
		refuse, allow := []string{`CREATE TRIGGER keep_messages BEFORE DELETE ON messages BEGIN SELECT RAISE(ABORT, 'messages are kept'); END`},
			[]string{`DROP TRIGGER keep_messages`}
		if db.Engine == store.Postgres {
			refuse = []string{`CREATE FUNCTION keep_messages() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'messages are kept'; END $$`,
				`CREATE TRIGGER keep_messages BEFORE DELETE ON messages FOR EACH ROW EXECUTE FUNCTION keep_messages()`}
			allow = []string{`DROP TRIGGER keep_messages ON messages`}
		}
		storeExpired(t, db, "g1", now)
		kept := func() bool { return messageKept(t, db, "g1") }

		for _, q := range refuse {
			exec(q)
		}
		one, two := node(), node()
		one.tick(ctx)
		if !kept() {
			t.Fatal("retention deleted a message the database refused to delete")
		}
		for _, q := range allow {
			exec(q)
		}
		now = now.Add(dailyRetry - time.Minute)
		one.tick(ctx)
		two.tick(ctx)
		if !kept() {
			t.Error("the failed daily job ran again before dailyRetry had passed")
		}
		now = now.Add(time.Minute)
		two.tick(ctx)
		if kept() {
			t.Error("the failed daily job was not tried again once dailyRetry had passed")
		}
	})
}

// clockedNode is a node's support service on db, its clock reading *now.
func clockedNode(db *store.DB, now *time.Time) *Service {
	return &Service{DB: db, Now: func() time.Time { return *now }, Log: slog.New(slog.DiscardHandler), RetentionDays: 30}
}

// storeExpired stores a message with guid, received 31 days before now:
// past the 30 days of retention.
func storeExpired(t *testing.T, db *store.DB, guid string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertMessage(ctx, &store.Message{ID: "m-" + guid, Sender: "1105910159", Guid: guid,
			Type: "CEB621Message", ReceivedAt: now.AddDate(0, 0, -31), Body: []byte("x"), HTTPStatus: 200, Receipt: "<r/>"})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// messageKept tells whether the message with guid is still stored.
func messageKept(t *testing.T, db *store.DB, guid string) bool {
	t.Helper()
	_, _, found, err := db.MessageAnswer(context.Background(), "1105910159", guid)
	if err != nil {
		t.Fatal(err)
	}
	return found
}
