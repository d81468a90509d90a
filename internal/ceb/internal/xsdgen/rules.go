package main

// timeFields are the leaves the spec describes as date-times (ceb-notes §4):
// the XSD only gives their length, the format comes from the PDF.
var timeFields = map[string]int{
	"appTime":        14,
	"payTime":        14,
	"logisticsTime":  14,
	"leaveTime":      14,
	"accountingDate": 14,
	"startTime":      14,
	"endTime":        14,
	"returnTime":     17,
	"opDate":         17,
	"declTime":       8,
	"ieDate":         8,
}

type enumRule struct {
	values []string
	warn   bool
}

// enumRules are the code lists the spec states in prose. Keys are tried from
// the most to the least specific: "family:Parent.field", "Parent.field",
// "family:field", "field". Lists marked warn are advisory: the official
// samples or real senders use other values.
var enumRules = map[string]enumRule{
	"appType":                     {values: []string{"1", "2", "3"}},
	"appStatus":                   {values: []string{"1", "2"}},
	"ieFlag":                      {values: []string{"I", "E"}},
	"buyerIdType":                 {values: []string{"1", "2"}},
	"payerIdType":                 {values: []string{"1", "2"}},
	"import:orderType":            {values: []string{"I"}},
	"export:orderType":            {values: []string{"E", "B", "W"}},
	"logisticsStatus":             {values: []string{"S"}, warn: true},
	"dxpMode":                     {values: []string{"DXP"}},
	"BaseSubscribe.status":        {values: []string{"ALL", "DATA", "RET"}},
	"TaxHeadRd.status":            {values: []string{"1", "2", "3"}},
	"TaxHeadStatus.status":        {values: []string{"1", "2", "3"}},
	"statisticsFlag":              {values: []string{"A", "B"}, warn: true},
	"import:tradeMode":            {values: []string{"9610", "1210", "1239"}, warn: true},
	"export:tradeMode":            {values: []string{"9610", "1210", "1239", "9710", "9810"}, warn: true},
	"import:LogisticsHead.packNo": {values: []string{"1"}, warn: true},
	"import:InventoryHead.packNo": {values: []string{"1"}, warn: true},
}

func lookupEnum(family, parent, name string) (enumRule, bool) {
	for _, k := range []string{family + ":" + parent + "." + name, parent + "." + name, family + ":" + name, name} {
		if r, ok := enumRules[k]; ok {
			return r, true
		}
	}
	return enumRule{}, false
}
