package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/console"
)

// BenchmarkScanToScreens measures, through the real server, the time from a
// sorting line's scan POST to the parcel's event on both screens (customs and
// inspection, each an SSE stream), with 4 lines each sending 5 parcels a
// second for 3 s. It reports p50 and p99 in milliseconds. Run it with
//
//	go test ./internal/httpapi -run '^$' -bench ScanToScreens -benchtime 1x
func BenchmarkScanToScreens(b *testing.B) {
	const lines, perSecond, seconds = 4, 5, 3
	s := apptest.Start(b, apptest.SQLite)
	ctx := context.Background()
	addOfficer(b, s, "admin.zhao", console.Admin)
	addOfficer(b, s, "li.wei", console.Customs)
	addOfficer(b, s, "wang.fang", console.Inspection)
	svc := s.App.Officers
	list, _ := svc.Officers(ctx)
	var admin *console.Officer
	for _, o := range list {
		if o.Username == "admin.zhao" {
			admin = o
		}
	}
	customs, insp := loginOfficer(b, s, "li.wei"), loginOfficer(b, s, "wang.fang")
	type lane struct {
		id, token string
		screens   [2]*apptest.Screen
	}
	var lanes []lane
	for i := range lines {
		l, err := svc.CreateLine(ctx, admin, fmt.Sprintf("%d号线", i+1), "保税仓A")
		if err != nil {
			b.Fatal(err)
		}
		tok, err := svc.AddScanner(ctx, admin, l.ID, "X光机")
		if err != nil {
			b.Fatal(err)
		}
		lanes = append(lanes, lane{id: l.ID, token: tok, screens: [2]*apptest.Screen{apptest.OpenScreen(b, s.URL, customs.cookie, l.ID), apptest.OpenScreen(b, s.URL, insp.cookie, l.ID)}})
	}
	client := &http.Client{Timeout: 10 * time.Second}
	b.ResetTimer()
	var all []time.Duration
	for range b.N {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for li, ln := range lanes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tick := time.NewTicker(time.Second / perSecond)
				defer tick.Stop()
				for n := range perSecond * seconds {
					<-tick.C
					start := time.Now()
					body := fmt.Sprintf(`{"logisticsNo":"BENCH-%d-%d-%d","imageRef":"/img/%d.png"}`, li, n, start.UnixNano(), n)
					req, _ := http.NewRequest("POST", s.URL+"/api/v1/sorting-lines/"+ln.id+"/scans", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+ln.token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil || resp.StatusCode != 201 {
						b.Errorf("scan: %v %v", err, resp)
						return
					}
					resp.Body.Close()
					for _, sc := range ln.screens {
						sc.Next(b, "scan")
					}
					mu.Lock()
					all = append(all, time.Since(start))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	slices.Sort(all)
	q := func(p float64) float64 {
		i := min(len(all)-1, max(0, int(p*float64(len(all))+0.999999)-1))
		return float64(all[i].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(len(all)), "parcels")
}
