package bonded

import (
	"testing"

	"pgregory.net/rapid"
)

func TestParseQty(t *testing.T) {
	for in, want := range map[string]int64{"1": 1000, "0.5": 500, "12.345": 12345, " 2 ": 2000, "1.500": 1500} {
		if got, err := ParseQty("qty", in); err != nil || got != want {
			t.Errorf("ParseQty(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "0", "-1", "1.2345", "1e3x"} {
		if _, err := ParseQty("qty", in); err == nil {
			t.Errorf("ParseQty(%q) accepted", in)
		}
	}
	if got, err := parseMilli("qty", "-2.5"); err != nil || got != -2500 {
		t.Errorf("parseMilli(-2.5) = %d, %v", got, err)
	}
	if Qty(-2500) != "-2.500" || Qty(0) != "0.000" {
		t.Errorf("Qty: %s %s", Qty(-2500), Qty(0))
	}
}

// Returning a line in any number of parts gives back exactly its whole amount.
func TestShareTelescopes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		total := rapid.Int64Range(0, 1e9).Draw(t, "total")
		all := rapid.Int64Range(1, 1e6).Draw(t, "all")
		var done, sum int64
		for done < all {
			q := rapid.Int64Range(1, all-done).Draw(t, "part")
			part := share(total, done, q, all)
			if part < 0 {
				t.Fatalf("negative share %d", part)
			}
			sum += part
			done += q
		}
		if sum != total {
			t.Fatalf("parts add to %d, not %d", sum, total)
		}
	})
}
