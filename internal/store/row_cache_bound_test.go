package store

import "testing"

// The cache holds at most its limit of entries, dropping the oldest first;
// a taken entry, a slot of a write let go and a write's slot never filled
// (a failed commit) hold none of it, and a key written again is filled
// anew.
func TestRowCacheBound(t *testing.T) {
	c := newRowCache(2)
	key := func(n string) rowKey { return rowKey{"order", "EBP0000001", n} }
	fill := func(n string) {
		c.settle(key(n), c.claim(key(n)), n)
	}
	fill("O1")
	fill("O2")
	c.claim(key("O9")) // never settled
	fill("O3")
	if got := c.take(key("O1")); got != nil {
		t.Errorf("oldest entry beyond the limit: %v, want it dropped", got)
	}
	fill("O2") // written again: now the newest
	fill("O4")
	if got := c.take(key("O3")); got != nil {
		t.Errorf("O3 beyond the limit: %v, want it dropped", got)
	}
	if got := c.take(key("O2"), key("O4")); len(got) != 2 || got[0] != "O2" || got[1] != "O4" {
		t.Errorf("the two newest: %v", got)
	}
	if c.filled.Len() != 0 || len(c.slots) != 1 {
		t.Errorf("after taking all: %d filled, %d slots, want 0 and the unsettled one", c.filled.Len(), len(c.slots))
	}
	gen := c.claim(key("O5"))
	c.settle(key("O5"), gen, nil)
	if len(c.slots) != 1 {
		t.Errorf("a slot let go is kept: %d slots", len(c.slots))
	}
}
