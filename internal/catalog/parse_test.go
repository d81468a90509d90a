package catalog

import (
	"errors"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/money"
)

const tariffHeader = "hs_code,name,vat_rate,consumption_tax_rate,consumption_tax_threshold,consumption_tax_unit,duty_rate\n"

func TestParseTariffCSV(t *testing.T) {
	in := "\uFEFF" + "Duty_Rate, hs_code ,name,vat_rate,consumption_tax_rate,consumption_tax_threshold,consumption_tax_unit,comment,legal_unit,consumption_tax_threshold_piece\n" +
		"0.01,3304990099,护肤品,0.13,0.15,10,g,ignored,035,15\n" +
		"0.15,1901101000,\"婴儿配方奶粉, retail\",0.13,0,,,x,kg,\n"
	rows, err := ParseTariffCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[0]
	if r.HSCode != "3304990099" || r.Name != "护肤品" || r.VATRate.String() != "0.13" || r.CTRate.String() != "0.15" ||
		r.CTThreshold.String() != "10" || r.CTUnit != Gram || r.DutyRate.String() != "0.01" || r.LegalUnit != Kilogram ||
		r.CTThresholdPiece.String() != "15" {
		t.Errorf("row 0 = %+v", r)
	}
	if rows[1].Name != "婴儿配方奶粉, retail" || !rows[1].CTThreshold.IsZero() || rows[1].CTUnit != "" {
		t.Errorf("row 1 = %+v", rows[1])
	}
}

func TestParseTariffCSVSpecific(t *testing.T) {
	in := "hs_code,name,vat_rate,consumption_tax_rate,consumption_tax_threshold,consumption_tax_unit,duty_rate,consumption_tax_specific,consumption_tax_specific_unit,consumption_tax_specific_below,litres_per_tonne,legal_unit\n" +
		"2203000000,啤酒,0.13,0,3000,t,0,250,t,220,988,095\n" +
		"2208300000,威士忌,0.13,0.2,,,0.05,1,,,,L\n"
	rows, err := ParseTariffCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	beer, whisky := rows[0], rows[1]
	if beer.CTSpecific.String() != "250" || beer.SpecificUnit() != Tonne || beer.CTSpecificBelow.String() != "220" ||
		beer.LitresPerTonne.String() != "988" || beer.LegalUnit != Litre {
		t.Errorf("beer = %+v", beer)
	}
	if whisky.SpecificUnit() != Litre {
		t.Errorf("whisky specific unit %q, want legal unit L", whisky.SpecificUnit())
	}
}

// Every problem of the file is reported at once, each with its line and
// column, and no rows are returned.
func TestParseTariffCSVReportsAllProblems(t *testing.T) {
	in := tariffHeader +
		"190110100,短,0.13,0,,,0.15\n" + // line 2: 9 digits
		"1901101000,ok,0.13,0,,,0.15\n" + // line 3: fine
		"19011010AB,letters,13%,1,,,-0.1\n" + // line 4: four problems
		"3304990099,cosmetic,0.13,0.15,10,,0.01\n" + // line 5: threshold without unit
		"3304990098,cosmetic,0.13,0.15,,g,0.01\n" + // line 6: unit without threshold
		"1901101000,dup,0.13,0,,,0.15\n" + // line 7: duplicate of line 3
		"2203000000,beer,0.13,0,,,0,,\n" + // line 8: ragged
		"2204210000,,0.13,0.1,,,1e-1\n" + // line 9: empty name, exponent
		"2204210001,wine,,0.1,,,0.14\n" + // line 10: empty rate
		"2204210002,wine,0.13,0.1,5,bottle,0.14\n" // line 11: unknown unit
	_, err := ParseTariffCSV(strings.NewReader(in))
	ps, ok := AsProblems(err)
	if !ok {
		t.Fatalf("error %v is not a problem list", err)
	}
	want := []struct {
		line   int
		column string
		text   string
	}{
		{2, "hs_code", "9 digits, want 10"},
		{4, "hs_code", "digits only"},
		{4, "vat_rate", "write rates as decimals"},
		{4, "consumption_tax_rate", "below 1"},
		{4, "duty_rate", "at least 0"},
		{5, "consumption_tax_unit", "required when consumption_tax_threshold is set"},
		{6, "consumption_tax_unit", "set but consumption_tax_threshold is empty"},
		{7, "hs_code", "duplicate key 1901101000: also on line 3"},
		{8, "", "9 fields, the header has 7"},
		{9, "name", "empty"},
		{9, "duty_rate", "exponent notation"},
		{10, "vat_rate", "empty; write 0 for none"},
		{11, "consumption_tax_unit", `unknown unit "bottle"`},
	}
	if len(ps) != len(want) {
		for _, p := range ps {
			t.Log(p)
		}
		t.Fatalf("%d problems, want %d", len(ps), len(want))
	}
	for i, w := range want {
		p := ps[i]
		if p.Line != w.line || p.Column != w.column || !strings.Contains(p.Message, w.text) {
			t.Errorf("problem %d = %s; want line %d column %q containing %q", i, p, w.line, w.column, w.text)
		}
	}
	if !strings.HasPrefix(err.Error(), "13 problem(s) in CSV; line 2, column hs_code:") {
		t.Errorf("error text %q", err.Error())
	}
}

