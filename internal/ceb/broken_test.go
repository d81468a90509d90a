package ceb

import (
	"os"
	"strings"
	"testing"
)

// TestBrokenMessage checks that every fault planted in a hand-broken
// CEB621 is named precisely: code, severity, path and value.
func TestBrokenMessage(t *testing.T) {
	b, err := os.ReadFile("testdata/broken-CEB621.xml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := []struct {
		sev        Severity
		code, path string
		value      string
	}{
		{Error, CodeLength, "@guid", "4CDE1CFD-EDED-46B1-946C-B8022E42FC9"},
		{Warning, CodeVersion, "@version", "v1.0"},
		{Error, CodeEnum, "Inventory[1]/InventoryHead/appType", "5"},
		{Error, CodeDateTime, "Inventory[1]/InventoryHead/appTime", "20161315153555"},
		{Error, CodeLength, "Inventory[1]/InventoryHead/ebpCode", "1101110325123456789"},
		{Error, CodeLength, "Inventory[1]/InventoryHead/declTime", "2016030"},
		{Error, CodeDigits, "Inventory[1]/InventoryHead/freight", "1.123456"},
		{Error, CodeFixed, "Inventory[1]/InventoryHead/currency", "502"},
		{Warning, CodeEnum, "Inventory[1]/InventoryHead/packNo", "2"},
		{Error, CodeContent, "Inventory[1]/InventoryHead", "stray text"},
		{Error, CodeRequired, "Inventory[1]/InventoryHead/orderNo", ""},
		{Error, CodeDigits, "Inventory[1]/InventoryList[1]/gnum", "1.5"},
		{Error, CodeDigits, "Inventory[1]/InventoryList[1]/qty", "abc"},
		{Error, CodeUnknown, "Inventory[1]/InventoryList[2]/gmodel", "zh"},
		{Error, CodeOrder, "Inventory[1]/InventoryList[2]/qty", "qty"},
		{Error, CodeUnknown, "Inventory[1]/InventoryList[3]/color", "color"},
		{Error, CodeNamespace, "Inventory[1]/InventoryList[3]/totalPrice", ""},
		{Error, CodeEnum, "BaseTransfer/dxpMode", "FTP"},
		{Error, CodeRequired, "Signature", ""},
	}
	got := map[string]Problem{}
	for _, p := range d.Problems {
		got[p.Code+" "+p.Path] = p
	}
	for _, w := range want {
		p, ok := got[w.code+" "+w.path]
		if !ok {
			t.Errorf("missing %s at %s", w.code, w.path)
			continue
		}
		if p.Severity != w.sev || p.Value != w.value {
			t.Errorf("%s at %s: severity %v value %q, want %v %q", w.code, w.path, p.Severity, p.Value, w.sev, w.value)
		}
		if p.Rule == "" || p.Message == "" || p.Line == 0 {
			t.Errorf("%s at %s: rule, message and line must be set: %+v", w.code, w.path, p)
		}
	}
	if len(d.Problems) != len(want) {
		var all []string
		for _, p := range d.Problems {
			all = append(all, p.String())
		}
		t.Errorf("got %d problems, want %d:\n%s", len(d.Problems), len(want), strings.Join(all, "\n"))
	}
}

// TestCountLimits: 101 documents and 100 lines are each reported once.
func TestCountLimits(t *testing.T) {
	m := fillMessage("CEB621Message").(*CEB621Message)
	for len(m.Inventory) < 101 {
		m.Inventory = append(m.Inventory, m.Inventory[0])
	}
	for len(m.Inventory[1].InventoryList) < 100 {
		m.Inventory[1].InventoryList = append(m.Inventory[1].InventoryList, m.Inventory[1].InventoryList[0])
	}
	out, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	keys := problemKeys(d.Problems)
	for _, k := range []string{"error CEB-COUNT Inventory[101]", "error CEB-COUNT Inventory[2]/InventoryList[100]"} {
		if !keys[k] {
			t.Errorf("missing %q in %v", k, d.Problems)
		}
	}
	if len(d.Message.(*CEB621Message).Inventory) != 101 {
		t.Errorf("documents beyond the limit must still be read")
	}
	if _, err := Encode(m); err == nil {
		t.Errorf("Encode must refuse 101 documents")
	}
}
