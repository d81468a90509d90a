package httpapi

import (
	"testing"
	"time"
)

// The token bucket: a burst at once, then one token per 1/rate, never more than the burst.
func TestTokenBucket(t *testing.T) {
	var l limiter
	t0 := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		if w := l.take("a", 2, 3, t0); w != 0 {
			t.Fatalf("burst request %d waits %v", i, w)
		}
	}
	if w := l.take("a", 2, 3, t0); w != 500*time.Millisecond {
		t.Fatalf("over the burst: wait %v, want 500ms", w)
	}
	if w := l.take("b", 2, 3, t0); w != 0 {
		t.Fatalf("another key waits %v", w)
	}
	if w := l.take("a", 2, 3, t0.Add(500*time.Millisecond)); w != 0 {
		t.Fatalf("after refilling one token: wait %v", w)
	}
	// A long pause refills to the burst only.
	t1 := t0.Add(time.Hour)
	for i := 0; i < 3; i++ {
		if w := l.take("a", 2, 3, t1); w != 0 {
			t.Fatalf("after a pause, request %d waits %v", i, w)
		}
	}
	if w := l.take("a", 2, 3, t1); w == 0 {
		t.Fatal("the bucket held more than its burst")
	}
}
