package ceb

import (
	"math/rand/v2"
	"testing"
)

// TestWordNeedsLook: the eight-byte filter never misses a byte charClass
// marks (false alarms are allowed).
func TestWordNeedsLook(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	special := []byte{0, 1, '\t', '\n', '\r', 0x1f, '&', ']', ' ', '!', '%', '\'', '\\', '^', 0x7f, 0x80, 0xff, 'A'}
	for n := 0; n < 200000; n++ {
		var b [8]byte
		for i := range b {
			if r.IntN(3) == 0 {
				b[i] = special[r.IntN(len(special))]
			} else {
				b[i] = byte(r.IntN(256))
			}
		}
		want := false
		for _, c := range b {
			if charClass[c] != 0 {
				want = true
			}
		}
		if want && !wordNeedsLook(load64(string(b[:]), 0)) {
			t.Fatalf("missed a marked byte in % x", b)
		}
	}
}
