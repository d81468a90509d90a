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
	cpuFirst, cpuLast  float64 // process_cpu_seconds_total
	rssMax             int64   // process_resident_memory_bytes
	samples            int
	firstAt, lastAt    time.Time
	unavailableReasons string
}

// sampler reads process CPU and RSS from /metrics once per interval.
type sampler struct {
	mu sync.Mutex
	s  serverSample
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
	if !s.s.ok {
		s.s.ok, s.s.cpuFirst, s.s.firstAt = true, cpu, now
	}
	s.s.cpuLast, s.s.lastAt = cpu, now
	s.s.rssMax = max(s.s.rssMax, rss)
	s.s.samples++
}

// run samples every interval until ctx ends.
func (s *sampler) run(ctx context.Context, c *Client, interval time.Duration) {
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

func (s *sampler) result() serverSample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.s
}
