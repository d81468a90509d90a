package tax

import (
	"testing"

	"github.com/cbec-platform/cbec/internal/catalog"
)

// The shipped starter rows give the rules' worked results.
func TestStarterRows(t *testing.T) {
	s, err := catalog.LoadStarter()
	if err != nil {
		t.Fatal(err)
	}
	table := catalog.NewTariffTable(s.Tariff)
	row := func(hs string) catalog.TariffRow {
		r, ok := table.Lookup(hs)
		if !ok {
			t.Fatalf("starter has no row %s", hs)
		}
		return r
	}
	tests := []struct {
		name   string
		regime Regime
		line   Line
		total  string
	}{
		{"infant formula 410 CNY", WithinLimits, Line{Value: amt(t, "410"), Qty: dec(t, "0.8"), Unit: catalog.Kilogram, Tariff: row("1901101000")}, "37.31"},
		{"face cream 1,000 CNY, 50 g", WithinLimits, Line{Value: amt(t, "1000"), Qty: dec(t, "0.05"), Unit: catalog.Kilogram, Tariff: row("3304990099")}, "230.59"},
		{"face cream 300 CNY, 50 g: under 10/g", WithinLimits, Line{Value: amt(t, "300"), Qty: dec(t, "0.05"), Unit: catalog.Kilogram, Tariff: row("3304990099")}, "27.30"},
		{"whisky 500 CNY, 1 L", WithinLimits, Line{Value: amt(t, "500"), Qty: dec(t, "1"), Unit: catalog.Litre, Tariff: row("2208300000")}, "145.37"},
		{"beer 120 CNY, 12 L", WithinLimits, Line{Value: amt(t, "120"), Qty: dec(t, "12"), Unit: catalog.Litre, Tariff: row("2203000000")}, "13.33"},
		{"automatic watch 12,000 CNY over limit: duty 8 %, CT 20 %", OverLimitSingleItem, Line{Value: amt(t, "12000"), Qty: dec(t, "1"), Unit: catalog.Piece, Tariff: row("9102210000")}, "6306.00"},
	}
	c := calc(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Inventory(tt.regime, []Line{tt.line})
			if err != nil {
				t.Fatal(err)
			}
			if res.Taxes.Total.String() != tt.total {
				t.Errorf("total %s (%+v), want %s; %s", res.Taxes.Total, res.Taxes, tt.total, res.Lines[0].Basis.Note())
			}
		})
	}
}
