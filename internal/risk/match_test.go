package risk

import (
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
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
		{measure("product", "MILK-1", "1105910159"), true},
		{measure("product", "MILK-1", "9999999999"), false},
		{measure("gtin", "04008976022329", ""), true}, // GTIN-13 of the filing, written as GTIN-14
		{measure("hs_prefix", "3304", ""), true},
		{measure("hs_prefix", "3305", ""), false},
		{measure("brand", "la mer", ""), true},
		{measure("origin", "304", ""), true},
		{measure("origin", "116", ""), false},
		{measure("enterprise", "330766K00Q", ""), true},
		{measure("enterprise", "4403169D3W", ""), false},
	} {
		if _, got := c.m.matches(sub.doc, s.Ref); got != c.want {
			t.Errorf("%+v: want %v, got %v", c.m, c.want, got)
		}
	}
	m := Measure{EmergencyMeasure: store.EmergencyMeasure{State: "active", StartsAt: now.Add(-time.Hour), EndsAt: &end}}
	if m.inForce(now) {
		t.Error("a measure past its end is in force")
	}
	m.EndsAt = nil
	if !m.inForce(now) || (&Measure{EmergencyMeasure: store.EmergencyMeasure{State: "lifted", StartsAt: m.StartsAt}}).inForce(now) {
		t.Error("in force")
	}
}

// measure is a measure of kind on value (of enterprise ebc with kind product).
func measure(kind, value, ebc string) Measure {
	return Measure{EmergencyMeasure: store.EmergencyMeasure{Kind: kind, Value: value, EbcCode: ebc}}
}
