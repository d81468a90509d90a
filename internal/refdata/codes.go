package refdata

// Code is one entry of a customs code list, named in Chinese and English.
type Code struct {
	Code, Zh, En string
}

// CodeList is a named list of codes. A complete list holds every value the
// spec allows; the others hold the common ones and other codes may be valid.
type CodeList struct {
	Name     string // e.g. "unit"
	Zh       string
	Complete bool
	Codes    []Code
}

// Code lists offered where people type codes by hand (the console's forms and
// its spreadsheet template). They help, they do not judge: the message
// schema and the clearance rules decide what is accepted.
var (
	// Currencies of retail import documents: the spec allows only the yuan.
	Currencies = CodeList{Name: "currency", Zh: "币制", Complete: true, Codes: []Code{{"142", "人民币", "Chinese yuan"}}}

	// Units are the JGS-20 customs unit codes most used in cross-border retail.
	Units = CodeList{Name: "unit", Zh: "计量单位", Codes: []Code{
		{"001", "台", "set (machine)"}, {"006", "套", "set"}, {"007", "个", "piece"}, {"008", "只", "piece (animal, item)"},
		{"010", "张", "sheet"}, {"011", "件", "item"}, {"012", "支", "stick"}, {"015", "条", "strip"},
		{"020", "片", "slice"}, {"025", "双", "pair"}, {"035", "千克", "kilogram"}, {"036", "克", "gram"},
		{"070", "吨", "tonne"}, {"095", "升", "litre"}, {"096", "毫升", "millilitre"}, {"122", "罐", "can"},
		{"125", "包", "pack"}, {"136", "袋", "bag"}, {"140", "盒", "box"}, {"142", "瓶", "bottle"},
	}}

	// Countries are the customs country codes (JGS-20) most seen in cross-border retail.
	Countries = CodeList{Name: "country", Zh: "国别", Codes: []Code{
		{"110", "中国香港", "Hong Kong, China"}, {"116", "日本", "Japan"}, {"132", "新加坡", "Singapore"},
		{"133", "韩国", "Korea"}, {"142", "中国", "China"}, {"303", "英国", "United Kingdom"},
		{"304", "德国", "Germany"}, {"305", "法国", "France"}, {"307", "意大利", "Italy"},
		{"309", "荷兰", "Netherlands"}, {"312", "西班牙", "Spain"}, {"330", "瑞典", "Sweden"},
		{"331", "瑞士", "Switzerland"}, {"501", "加拿大", "Canada"}, {"502", "美国", "United States"},
		{"601", "澳大利亚", "Australia"}, {"609", "新西兰", "New Zealand"},
	}}

	// TradeModes are the supervision modes of retail import inventories.
	TradeModes = CodeList{Name: "tradeMode", Zh: "贸易方式", Complete: true,
		Codes: []Code{{"9610", "直购进口", "direct purchase"}, {"1210", "保税电商", "bonded"}, {"1239", "保税电商A", "bonded (A)"}}}
)

// Lookup finds a code in the list.
func (l CodeList) Lookup(code string) (Code, bool) {
	for _, c := range l.Codes {
		if c.Code == code {
			return c, true
		}
	}
	return Code{}, false
}
