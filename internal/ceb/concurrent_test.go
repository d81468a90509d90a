package ceb

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestConcurrentDecode decodes different messages from many goroutines:
// pooled decoders must not leak state between calls (run with -race).
func TestConcurrentDecode(t *testing.T) {
	one, _ := bench621(t)
	inputs := [][]byte{one, []byte(tiny312), []byte(`<x/>`)}
	want := make([]*Decoded, len(inputs))
	for i, in := range inputs {
		want[i], _ = Decode(in)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				k := (g + i) % len(inputs)
				got, _ := Decode(inputs[k])
				if diff := cmp.Diff(want[k], got); diff != "" {
					t.Errorf("input %d: %s", k, diff)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}
