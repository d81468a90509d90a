package loadgen

import (
	"fmt"
	"strings"

	"cbec/internal/catalog"
	"cbec/internal/money"
)

// Good is one product the generated shops sell: its tariff line, how it is
// packed and counted, and the range its price is drawn from.
type Good struct {
	ItemNo   string // the shop's own item number (the same in every shop)
	Name     string
	Brand    string
	Spec     string // gmodel: brand, size, grade
	HSCode   string // 10 digits
	Origin   string // customs country code of origin
	Unit     string // customs unit code of qty (007 个, 011 件, 122 罐, 142 瓶)
	Unit1    string // customs code of the legal unit (035 kg, 095 L, 007 个)
	Qty1Per  string // legal quantity per piece, e.g. "0.9" kg per tin
	WeightKg string // gross weight per piece
	MinFen   int64  // price range per piece, in fen
	MaxFen   int64
	Weight   int // relative frequency in generated orders

	// Tariff columns (contract §6); rates as decimals.
	TariffName  string
	VAT         string
	CT          string
	CTThreshold string // CNY per CTUnit; empty for none
	CTUnit      string
	Duty        string
	LegalUnit   string // tariff legal unit symbol (kg, L, piece)
}

// goods is the generator's product range. The HS codes and rates follow the
// 2026 import tariff for these kinds of goods; the internal/catalog package
// does not ship a starter table the generator could reuse, so this small
// table is uploaded to the server before each run and the generator computes
// each order's tax from the very same rows.
var goods = []Good{
	{ItemNo: "MILK-900G", Name: "婴儿配方奶粉 3段 900克", Brand: "Aptamil", Spec: "Aptamil|3段|900g/罐|牛奶基",
		HSCode: "1901101000", Origin: "304", Unit: "122", Unit1: "035", Qty1Per: "0.9", WeightKg: "1.1",
		MinFen: 19800, MaxFen: 32800, Weight: 20,
		TariffName: "供婴幼儿食用的零售包装配方奶粉", VAT: "0.13", CT: "0", Duty: "0.15", LegalUnit: "kg"},
	{ItemNo: "CREAM-50G", Name: "修护精华面霜 50克", Brand: "La Mer", Spec: "La Mer|面霜|50g/瓶|护肤",
		HSCode: "3304990099", Origin: "502", Unit: "142", Unit1: "035", Qty1Per: "0.05", WeightKg: "0.3",
		MinFen: 98000, MaxFen: 268000, Weight: 8,
		TariffName: "其他美容品或化妆品及护肤品", VAT: "0.13", CT: "0.15", CTThreshold: "10", CTUnit: "g", Duty: "0.01", LegalUnit: "kg"},
	{ItemNo: "VITC-120", Name: "维生素C咀嚼片 120粒", Brand: "Swisse", Spec: "Swisse|120粒/瓶|成人",
		HSCode: "2106909090", Origin: "601", Unit: "142", Unit1: "035", Qty1Per: "0.2", WeightKg: "0.3",
		MinFen: 8900, MaxFen: 16900, Weight: 15,
		TariffName: "其他编号未列名的食品", VAT: "0.13", CT: "0", Duty: "0.2", LegalUnit: "kg"},
	{ItemNo: "WINE-750", Name: "干红葡萄酒 750毫升", Brand: "Penfolds", Spec: "Penfolds|Bin 389|750ml/瓶|14.5%vol",
		HSCode: "2204210000", Origin: "601", Unit: "142", Unit1: "095", Qty1Per: "0.75", WeightKg: "1.4",
		MinFen: 39800, MaxFen: 89800, Weight: 5,
		TariffName: "小包装的鲜葡萄酿造的酒", VAT: "0.13", CT: "0.1", Duty: "0.14", LegalUnit: "L"},
	{ItemNo: "HONEY-500", Name: "麦卢卡蜂蜜 UMF10+ 500克", Brand: "Comvita", Spec: "Comvita|UMF10+|500g/罐",
		HSCode: "0409000000", Origin: "609", Unit: "122", Unit1: "035", Qty1Per: "0.5", WeightKg: "0.7",
		MinFen: 29800, MaxFen: 45800, Weight: 8,
		TariffName: "天然蜂蜜", VAT: "0.09", CT: "0", Duty: "0.15", LegalUnit: "kg"},
	{ItemNo: "DIAPER-L54", Name: "婴儿纸尿裤 L码 54片", Brand: "Merries", Spec: "Merries|L|54片/包",
		HSCode: "9619001100", Origin: "116", Unit: "011", Unit1: "035", Qty1Per: "1.6", WeightKg: "1.8",
		MinFen: 9900, MaxFen: 15900, Weight: 15,
		TariffName: "婴儿尿布", VAT: "0.13", CT: "0", Duty: "0", LegalUnit: "kg"},
	{ItemNo: "BRUSH-E1", Name: "声波电动牙刷", Brand: "Philips", Spec: "Philips|HX6730|声波|充电式",
		HSCode: "8509809000", Origin: "304", Unit: "007", Unit1: "007", Qty1Per: "1", WeightKg: "0.6",
		MinFen: 39900, MaxFen: 129900, Weight: 6,
		TariffName: "其他家用电动器具", VAT: "0.13", CT: "0", Duty: "0.08", LegalUnit: "piece"},
	{ItemNo: "WASH-120", Name: "氨基酸洁面乳 120克", Brand: "Shiseido", Spec: "Shiseido|洁面|120g/支",
		HSCode: "3401300000", Origin: "116", Unit: "007", Unit1: "035", Qty1Per: "0.12", WeightKg: "0.2",
		MinFen: 5900, MaxFen: 12900, Weight: 13,
		TariffName: "洁肤用有机表面活性产品及制品", VAT: "0.13", CT: "0", Duty: "0.065", LegalUnit: "kg"},
	{ItemNo: "BAG-LTH", Name: "真皮手提包", Brand: "Coach", Spec: "Coach|牛皮|中号|黑色",
		HSCode: "4202210000", Origin: "502", Unit: "007", Unit1: "007", Qty1Per: "1", WeightKg: "1.2",
		MinFen: 129900, MaxFen: 329900, Weight: 4,
		TariffName: "以皮革作面的手提包", VAT: "0.13", CT: "0", Duty: "0.06", LegalUnit: "piece"},
	{ItemNo: "SUN-60ML", Name: "防晒乳 SPF50+ 60毫升", Brand: "Anessa", Spec: "Anessa|SPF50+|60ml/瓶",
		HSCode: "3304990099", Origin: "116", Unit: "142", Unit1: "035", Qty1Per: "0.06", WeightKg: "0.15",
		MinFen: 12800, MaxFen: 22800, Weight: 6,
		TariffName: "其他美容品或化妆品及护肤品", VAT: "0.13", CT: "0.15", CTThreshold: "10", CTUnit: "g", Duty: "0.01", LegalUnit: "kg"},
}

