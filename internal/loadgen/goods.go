package loadgen

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/cbec-platform/cbec/internal/catalog"
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
}

// goods is the generator's product range. Tax rates are not repeated here:
// they come from the starter tariff internal/catalog ships (the table a
// fresh server starts with), whose rows for these HS codes are also uploaded
// before each run, so the generator's taxTotal and the server's computed tax
// come from the same rows.
var goods = []Good{
	{ItemNo: "MILK-900G", Name: "婴儿配方奶粉 3段 900克", Brand: "Aptamil", Spec: "Aptamil|3段|900g/罐|牛奶基",
		HSCode: "1901101000", Origin: "304", Unit: "122", Unit1: "035", Qty1Per: "0.9", WeightKg: "1.1",
		MinFen: 19800, MaxFen: 32800, Weight: 20},
	{ItemNo: "CREAM-50G", Name: "修护精华面霜 50克", Brand: "La Mer", Spec: "La Mer|面霜|50g/瓶|护肤",
		HSCode: "3304990099", Origin: "502", Unit: "142", Unit1: "035", Qty1Per: "0.05", WeightKg: "0.3",
		MinFen: 98000, MaxFen: 268000, Weight: 4},
	{ItemNo: "VITC-120", Name: "维生素C咀嚼片 120粒", Brand: "Swisse", Spec: "Swisse|120粒/瓶|成人",
		HSCode: "2106909090", Origin: "601", Unit: "142", Unit1: "035", Qty1Per: "0.2", WeightKg: "0.3",
		MinFen: 8900, MaxFen: 16900, Weight: 5},
	{ItemNo: "FISHOIL-400", Name: "深海鱼油软胶囊 400粒", Brand: "Blackmores", Spec: "Blackmores|1000mg×400粒/瓶|成人",
		HSCode: "1504200000", Origin: "601", Unit: "142", Unit1: "035", Qty1Per: "0.5", WeightKg: "0.6",
		MinFen: 15900, MaxFen: 26900, Weight: 10},
	{ItemNo: "WINE-750", Name: "干红葡萄酒 750毫升", Brand: "Penfolds", Spec: "Penfolds|Bin 389|750ml/瓶|14.5%vol",
		HSCode: "2204210000", Origin: "601", Unit: "142", Unit1: "095", Qty1Per: "0.75", WeightKg: "1.4",
		MinFen: 39800, MaxFen: 89800, Weight: 5},
	{ItemNo: "HONEY-500", Name: "麦卢卡蜂蜜 UMF10+ 500克", Brand: "Comvita", Spec: "Comvita|UMF10+|500g/罐",
		HSCode: "0409000000", Origin: "609", Unit: "122", Unit1: "035", Qty1Per: "0.5", WeightKg: "0.7",
		MinFen: 29800, MaxFen: 45800, Weight: 8},
	{ItemNo: "DIAPER-L54", Name: "婴儿纸尿裤 L码 54片", Brand: "Merries", Spec: "Merries|L|54片/包",
		HSCode: "9619001100", Origin: "116", Unit: "011", Unit1: "035", Qty1Per: "1.6", WeightKg: "1.8",
		MinFen: 9900, MaxFen: 15900, Weight: 15},
	{ItemNo: "BRUSH-E1", Name: "声波电动牙刷", Brand: "Philips", Spec: "Philips|HX6730|声波|充电式",
		HSCode: "8509809000", Origin: "304", Unit: "007", Unit1: "001", Qty1Per: "1", WeightKg: "0.6",
		MinFen: 39900, MaxFen: 129900, Weight: 6},
	{ItemNo: "WASH-120", Name: "氨基酸洁面乳 120克", Brand: "Shiseido", Spec: "Shiseido|洁面|120g/支",
		HSCode: "3401300000", Origin: "116", Unit: "007", Unit1: "035", Qty1Per: "0.12", WeightKg: "0.2",
		MinFen: 5900, MaxFen: 12900, Weight: 13},
	{ItemNo: "BAG-LTH", Name: "真皮手提包", Brand: "Coach", Spec: "Coach|牛皮|中号|黑色",
		HSCode: "4202210000", Origin: "502", Unit: "007", Unit1: "007", Qty1Per: "1", WeightKg: "1.2",
		MinFen: 129900, MaxFen: 329900, Weight: 4},
	{ItemNo: "SUN-60ML", Name: "防晒乳 SPF50+ 60毫升", Brand: "Anessa", Spec: "Anessa|SPF50+|60ml/瓶",
		HSCode: "3304990099", Origin: "116", Unit: "142", Unit1: "035", Qty1Per: "0.06", WeightKg: "0.15",
		MinFen: 12800, MaxFen: 22800, Weight: 3},
}

