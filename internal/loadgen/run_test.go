package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/ident"
	"github.com/cbec-platform/cbec/internal/xmlsig"
)

// fakeServer speaks just enough of the contract to drive the runner: it
// registers enterprises, accepts uploads, answers CEB messages with a
// receipt and puts a 2 then a final receipt for each inventory in the
// sending agent's feed (100 Code:1300 for a bad ID number, 800 otherwise).
type fakeServer struct {
	mu       sync.Mutex
	keys     map[string]string // API key → enterprise code
	feeds    map[string][]map[string]any
	seq      int64
	uploads  map[string]int
	messages map[string]int
	noCEB    bool
	// lateEvery makes every n-th final receipt visible only some time after
	// later ones, as out-of-order commits do on a database with several writers.
	lateEvery int
	finals    int
	// refuseEvery refuses every n-th inventory message with a CEB900.
	refuseEvery int
	inventories int
	onMessage   func() // called for each valid CEB message, under mu
}

func newFakeServer() *fakeServer {
	return &fakeServer{keys: map[string]string{}, feeds: map[string][]map[string]any{}, uploads: map[string]int{}, messages: map[string]int{}}
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.URL.Path == "/healthz":
		w.WriteHeader(200)
	case r.URL.Path == "/metrics":
		fmt.Fprintf(w, "# HELP x\nprocess_cpu_seconds_total %d.5\nprocess_resident_memory_bytes 1.2345e+07\n", f.seq)
	case r.URL.Path == "/api/v1/enterprises" && r.Method == "POST":
		var in struct {
			Code         string
			Certificates []string
		}
		if json.Unmarshal(body, &in) != nil || len(in.Certificates) != 1 {
			w.WriteHeader(400)
			return
		}
		k := "key-" + in.Code
		f.keys[k] = in.Code
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"code":%q,"apiKey":%q}`, in.Code, k)
	case strings.HasPrefix(r.URL.Path, "/api/v1/books"):
		f.uploads["/api/v1/books"]++
		w.WriteHeader(201)
		fmt.Fprint(w, `{}`)
	case r.URL.Path == "/api/v1/guarantees":
		w.WriteHeader(404) // not there yet: must be skipped with a warning
	case r.URL.Path == "/api/v1/tariff" || r.URL.Path == "/api/v1/positive-list" || r.URL.Path == "/api/v1/products":
		f.uploads[r.URL.Path]++
		fmt.Fprint(w, `{"imported":1}`)
	case strings.HasPrefix(r.URL.Path, "/api/v1/inventories/") && f.keys[key] != "":
		fmt.Fprint(w, `{"copNo":"x","taxTotal":"1.50"}`)
	case r.URL.Path == "/api/v1/ceb":
		f.ceb(w, key, body)
	case r.URL.Path == "/api/v1/receipts" && f.keys[key] == "":
		w.WriteHeader(401)
	case r.URL.Path == "/api/v1/receipts":
		code := f.keys[key]
		var after int64
		fmt.Sscan(r.URL.Query().Get("after"), &after)
		var out []map[string]any
		next := after
		for _, rc := range f.feeds[code] {
			if v, ok := rc["visibleAt"].(time.Time); ok && time.Now().Before(v) {
				continue
			}
			if s := rc["seq"].(int64); s > after {
				out = append(out, rc)
				next = s
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"receipts": out, "next": next})
	default:
		w.WriteHeader(404)
	}
}

func (f *fakeServer) ceb(w http.ResponseWriter, key string, body []byte) {
	if f.noCEB {
		w.WriteHeader(404)
		return
	}
	code, ok := f.keys[key]
	if !ok {
		w.WriteHeader(401)
		return
	}
	d, err := ceb.Decode(body)
	if err != nil || !d.Valid() {
		w.WriteHeader(400)
		fmt.Fprint(w, `<CEB900Message><returnStatus>-1</returnStatus></CEB900Message>`)
		return
	}
	f.messages[d.Type]++
	if f.onMessage != nil {
		f.onMessage()
	}
	if inv, ok := d.Message.(*ceb.CEB621Message); ok {
		if f.inventories++; f.refuseEvery > 0 && f.inventories%f.refuseEvery == 0 {
			w.WriteHeader(400)
			fmt.Fprintf(w, `<CEB900Message><returnStatus>-1</returnStatus><returnInfo>[Code:1004;Desc:signature verification failed: inventory %d]</returnInfo></CEB900Message>`, f.inventories)
			return
		}
		if _, err := xmlsig.Verify(body); err != nil {
			w.WriteHeader(400)
			fmt.Fprint(w, `<CEB900Message><returnStatus>-621029</returnStatus></CEB900Message>`)
			return
		}
		for _, i := range inv.Inventory {
			h := i.InventoryHead
			f.push(code, h.CopNo, "2", "清单新增申报成功")
			if ident.ValidateResidentID(h.BuyerIdNumber, time.Now()) != nil {
				f.push(code, h.CopNo, "100", "[Code:1300;Desc:订购人身份证号码有误]")
			} else {
				f.push(code, h.CopNo, "800", "[Code:2600;Desc:放行;tax:12.34]")
			}
		}
	}
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprint(w, `<CEB312Message><OrderReturn><returnStatus>2</returnStatus><returnInfo>ok</returnInfo></OrderReturn></CEB312Message>`)
}

func (f *fakeServer) push(agent, copNo, status, info string) {
	f.seq++
	rc := map[string]any{"seq": f.seq, "messageType": "CEB622Message", "copNo": copNo,
		"returnStatus": status, "returnInfo": info}
	if IsFinal(status) {
		f.finals++
		if f.lateEvery > 0 && f.finals%f.lateEvery == 0 {
			rc["visibleAt"] = time.Now().Add(time.Second)
		}
	}
	f.feeds[agent] = append(f.feeds[agent], rc)
}

func TestRunAgainstFakeServer(t *testing.T) {
	fake := newFakeServer()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	var warnings []string
	var progress []Progress
	var pmu sync.Mutex
	rep, err := Run(context.Background(), Config{
		Server: srv.URL, AdminToken: "admin-token-0123456789", Seed: 11, Concurrency: 3,
		Declarations: 150, Duration: 20 * time.Second, Drain: 5 * time.Second, FetchTax: true,
		Mix:  Mix{Bonded: 0.3, Batch: 0.2, Bad: 0.2, Resend: 0.1, Modify: 0.1, BatchLen: 10},
		Warn: func(s string) { warnings = append(warnings, s) },
		Progress: func(p Progress) {
			pmu.Lock()
			progress = append(progress, p)
			pmu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := rep.Declarations
	if d.Sent != 150 || d.Final != 150 || d.Outstanding != 0 {
		t.Fatalf("declarations %+v, want 150 sent and final", d)
	}
	if rep.FinalStatuses["800"]+rep.FinalStatuses["100"] != 150 || rep.RejectionReasons["100 Code:1300"] == 0 {
		t.Errorf("statuses %v, reasons %v", rep.FinalStatuses, rep.RejectionReasons)
	}
	if n := rep.BadDocuments[string(BadIDCheck)]["100 Code:1300"]; n == 0 || n != rep.RejectionReasons["100 Code:1300"] {
		t.Errorf("bad ID numbers must be the rejected ones: %v", rep.BadDocuments)
	}
	if rep.Errors["receipt 100 Code:1300"] == 0 {
		t.Errorf("receipt reasons belong in errors: %v", rep.Errors)
	}
	if rep.DeclarationsPerSecond <= 0 || rep.InventoryToFinalReceipt.Count != 150 || rep.HTTPRoundTrip[TypeInventory].Count == 0 {
		t.Errorf("figures missing: %v/s, %+v", rep.DeclarationsPerSecond, rep.InventoryToFinalReceipt)
	}
	if rep.ServerMaxRssBytes != 12345000 {
		t.Errorf("max RSS %d, want 12345000 from /metrics", rep.ServerMaxRssBytes)
	}
	if rep.Tax.Released == 0 || rep.Tax.ReceiptsWithTax != rep.Tax.Released || rep.Tax.InventoriesFromAPI != rep.Tax.Released {
		t.Errorf("tax %+v", rep.Tax)
	}
	if fake.messages[TypeOrder] <= fake.messages[TypePayment] {
		t.Errorf("resubmissions and changes should add order messages: %v", fake.messages)
	}
	if fake.uploads["/api/v1/tariff"] != 1 || fake.uploads["/api/v1/products"] != DefaultParties.Shops {
		t.Errorf("uploads %v", fake.uploads)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "guarantee") {
		t.Errorf("want one warning about the missing guarantee endpoint, got %q", warnings)
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil || !strings.Contains(buf.String(), "Complete declarations per second") {
		t.Errorf("text report: %v\n%s", err, buf.String())
	}
}

func TestRunStopsAtDuration(t *testing.T) {
	srv := httptest.NewServer(newFakeServer())
	defer srv.Close()
	start := time.Now()
	rep, err := Run(context.Background(), Config{Server: srv.URL, AdminToken: "x", Seed: 1, Concurrency: 2,
		Rate: 50, Duration: 1500 * time.Millisecond, Drain: 2 * time.Second, Pregen: 200})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("run took %v", took)
	}
	// 50/s for 1.5 s: about 75 declarations, never far more.
	if s := rep.Declarations.Sent; s < 40 || s > 80 {
		t.Errorf("sent %d at 50/s for 1.5 s", s)
	}
}

func TestRunWithoutCEBIntake(t *testing.T) {
	fake := newFakeServer()
	fake.noCEB = true
	srv := httptest.NewServer(fake)
	defer srv.Close()
	_, err := Run(context.Background(), Config{Server: srv.URL, AdminToken: "x", Declarations: 1})
	if err != ErrNoCEBIntake {
		t.Fatalf("got %v, want ErrNoCEBIntake", err)
	}
}

func TestConfigRefusesEndlessRunsAndJSON(t *testing.T) {
	if _, err := Run(context.Background(), Config{Server: "http://127.0.0.1:1"}); err == nil {
		t.Error("a run with neither duration nor count must be refused")
	}
	srv := httptest.NewServer(newFakeServer()) // no /api/v1/documents: JSON must be refused clearly
	defer srv.Close()
	if _, err := Run(context.Background(), Config{Server: srv.URL, AdminToken: "x", Duration: time.Second, Format: "json"}); err != ErrNoJSONAPI {
		t.Errorf("json: %v", err)
	}
	if _, err := NewClient("ftp://127.0.0.1", "", 1); err == nil {
		t.Error("ftp URL accepted")
	}
}

// A batch spends its declarations' share of time at once; the sending phase
// must still last the duration so that rates are not taken over a burst.
func TestRateWithBatchesKeepsDuration(t *testing.T) {
	srv := httptest.NewServer(newFakeServer())
	defer srv.Close()
	rep, err := Run(context.Background(), Config{Server: srv.URL, AdminToken: "x", Seed: 2, Concurrency: 2,
		Rate: 20, Duration: 1500 * time.Millisecond, Drain: 2 * time.Second, Mix: Mix{Batch: 1, BatchLen: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.SendSeconds < 1.4 || rep.Declarations.Sent > 31 {
		t.Errorf("sent %d in %.2f s at 20/s for 1.5 s", rep.Declarations.Sent, rep.SendSeconds)
	}
	if rep.SentPerSecond > 25 {
		t.Errorf("offered %.1f/s, want about 20", rep.SentPerSecond)
	}
}

// Receipts that become visible after later ones are skipped by after=SEQ
// paging; the drain's re-read must find them and the report must say so.
func TestFeedGapsAreFoundAndReported(t *testing.T) {
	fake := newFakeServer()
	fake.lateEvery = 7
	srv := httptest.NewServer(fake)
	defer srv.Close()
	rep, err := Run(context.Background(), Config{Server: srv.URL, AdminToken: "x", Seed: 4, Concurrency: 2,
		Declarations: 60, Drain: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Declarations.Outstanding != 0 || rep.Declarations.Final != 60 {
		t.Fatalf("declarations %+v: the re-read should have found every final receipt", rep.Declarations)
	}
	if rep.ReceiptsMissedByFeed == 0 || rep.ReceiptsMissedByFeed > 60/7 {
		t.Errorf("missed %d, want between 1 and %d", rep.ReceiptsMissedByFeed, 60/7)
	}
	if rep.InventoryToFinalReceipt.Count != 60-rep.ReceiptsMissedByFeed {
		t.Errorf("late receipts must not count in latencies: %d samples", rep.InventoryToFinalReceipt.Count)
	}
}

// A refused message is counted by kind, and the report keeps the first
// refusal's text of each kind, so a refusal seen once in a long run can be
// told from the report.
func TestRefusalsKeepTheirFirstExample(t *testing.T) {
	fake := newFakeServer()
	fake.refuseEvery = 5
	srv := httptest.NewServer(fake)
	defer srv.Close()
	rep, err := Run(context.Background(), Config{Server: srv.URL, AdminToken: "x", Seed: 5, Concurrency: 1,
		Declarations: 20, Drain: 5 * time.Second, Mix: Mix{BatchLen: 1}})
	if err != nil {
		t.Fatal(err)
	}
	const kind = "CEB621Message: HTTP 400 CEB900 -1"
	if rep.Errors[kind] != 4 || rep.Declarations.Refused != 4 {
		t.Fatalf("errors %v, declarations %+v: want 4 refused", rep.Errors, rep.Declarations)
	}
	if ex := rep.ErrorExamples[kind]; ex != "[Code:1004;Desc:signature verification failed: inventory 5]" {
		t.Errorf("first example %q", ex)
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil || !strings.Contains(buf.String(), "first: [Code:1004") {
		t.Errorf("text report lacks the example: %v\n%s", err, buf.String())
	}
}

// Two servers in front of one state, as two nodes on one database: the
// senders are spread over both, each node's share and metrics are reported,
// and the single-server figures become the totals.
func TestRunOverSeveralServers(t *testing.T) {
	fake := newFakeServer()
	one, two := httptest.NewServer(fake), httptest.NewServer(fake)
	defer one.Close()
	defer two.Close()
	rep, err := Run(context.Background(), Config{
		Server: one.URL, Peers: []string{two.URL}, AdminToken: "x", Seed: 3, Concurrency: 4,
		Declarations: 80, Drain: 5 * time.Second, Mix: Mix{Bonded: 0.3, BatchLen: 10},
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := rep.Declarations; d.Sent != 80 || d.Final != 80 {
		t.Fatalf("declarations %+v", d)
	}
	if len(rep.Nodes) != 2 || rep.Nodes[0].Server != one.URL || rep.Nodes[1].Server != two.URL {
		t.Fatalf("nodes %+v", rep.Nodes)
	}
	var messages int64
	for _, n := range rep.Nodes {
		if n.Messages == 0 || n.Requests <= n.Messages || n.MaxRssBytes != 12345000 {
			t.Errorf("node %+v: want a share of the messages, feed polls and sampled metrics", n)
		}
		messages += n.Messages
	}
	if want := int64(4 * 80); messages != want {
		t.Errorf("%d messages over the nodes, want %d (four per declaration)", messages, want)
	}
	if rep.ServerMaxRssBytes != 12345000 || rep.ServerCPUSeconds != rep.Nodes[0].CPUSeconds+rep.Nodes[1].CPUSeconds {
		t.Errorf("totals: CPU %v, RSS %d", rep.ServerCPUSeconds, rep.ServerMaxRssBytes)
	}
	// Set up once, through the first node.
	if fake.uploads["/api/v1/products"] != DefaultParties.Shops || fake.uploads["/api/v1/tariff"] != 1 {
		t.Errorf("uploads %v", fake.uploads)
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil || !strings.Contains(buf.String(), two.URL) {
		t.Errorf("text report lacks the nodes: %v\n%s", err, buf.String())
	}
	t.Log(buf.String())
}

// Servers that do not share one database are refused before any traffic,
// and so are a server given twice and fewer senders than servers.
func TestRunOverSeveralServersRefusesMistakes(t *testing.T) {
	one, other := httptest.NewServer(newFakeServer()), httptest.NewServer(newFakeServer())
	defer one.Close()
	defer other.Close()
	_, err := Run(context.Background(), Config{Server: one.URL, Peers: []string{other.URL}, AdminToken: "x", Concurrency: 2, Declarations: 5})
	if err == nil || !strings.Contains(err.Error(), "one database") {
		t.Errorf("separate databases: %v", err)
	}
	_, err = Run(context.Background(), Config{Server: one.URL, Peers: []string{one.URL + "/"}, AdminToken: "x", Concurrency: 2, Declarations: 5})
	if err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("same server twice: %v", err)
	}
	_, err = Run(context.Background(), Config{Server: one.URL, Peers: []string{other.URL}, AdminToken: "x", Concurrency: 1, Declarations: 5})
	if err == nil || !strings.Contains(err.Error(), "concurrency 1") {
		t.Errorf("one sender for two servers: %v", err)
	}
}

// Two targets taking turns (a run in slices, as `cbec bench --ceiling`
// drives the ceiling and the server): the messages arrive a…a b…b a…a …,
// switching only between slices; a batch a sender took when its slice's
// clock ran out goes in that target's next slice, so every declaration is
// sent once; and each report is its own slices' alone: counts over all of
// them, times summed over them (the turns say so, CheckTurns), the rate
// their quotient.
func TestAlternateTakesTurns(t *testing.T) {
	var mu sync.Mutex
	var arrivals []string
	var fakes []*fakeServer
	var cfgs []Config
	for _, name := range []string{"a", "b"} {
		fake := newFakeServer()
		fake.onMessage = func() {
			mu.Lock()
			arrivals = append(arrivals, name)
			mu.Unlock()
		}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		fakes = append(fakes, fake)
		cfgs = append(cfgs, Config{Name: name, Server: srv.URL, AdminToken: "x", Seed: 9, Concurrency: 4, Rate: 50,
			Declarations: 60, Duration: 2 * time.Second, Drain: 5 * time.Second, Mix: Mix{BatchLen: 1}})
	}
	const slice = 400 * time.Millisecond
	reps, turns, err := Alternate(context.Background(), slice, cfgs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, tu := range turns {
		t.Logf("%s %d: %s → %s → %s, sent %d, final %d", tu.Side, tu.Slice, tu.StartedAt.Format(time.RFC3339Nano),
			tu.SendingEndedAt.Format(time.RFC3339Nano), tu.EndedAt.Format(time.RFC3339Nano), tu.Sent, tu.Final)
	}
	if err := CheckTurns(turns, reps); err != nil {
		t.Error(err)
	}
	slices := 0
	for i, rep := range reps {
		d := rep.Declarations
		t.Logf("%d: %d slices, sent %d, final %d, %.2f s sending, %.2f s, %.1f/s", i, rep.Slices, d.Sent, d.Final,
			rep.SendSeconds, rep.RunSeconds, rep.DeclarationsPerSecond)
		// 50/s in slices of 0.4 s: 20 a slice, so three slices or more for 60.
		if d.Sent != 60 || d.Final != 60 || fakes[i].messages[TypeInventory] != 60 {
			t.Errorf("%d: declarations %+v, %d inventories arrived: want all 60 sent once and final", i, d, fakes[i].messages[TypeInventory])
		}
		if rep.Slices < 3 || rep.SliceSeconds != slice.Seconds() {
			t.Errorf("%d: %d slices of %v s", i, rep.Slices, rep.SliceSeconds)
		}
		// At a fixed rate each slice sends for its 0.4 s at least. That the
		// other target's slices in between are not this one's time is what
		// the turns tell (CheckTurns above), not a bound on time: on a busy
		// machine a slice's last requests keep it sending past its 0.4 s.
		if rep.SendSeconds < float64(rep.Slices)*slice.Seconds() || rep.RunSeconds < rep.SendSeconds {
			t.Errorf("%d: %.3f s sending, %.3f s in all, over %d slices of 0.4 s", i, rep.SendSeconds, rep.RunSeconds, rep.Slices)
		}
		if want := float64(d.Final) / rep.RunSeconds; rep.DeclarationsPerSecond != want {
			t.Errorf("%d: %v/s, want %v complete over %v s = %v", i, rep.DeclarationsPerSecond, d.Final, rep.RunSeconds, want)
		}
		if c := rep.InventoryToFinalReceipt.Count; c != 60 {
			t.Errorf("%d: %d latency samples to the final receipt, want one per declaration of every slice", i, c)
		}
		slices += rep.Slices
	}
	switches := 0
	for i := 1; i < len(arrivals); i++ {
		if arrivals[i] != arrivals[i-1] {
			switches++
		}
	}
	if arrivals[0] != "a" || switches != slices-1 {
		t.Errorf("messages switched target %d times over %d slices in all (first to %s): want a turn per slice", switches, slices, arrivals[0])
	}
}

// A server's CPU is summed over the sampler's windows (a run's slices): what
// it used between them, in another target's slices, is not counted.
func TestSamplerSumsItsWindows(t *testing.T) {
	var mu sync.Mutex
	cpu := 0.0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "process_cpu_seconds_total %v\nprocess_resident_memory_bytes 1000\n", cpu)
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, "x", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var s sampler
	for _, window := range [][]float64{{10, 12}, {100, 101.5}} {
		for _, v := range window {
			mu.Lock()
			cpu = v
			mu.Unlock()
			s.sampleOnce(context.Background(), c)
		}
		s.closeWindow()
	}
	if r := s.result(); !r.ok || r.cpu != 3.5 || r.samples != 4 || r.rssMax != 1000 {
		t.Errorf("got %+v, want 3.5 CPU seconds from 4 samples", r)
	}
}
