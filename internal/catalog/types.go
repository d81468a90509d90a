// Package catalog holds the platform's reference data: the tariff table
// (tax rates per 10-digit HS code), the CBEC positive list with its remarks,
// a negative list of prohibited and suspended goods, and enterprises' product
// filings. It parses them from CSV (contract §6), looks them up, keeps
// versions by effective date, and ships a starter data set. Storage is not
// its business: tables are plain values built from parsed rows.
package catalog

import (
	"github.com/cbec-platform/cbec/internal/money"
)

// TariffRow is the tax data for one 10-digit HS code.
type TariffRow struct {
	HSCode  string // 10 digits
	Name    string
	VATRate money.Decimal // import VAT rate v, e.g. 0.13
	CTRate  money.Decimal // ad-valorem consumption-tax rate c, 0 for none

	// CTThreshold is the unit dutiable price (CNY per CTUnit) from which
	// consumption tax applies, e.g. 10 CNY per g for high-end cosmetics; zero
	// means the tax always applies. Below it the line pays no ad-valorem CT
	// and CTSpecificBelow instead of CTSpecific.
	CTThreshold money.Decimal
	CTUnit      Unit
	// CTThresholdPiece is an alternative threshold in CNY per piece for the
	// same goods sold by the piece (high-end cosmetics: 15 CNY per sheet).
	// CT applies when any threshold the line's quantities can be compared
	// with is reached.
	CTThresholdPiece money.Decimal

	// CTSpecific is the specific consumption tax in CNY per CTSpecificUnit
	// (beer 250 per t, spirits 1 per L = 0.5 per 500 ml); CTSpecificUnit
	// defaults to LegalUnit. CTSpecificBelow applies instead when the unit
	// price is below CTThreshold (beer under 3,000 CNY/t: 220 per t).
	CTSpecific      money.Decimal
	CTSpecificUnit  Unit
	CTSpecificBelow money.Decimal

	// LitresPerTonne converts between the line's legal quantity and the
	// threshold or specific unit when one is a volume and the other a mass
	// (beer: 988 by statute). Zero means DefaultLitresPerTonne (1 ml ≡ 1 g).
	LitresPerTonne money.Decimal

	LegalUnit Unit          // first legal unit of the HS code, when known
	DutyRate  money.Decimal // general-trade (MFN) duty rate, for over-limit items
}

// SpecificUnit returns the unit CTSpecific is quoted in.
func (r TariffRow) SpecificUnit() Unit {
	if r.CTSpecificUnit != "" {
		return r.CTSpecificUnit
	}
	return r.LegalUnit
}

// RemarkKind is the kind of control a positive-list remark imposes.
type RemarkKind string

// Remark kinds, the four controls the list's remarks express.
const (
	RemarkNone       RemarkKind = ""
	RemarkExclusion  RemarkKind = "exclusion"   // some goods of the line are excluded
	RemarkBondedOnly RemarkKind = "bonded_only" // only 1210 bonded import, not 9610
	RemarkNamedGoods RemarkKind = "named_goods" // only the goods the remark names
	RemarkYearlyCap  RemarkKind = "yearly_cap"  // per-person yearly quantity cap
)

// Quantity is an amount of a unit, such as a yearly cap of 2 kg.
type Quantity struct {
	Amount money.Decimal
	Unit   Unit
}

// String formats q as "2 kg".
func (q Quantity) String() string { return q.Amount.String() + " " + string(q.Unit) }

// PositiveListEntry is one line of the CBEC retail import positive list
// (跨境电子商务零售进口商品清单).
type PositiveListEntry struct {
	HSCode     string // 8 digits (the whole tariff line) or 10 digits
	Name       string
	RemarkKind RemarkKind
	Remark     string
	YearlyCap  *Quantity // parsed from Remark when RemarkKind is yearly_cap
}

// NegativeKind says why goods are on the negative list.
type NegativeKind string

// Negative-list kinds.
const (
	Prohibited NegativeKind = "prohibited" // may never be imported through CBEC
	Suspended  NegativeKind = "suspended"  // held under an emergency or risk measure
)

// NegativeListEntry matches goods by HS-code prefix, GTIN or name keyword.
// Exactly one of the three match fields is set.
type NegativeListEntry struct {
	HSPrefix string // 2 to 10 digits
	GTIN     string
	Name     string // substring of the goods name, case-insensitive
	Kind     NegativeKind
	Reason   string
}

// Product is an e-commerce enterprise's product filing (商品备案).
type Product struct {
	EBCCode       string // filing enterprise's customs code; set by the caller, not the CSV
	ItemNo        string // the enterprise's own item number; key with EBCCode
	Name          string
	HSCode        string // 10 digits
	GTIN          string // GTIN-8/12/13/14, may be empty
	Brand         string
	OriginCountry string // customs country code, 3 digits
	Spec          string
	LegalUnit     string // customs unit code, 3 digits
	ItemRecordNo  string // bonded account-book item, may be empty
}
