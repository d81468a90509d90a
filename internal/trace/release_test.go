package trace_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/engine"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
	"github.com/cbec-platform/cbec/internal/trace"
)

type filings struct{}

func (filings) Product(ebc, item string) (catalog.Product, bool) {
	return catalog.Product{EBCCode: ebc, ItemNo: item, Name: "婴儿配方奶粉", GTIN: "4006381333931", Brand: "示例牌", OriginCountry: "502"}, true
}
func (filings) Tariff(string) (catalog.TariffRow, bool) { return catalog.TariffRow{}, false }
func (filings) Positive(string) (catalog.PositiveListEntry, bool) {
	return catalog.PositiveListEntry{}, false
}
func (filings) Negative(catalog.Goods) []catalog.NegativeListEntry { return nil }

func decision(i int, now time.Time) *engine.Decision {
	two, _ := money.ParseDecimal("2")
	return &engine.Decision{Now: now,
		Inventory: &store.Inventory{ID: fmt.Sprintf("inv%06d", i), CopNo: fmt.Sprintf("COP%06d", i)},
		Doc: &clearance.Inventory{EbcCode: "1105910159", CustomsCode: "8010", PortCode: "8010",
			Lines: []clearance.InventoryLine{{Gnum: 1, ItemNo: "MILK-1", Gname: "婴儿配方奶粉", Gcode: "1901101000", Country: "502", Qty: two}}}}
}

// The issuer codes a release once, and only a release.
func TestIssuerCodesReleasesOnly(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := context.Background()
	is := &trace.Issuer{Ref: filings{}}
	now := time.Now()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i, step := range [][2]string{{"120", "300"}, {"120", "500"}, {"500", "800"}, {"800", "800"}, {"300", "100"}} {
			if o, err := is.Apply(ctx, tx, decision(i, now), step[0], step[1]); err != nil || o != nil {
				return fmt.Errorf("%v: %v %v", step, o, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		codes, err := db.TraceCodesOfInventory(ctx, fmt.Sprintf("inv%06d", i))
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]int{2: 2}[i]
		if len(codes) != want {
			t.Errorf("decision %d: %d codes, want %d", i, len(codes), want)
		}
		if i == 2 && (!codes[0].Inspected || codes[0].GTIN != "4006381333931" || codes[1].Piece != 2 || codes[0].Code == codes[1].Code) {
			t.Errorf("codes %+v", codes)
		}
	}
}

// BenchmarkIssuer100 is what the codes add to a release of 100 inventories
// (2 pieces each) in one transaction, as the engine writes them.
func BenchmarkIssuer100(b *testing.B) {
	db := storetest.OpenSQLite(b)
	ctx := context.Background()
	is := &trace.Issuer{Ref: filings{}}
	n := 0
	for b.Loop() {
		now := time.Now()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for range 100 {
				n++
				if _, err := is.Apply(ctx, tx, decision(n, now), "120", "800"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
