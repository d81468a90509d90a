package loadgen

import (
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Recorder keeps every latency sample, so percentiles are exact rather than
// bucketed. A run records one sample per message and two per inventory; at
// a few thousand per second for minutes that is a few MB.
type Recorder struct {
	mu sync.Mutex
	v  []time.Duration
}

// Add records one sample.
func (r *Recorder) Add(d time.Duration) {
	r.mu.Lock()
	r.v = append(r.v, d)
	r.mu.Unlock()
}

// Summary is the distribution of a recorder's samples, in milliseconds.
type Summary struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50Ms"`
	P90   float64 `json:"p90Ms"`
	P99   float64 `json:"p99Ms"`
	Max   float64 `json:"maxMs"`
	Mean  float64 `json:"meanMs"`
}

// Summary computes exact nearest-rank percentiles of the samples so far.
func (r *Recorder) Summary() Summary {
	r.mu.Lock()
	v := slices.Clone(r.v)
	r.mu.Unlock()
	return summarize(v)
}

func summarize(v []time.Duration) Summary {
	if len(v) == 0 {
		return Summary{}
	}
	slices.Sort(v)
	var sum time.Duration
	for _, d := range v {
		sum += d
	}
	return Summary{
		Count: len(v),
		P50:   ms(Percentile(v, 50)),
		P90:   ms(Percentile(v, 90)),
		P99:   ms(Percentile(v, 99)),
		Max:   ms(v[len(v)-1]),
		Mean:  ms(sum / time.Duration(len(v))),
	}
}

// Percentile is the nearest-rank p-th percentile of sorted samples: the
// smallest sample such that at least p % of the samples are ≤ it.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// rank = ceil(p/100 × n); the epsilon keeps float error in p×n (such as
	// 90 × 10 = 900.0000000001) from moving the rank up by one.
	n := len(sorted)
	rank := int(math.Ceil(p*float64(n)/100 - 1e-9))
	rank = max(1, min(n, rank))
	return sorted[rank-1]
}

// ms converts to milliseconds with microsecond resolution.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Counter counts occurrences by kind.
type Counter struct {
	mu       sync.Mutex
	m        map[string]int
	examples map[string]string // the first example of a kind, when one was given
}

// Add counts one occurrence of kind.
func (c *Counter) Add(kind string) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[kind]++
	c.mu.Unlock()
}

// AddExample counts one occurrence of kind and keeps example, cut to 300
// bytes, if it is the kind's first: a refusal seen once in a long run can
// then be told from the report.
func (c *Counter) AddExample(kind, example string) {
	c.Add(kind)
	if example == "" {
		return
	}
	if len(example) > 300 {
		example = strings.ToValidUTF8(example[:300], "") + "…"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.examples == nil {
		c.examples = map[string]string{}
	}
	if _, seen := c.examples[kind]; !seen {
		c.examples[kind] = example
	}
}

// Examples returns a copy of the first examples by kind.
func (c *Counter) Examples() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.examples)
}

// Total is the number of occurrences of every kind.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.m {
		n += v
	}
	return n
}

// Map returns a copy of the counts.
func (c *Counter) Map() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		return map[string]int{}
	}
	return maps.Clone(c.m)
}

// sortedKeys lists m's keys by descending count, then name.
func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}
