package export

import (
	"testing"
	"time"
)

func TestDeadline(t *testing.T) {
	p := Params{SummaryDay: 10}
	for month, want := range map[string]time.Time{
		"2026-11": time.Date(2026, 12, 11, 0, 0, 0, 0, cst), // by the end of the 10th of the next month
		"2027-01": time.Date(2027, 2, 11, 0, 0, 0, 0, cst),
		"2026-12": time.Date(2027, 1, 1, 0, 0, 0, 0, cst),   // December: its last working day, Thu 31st
		"2028-12": time.Date(2028, 12, 30, 0, 0, 0, 0, cst), // Sun 31st, Sat 30th: Fri 29th
	} {
		if got := p.Deadline(month); !got.Equal(want) {
			t.Errorf("Deadline(%s) = %s, want %s", month, got, want)
		}
	}
	if !p.Deadline("2026-13").IsZero() {
		t.Error("a bad month has a deadline")
	}
}

// Merging groups by rules §11 and adds quantities and values exactly.
func TestMergeAddsUpExactly(t *testing.T) {
	g1 := groupKey{month: "2026-11", ebc: "E1", traf: "4", owner: "E1", country: "502", port: "8012", customs: "8010"}
	g2 := g1
	g2.country = "303"
	lines := []listLine{
		{invID: "a", invtNo: "A", gnum: 1, gcode: "6109100010", unit: "011", currency: "142", qty: "0.1", totalFen: 1, group: g1},
		{invID: "b", invtNo: "B", gnum: 1, gcode: "6109100010", unit: "011", currency: "142", qty: "0.2", totalFen: 2, group: g1},
		{invID: "b", invtNo: "B", gnum: 2, gcode: "6109100010", unit: "035", currency: "142", qty: "1.5", totalFen: 150, group: g1},
		{invID: "c", invtNo: "C", gnum: 1, gcode: "6109100010", unit: "011", currency: "142", qty: "7", totalFen: 700, group: g2},
	}
	keys, merged, byGroup, err := merge(lines)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || len(merged[g1]) != 2 || len(merged[g2]) != 1 || len(byGroup[g1]) != 3 {
		t.Fatalf("groups: %v %v", keys, merged)
	}
	first := merged[g1][0]
	if first.Unit != "011" || first.Qty != "0.3" || first.Value != "0.03" || len(first.From) != 2 || first.Gseqno != 1 {
		t.Errorf("line 1: %+v", first)
	}
	var sum int64
	for _, g := range keys {
		for _, l := range merged[g] {
			sum += l.totalFen
		}
	}
	if sum != 853 {
		t.Errorf("Σ lines %d, Σ lists 853", sum)
	}
}
