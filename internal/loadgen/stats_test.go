package loadgen

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

func TestPercentilesAreExact(t *testing.T) {
	var r Recorder
	// 1..100 ms in shuffled order: the nearest-rank p-th percentile is p ms.
	perm := rand.New(rand.NewPCG(1, 2)).Perm(100)
	for _, i := range perm {
		r.Add(time.Duration(i+1) * time.Millisecond)
	}
	s := r.Summary()
	if s.Count != 100 || s.P50 != 50 || s.P90 != 90 || s.P99 != 99 || s.Max != 100 || s.Mean != 50.5 {
		t.Errorf("summary of 1..100 ms: %+v", s)
	}
	// Ten samples: p90 is the 9th, p99 and max the 10th, p50 the 5th.
	var ten Recorder
	for i := 10; i >= 1; i-- {
		ten.Add(time.Duration(i) * time.Second)
	}
	s = ten.Summary()
	if s.P50 != 5000 || s.P90 != 9000 || s.P99 != 10000 || s.Max != 10000 {
		t.Errorf("summary of 1..10 s: %+v", s)
	}
	if (&Recorder{}).Summary() != (Summary{}) {
		t.Error("empty recorder must give a zero summary")
	}
	one := []time.Duration{1500 * time.Microsecond}
	if Percentile(one, 0) != one[0] || Percentile(one, 100) != one[0] {
		t.Error("a single sample is every percentile")
	}
}

func TestReasonCodesAndFinality(t *testing.T) {
	cases := map[string]string{
		"[Code:1332;Desc:支付单支付金额与订单支付金额不一致]": "1332",
		"[Code: -621005;Desc:超过单次限值]":        "-621005",
		"清单新增申报成功":                           "",
	}
	for info, want := range cases {
		if got := ReasonCode(info); got != want {
			t.Errorf("ReasonCode(%q) = %q, want %q", info, got, want)
		}
	}
	for _, s := range []string{"100", "300", "500", "501", "599", "700", "800", "899", "-621004"} {
		if !IsFinal(s) {
			t.Errorf("%s should be final", s)
		}
	}
	for _, s := range []string{"1", "2", "3", "120", "399", "", "x"} {
		if IsFinal(s) {
			t.Errorf("%s should not be final", s)
		}
	}
	if m := taxRE.FindStringSubmatch("[Code:2600;Desc:放行;税款:230.59]"); m == nil || m[1] != "230.59" {
		t.Errorf("tax not found: %v", m)
	}
}

func TestReceiptScan(t *testing.T) {
	resp := []byte(`<CEB312Message xmlns="http://www.chinaport.gov.cn/ceb"><OrderReturn><returnStatus>2</returnStatus><returnInfo>ok</returnInfo></OrderReturn>` +
		`<OrderReturn><returnStatus>100</returnStatus><returnInfo>[Code:-301010;Desc:订单已存在]</returnInfo></OrderReturn></CEB312Message>`)
	r := &runner{}
	r.countReceiptProblems(TypeOrder, resp)
	if got := r.errs.Map(); len(got) != 1 || got["CEB311Message: receipt 100 Code:-301010"] != 1 {
		t.Errorf("problems %v", got)
	}
	if v := firstElement([]byte(`<a><ceb:returnStatus>120</ceb:returnStatus></a>`), "returnStatus"); v != "120" {
		t.Errorf("prefixed element: %q", v)
	}
}

func TestParseProcessMetrics(t *testing.T) {
	body := []byte("# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n" +
		"# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 12.34\n" +
		"process_resident_memory_bytes 5.6623104e+07\nprocess_resident_memory_bytes_other 1\n")
	cpu, rss, ok := parseProcessMetrics(body)
	if !ok || cpu != 12.34 || rss != 56623104 {
		t.Errorf("got %v %v %v", cpu, rss, ok)
	}
	if _, _, ok := parseProcessMetrics([]byte("go_goroutines 7\n")); ok {
		t.Error("metrics without process gauges must not count")
	}
}

func TestReportJSONHasRequiredFields(t *testing.T) {
	rep := &Report{DeclarationsPerSecond: 12.5, InventoryToFinalReceiptP99Ms: 80, Errors: map[string]int{"x": 1}, ServerMaxRssBytes: 1 << 20}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"declarationsPerSecond", "inventoryToFinalReceiptP99Ms", "errors", "serverMaxRssBytes",
		"httpRoundTrip", "inventoryToFirstReceipt", "inventoryToFinalReceipt", "serverCpuSeconds", "declarations"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report JSON lacks %q", k)
		}
	}
	if m["declarationsPerSecond"].(float64) != 12.5 || m["serverMaxRssBytes"].(float64) != 1<<20 {
		t.Errorf("values: %v", m)
	}
}

func TestStallWatchFiresAfterEachQuietPeriod(t *testing.T) {
	var w stallWatch
	const quiet = 20 * time.Millisecond
	if w.stalled(5, quiet) {
		t.Fatal("fired at once")
	}
	time.Sleep(2 * quiet)
	if !w.stalled(5, quiet) {
		t.Fatal("no fire after a quiet period")
	}
	if w.stalled(5, quiet) {
		t.Fatal("fired twice in one quiet period")
	}
	time.Sleep(2 * quiet)
	if !w.stalled(5, quiet) {
		t.Fatal("no fire after the next quiet period")
	}
	if w.stalled(6, quiet) {
		t.Fatal("fired although finals moved")
	}
}
