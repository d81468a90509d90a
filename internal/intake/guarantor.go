package intake

import (
	"slices"

	"github.com/cbec-platform/cbec/internal/clearance"
)

// foreignGuarantor refuses an inventory of a guarantee trade mode whose
// assureCode is not one of its own parties. The CEB621 specification limits
// the guarantor to the declaring enterprise (agentCode), the e-commerce
// enterprise (ebcCode) and the logistics enterprise (logisticsCode); it also
// names the platform, but nothing records which platforms an ebc sells on,
// so a platform guarantees only when it is the ebc itself. Otherwise any
// entrusted agent could have another firm's guarantee debited and that firm
// billed (rules §12). An empty assureCode is left to the release, which
// holds the inventory (1372).
func foreignGuarantor(inv *clearance.Inventory, modes []string) (Result, bool) {
	code := inv.AssureCode
	if code == "" || !slices.Contains(modes, inv.TradeMode) ||
		code == inv.AgentCode || code == inv.EbcCode || code == inv.LogisticsCode {
		return Result{}, false
	}
	return Refused("1109", "assureCode=%s: a %s inventory's guarantor must be its agentCode %s, ebcCode %s or logisticsCode %s",
		code, inv.TradeMode, inv.AgentCode, inv.EbcCode, inv.LogisticsCode), true
}