// gtinOf gives each good a stable GTIN-13 with a valid check digit.
func gtinOf(i int) string {
	body := fmt.Sprintf("690%09d", 100000+i*7919)
	return body + string(catalog.GTINCheckDigit(body))
}

// itemRecordNo is the good's bonded account-book item number.
func itemRecordNo(i int) string { return fmt.Sprintf("%d", 1000+i) }

// tariffRow returns the tax data of g as the tax engine reads it; the
// server builds the same row from the uploaded CSV.
func (g Good) tariffRow() (catalog.TariffRow, error) {
	row := catalog.TariffRow{HSCode: g.HSCode, Name: g.TariffName}
	var err error
	if row.VATRate, err = money.ParseDecimal(g.VAT); err != nil {
		return row, fmt.Errorf("good %s: vat: %w", g.ItemNo, err)
	}
	if row.CTRate, err = money.ParseDecimal(g.CT); err != nil {
		return row, fmt.Errorf("good %s: ct: %w", g.ItemNo, err)
	}
	if row.DutyRate, err = money.ParseDecimal(g.Duty); err != nil {
		return row, fmt.Errorf("good %s: duty: %w", g.ItemNo, err)
	}
	if g.CTThreshold != "" {
		if row.CTThreshold, err = money.ParseDecimal(g.CTThreshold); err != nil {
			return row, fmt.Errorf("good %s: threshold: %w", g.ItemNo, err)
		}
		if row.CTUnit, err = catalog.ParseUnit(g.CTUnit); err != nil {
			return row, fmt.Errorf("good %s: threshold unit: %w", g.ItemNo, err)
		}
	}
	if row.LegalUnit, err = catalog.ParseUnit(g.LegalUnit); err != nil {
		return row, fmt.Errorf("good %s: legal unit: %w", g.ItemNo, err)
	}
	return row, nil
}

// TariffCSV is the tariff upload (contract §6) for the generator's goods,
// one row per HS code.
func TariffCSV() []byte {
	var b strings.Builder
	b.WriteString("hs_code,name,vat_rate,consumption_tax_rate,consumption_tax_threshold,consumption_tax_unit,duty_rate,legal_unit\n")
	seen := map[string]bool{}
	for _, g := range goods {
		if seen[g.HSCode] {
			continue
		}
		seen[g.HSCode] = true
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,%s\n", g.HSCode, g.TariffName, g.VAT, g.CT, g.CTThreshold, g.CTUnit, g.Duty, g.LegalUnit)
	}
	return []byte(b.String())
}

// PositiveListCSV lists the generator's HS codes on the CBEC positive list,
// for servers that check it and ship no starter list.
func PositiveListCSV() []byte {
	var b strings.Builder
	b.WriteString("hs_code,name,remark_kind,remark\n")
	seen := map[string]bool{}
	for _, g := range goods {
		if seen[g.HSCode] {
			continue
		}
		seen[g.HSCode] = true
		fmt.Fprintf(&b, "%s,%s,,\n", g.HSCode, g.TariffName)
	}
	return []byte(b.String())
}

// ProductsCSV is a shop's product filing (contract §6) for every good.
func ProductsCSV() []byte {
	var b strings.Builder
	b.WriteString("item_no,name,hs_code,gtin,brand,origin_country,spec,legal_unit,item_record_no\n")
	for i, g := range goods {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", g.ItemNo, g.Name, g.HSCode, gtinOf(i), g.Brand, g.Origin,
			strings.ReplaceAll(g.Spec, ",", " "), g.Unit1, itemRecordNo(i))
	}
	return []byte(b.String())
}
