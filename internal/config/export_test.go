package config

import (
	"strings"
	"testing"
	"time"
)

func TestExportRulesValidation(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c.Rules.Export = ExportRules{SummaryDay: 0, SummaryLead: Duration(-time.Hour), SummaryInterval: 0, ForexOverdueDays: 0, ReturnMonths: 0,
		ReturnPolicyFrom: "2027-12-31", ReturnPolicyUntil: "2026-01-01", FoodHS: []string{"0x"}, ProhibitedHS: []string{""}, SimplifiedLimit: "lots"}
	err := c.Validate()
	if err == nil {
		t.Fatal("bad export rules validated")
	}
	for _, key := range []string{"summary_day", "summary_lead", "summary_interval", "forex_overdue_days", "return_months", "return_policy_until",
		"food_hs", "prohibited_hs", "simplified_limit"} {
		if !strings.Contains(err.Error(), "rules.export."+key) {
			t.Errorf("%s not named in:\n%v", key, err)
		}
	}
}
