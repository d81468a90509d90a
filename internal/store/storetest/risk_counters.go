package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("RiskCounters", runRiskCounters) }

// The history counters of package risk: each inventory counted once, per
// key and day, read over a day or a period in and out of a transaction.
func runRiskCounters(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	// Two inventories on the 26th, one on the 27th; the second count of inv1 adds nothing.
	for _, c := range []struct {
		inv, day, addr, phone, ebc string
		fen                        int64
		at                         time.Time
		want                       bool // counted for the first time
	}{
		{inv: "inv1", day: "2026-11-26", addr: "a1", phone: "p1", fen: 10000, at: riskT0.Add(-24 * time.Hour), ebc: "EBC1", want: true},
		{inv: "inv1", day: "2026-11-26", addr: "a1", phone: "p1", fen: 10000, at: riskT0.Add(-23 * time.Hour), ebc: "EBC1", want: false},
		{inv: "inv2", day: "2026-11-26", addr: "a1", phone: "", fen: 20000, at: riskT0.Add(-22 * time.Hour), ebc: "EBC1", want: true},
		{inv: "inv3", day: "2026-11-27", addr: "a1", phone: "p1", fen: 40000, at: riskT0, ebc: "EBC1", want: true},
	} {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			first, err := tx.MarkRiskCounted(ctx, c.inv, c.at)
			if err != nil || first != c.want {
				return fmt.Errorf("count %s: %v %w, want %v", c.inv, first, err, c.want)
			}
			if !first {
				return nil
			}
			// A counter without a key is left out.
			if err := tx.AddRiskCounters(ctx, c.day, []store.RiskCounter{{Kind: "addr", Key: c.addr}, {Kind: "phone", Key: c.phone},
				{Kind: "buyer", Key: "b1", Fen: c.fen}}); err != nil {
				return err
			}
			return tx.MarkRiskFirstSeen(ctx, c.ebc, c.at)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.AddRiskCounters(ctx, "2026-11-27", []store.RiskCounter{{Kind: "addr"}})
	}); err != nil {
		t.Errorf("no counter with a key: %v", err)
	}
	k := store.RiskCountKeys{Addr: "a1", Phone: "p1", Buyer: "b1", EbcCode: "EBC1", Day: "2026-11-27", From: "2026-10-29"}
	want := store.RiskCounts{AddrToday: 1, PhoneToday: 1, PhonePeriod: 2, BuyerPeriodFen: 70000}
	check := func(what string, got store.RiskCounts, err error, want store.RiskCounts, first *time.Time) {
		t.Helper()
		if err != nil || got.AddrToday != want.AddrToday || got.PhoneToday != want.PhoneToday || got.PhonePeriod != want.PhonePeriod ||
			got.BuyerPeriodFen != want.BuyerPeriodFen || (first == nil) != (got.EbcFirstSeen == nil) || (first != nil && !got.EbcFirstSeen.Equal(*first)) {
			t.Errorf("%s: %+v %v, want %+v first seen %v", what, got, err, want, first)
		}
	}
	firstSeen := riskT0.Add(-24 * time.Hour)
	got, err := db.RiskCounts(ctx, k)
	check("read pool", got, err, want, &firstSeen)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		got, err := tx.RiskCounts(ctx, k)
		check("transaction", got, err, want, &firstSeen)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A period that leaves out the 26th; keys never counted; an enterprise never seen.
	got, err = db.RiskCounts(ctx, store.RiskCountKeys{Addr: "a1", Phone: "p1", Buyer: "b1", EbcCode: "EBC1", Day: "2026-11-27", From: "2026-11-27"})
	check("one day", got, err, store.RiskCounts{AddrToday: 1, PhoneToday: 1, PhonePeriod: 1, BuyerPeriodFen: 40000}, &firstSeen)
	got, err = db.RiskCounts(ctx, store.RiskCountKeys{Addr: "x", Phone: "x", Buyer: "x", EbcCode: "x", Day: "2026-11-27", From: "2026-10-29"})
	check("unknown keys", got, err, store.RiskCounts{}, nil)
}
