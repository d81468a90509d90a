package catalog

import (
	"io"
	"strings"

	"github.com/cbec-platform/cbec/internal/money"
)

// Column names of the tariff CSV (contract §6). The last five are this
// platform's optional extensions; files without them parse as before.
const (
	colHSCode           = "hs_code"
	colName             = "name"
	colVATRate          = "vat_rate"
	colCTRate           = "consumption_tax_rate"
	colCTThreshold      = "consumption_tax_threshold"
	colCTUnit           = "consumption_tax_unit"
	colDutyRate         = "duty_rate"
	colCTSpecific       = "consumption_tax_specific"
	colLegalUnit        = "legal_unit"
	colCTSpecificUnit   = "consumption_tax_specific_unit"
	colCTSpecificBelow  = "consumption_tax_specific_below"
	colCTThresholdPiece = "consumption_tax_threshold_piece"
	colLitresPerTonne   = "litres_per_tonne"
)

var tariffSchema = schema{
	required: []string{colHSCode, colName, colVATRate, colCTRate, colCTThreshold, colCTUnit, colDutyRate},
	optional: []string{colCTSpecific, colLegalUnit, colCTSpecificUnit, colCTSpecificBelow, colCTThresholdPiece, colLitresPerTonne},
}

// ParseTariffCSV parses a tariff table upload. It returns every row, or a
// *ProblemsError listing every problem and no rows.
func ParseTariffCSV(r io.Reader) ([]TariffRow, error) {
	var rows []TariffRow
	seen := keys{}
	err := readCSV(r, tariffSchema, func(rec record) {
		row, ok := parseTariffRow(rec)
		seen.seen(rec, colHSCode, row.HSCode)
		if ok {
			rows = append(rows, row)
		}
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// parseTariffRow reads one row, reporting each bad field.
func parseTariffRow(rec record) (TariffRow, bool) {
	before := len(*rec.probs)
	row := TariffRow{HSCode: rec.get(colHSCode), Name: rec.get(colName)}
	if err := ValidateHSCode(row.HSCode, 10); err != nil {
		rec.bad(colHSCode, "%v", err)
	}
	if row.Name == "" {
		rec.bad(colName, "empty")
	}
	row.VATRate = rate(rec, colVATRate)
	row.CTRate = rate(rec, colCTRate)
	row.DutyRate = rate(rec, colDutyRate)
	row.CTThreshold = nonNegative(rec, colCTThreshold)
	row.CTThresholdPiece = nonNegative(rec, colCTThresholdPiece)
	row.CTSpecific = nonNegative(rec, colCTSpecific)
	row.CTSpecificBelow = nonNegative(rec, colCTSpecificBelow)
	row.LitresPerTonne = nonNegative(rec, colLitresPerTonne)
	row.CTUnit = unit(rec, colCTUnit)
	row.LegalUnit = unit(rec, colLegalUnit)
	row.CTSpecificUnit = unit(rec, colCTSpecificUnit)
	checkTariffConsistency(rec, row)
	return row, len(*rec.probs) == before
}

// checkTariffConsistency reports combinations the tax engine could not use.
func checkTariffConsistency(rec record, row TariffRow) {
	hasThreshold := !row.CTThreshold.IsZero()
	if hasThreshold && row.CTUnit == "" && rec.get(colCTUnit) == "" {
		rec.bad(colCTUnit, "required when %s is set", colCTThreshold)
	}
	if !hasThreshold && rec.get(colCTUnit) != "" {
		rec.bad(colCTUnit, "set but %s is empty", colCTThreshold)
	}
	if !row.CTSpecific.IsZero() && rec.get(colCTSpecificUnit) == "" && rec.get(colLegalUnit) == "" {
		rec.bad(colCTSpecific, "needs %s or %s to say per what unit", colCTSpecificUnit, colLegalUnit)
	}
	if !row.CTSpecificBelow.IsZero() {
		if !hasThreshold && row.CTThresholdPiece.IsZero() {
			rec.bad(colCTSpecificBelow, "set but the row has no threshold")
		}
		if row.CTSpecificBelow.Cmp(row.CTSpecific) > 0 {
			rec.bad(colCTSpecificBelow, "%s exceeds %s %s", row.CTSpecificBelow, colCTSpecific, row.CTSpecific)
		}
	}
}

// rate reads a required rate column.
func rate(rec record, column string) money.Decimal {
	s := rec.get(column)
	if s == "" {
		rec.bad(column, "empty; write 0 for none")
		return money.Decimal{}
	}
	d, err := parseRate(s)
	if err != nil {
		rec.bad(column, "%v", err)
	}
	return d
}

// nonNegative reads an optional non-negative decimal column.
func nonNegative(rec record, column string) money.Decimal {
	d, err := parseNonNegative(rec.get(column))
	if err != nil {
		rec.bad(column, "%v", err)
	}
	return d
}

// unit reads an optional unit column (symbol, Chinese name or customs code).
func unit(rec record, column string) Unit {
	s := rec.get(column)
	if s == "" {
		return ""
	}
	u, err := ParseUnit(s)
	if err != nil {
		rec.bad(column, "%v", err)
	}
	return u
}

// Column names of the positive-list CSV.
const (
	colRemarkKind = "remark_kind"
	colRemark     = "remark"
)

var positiveSchema = schema{required: []string{colHSCode, colName, colRemarkKind, colRemark}}

// ParsePositiveListCSV parses a positive-list upload. It returns every entry,
// or a *ProblemsError listing every problem and no entries.
func ParsePositiveListCSV(r io.Reader) ([]PositiveListEntry, error) {
	var entries []PositiveListEntry
	seen := keys{}
	err := readCSV(r, positiveSchema, func(rec record) {
		e, ok := parsePositiveRow(rec)
		seen.seen(rec, colHSCode, e.HSCode)
		if ok {
			entries = append(entries, e)
		}
	})
	if err != nil {
		return nil, err
	}
	return entries, nil
}

func parsePositiveRow(rec record) (PositiveListEntry, bool) {
	before := len(*rec.probs)
	e := PositiveListEntry{
		HSCode:     rec.get(colHSCode),
		Name:       rec.get(colName),
		RemarkKind: RemarkKind(strings.ToLower(rec.get(colRemarkKind))),
		Remark:     rec.get(colRemark),
	}
	if err := ValidateHSCode(e.HSCode, 8, 10); err != nil {
		rec.bad(colHSCode, "%v", err)
	}
	if e.Name == "" {
		rec.bad(colName, "empty")
	}
	switch e.RemarkKind {
	case RemarkNone, RemarkBondedOnly:
	case RemarkExclusion, RemarkNamedGoods:
		if e.Remark == "" {
			rec.bad(colRemark, "empty; a %s remark must say which goods", e.RemarkKind)
		}
	case RemarkYearlyCap:
		q, err := ParseQuantity(e.Remark)
		if err != nil {
			rec.bad(colRemark, "%v", err)
		} else {
			e.YearlyCap = &q
		}
	default:
		rec.bad(colRemarkKind, "%q is not one of: empty, exclusion, bonded_only, named_goods, yearly_cap", e.RemarkKind)
	}
	return e, len(*rec.probs) == before
}

// Column names of the negative-list CSV (this platform's format).
const (
	colHSPrefix = "hs_prefix"
	colGTIN     = "gtin"
	colKind     = "kind"
	colReason   = "reason"
)

var negativeSchema = schema{required: []string{colHSPrefix, colGTIN, colName, colKind, colReason}}

// ParseNegativeListCSV parses a negative-list file: each row matches by
// exactly one of hs_prefix (2–10 digits), gtin or name, with kind
// prohibited or suspended and a reason.
func ParseNegativeListCSV(r io.Reader) ([]NegativeListEntry, error) {
	var entries []NegativeListEntry
	seen := keys{}
	err := readCSV(r, negativeSchema, func(rec record) {
		e, key, ok := parseNegativeRow(rec)
		seen.seen(rec, "", key)
		if ok {
			entries = append(entries, e)
		}
	})
	if err != nil {
		return nil, err
	}
	return entries, nil
}

func parseNegativeRow(rec record) (NegativeListEntry, string, bool) {
	before := len(*rec.probs)
	e := NegativeListEntry{
		HSPrefix: rec.get(colHSPrefix),
		GTIN:     rec.get(colGTIN),
		Name:     rec.get(colName),
		Kind:     NegativeKind(strings.ToLower(rec.get(colKind))),
		Reason:   rec.get(colReason),
	}
	var key string
	set := 0
	if e.HSPrefix != "" {
		set++
		key = "hs_prefix " + e.HSPrefix
		if err := ValidateHSCode(e.HSPrefix, 2, 3, 4, 5, 6, 7, 8, 9, 10); err != nil {
			rec.bad(colHSPrefix, "%v", err)
		}
	}
	if e.GTIN != "" {
		set++
		key = "gtin " + e.GTIN
		if err := ValidateGTIN(e.GTIN); err != nil {
			rec.bad(colGTIN, "%v", err)
		}
	}
	if e.Name != "" {
		set++
		key = "name " + strings.ToLower(e.Name)
	}
	if set != 1 {
		rec.bad("", "set exactly one of %s, %s, %s (found %d)", colHSPrefix, colGTIN, colName, set)
	}
	switch e.Kind {
	case Prohibited, Suspended:
	default:
		rec.bad(colKind, "%q is not prohibited or suspended", e.Kind)
	}
	if e.Reason == "" {
		rec.bad(colReason, "empty")
	}
	return e, key, len(*rec.probs) == before
}

// Column names of the product-filing CSV (contract §6).
const (
	colItemNo        = "item_no"
	colBrand         = "brand"
	colOriginCountry = "origin_country"
	colSpec          = "spec"
	colItemRecordNo  = "item_record_no"
)

var productSchema = schema{
	required: []string{colItemNo, colName, colHSCode, colGTIN, colBrand, colOriginCountry, colSpec, colLegalUnit},
	optional: []string{colItemRecordNo},
}

// Field lengths from the CEB621 list fields the values end up in.
const (
	maxItemNo       = 20
	maxItemName     = 250
	maxItemRecordNo = 30
)

// ParseProductsCSV parses an enterprise's product-filing upload. EBCCode is
// left empty: the caller knows which enterprise's key uploaded the file.
func ParseProductsCSV(r io.Reader) ([]Product, error) {
	var products []Product
	seen := keys{}
	err := readCSV(r, productSchema, func(rec record) {
		p, ok := parseProductRow(rec)
		seen.seen(rec, colItemNo, p.ItemNo)
		if ok {
			products = append(products, p)
		}
	})
	if err != nil {
		return nil, err
	}
	return products, nil
}

func parseProductRow(rec record) (Product, bool) {
	before := len(*rec.probs)
	p := Product{
		ItemNo:        rec.get(colItemNo),
		Name:          rec.get(colName),
		HSCode:        rec.get(colHSCode),
		GTIN:          rec.get(colGTIN),
		Brand:         rec.get(colBrand),
		OriginCountry: rec.get(colOriginCountry),
		Spec:          rec.get(colSpec),
		LegalUnit:     rec.get(colLegalUnit),
		ItemRecordNo:  rec.get(colItemRecordNo),
	}
	checkLength(rec, colItemNo, p.ItemNo, maxItemNo, true)
	checkLength(rec, colName, p.Name, maxItemName, true)
	checkLength(rec, colItemRecordNo, p.ItemRecordNo, maxItemRecordNo, false)
	if err := ValidateHSCode(p.HSCode, 10); err != nil {
		rec.bad(colHSCode, "%v", err)
	}
	if p.GTIN != "" {
		if err := ValidateGTIN(p.GTIN); err != nil {
			rec.bad(colGTIN, "%v", err)
		}
	}
	if err := validateCode3(p.OriginCountry); err != nil {
		rec.bad(colOriginCountry, "country %v", err)
	}
	if err := validateCode3(p.LegalUnit); err != nil {
		rec.bad(colLegalUnit, "unit %v", err)
	}
	return p, len(*rec.probs) == before
}

// checkLength reports an empty required value or one longer than max
// characters.
func checkLength(rec record, column, v string, max int, required bool) {
	if required && v == "" {
		rec.bad(column, "empty")
		return
	}
	if n := len([]rune(v)); n > max {
		rec.bad(column, "%d characters, at most %d", n, max)
	}
}
