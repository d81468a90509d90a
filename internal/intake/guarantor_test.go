package intake

import (
	"testing"

	"github.com/cbec-platform/cbec/internal/clearance"
)

func TestForeignGuarantor(t *testing.T) {
	modes := []string{"1210"}
	for _, c := range []struct {
		what, tradeMode, assure string
		refused                 bool
	}{
		{"the agent", "1210", "AGENT", false},
		{"the ebc", "1210", "EBC", false},
		{"the logistics firm", "1210", "LOGI", false},
		{"no guarantor: left to the release (1372)", "1210", "", false},
		{"the platform, not the ebc", "1210", "EBP", true},
		{"an enterprise outside the inventory", "1210", "OTHER", true},
		{"retail: the guarantee is not debited", "9610", "OTHER", false},
	} {
		inv := &clearance.Inventory{AgentCode: "AGENT", EbcCode: "EBC", EbpCode: "EBP", LogisticsCode: "LOGI", TradeMode: c.tradeMode, AssureCode: c.assure}
		o, refused := foreignGuarantor(inv, modes)
		if refused != c.refused || refused && (o.Status != "100" || o.Finding.Code != "1109") {
			t.Errorf("%s: refused %v %+v, want refused %v", c.what, refused, o, c.refused)
		}
	}
}
