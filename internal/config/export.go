package config

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
