package httpapi

import (
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/enterprise"
)

// Every field of a document kind is an element of its CEB message (the JSON
// decoding refuses unknown names), and its Chinese label is unique in its
// sheet, so that a column names one field.
func TestDocKindFieldsAreElements(t *testing.T) {
	me := &enterprise.Enterprise{Code: "3301960001", Name: "小卖家"}
	for _, k := range docKinds {
		labels := map[string]bool{}
		for _, f := range k.Fields {
			if labels[f.Zh] {
				t.Errorf("%s: label %s twice", k.Name, f.Zh)
			}
			labels[f.Zh] = true
		}
		if _, err := k.message(func(string) string { return "1" }, me, time.Now()); err != nil {
			t.Errorf("%s: %v", k.Name, err)
		}
	}
}

// A problem's element path finds the field of the form that holds it.
func TestFieldOfPath(t *testing.T) {
	order, _ := kindNamed("order")
	inv, _ := kindNamed("inventory")
	for _, c := range []struct {
		k          *docKind
		path, want string
	}{
		{order, "Order[1]/OrderHead/goodsValue", "H/goodsValue"},
		{order, "Order[1]/OrderList[1]/qty", "L/qty"},
		{order, "Order[1]/OrderHead/guid", ""}, // not on the form
		{order, "Inventory[1]/InventoryHead/copNo", ""},
		{inv, "Inventory[1]/InventoryList[1]/unit1", "L/unit1"},
		{inv, "@guid", ""},
	} {
		if got := c.k.fieldOf(c.path); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.k.Name, c.path, got, c.want)
		}
	}
}

// A header is a field's Chinese label, or its element name where only one
// field has that name (currency is the head's and the goods line's).
func TestHeaderColumns(t *testing.T) {
	order, _ := kindNamed("order")
	cols, letters, err := headerColumns(order, []string{"订单编号", "goodsValue", "", "商品币制"})
	if err != nil || cols[0] != 0 || order.Fields[cols[1]].Name() != "goodsValue" || cols[2] != -1 || order.Fields[cols[3]].Path != "L/currency" {
		t.Fatalf("columns %v %v", cols, err)
	}
	if letters[cols[3]] != "D" {
		t.Errorf("letters %v", letters)
	}
	if _, _, err := headerColumns(order, []string{"currency"}); err == nil {
		t.Error("an element name two fields share was taken for one of them")
	}
}
