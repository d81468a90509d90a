package tax

import (
	"testing"

	"github.com/cbec-platform/cbec/internal/catalog"
)

// BenchmarkInventory measures a typical three-line inventory: formula,
// high-end cream with a threshold test, and whisky with compound CT.
func BenchmarkInventory(b *testing.B) {
	spirit := spirits(b)
	spirit.CTSpecific, spirit.CTSpecificUnit = dec(b, "1"), catalog.Litre
	lines := []Line{
		{Value: amt(b, "410"), Qty: dec(b, "0.8"), Unit: catalog.Kilogram, Tariff: ordinary(b)},
		{Value: amt(b, "1000"), Qty: dec(b, "0.05"), Unit: catalog.Kilogram, Tariff: cosmetics(b)},
		{Value: amt(b, "500"), Qty: dec(b, "1"), Unit: catalog.Litre, Tariff: spirit},
	}
	c := calc(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Inventory(WithinLimits, lines); err != nil {
			b.Fatal(err)
		}
	}
}
