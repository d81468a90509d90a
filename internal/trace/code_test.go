package trace

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/money"
)

func TestCodesAreUniqueAndWellFormed(t *testing.T) {
	const n = 200000
	codes, err := NewCodes(nil, n)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool, n)
	for _, c := range codes {
		if len(c) != CodeLen || Check(c) != WellFormed {
			t.Fatalf("bad code %q", c)
		}
		if strings.ContainsAny(c, "01ILO") {
			t.Fatalf("ambiguous symbol in %q", c)
		}
		if seen[c] {
			t.Fatalf("duplicate %q", c)
		}
		seen[c] = true
	}
	// Every symbol is used at every position, about equally (uniform sampling).
	for pos := range randomLen {
		counts := map[byte]int{}
		for _, c := range codes[:31000] {
			counts[c[pos]]++
		}
		for i := 0; i < len(Alphabet); i++ {
			if k := counts[Alphabet[i]]; k < 800 || k > 1200 {
				t.Fatalf("position %d symbol %c drawn %d times of 31000", pos, Alphabet[i], k)
			}
		}
	}
}

// The check symbol catches every single wrong symbol and every swap of two
// different neighbours, so a typo never looks like another genuine code.
func TestCheckCatchesTypos(t *testing.T) {
	codes, err := NewCodes(nil, 300)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		for i := 0; i < CodeLen; i++ {
			for j := 0; j < len(Alphabet); j++ {
				if Alphabet[j] == c[i] {
					continue
				}
				b := []byte(c)
				b[i] = Alphabet[j]
				if Check(string(b)) == WellFormed {
					t.Fatalf("%s → %s passes the check", c, b)
				}
			}
			if i+1 < randomLen && c[i] != c[i+1] {
				b := []byte(c)
				b[i], b[i+1] = b[i+1], b[i]
				if Check(string(b)) != Mistyped {
					t.Fatalf("swap at %d of %s passes the check", i, c)
				}
			}
		}
	}
}

func TestNormalizeAndCheck(t *testing.T) {
	codes, _ := NewCodes(bytes.NewReader(bytes.Repeat([]byte{7, 250, 30, 100}, 100)), 1)
	c := codes[0]
	for _, typed := range []string{c, strings.ToLower(c), Group(c), " " + strings.ToLower(Group(c)) + " "} {
		if got := Normalize(typed); got != c || Check(got) != WellFormed {
			t.Errorf("%q → %q", typed, got)
		}
	}
	for in, want := range map[string]Verdict{"": Malformed, "ABC": Malformed, c + "2": Malformed, strings.Replace(c, c[:1], "0", 1): Malformed} {
		if got := Check(Normalize(in)); got != want {
			t.Errorf("Check(%q) = %v, want %v", in, got, want)
		}
	}
	if len(Normalize(strings.Repeat("A", 10000))) > 70 {
		t.Error("Normalize does not bound its output")
	}
}

func TestGTIN14AndLookupPath(t *testing.T) {
	for in, want := range map[string]string{"4006381333931": "04006381333931", "96385074": "00000096385074", "036000291452": "00036000291452",
		"4006381333932": "", "40063813339": "", "无": "", "": ""} {
		if got := GTIN14(in); got != want {
			t.Errorf("GTIN14(%q) = %q, want %q", in, got, want)
		}
	}
	if p := LookupPath("X", "4006381333931"); p != "/01/04006381333931/21/X" {
		t.Errorf("digital link %s", p)
	}
	if p := LookupPath("X", ""); p != "/t/X" {
		t.Errorf("plain path %s", p)
	}
}

func TestPieces(t *testing.T) {
	for in, want := range map[string]int{"1": 1, "2": 2, "2.5": 3, "0.3": 1, "0": 1, "12": 12, "1000000": MaxPiecesPerLine} {
		d, err := money.ParseDecimal(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := Pieces(d); got != want {
			t.Errorf("Pieces(%s) = %d, want %d", in, got, want)
		}
	}
}

func TestQR(t *testing.T) {
	png, err := QRPNG("https://example.org/t/ABC", 128)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("png: %v", err)
	}
	svg, err := QRSVG("https://example.org/t/ABC", `<&>`)
	if err != nil || !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "<title>&lt;&amp;&gt;</title>") || !strings.HasSuffix(svg, "</svg>") {
		t.Fatalf("svg: %v %s", err, svg)
	}
}

func BenchmarkNewCodes100(b *testing.B) {
	for b.Loop() {
		if _, err := NewCodes(nil, 100); err != nil {
			b.Fatal(err)
		}
	}
}
