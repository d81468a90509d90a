package catalog

import (
	"testing"
)

func TestStarterParsesCleanly(t *testing.T) {
	s, err := LoadStarter()
	if err != nil {
		if ps, ok := AsProblems(err); ok {
			for _, p := range ps {
				t.Error(p)
			}
		}
		t.Fatal(err)
	}
	if len(s.Tariff) < 60 {
		t.Errorf("starter tariff has %d rows, want at least 60", len(s.Tariff))
	}
	t.Logf("starter: %d tariff rows, %d positive-list entries, %d negative-list entries",
		len(s.Tariff), len(s.PositiveList), len(s.NegativeList))
}

func TestStarterContent(t *testing.T) {
	s, err := LoadStarter()
	if err != nil {
		t.Fatal(err)
	}
	tariff := NewTariffTable(s.Tariff)
	pos := NewPositiveList(s.PositiveList)
	neg := NewNegativeList(s.NegativeList)

	// Every tariff row but books is on the positive list.
	for _, r := range s.Tariff {
		_, ok := pos.Match(r.HSCode)
		if want := r.HSCode != "4901990000"; ok != want {
			t.Errorf("%s %s: on positive list = %v, want %v", r.HSCode, r.Name, ok, want)
		}
		if len(neg.Match(Goods{HSCode: r.HSCode})) != 0 {
			t.Errorf("%s is both in the tariff starter and on the negative list", r.HSCode)
		}
	}
	// Every positive-list code has a tariff row to tax it with.
	for _, e := range s.PositiveList {
		found := false
		for _, r := range s.Tariff {
			if r.HSCode[:len(e.HSCode)] == e.HSCode {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("positive-list %s has no tariff row", e.HSCode)
		}
	}
	// Each remark kind appears.
	kinds := map[RemarkKind]int{}
	for _, e := range s.PositiveList {
		kinds[e.RemarkKind]++
	}
	for _, k := range []RemarkKind{RemarkNone, RemarkExclusion, RemarkBondedOnly, RemarkNamedGoods, RemarkYearlyCap} {
		if kinds[k] == 0 {
			t.Errorf("no positive-list entry with remark kind %q", k)
		}
	}
	if e, _ := pos.Match("1701999000"); e.YearlyCap == nil || e.YearlyCap.String() != "2 kg" {
		t.Errorf("sugar cap = %+v", e.YearlyCap)
	}
	if e, _ := pos.Match("1006302000"); e.YearlyCap == nil || e.YearlyCap.String() != "20 kg" {
		t.Errorf("rice cap = %+v", e.YearlyCap)
	}
	// Key rows the tax rules depend on.
	cosm, _ := tariff.Lookup("3304990099")
	if cosm.CTRate.String() != "0.15" || cosm.CTThreshold.String() != "10" || cosm.CTUnit != Gram || cosm.CTThresholdPiece.String() != "15" {
		t.Errorf("cosmetics row = %+v", cosm)
	}
	beer, _ := tariff.Lookup("2203000000")
	if beer.CTSpecific.String() != "250" || beer.CTSpecificBelow.String() != "220" || beer.SpecificUnit() != Tonne || beer.LitresPerTonne.String() != "988" {
		t.Errorf("beer row = %+v", beer)
	}
	if _, ok := tariff.Lookup("1901101000"); !ok {
		t.Error("infant formula missing")
	}
	if got := neg.Match(Goods{HSCode: "9302000000"}); len(got) == 0 || got[0].Kind != Prohibited {
		t.Errorf("arms not prohibited: %+v", got)
	}
}
