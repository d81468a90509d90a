package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("Officers", runOfficers) }

// The officers' console tables (package console): officers, their sessions
// and the audit log.
func runOfficers(t *testing.T, open Opener) {
	t.Run("OfficersRoundTrip", func(t *testing.T) { testOfficers(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { testOfficerSessions(t, open(t)) })
	t.Run("Audit", func(t *testing.T) { testOfficerAudit(t, open(t)) })
}

var officerT0 = time.Date(2026, 11, 27, 9, 30, 0, 500000000, time.UTC)

func addOfficer(t *testing.T, db *store.DB, id, username string, supervisor bool) *store.Officer {
	t.Helper()
	o := &store.Officer{ID: id, Username: username, Name: "王" + username, Department: "customs", CreatedAt: officerT0}
	if err := db.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertOfficer(context.Background(), o, "hash-"+id, supervisor) }); err != nil {
		t.Fatalf("add officer %s: %v", username, err)
	}
	return o
}

func testOfficers(t *testing.T, db *store.DB) {
	ctx := context.Background()
	taken := func(username string) bool {
		t.Helper()
		var got bool
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) { got, err = tx.OfficerUsernameTaken(ctx, username); return err }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if taken("zhang.wei") {
		t.Error("a username is taken in an empty table")
	}
	addOfficer(t, db, "off_2", "zhang.wei", true)
	addOfficer(t, db, "off_1", "li.na", false)
	if !taken("zhang.wei") || taken("zhang") {
		t.Error("taken usernames wrong")
	}
	list, err := db.Officers(ctx)
	if err != nil || len(list) != 2 || list[0].Username != "li.na" || list[1].Username != "zhang.wei" {
		t.Fatalf("officers by username: %+v %v", list, err)
	}
	want := store.Officer{ID: "off_2", Username: "zhang.wei", Name: "王zhang.wei", Department: "customs", CreatedAt: officerT0}
	if got := list[1]; got.ID != want.ID || got.Name != want.Name || got.Department != want.Department || got.Disabled || !got.CreatedAt.Equal(officerT0) {
		t.Errorf("read back: %+v, want %+v", got, want)
	}
	o, hash, err := db.OfficerByUsername(ctx, "zhang.wei")
	if err != nil || o.ID != "off_2" || hash != "hash-off_2" || !o.CreatedAt.Equal(officerT0) {
		t.Errorf("by username: %+v %q %v", o, hash, err)
	}
	if _, _, err := db.OfficerByUsername(ctx, "nobody"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("unknown username: %v, want not found", err)
	}
	if sup, err := db.OfficerSupervises(ctx, "off_2"); err != nil || !sup {
		t.Errorf("supervisor: %v %v", sup, err)
	}
	if sup, err := db.OfficerSupervises(ctx, "off_1"); err != nil || sup {
		t.Errorf("not a supervisor: %v %v", sup, err)
	}
	if _, err := db.OfficerSupervises(ctx, "off_9"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("unknown officer's flag: %v, want not found", err)
	}
}

func testOfficerSessions(t *testing.T, db *store.DB) {
	ctx := context.Background()
	addOfficer(t, db, "off_1", "li.na", false)
	start := func(hash string, now, expires time.Time) {
		t.Helper()
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.StartOfficerSession(ctx, hash, "off_1", now, expires) }); err != nil {
			t.Fatal(err)
		}
	}
	start("h-old", officerT0, officerT0.Add(time.Hour))
	start("h-1", officerT0.Add(30*time.Minute), officerT0.Add(9*time.Hour))
	o, expires, err := db.OfficerSession(ctx, "h-old")
	if err != nil || o.ID != "off_1" || o.Username != "li.na" || !o.CreatedAt.Equal(officerT0) || !expires.Equal(officerT0.Add(time.Hour)) {
		t.Fatalf("session: %+v %v %v", o, expires, err)
	}
	// A new session drops the ones expired before it started, and only those.
	start("h-2", officerT0.Add(2*time.Hour), officerT0.Add(10*time.Hour))
	if _, _, err := db.OfficerSession(ctx, "h-old"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("expired session kept: %v", err)
	}
	if _, _, err := db.OfficerSession(ctx, "h-1"); err != nil {
		t.Errorf("live session dropped: %v", err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteOfficerSession(ctx, "h-1") }); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.OfficerSession(ctx, "h-1"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("ended session found: %v", err)
	}
	if _, _, err := db.OfficerSession(ctx, "h-2"); err != nil {
		t.Errorf("the other session ended too: %v", err)
	}
}

func testOfficerAudit(t *testing.T, db *store.DB) {
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i, e := range []store.OfficerAuditEntry{
			{OfficerID: "off_1", Username: "li.na", Department: "customs", Action: "login", Object: "off_1"},
			{OfficerID: "off_1", Username: "li.na", Department: "customs", Action: "review", Object: "inv1", Before: "120", After: "800 customs decision dec_a1"},
			{OfficerID: "off_2", Username: "zhang.wei", Department: "admin", Action: "review", Object: "inv2", After: "100 customs decision dec_a1"},
			{OfficerID: "off_2", Username: "zhang.wei", Department: "admin", Action: "login", Object: "off_2"},
		} {
			e.At = officerT0.Add(time.Duration(i) * time.Minute)
			if err := tx.AddOfficerAudit(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	objects := func(es []store.OfficerAuditEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Object)
		}
		return out
	}
	all, err := db.OfficerAudit(ctx, "", "", 100)
	if err != nil || !slices.Equal(objects(all), []string{"off_2", "inv2", "inv1", "off_1"}) {
		t.Fatalf("audit newest first: %v %v", objects(all), err)
	}
	if e := all[2]; e.Seq <= all[3].Seq || e.Seq >= all[1].Seq || !e.At.Equal(officerT0.Add(time.Minute)) || e.OfficerID != "off_1" ||
		e.Department != "customs" || e.Action != "review" || e.Before != "120" || e.After != "800 customs decision dec_a1" {
		t.Errorf("read back: %+v", e)
	}
	for _, c := range []struct {
		username, action string
		limit            int
		want             []string
	}{
		{"li.na", "", 100, []string{"inv1", "off_1"}},
		{"", "review", 100, []string{"inv2", "inv1"}},
		{"zhang.wei", "login", 100, []string{"off_2"}},
		{"", "", 1, []string{"off_2"}},
	} {
		if got, err := db.OfficerAudit(ctx, c.username, c.action, c.limit); err != nil || !slices.Equal(objects(got), c.want) {
			t.Errorf("audit of %q %q limit %d: %v %v, want %v", c.username, c.action, c.limit, objects(got), err, c.want)
		}
	}
	// The earliest entry naming a decision tells who took it.
	if who, err := db.FirstAuditorWithAfterSuffix(ctx, " decision dec_a1"); err != nil || who != "li.na" {
		t.Errorf("auditor of a decision: %q %v", who, err)
	}
	if _, err := db.FirstAuditorWithAfterSuffix(ctx, " decision dec_zz"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("auditor of an unknown decision: %v, want not found", err)
	}
}
