package ident

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestParseResidentID(t *testing.T) {
	tests := []struct {
		name    string
		id      string
		wantErr error
	}{
		{"valid digit check", "110101199003074514", nil},
		{"valid X check (GB 11643 example)", "11010519491231002X", nil},
		{"lower-case x refused", "11010519491231002x", ErrCharacter},
		{"wrong check digit", "110101199003074515", ErrCheckDigit},
		{"X where a digit is due", "11010119900307451X", ErrCheckDigit},
		{"too short", "11010119900307451", ErrLength},
		{"too long", "1101011990030745141", ErrLength},
		{"empty", "", ErrLength},
		{"letter in body", "1101011990030745A4", ErrCharacter},
		{"multibyte character", "11010119900307451\u00e9"[:18], ErrCharacter},
		{"born before 1900", "440524188001010014", ErrBirthDate},
		{"born in the future", withCheck("11010120270101001"), ErrBirthDate},
		{"30 February", withCheck("11010119900230001"), ErrBirthDate},
		{"month 13", withCheck("11010119901301001"), ErrBirthDate},
		{"born today is fine", withCheck("11010120261127001"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseResidentID(tt.id, testNow)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("ParseResidentID(%q) error = %v, want %v", tt.id, err, tt.wantErr)
			}
		})
	}
}

func withCheck(body string) string {
	c, err := ResidentIDCheckChar(body)
	if err != nil {
		panic(err)
	}
	return body + string(c)
}

func TestBirthDateUsesCallersCalendarDay(t *testing.T) {
	beijing := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 11, 27, 0, 30, 0, 0, beijing) // still 26 November in UTC
	if err := ValidateResidentID(withCheck("11010120261127001"), now); err != nil {
		t.Errorf("born today in Beijing: %v", err)
	}
	if err := ValidateResidentID(withCheck("11010120261128001"), now); !errors.Is(err, ErrBirthDate) {
		t.Errorf("born tomorrow: %v", err)
	}
}

func TestParseResidentIDParts(t *testing.T) {
	got, err := ParseResidentID("11010519491231002X", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if got.Region != "110105" || got.Sequence != "002" || got.Male() ||
		!got.BirthDate.Equal(time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("parts = %+v", got)
	}
	if m, _ := ParseResidentID("110101199003074514", testNow); !m.Male() {
		t.Errorf("sequence 451 should be male")
	}
}

func TestErrorNamesTheProblem(t *testing.T) {
	err := ValidateResidentID("110101199003074515", testNow)
	want := `resident ID: check character mismatch: position 18 is '5', computed '4'`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestValidateUSCC(t *testing.T) {
	tests := []struct {
		name    string
		code    string
		wantErr error
	}{
		{"contract example", "91500000MA5U00000W", nil},
		{"published example", "91350100M000100Y43", nil},
		{"wrong check", "91350100M000100Y44", ErrCheckDigit},
		{"lower case", "91350100m000100Y43", ErrCharacter},
		{"letter I not in alphabet", "91350100I000100Y43", ErrCharacter},
		{"letter O as check", "91350100M000100Y4O", ErrCharacter},
		{"short", "91350100M000100Y4", ErrLength},
		{"empty", "", ErrLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateUSCC(tt.code)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("ValidateUSCC(%q) error = %v, want %v", tt.code, err, tt.wantErr)
			}
		})
	}
}

func TestGeneratorsProduceValidCodes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		id := RandomResidentID(r)
		if err := ValidateResidentID(id, testNow); err != nil {
			t.Fatalf("RandomResidentID gave %q: %v", id, err)
		}
		code := RandomUSCC(r)
		if err := ValidateUSCC(code); err != nil {
			t.Fatalf("RandomUSCC gave %q: %v", code, err)
		}
		seen[id] = true
	}
	if len(seen) < 1990 {
		t.Errorf("only %d distinct IDs in 2000 draws", len(seen))
	}
	a := RandomResidentID(rand.New(rand.NewPCG(7, 7)))
	b := RandomResidentID(rand.New(rand.NewPCG(7, 7)))
	if a != b {
		t.Errorf("same seed gave %q and %q", a, b)
	}
}

// A single-character change must always be caught: the mod-11 and mod-31
// schemes detect every single substitution.
func TestCheckCatchesSingleSubstitutions(t *testing.T) {
	id := "110101199003074514"
	for i := 0; i < 17; i++ {
		for d := byte('0'); d <= '9'; d++ {
			if d == id[i] {
				continue
			}
			mutated := id[:i] + string(d) + id[i+1:]
			if c, _ := ResidentIDCheckChar(mutated[:17]); c == mutated[17] {
				t.Errorf("substitution at %d not detected: %s", i+1, mutated)
			}
		}
	}
	code := "91350100M000100Y43"
	for i := 0; i < 17; i++ {
		for j := 0; j < len(usccAlphabet); j++ {
			if usccAlphabet[j] == code[i] {
				continue
			}
			mutated := code[:i] + string(usccAlphabet[j]) + code[i+1:]
			if ValidateUSCC(mutated) == nil {
				t.Errorf("substitution at %d not detected: %s", i+1, mutated)
			}
		}
	}
}

func TestMasking(t *testing.T) {
	tests := []struct {
		fn   func(string) string
		in   string
		want string
	}{
		{MaskIDNumber, "110101199003074514", "110101********4514"},
		{MaskIDNumber, "11010519491231002X", "110105********002X"},
		{MaskIDNumber, "110101900307451", "11***********51"},
		{MaskIDNumber, "1234", "****"},
		{MaskIDNumber, "", ""},
		{MaskPhone, "13812345678", "138****5678"},
		{MaskPhone, "+8613812345678", "+86*******5678"},
		{MaskPhone, "6543210", "*****10"},
		{MaskPhone, "12", "**"},
		{MaskName, "张三", "张*"},
		{MaskName, "欧阳娜娜", "欧***"},
		{MaskName, "李", "*"},
		{MaskName, " 王小明 ", "王**"},
		{MaskName, "Ann Lee", "A******"},
		{MaskName, "", ""},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHashIDNumber(t *testing.T) {
	secret := []byte("test-secret")
	h := HashIDNumber(secret, "11010519491231002X")
	if len(h) != 64 {
		t.Fatalf("hash length %d, want 64 hex chars", len(h))
	}
	if HashIDNumber(secret, " 11010519491231002x") != h {
		t.Error("hash should not depend on case or surrounding space")
	}
	if HashIDNumber([]byte("other"), "11010519491231002X") == h {
		t.Error("hash should depend on the secret")
	}
	if HashIDNumber(secret, "110101199003074514") == h {
		t.Error("different numbers should hash differently")
	}
}

func FuzzParseResidentID(f *testing.F) {
	f.Add("110101199003074514")
	f.Add("11010519491231002X")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseResidentID(s, testNow)
		if err == nil && (p.Number != s || len(s) != 18) {
			t.Fatalf("accepted %q as %+v", s, p)
		}
		_ = MaskIDNumber(s)
		_ = MaskName(s)
		_ = MaskPhone(s)
		_ = ValidateUSCC(s)
	})
}
