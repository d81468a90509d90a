package console

import (
	"strings"
	"testing"
	"time"
)

func TestPasswordHashing(t *testing.T) {
	h, err := HashPassword("correct-horse-battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=2,p=2$") {
		t.Fatalf("PHC string %q", h)
	}
	if !CheckPassword("correct-horse-battery", h) {
		t.Error("the right password is refused")
	}
	for _, bad := range []string{"correct-horse-batterY", "", "correct-horse-battery "} {
		if CheckPassword(bad, h) {
			t.Errorf("%q accepted", bad)
		}
	}
	h2, _ := HashPassword("correct-horse-battery")
	if h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, broken := range []string{"", "$argon2i$v=19$m=65536,t=2,p=2$c2FsdA$a2V5", "$argon2id$v=19$m=99999999,t=2,p=2$c2FsdA$a2V5", "$argon2id$v=19$m=65536,t=2,p=2$!!$a2V5"} {
		if CheckPassword("x", broken) {
			t.Errorf("%q accepted", broken)
		}
	}
}

// Failed sign-ins hold back only the username from the address that failed,
// with a wait that doubles with each further failure up to the window.
func TestLoginBackoff(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	s := &Service{Now: func() time.Time { return now }, MaxFailures: 3, FailureWindow: 10 * time.Minute, BackoffBase: 30 * time.Second}
	key := "li.wei\x00192.0.2.7"
	for i := range 3 {
		if w := s.locked(key, now); w != 0 {
			t.Fatalf("held after %d failures", i)
		}
		s.fail(key, now)
	}
	for _, want := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute} {
		if w := s.locked(key, now); w != want {
			t.Fatalf("wait %s, want %s", w, want)
		}
		for _, other := range []string{"li.wei\x00192.0.2.8", "wang.fang\x00192.0.2.7"} {
			if w := s.locked(other, now); w != 0 {
				t.Errorf("%q is held by another's failures: %s", other, w)
			}
		}
		now = now.Add(want) // waited it out, and failed again
		if w := s.locked(key, now); w != 0 {
			t.Fatalf("still held after %s", want)
		}
		s.fail(key, now)
	}
	if w := s.LockWait("li.wei", "192.0.2.7"); w != 10*time.Minute {
		t.Errorf("LockWait %s, want the cap of 10m", w)
	}
}

func TestDecide(t *testing.T) {
	rel := &Finding{Result: "release", By: "a"}
	ret := &Finding{Result: "return", Note: "x", By: "b"}
	det := &Finding{Result: "detain", Status: "502", Note: "y", By: "c"}
	for _, c := range []struct {
		name   string
		p      Parcel
		status string
		final  bool
	}{
		{"nobody marked", Parcel{}, "", false},
		{"customs marked, no finding", Parcel{CustomsMark: "m"}, "", false},
		{"customs released", Parcel{CustomsMark: "m", Customs: rel}, "800", true},
		{"both marked, one recorded", Parcel{CustomsMark: "m", InspectionMark: "m", Customs: rel}, "", false},
		{"return wins over release", Parcel{CustomsMark: "m", InspectionMark: "m", Customs: rel, Inspection: ret}, "100", true},
		{"detention wins", Parcel{CustomsMark: "m", InspectionMark: "m", Customs: ret, Inspection: det}, "502", true},
		{"a finding of a side that did not mark does not count", Parcel{InspectionMark: "m", Customs: det, Inspection: rel}, "800", true},
	} {
		o, final := decide(&c.p, "dec_1")
		if final != c.final || o.Status != c.status {
			t.Errorf("%s: %s %v, want %s %v", c.name, o.Status, final, c.status, c.final)
		}
	}
}

func TestFlattenMasksProtectedFields(t *testing.T) {
	m := flatten([]byte(`{"copNo":"C1","buyerName":{"h":"abc","m":"王*明"},"buyerId":{"h":"def"},"lines":[1,2],"freight":"10"}`))
	if m["copNo"] != "C1" || m["buyerName"] != "王*明" || m["buyerId"] != "***" || m["lines[2]"] != "2" || m["freight"] != "10" {
		t.Errorf("%v", m)
	}
}
