package risk

import (
	"testing"
	"time"
)

func TestRuleScopeAndValidity(t *testing.T) {
	_, sub := testSubject()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, cst)
	from, to := now.Add(-time.Hour), now.Add(time.Hour)
	for _, c := range []struct {
		name string
		r    Rule
		want bool
	}{
		{"everywhere", Rule{}, true},
		{"its trade mode", Rule{TradeModes: []string{"9610"}}, true},
		{"bonded only", Rule{TradeModes: []string{"1210"}}, false},
		{"its district", Rule{Districts: []string{"8010", "5100"}}, true},
		{"another district", Rule{Districts: []string{"5100"}}, false},
		{"in force", Rule{ValidFrom: &from, ValidTo: &to}, true},
		{"not yet", Rule{ValidFrom: &to}, false},
		{"ended", Rule{ValidTo: &from}, false},
	} {
		if got := c.r.applies(sub.doc, now); got != c.want {
			t.Errorf("%s: want %v, got %v", c.name, c.want, got)
		}
	}
}

func TestMeasureMatches(t *testing.T) {
	s, sub := testSubject()
	now := time.Now()
	end := now.Add(-time.Minute)
	for _, c := range []struct {
		m    Measure
		want bool
	}{
		{Measure{Kind: "product", Value: "MILK-1", EbcCode: "1105910159"}, true},
		{Measure{Kind: "product", Value: "MILK-1", EbcCode: "9999999999"}, false},
		{Measure{Kind: "gtin", Value: "04008976022329"}, true}, // GTIN-13 of the filing, written as GTIN-14
		{Measure{Kind: "hs_prefix", Value: "3304"}, true},
		{Measure{Kind: "hs_prefix", Value: "3305"}, false},
		{Measure{Kind: "brand", Value: "la mer"}, true},
		{Measure{Kind: "origin", Value: "304"}, true},
		{Measure{Kind: "origin", Value: "116"}, false},
		{Measure{Kind: "enterprise", Value: "330766K00Q"}, true},
		{Measure{Kind: "enterprise", Value: "4403169D3W"}, false},
	} {
		if _, got := c.m.matches(sub.doc, s.Ref); got != c.want {
			t.Errorf("%+v: want %v, got %v", c.m, c.want, got)
		}
	}
	m := Measure{State: "active", StartsAt: now.Add(-time.Hour), EndsAt: &end}
	if m.inForce(now) {
		t.Error("a measure past its end is in force")
	}
	m.EndsAt = nil
	if !m.inForce(now) || (&Measure{State: "lifted", StartsAt: m.StartsAt}).inForce(now) {
		t.Error("in force")
	}
}