func TestParseCSVFileProblems(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty file", "", "line 1: empty file"},
		{"missing columns", "hs_code,name\n", "line 1, column vat_rate: required column missing"},
		{"repeated column", strings.TrimSuffix(tariffHeader, "\n") + ",name\n", "line 1, column name: column appears twice"},
		{"bad quote", tariffHeader + "1901101000,\"a\"b,0.13,0,,,0.15\n1901101001,x,0.13,0,,,0.15\n", "line 2: CSV syntax"},
		{"invalid UTF-8", tariffHeader + "1901101000,\xff\xfe,0.13,0,,,0.15\n", "line 2: not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := ParseTariffCSV(strings.NewReader(tt.in))
			if err == nil || rows != nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("rows %v, error %v; want %q", rows, err, tt.want)
			}
		})
	}
	// Header only is a valid, empty upload.
	if rows, err := ParseTariffCSV(strings.NewReader(tariffHeader)); err != nil || len(rows) != 0 {
		t.Errorf("header only: %v, %v", rows, err)
	}
	// CRLF line endings and a blank line are fine.
	if rows, err := ParseTariffCSV(strings.NewReader(strings.ReplaceAll(tariffHeader, "\n", "\r\n") + "\r\n1901101000,x,0.13,0,,,0.15\r\n")); err != nil || len(rows) != 1 {
		t.Errorf("CRLF: %v, %v", rows, err)
	}
}

func TestParsePositiveListCSV(t *testing.T) {
	in := "hs_code,name,remark_kind,remark\n" +
		"17019990,砂糖,yearly_cap,2 kg\n" +
		"10063020,大米,Yearly_Cap,20kg\n" +
		"08092900,樱桃,bonded_only,\n" +
		"32151900,墨水,named_goods,仅限家用打印机墨水\n" +
		"21069090,食品,exclusion,濒危物种成分除外\n" +
		"3304990099,护肤品,,\n"
	es, err := ParsePositiveListCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 6 || es[0].YearlyCap == nil || es[0].YearlyCap.String() != "2 kg" || es[1].YearlyCap.String() != "20 kg" ||
		es[1].RemarkKind != RemarkYearlyCap || es[2].RemarkKind != RemarkBondedOnly || es[5].YearlyCap != nil {
		t.Errorf("entries = %+v", es)
	}

	bad := "hs_code,name,remark_kind,remark\n" +
		"1701999,砂糖,yearly_cap,2 kg\n" + // 7 digits
		"17019991,砂糖,yearly_cap,two kilos\n" +
		"17019992,砂糖,yearly_cap,2 boxes\n" +
		"17019993,砂糖,quota,\n" +
		"17019994,砂糖,named_goods,\n" +
		"17019994,砂糖,,\n"
	_, err = ParsePositiveListCSV(strings.NewReader(bad))
	ps, _ := AsProblems(err)
	wants := []string{
		"line 2, column hs_code: invalid HS code \"1701999\": 7 digits, want 8 or 10",
		"line 3, column remark: invalid yearly cap \"two kilos\"",
		"line 4, column remark: invalid yearly cap \"2 boxes\": unknown unit \"boxes\"",
		"line 5, column remark_kind: \"quota\" is not one of",
		"line 6, column remark: empty; a named_goods remark must say which goods",
		"line 7, column hs_code: duplicate key 17019994: also on line 6",
	}
	if len(ps) != len(wants) {
		t.Fatalf("problems %v", ps)
	}
	for i, w := range wants {
		if !strings.HasPrefix(ps[i].String(), w) {
			t.Errorf("problem %d = %s; want prefix %s", i, ps[i], w)
		}
	}
}

