package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("DirectConnect", runDirectConnect) }

// The direct-connect mode of platforms (package risk): declarations, the
// flag lost, its history, and the declarations gone stale.
func runDirectConnect(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 750000000, time.UTC)
	if _, err := db.DirectConnect(ctx, "1105910159"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("never declared: %v, want not found", err)
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i, p := range []struct {
			code     string
			eligible bool
		}{{"1105910159", true}, {"330766K00Q", true}, {"4403169D3W", false}} {
			if err := tx.PutDirectDeclaration(ctx, p.code, "0.9", t0.Add(time.Duration(i)*time.Hour), p.eligible, "first"); err != nil {
				return err
			}
		}
		// A new declaration replaces the old one.
		if err := tx.PutDirectDeclaration(ctx, "1105910159", "1", t0.Add(24*time.Hour), true, "credit class advanced, declared rate 1"); err != nil {
			return err
		}
		for _, e := range []store.DirectConnectEvent{{At: t0.Add(24 * time.Hour), Kind: "declared", Detail: "rate 1", Actor: "platform"},
			{At: t0, Kind: "declared", Detail: "rate 0.9", Actor: "platform"}} {
			if err := tx.AddDirectConnectEvent(ctx, "1105910159", e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.DirectConnect(ctx, "1105910159")
	if err != nil || d.EnterpriseCode != "1105910159" || d.DeclaredRate != "1" || d.DeclaredAt == nil || !d.DeclaredAt.Equal(t0.Add(24*time.Hour)) ||
		!d.Eligible || d.Reason != "credit class advanced, declared rate 1" || !d.UpdatedAt.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("read back: %+v %v", d, err)
	}
	codes, err := db.DirectConnectEligible(ctx)
	slices.Sort(codes)
	if err != nil || !slices.Equal(codes, []string{"1105910159", "330766K00Q"}) {
		t.Errorf("eligible: %v %v", codes, err)
	}
	lost := t0.Add(48 * time.Hour)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		// Stale: eligible and declared before the time; 330766K00Q only.
		if stale, err := tx.StaleDirectConnect(ctx, t0.Add(2*time.Hour)); err != nil || !slices.Equal(stale, []string{"330766K00Q"}) {
			return fmt.Errorf("stale: %v %w", stale, err)
		}
		for i, want := range []bool{true, false} {
			if ok, err := tx.EndDirectConnect(ctx, "330766K00Q", "stale", lost); err != nil || ok != want {
				return fmt.Errorf("end %d: %v %w", i, ok, err)
			}
		}
		if ok, err := tx.EndDirectConnect(ctx, "9999999999", "stale", lost); err != nil || ok {
			return fmt.Errorf("end of a platform never declared: %v %w", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := db.DirectConnect(ctx, "330766K00Q"); err != nil || d.Eligible || d.Reason != "stale" || !d.UpdatedAt.Equal(lost) || !d.DeclaredAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("lost: %+v %v", d, err)
	}
	events, err := db.DirectConnectEvents(ctx, "1105910159")
	if err != nil || len(events) != 2 || events[0].Detail != "rate 0.9" || !events[0].At.Equal(t0) || events[1].Kind != "declared" ||
		events[1].Actor != "platform" || !events[1].At.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("history, oldest first: %+v %v", events, err)
	}
	if events, err := db.DirectConnectEvents(ctx, "330766K00Q"); err != nil || events == nil || len(events) != 0 {
		t.Errorf("no history: %+v %v, want an empty list", events, err)
	}
}
