package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cbec-platform/cbec/client"
)

// serverSample is what the sampler learned from the server's /metrics.
type serverSample struct {
	ok                 bool    // at least one sample had both values
	cpu                float64 // process_cpu_seconds_total used within the windows
	seconds            float64 // the windows' length, first sample to last
	rssMax             int64   // process_resident_memory_bytes
	samples            int
	unavailableReasons string
}

// sampler reads process CPU and RSS from /metrics once per interval. Each
// call of run is a window (a run in slices has one per slice): the CPU and
// time are summed over the windows, so what the server did between them
// (another target's slices) is not counted.
type sampler struct {
	mu sync.Mutex
	s  serverSample // the closed windows
	// The open window's first and last sample.
	open              bool
	cpuFirst, cpuLast float64
	firstAt, lastAt   time.Time
}

// parseProcessMetrics picks the two process gauges out of the Prometheus
// text format.
func parseProcessMetrics(body []byte) (cpu float64, rss int64, ok bool) {
	var haveCPU, haveRSS bool
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "process_cpu_seconds_total "):
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, "process_cpu_seconds_total ")), 64)
			if err == nil {
				cpu, haveCPU = v, true
			}
		case strings.HasPrefix(line, "process_resident_memory_bytes "):
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, "process_resident_memory_bytes ")), 64)
			if err == nil {
				rss, haveRSS = int64(v), true
			}
		}
	}
	return cpu, rss, haveCPU && haveRSS
}

// sampleOnce reads /metrics once.
func (s *sampler) sampleOnce(ctx context.Context, c *Client) {
	body, err := c.admin.Do(ctx, http.MethodGet, "/metrics", "", nil)
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if st := client.StatusOf(err); st != 0 {
			s.s.unavailableReasons = "GET /metrics answered HTTP " + strconv.Itoa(st)
		} else if ctx.Err() == nil {
			s.s.unavailableReasons = "GET /metrics failed"
		}
		return
	}
	cpu, rss, ok := parseProcessMetrics(body)
	if !ok {
		s.s.unavailableReasons = "no process_cpu_seconds_total / process_resident_memory_bytes in /metrics"
		return
	}
	if !s.open {
		s.open, s.cpuFirst, s.firstAt = true, cpu, now
	}
	s.cpuLast, s.lastAt = cpu, now
	s.s.ok = true
	s.s.rssMax = max(s.s.rssMax, rss)
	s.s.samples++
}

// run samples every interval until ctx ends, as one window.
func (s *sampler) run(ctx context.Context, c *Client, interval time.Duration) {
	defer s.closeWindow()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		s.sampleOnce(ctx, c)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// closeWindow adds the open window to the sums; the next sample opens another.
func (s *sampler) closeWindow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.s.cpu, s.s.seconds = s.windowSums()
	s.open = false
}

// windowSums are the closed windows' sums with the open window's figures added.
func (s *sampler) windowSums() (cpu, seconds float64) {
	if !s.open {
		return s.s.cpu, s.s.seconds
	}
	return s.s.cpu + (s.cpuLast - s.cpuFirst), s.s.seconds + s.lastAt.Sub(s.firstAt).Seconds()
}

func (s *sampler) result() serverSample {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.s
	r.cpu, r.seconds = s.windowSums()
	return r
}
