package config

import (
	"fmt"
	"strings"
	"time"
)

// ExportRules are the parameters of export (rules §11), the [rules.export] section.
type ExportRules struct {
	// SummaryDay is the day of the following month by which a month's released
	// B lists are merged into summary declarations (December: the last working day).
	SummaryDay int `toml:"summary_day"`
	// SummaryLead is how long before the deadline the summary job merges a month by itself.
	SummaryLead Duration `toml:"summary_lead"`
	// SummaryInterval is how often the job looks for months to merge.
	SummaryInterval Duration `toml:"summary_interval"`
	// ForexOverdueDays: a released export without a receipt of payment after this many days is overdue.
	ForexOverdueDays int `toml:"forex_overdue_days"`
	// ReturnMonths: exported goods returned within this many months of release are tax exempt.
	ReturnMonths int `toml:"return_months"`
	// ReturnPolicyFrom / ReturnPolicyUntil: exports released in this period (dates, inclusive) qualify.
	ReturnPolicyFrom  string `toml:"return_policy_from"`
	ReturnPolicyUntil string `toml:"return_policy_until"`
	// FoodHS are HS prefixes of food, excluded from the return exemption.
	FoodHS []string `toml:"food_hs"`
	// ProhibitedHS are HS prefixes whose export is prohibited.
	ProhibitedHS []string `toml:"prohibited_hs"`
	// SimplifiedLimit is the largest CNY value of a 9710/9810 list declared with statisticsFlag A.
	SimplifiedLimit string `toml:"simplified_limit"`
}

// DefaultExport is the default export rule set.
func DefaultExport() ExportRules {
	return ExportRules{
		SummaryDay:        10,
		SummaryLead:       Duration(72 * time.Hour),
		SummaryInterval:   Duration(time.Hour),
		ForexOverdueDays:  180,
		ReturnMonths:      6,
		ReturnPolicyFrom:  "2026-01-01",
		ReturnPolicyUntil: "2027-12-31",
		// Chapters 1–4, 7–12 and 15–22: animal, vegetable and prepared foods and drinks.
		FoodHS: []string{"01", "02", "03", "04", "07", "08", "09", "10", "11", "12", "15", "16", "17", "18", "19", "20", "21", "22"},
		// Narcotics and psychotropic substances, arms and ammunition, ivory, cultural relics over 100 years old.
		ProhibitedHS:    []string{"1211903", "2939", "93", "0507100", "9706"},
		SimplifiedLimit: "5000.00",
	}
}

func exportParams(e ExportRules) []Param {
	return []Param{
		{"rules.export.summary_day", fmt.Sprint(e.SummaryDay), "day of the next month by which a month's released B lists are summarized (December: the last working day) (rules §11)"},
		{"rules.export.summary_lead", e.SummaryLead.String(), "how long before that deadline the summary job merges the month by itself"},
		{"rules.export.summary_interval", e.SummaryInterval.String(), "how often the summary job looks for months to merge"},
		{"rules.export.forex_overdue_days", fmt.Sprint(e.ForexOverdueDays), "days after release when an export without a receipt of payment is overdue (rules §11)"},
		{"rules.export.return_months", fmt.Sprint(e.ReturnMonths), "months after release within which an export return is tax exempt (rules §11)"},
		{"rules.export.return_policy_from", e.ReturnPolicyFrom, "first release date of exports whose returns are exempt"},
		{"rules.export.return_policy_until", e.ReturnPolicyUntil, "last release date of exports whose returns are exempt"},
		{"rules.export.food_hs", strings.Join(e.FoodHS, ","), "HS prefixes of food, excluded from the return exemption"},
		{"rules.export.prohibited_hs", strings.Join(e.ProhibitedHS, ","), "HS prefixes whose export is prohibited (refused with 1406)"},
		{"rules.export.simplified_limit", e.SimplifiedLimit, "CNY: largest 9710/9810 list that may be declared simplified (statisticsFlag A)"},
	}
}

func (e ExportRules) problems() []string {
	var out []string
	bad := func(key, format string, args ...any) {
		out = append(out, "rules.export."+key+": "+fmt.Sprintf(format, args...))
	}
	if e.SummaryDay < 1 || e.SummaryDay > 28 {
		bad("summary_day", "%d is not a day from 1 to 28", e.SummaryDay)
	}
	if e.SummaryLead < 0 {
		bad("summary_lead", "must not be negative")
	}
	if e.SummaryInterval < Duration(time.Second) {
		bad("summary_interval", "must be at least 1s")
	}
	if e.ForexOverdueDays < 1 {
		bad("forex_overdue_days", "must be at least 1 day")
	}
	if e.ReturnMonths < 1 {
		bad("return_months", "must be at least 1 month")
	}
	from, err1 := time.Parse(time.DateOnly, e.ReturnPolicyFrom)
	until, err2 := time.Parse(time.DateOnly, e.ReturnPolicyUntil)
	if err1 != nil {
		bad("return_policy_from", "%q is not a date like 2026-01-01", e.ReturnPolicyFrom)
	}
	if err2 != nil {
		bad("return_policy_until", "%q is not a date like 2027-12-31", e.ReturnPolicyUntil)
	}
	if err1 == nil && err2 == nil && until.Before(from) {
		bad("return_policy_until", "%s is before return_policy_from %s", e.ReturnPolicyUntil, e.ReturnPolicyFrom)
	}
	for key, list := range map[string][]string{"food_hs": e.FoodHS, "prohibited_hs": e.ProhibitedHS} {
		for _, p := range list {
			if p == "" || len(p) > 10 || strings.Trim(p, "0123456789") != "" {
				bad(key, "%q is not an HS prefix of 1 to 10 digits", p)
			}
		}
	}
	if v := e.SimplifiedLimit; v == "" || strings.Trim(v, "0123456789.") != "" || strings.Count(v, ".") > 1 {
		bad("simplified_limit", "%q is not an amount like 5000.00", v)
	}
	return out
}
