package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("Credit", runCredit) }

// runCredit checks what package risk keeps of the departments' credit
// decisions: the enterprise's class and list flags, and the records.
func runCredit(t *testing.T, open Opener) {
	t.Run("State", func(t *testing.T) { testCreditState(t, open(t)) })
	t.Run("RecordRoundTripAndEnd", func(t *testing.T) { testCreditRecordRoundTrip(t, open(t)) })
	t.Run("RecordLists", func(t *testing.T) { testCreditRecordLists(t, open(t)) })
}

// testCreditState: class and list flags, read and written in a transaction.
func testCreditState(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mustCreate(t, db, sample("1105910159", enterprise.RolePlatform), key("hash-credit"))
	now := time.Date(2026, 11, 27, 20, 30, 0, 0, shanghai)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		class, abnormal, serious, err := tx.CreditState(ctx, "1105910159")
		if err != nil || class != "general" || abnormal || serious {
			t.Errorf("before: %s %v %v %v", class, abnormal, serious, err)
		}
		if err := tx.SetCreditState(ctx, "1105910159", "dishonest", true, true, now); err != nil {
			return err
		}
		if err := tx.SetCreditState(ctx, "9999999999", "dishonest", false, false, now); err == nil {
			t.Error("an unknown enterprise's credit was set")
		}
		if _, _, _, err := tx.CreditState(ctx, "9999999999"); errs.KindOf(err) != errs.NotFound {
			t.Errorf("unknown enterprise: want not found, got %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e, err := db.GetEnterprise(ctx, "1105910159")
	if err != nil {
		t.Fatal(err)
	}
	if e.CreditClass != enterprise.CreditDishonest || !e.AbnormalList || !e.SeriousViolationList || !e.UpdatedAt.Equal(now) {
		t.Errorf("after: %+v", e)
	}
}

func creditRecord(id, code, kind string, created time.Time) *store.CreditRecord {
	return &store.CreditRecord{ID: id, EnterpriseCode: code, Department: "customs", Kind: kind, LegalBasis: "海关总署令第 282 号",
		Summary: "走私", Public: true, StartsAt: created, State: "active", PrevClass: "general", Author: "周警官", CreatedAt: created}
}

func recordCredit(t *testing.T, db *store.DB, r *store.CreditRecord) {
	t.Helper()
	if err := db.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertCreditRecord(context.Background(), r) }); err != nil {
		t.Fatalf("record %s: %v", r.ID, err)
	}
}

func testCreditRecordRoundTrip(t *testing.T, db *store.DB) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 500000000, time.UTC)
	expires := t0.Add(365 * 24 * time.Hour).In(shanghai)
	r := creditRecord("C1", "1105910159", "class_change", t0)
	r.Class, r.DecisionNo, r.Public, r.StartsAt, r.ExpiresAt, r.PrevAbnormal, r.PrevSerious = "dishonest", "渝关缉决字 2026 第 7 号", false, t0.Add(time.Hour), &expires, true, true
	recordCredit(t, db, r)
	got, err := db.CreditRecord(ctx, "C1")
	if err != nil || got.EnterpriseCode != "1105910159" || got.Department != "customs" || got.Kind != "class_change" || got.Class != "dishonest" ||
		got.LegalBasis != r.LegalBasis || got.DecisionNo != r.DecisionNo || got.Summary != "走私" || got.Public || !got.StartsAt.Equal(r.StartsAt) ||
		got.ExpiresAt == nil || !got.ExpiresAt.Equal(expires) || got.State != "active" || got.PrevClass != "general" || !got.PrevAbnormal ||
		!got.PrevSerious || got.Author != "周警官" || got.EndedAt != nil || got.EndedBy != "" || got.EndReason != "" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("read back: %+v %v", got, err)
	}
	if _, err := db.CreditRecord(ctx, "nope"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("missing record: %v, want not found", err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertCreditRecord(ctx, r) }); errs.KindOf(err) != errs.Conflict {
		t.Errorf("repeated id: %v, want a conflict", err)
	}
	recordCredit(t, db, creditRecord("C2", "1105910159", "class_change", t0.Add(time.Minute)))
	recordCredit(t, db, creditRecord("C3", "1105910159", "abnormal_list", t0.Add(2*time.Minute)))
	ended := t0.Add(time.Hour)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if got, err := tx.CreditRecord(ctx, "C1"); err != nil || got.ID != "C1" {
			return fmt.Errorf("read in a transaction: %+v %w", got, err)
		}
		if _, err := tx.CreditRecord(ctx, "nope"); errs.KindOf(err) != errs.NotFound {
			return fmt.Errorf("missing record in a transaction: %w", err)
		}
		if latest, err := tx.LatestActiveCreditRecord(ctx, "1105910159", "class_change"); err != nil || latest.ID != "C2" {
			return fmt.Errorf("latest active: %+v %w", latest, err)
		}
		// Ended once only; the latest active one is then the one left.
		for i, want := range []bool{true, false} {
			if ok, err := tx.EndCreditRecord(ctx, "C2", "repaired", "吴警官", "整改完毕", ended); err != nil || ok != want {
				return fmt.Errorf("end %d: %v %w", i, ok, err)
			}
		}
		if latest, err := tx.LatestActiveCreditRecord(ctx, "1105910159", "class_change"); err != nil || latest.ID != "C1" {
			return fmt.Errorf("latest active after the end: %+v %w", latest, err)
		}
		if _, err := tx.LatestActiveCreditRecord(ctx, "1105910159", "penalty"); errs.KindOf(err) != errs.NotFound {
			return fmt.Errorf("no active record of a kind: %w", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err = db.CreditRecord(ctx, "C2")
	if err != nil || got.State != "repaired" || got.EndedAt == nil || !got.EndedAt.Equal(ended) || got.EndedBy != "吴警官" || got.EndReason != "整改完毕" {
		t.Errorf("ended: %+v %v", got, err)
	}
	// Expired: active with an expiry at or before the time; C1 only.
	for _, c := range []struct {
		at   time.Time
		want []string
	}{{expires.Add(-time.Second), nil}, {expires, []string{"C1"}}} {
		if ids, err := db.ExpiredCreditRecords(ctx, c.at); err != nil || !slices.Equal(ids, c.want) {
			t.Errorf("expired at %s: %v %v, want %v", c.at, ids, err, c.want)
		}
	}
}

func testCreditRecordLists(t *testing.T, db *store.DB) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for i, c := range [][2]string{{"C1", "1105910159"}, {"C2", "330766K00Q"}, {"C3", "1105910159"}} {
		recordCredit(t, db, creditRecord(c[0], c[1], "penalty", t0.Add(time.Duration(i)*time.Minute)))
	}
	ids := func(list []*store.CreditRecord) []string {
		var out []string
		for _, r := range list {
			out = append(out, r.ID)
		}
		return out
	}
	for code, want := range map[string][]string{"": {"C3", "C2", "C1"}, "1105910159": {"C3", "C1"}, "9999999999": nil} {
		if list, err := db.CreditRecords(ctx, code); err != nil || !slices.Equal(ids(list), want) {
			t.Errorf("records of %q: %v %v, want %v newest first", code, ids(list), err, want)
		}
	}
}