func TestParseNegativeListCSV(t *testing.T) {
	in := "hs_prefix,gtin,name,kind,reason\n" +
		"93,,,prohibited,arms\n" +
		",6901234567892,,suspended,recall\n" +
		",,象牙,prohibited,ivory\n"
	es, err := ParseNegativeListCSV(strings.NewReader(in))
	if err != nil || len(es) != 3 {
		t.Fatalf("%v, %v", es, err)
	}
	bad := "hs_prefix,gtin,name,kind,reason\n" +
		"93,6901234567892,,prohibited,two keys\n" +
		",,,prohibited,no key\n" +
		"9,,,banned,\n" +
		",6901234567893,,suspended,bad check digit\n" +
		"93,,,prohibited,arms\n" +
		"93,,,suspended,again\n"
	_, err = ParseNegativeListCSV(strings.NewReader(bad))
	ps, _ := AsProblems(err)
	wants := []string{
		"line 2: set exactly one of hs_prefix, gtin, name (found 2)",
		"line 3: set exactly one of hs_prefix, gtin, name (found 0)",
		"line 4, column hs_prefix: invalid HS code \"9\": 1 digits",
		"line 4, column kind: \"banned\" is not prohibited or suspended",
		"line 4, column reason: empty",
		"line 5, column gtin: invalid GTIN \"6901234567893\": check digit 3, computed 2",
		"line 7: duplicate key hs_prefix 93: also on line 6",
	}
	if len(ps) != len(wants) {
		t.Fatalf("problems %v", ps)
	}
	for i, w := range wants {
		if !strings.HasPrefix(ps[i].String(), w) {
			t.Errorf("problem %d = %s; want prefix %s", i, ps[i], w)
		}
	}
}

func TestParseProductsCSV(t *testing.T) {
	in := "item_no,name,hs_code,gtin,brand,origin_country,spec,legal_unit,item_record_no,price_hint\n" +
		"SKU-1,爱他美婴儿配方奶粉1段 800g,1901101000,4008976022329,Aptamil,304,800克/罐,035,,99\n" +
		"SKU-2,面霜 50ml,3304990099,,La Mer,502,50ml/瓶,035,T2924W000001,\n"
	ps, err := ParseProductsCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].GTIN != "4008976022329" || ps[0].OriginCountry != "304" || ps[1].ItemRecordNo != "T2924W000001" || ps[0].EBCCode != "" {
		t.Errorf("products = %+v", ps)
	}
	// item_record_no is optional as a column.
	if _, err := ParseProductsCSV(strings.NewReader("item_no,name,hs_code,gtin,brand,origin_country,spec,legal_unit\nA,n,1901101000,,,304,,035\n")); err != nil {
		t.Errorf("without item_record_no: %v", err)
	}
	bad := "item_no,name,hs_code,gtin,brand,origin_country,spec,legal_unit,item_record_no\n" +
		",name,1901101000,,,304,,035,\n" +
		"A,name,19011010,4008976022328,,US,,35,\n" +
		"B," + strings.Repeat("名", 251) + ",1901101000,12345,,304,,035,\n" +
		"A,again,1901101000,,,304,,035,\n"
	_, err = ParseProductsCSV(strings.NewReader(bad))
	probs, _ := AsProblems(err)
	wants := []string{
		"line 2, column item_no: empty",
		"line 3, column hs_code: invalid HS code \"19011010\": 8 digits, want 10",
		"line 3, column gtin: invalid GTIN \"4008976022328\": check digit 8, computed 9",
		"line 3, column origin_country: country invalid 3-digit code \"US\"",
		"line 3, column legal_unit: unit invalid 3-digit code \"35\"",
		"line 4, column name: 251 characters, at most 250",
		"line 4, column gtin: invalid GTIN \"12345\": 5 digits",
		"line 5, column item_no: duplicate key A: also on line 3",
	}
	if len(probs) != len(wants) {
		t.Fatalf("problems %v", probs)
	}
	for i, w := range wants {
		if !strings.HasPrefix(probs[i].String(), w) {
			t.Errorf("problem %d = %s; want prefix %s", i, probs[i], w)
		}
	}
}