// gtinOf gives each good a stable GTIN-13 with a valid check digit.
func gtinOf(i int) string {
	body := fmt.Sprintf("690%09d", 100000+i*7919)
	return body + string(catalog.GTINCheckDigit(body))
}

// itemRecordNo is the bonded account-book item number of good i of shop
// s: a book item belongs to one e-commerce enterprise, so each shop has its
// own numbers.
func itemRecordNo(s, i int) string { return fmt.Sprintf("R%02d%03d", s+1, i+1) }

// starter is the parsed starter data of internal/catalog, loaded once.
var starter = sync.OnceValues(catalog.LoadStarter)

// tariffRows returns the starter tariff row of every good, by good index.
func tariffRows() ([]catalog.TariffRow, error) {
	st, err := starter()
	if err != nil {
		return nil, fmt.Errorf("starter tariff: %w", err)
	}
	byCode := make(map[string]catalog.TariffRow, len(st.Tariff))
	for _, r := range st.Tariff {
		byCode[r.HSCode] = r
	}
	rows := make([]catalog.TariffRow, len(goods))
	for i, g := range goods {
		r, ok := byCode[g.HSCode]
		if !ok {
			return nil, fmt.Errorf("good %s: HS code %s is not in the starter tariff", g.ItemNo, g.HSCode)
		}
		rows[i] = r
	}
	return rows, nil
}

// starterLines returns the header and the lines of an embedded starter CSV
// whose first column keep accepts.
func starterLines(file string, keep func(code string) bool) []byte {
	b, err := catalog.StarterFiles().ReadFile(file)
	if err != nil {
		panic(fmt.Sprintf("loadgen: embedded starter file %s: %v", file, err)) // embedded at build time
	}
	var out bytes.Buffer
	for i, line := range bytes.SplitAfter(b, []byte("\n")) {
		code, _, _ := bytes.Cut(line, []byte(","))
		if i == 0 || (len(line) > 0 && keep(string(code))) {
			out.Write(line)
		}
	}
	return out.Bytes()
}

// TariffCSV is the tariff upload (contract §6): the starter rows of the
// generator's HS codes, columns as the starter file has them.
func TariffCSV() []byte {
	return starterLines(catalog.StarterTariffFile, func(code string) bool {
		return slices.ContainsFunc(goods, func(g Good) bool { return g.HSCode == code })
	})
}

// PositiveListCSV is the positive-list upload: the starter entries (8 or 10
// digits) that cover the generator's goods.
func PositiveListCSV() []byte {
	return starterLines(catalog.StarterPositiveListFile, func(code string) bool {
		return code != "" && slices.ContainsFunc(goods, func(g Good) bool { return strings.HasPrefix(g.HSCode, code) })
	})
}

// ProductsCSV is the product filing (contract §6) of shop number s for every
// good.
func ProductsCSV(s int) []byte {
	var b strings.Builder
	b.WriteString("item_no,name,hs_code,gtin,brand,origin_country,spec,legal_unit,item_record_no\n")
	for i, g := range goods {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", g.ItemNo, g.Name, g.HSCode, gtinOf(i), g.Brand, g.Origin,
			strings.ReplaceAll(g.Spec, ",", " "), g.Unit1, itemRecordNo(s, i))
	}
	return []byte(b.String())
}
