package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("Credit", runCredit) }

// runCredit checks the credit state that package risk writes for the
// departments' records: class and list flags, read and written in a transaction.
func runCredit(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	mustCreate(t, db, sample("1105910159", enterprise.RolePlatform), key("hash-credit"))
	now := time.Date(2026, 11, 27, 20, 30, 0, 0, shanghai)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		class, abnormal, serious, err := store.CreditState(ctx, tx, "1105910159")
		if err != nil || class != "general" || abnormal || serious {
			t.Errorf("before: %s %v %v %v", class, abnormal, serious, err)
		}
		if err := store.SetCreditState(ctx, tx, "1105910159", "dishonest", true, true, now); err != nil {
			return err
		}
		if err := store.SetCreditState(ctx, tx, "9999999999", "dishonest", false, false, now); err == nil {
			t.Error("an unknown enterprise's credit was set")
		}
		if _, _, _, err := store.CreditState(ctx, tx, "9999999999"); errs.KindOf(err) != errs.NotFound {
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
