package catalog

import "testing"

func TestPositiveListMatch(t *testing.T) {
	l := NewPositiveList([]PositiveListEntry{
		{HSCode: "33049900", Name: "line", RemarkKind: RemarkExclusion, Remark: "endangered excluded"},
		{HSCode: "3304990099", Name: "exact"},
		{HSCode: "17019990", Name: "sugar", RemarkKind: RemarkYearlyCap},
	})
	tests := []struct {
		hs   string
		want string
		ok   bool
	}{
		{"3304990099", "exact", true}, // 10-digit entry wins over its 8-digit line
		{"3304990010", "line", true},  // other codes of the line fall back to it
		{"1701999000", "sugar", true},
		{"1701991000", "", false},
		{"33049900", "", false}, // lookups take 10 digits
		{"330499009X", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		e, ok := l.Match(tt.hs)
		if ok != tt.ok || e.Name != tt.want {
			t.Errorf("Match(%q) = %q, %v; want %q, %v", tt.hs, e.Name, ok, tt.want, tt.ok)
		}
	}
	merged := l.Merge([]PositiveListEntry{{HSCode: "17019990", Name: "sugar v2"}})
	if e, _ := merged.Match("1701999000"); e.Name != "sugar v2" {
		t.Errorf("merge did not replace: %q", e.Name)
	}
	if e, _ := l.Match("1701999000"); e.Name != "sugar" {
		t.Errorf("merge changed the original: %q", e.Name)
	}
	if merged.Len() != 3 {
		t.Errorf("merged len %d", merged.Len())
	}
}

func TestNegativeListMatch(t *testing.T) {
	l := NewNegativeList([]NegativeListEntry{
		{HSPrefix: "0207", Kind: Suspended, Reason: "measure"},
		{HSPrefix: "02", Kind: Prohibited, Reason: "meat"},
		{GTIN: "6901234567892", Kind: Suspended, Reason: "recall"},
		{Name: "Ivory", Kind: Prohibited, Reason: "endangered"},
	})
	got := l.Match(Goods{HSCode: "0207140000", Name: "鸡翅"})
	if len(got) != 2 || got[0].Reason != "meat" || got[1].Reason != "measure" {
		t.Errorf("HS match = %+v (prohibited first)", got)
	}
	if got := l.Match(Goods{HSCode: "3304990099", GTIN: "6901234567892"}); len(got) != 1 || got[0].Reason != "recall" {
		t.Errorf("GTIN match = %+v", got)
	}
	if got := l.Match(Goods{HSCode: "9601900000", Name: "carved IVORY figure"}); len(got) != 1 || got[0].Reason != "endangered" {
		t.Errorf("name match = %+v", got)
	}
	if got := l.Match(Goods{HSCode: "1901101000", Name: "formula"}); len(got) != 0 {
		t.Errorf("no match expected, got %+v", got)
	}
	if got := l.Match(Goods{}); len(got) != 0 {
		t.Errorf("empty goods matched %+v", got)
	}
}

func TestTariffTable(t *testing.T) {
	tt := NewTariffTable([]TariffRow{{HSCode: "1901101000", Name: "a"}, {HSCode: "0409000000", Name: "b"}})
	if r, ok := tt.Lookup("1901101000"); !ok || r.Name != "a" {
		t.Errorf("lookup = %+v, %v", r, ok)
	}
	if _, ok := tt.Lookup("19011010"); ok {
		t.Error("8-digit lookup should miss")
	}
	rows := tt.Rows()
	if len(rows) != 2 || rows[0].HSCode != "0409000000" {
		t.Errorf("rows not sorted: %+v", rows)
	}
	next := tt.Merge([]TariffRow{{HSCode: "1901101000", Name: "a2"}, {HSCode: "2203000000", Name: "c"}})
	if r, _ := next.Lookup("1901101000"); r.Name != "a2" || next.Len() != 3 || tt.Len() != 2 {
		t.Errorf("merge: %+v len %d / %d", r, next.Len(), tt.Len())
	}
}
