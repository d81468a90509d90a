package logistics

import "testing"

func TestWeights(t *testing.T) {
	for in, want := range map[string]int64{"1": 1000, "1250.5": 1250500, "0.001": 1, "12.340": 12340} {
		g, err := parseKg(in)
		if err != nil || g != want {
			t.Errorf("parseKg(%q) = %d, %v; want %d", in, g, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "1.2345", "1e3", "abc", ".5", "1,5"} {
		if _, err := parseKg(bad); err == nil {
			t.Errorf("parseKg(%q) accepted", bad)
		}
	}
	for g, want := range map[int64]string{1250500: "1250.5", 1000: "1", 1: "0.001", 0: "0"} {
		if got := formatKg(g); got != want {
			t.Errorf("formatKg(%d) = %q, want %q", g, got, want)
		}
	}
}
