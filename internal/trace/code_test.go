package trace

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/money"
)

func TestCodesAreUniqueAndWellFormed(t *testing.T) {
	const n = 200000
	codes, err := NewCodes(nil, time.Now(), n)
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
	// Every symbol is used at every random position, about equally (uniform sampling).
	for pos := minuteLen; pos < bodyLen; pos++ {
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
	codes, err := NewCodes(nil, time.Now(), 300)
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
			if i+1 < bodyLen && c[i] != c[i+1] {
				b := []byte(c)
				b[i], b[i+1] = b[i+1], b[i]
				if Check(string(b)) != Mistyped {
					t.Fatalf("swap at %d of %s passes the check", i, c)
				}
			}
		}
	}
}

// Codes lead with their release minute, so a later minute's codes sort after
// an earlier one's, and the minute clock's ends hold.
func TestCodesSortByTheirMinute(t *testing.T) {
	at := time.Date(2026, 12, 6, 13, 45, 30, 0, time.FixedZone("CST", 8*3600))
	var prev string
	for i, step := range []time.Duration{0, time.Minute, time.Hour, 24 * time.Hour, 31 * 24 * time.Hour, 365 * 24 * time.Hour} {
		codes, err := NewCodes(nil, at.Add(step), 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range codes {
			if c[:minuteLen] != codes[0][:minuteLen] {
				t.Fatalf("codes of one minute differ in their minute: %s, %s", codes[0], c)
			}
			if i > 0 && c <= prev {
				t.Fatalf("code %s of minute +%v does not sort after %s", c, step, prev)
			}
		}
		prev = slices.Max(codes)
	}
	// The same instant in another zone is the same minute.
	a, _ := NewCodes(nil, at, 1)
	b, _ := NewCodes(nil, at.UTC().Add(29*time.Second), 1)
	if a[0][:minuteLen] != b[0][:minuteLen] {
		t.Errorf("minute of %v is %s, of the same minute in UTC %s", at, a[0][:minuteLen], b[0][:minuteLen])
	}
	for at, want := range map[time.Time]string{
		codeEpoch:                       "22222",
		codeEpoch.Add(-time.Hour):       "22222",
		codeEpoch.Add(time.Minute):      "22223",
		codeEpoch.Add(31 * time.Minute): "22232",
		codeEpoch.Add(1e6 * time.Hour):  "ZZZZZ",
	} {
		c, err := NewCodes(nil, at, 1)
		if err != nil || c[0][:minuteLen] != want || Check(c[0]) != WellFormed {
			t.Errorf("code at %v = %s (%v), want minute %s", at, c, err, want)
		}
	}
}

func TestNormalizeAndCheck(t *testing.T) {
	codes, _ := NewCodes(bytes.NewReader(bytes.Repeat([]byte{7, 250, 30, 100}, 100)), time.Now(), 1)
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
		if _, err := NewCodes(nil, time.Now(), 100); err != nil {
			b.Fatal(err)
		}
	}
}
