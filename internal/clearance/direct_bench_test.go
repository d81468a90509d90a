package clearance

import (
	"testing"

	"github.com/cbec-platform/cbec/internal/money"
)

// BenchmarkIdentityComparison measures the step that direct-connect mode
// (rules §5) skips for each inventory: the payment checks with and without
// the payer = buyer comparison of keyed hashes. The difference is the latency
// saved per inventory on this platform, where the comparison is made in
// memory on stored hashes rather than by a call to an identity service.
func BenchmarkIdentityComparison(b *testing.B) {
	paid := money.NewDecimal(44731, -2)
	o := &Order{ActuralPaid: paid, PayCode: "4403169D3W",
		BuyerID:   Protected{Hash: "6f1ed002ab5595859014ebf0951522d9b2c4e3e5d9bd0ab6c2a7b3e9c1f4a7d2", Masked: "110101********4514"},
		BuyerName: Protected{Hash: "9a3b1c7d5e2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b", Masked: "王*明"}}
	p := &Payment{AmountPaid: paid, PayCode: "4403169D3W", PayerID: o.BuyerID, PayerName: o.BuyerName}
	for _, mode := range []struct {
		name  string
		trust bool
	}{{"compared", false}, {"direct-connect", true}} {
		b.Run(mode.name, func(b *testing.B) {
			for b.Loop() {
				if f := checkPayment(o, p, mode.trust); f != nil {
					b.Fatal(f)
				}
			}
		})
	}
}