func TestValidateGTIN(t *testing.T) {
	tests := []struct {
		gtin string
		ok   bool
	}{
		{"4006381333931", true},  // GTIN-13, GS1's own example
		{"6901234567892", true},  // GTIN-13
		{"96385074", true},       // GTIN-8
		{"036000291452", true},   // GTIN-12 (UPC-A)
		{"10614141000415", true}, // GTIN-14
		{"4006381333932", false},
		{"400638133393", false}, // 12 digits, wrong check for UPC
		{"40063813339X", false},
		{"1234567", false},
		{"", false},
	}
	for _, tt := range tests {
		err := ValidateGTIN(tt.gtin)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrGTIN)) {
			t.Errorf("ValidateGTIN(%q) = %v, want ok=%v", tt.gtin, err, tt.ok)
		}
	}
}

func TestParseQuantity(t *testing.T) {
	for in, want := range map[string]string{"2 kg": "2 kg", "20kg": "20 kg", "0.5 L": "0.5 L", "2 千克": "2 kg", " 500 g ": "500 g"} {
		q, err := ParseQuantity(in)
		if err != nil || q.String() != want {
			t.Errorf("ParseQuantity(%q) = %v, %v; want %s", in, q, err, want)
		}
	}
	for _, in := range []string{"", "kg", "0 kg", "2", "2 boxes", "1.2.3 kg", "-2 kg"} {
		if _, err := ParseQuantity(in); err == nil {
			t.Errorf("ParseQuantity(%q): want error", in)
		}
	}
}

func TestConvertQuantity(t *testing.T) {
	d := func(s string) money.Decimal {
		v, err := money.ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		q        string
		from, to Unit
		lpt      string
		want     string
	}{
		{"0.05", Kilogram, Gram, "0", "50"},
		{"1500", Gram, Kilogram, "0", "1.5"},
		{"0.1", Litre, Millilitre, "0", "100"},
		{"50", Millilitre, Gram, "0", "50"}, // 1 ml ≡ 1 g by default
		{"988", Litre, Tonne, "988", "1"},   // beer
		{"1", Tonne, Litre, "988", "988"},
		{"3", Piece, Piece, "0", "3"},
	}
	for _, tt := range tests {
		got, err := ConvertQuantity(d(tt.q), tt.from, tt.to, d(tt.lpt))
		if err != nil || got.Cmp(d(tt.want)) != 0 {
			t.Errorf("convert %s %s→%s = %s, %v; want %s", tt.q, tt.from, tt.to, got, err, tt.want)
		}
	}
	if _, err := ConvertQuantity(d("1"), Piece, Gram, d("0")); err == nil {
		t.Error("piece→g: want error")
	}
	if _, err := ConvertQuantity(d("1"), "box", Gram, d("0")); !errors.Is(err, ErrUnknownUnit) {
		t.Errorf("box→g: %v", err)
	}
	for in, want := range map[string]Unit{"035": Kilogram, "千克": Kilogram, "KG": Kilogram, "l": Litre, "096": Millilitre, "011": Piece, "片": Piece} {
		if u, err := ParseUnit(in); err != nil || u != want {
			t.Errorf("ParseUnit(%q) = %q, %v", in, u, err)
		}
	}
}

func FuzzParseTariffCSV(f *testing.F) {
	f.Add(tariffHeader + "1901101000,x,0.13,0,,,0.15\n")
	f.Add(tariffHeader + "3304990099,\"a,b\",0.13,0.15,10,g,0.01\n")
	f.Add("\uFEFFhs_code\n\"")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ParseTariffCSV(strings.NewReader(in))
		if err != nil && rows != nil {
			t.Fatal("rows returned with problems")
		}
		if err != nil {
			if _, ok := AsProblems(err); !ok {
				t.Fatalf("error is not a problem list: %v", err)
			}
		}
		_, _ = ParsePositiveListCSV(strings.NewReader(in))
		_, _ = ParseNegativeListCSV(strings.NewReader(in))
		_, _ = ParseProductsCSV(strings.NewReader(in))
	})
}
