package crashtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/console"
	"github.com/cbec-platform/cbec/internal/loadgen"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/webhook"
)

// Several nodes on one database act as one platform (issue 17): the periodic
// jobs run on one node, and move to another when it stops; a sorting line's
// events reach the screens whichever node they are connected to; a webhook
// batch is delivered by one node. Three nodes, a short leader interval, and
// webhooks allowed to reach this test's receiver on the loopback address.
func TestNodesOnePlatform(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "cbec.toml")
	if err := os.WriteFile(cfg, []byte("leader_interval = \"200ms\"\n\n[webhook]\nallow = [\"127.0.0.1\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	nodes, db, _ := deployment(t, 3, "CBEC_CONFIG="+cfg)
	t.Run("live screen on another node", func(t *testing.T) { nodesLiveScreens(t, nodes, db) })
	t.Run("webhooks delivered once", func(t *testing.T) { nodesWebhooksOnce(t, nodes, db) })
	t.Run("periodic jobs on one node", func(t *testing.T) { nodesOneLeader(t, nodes) })
}

// leaderJobs are the jobs internal/app runs on the leader only.
var leaderJobs = []string{"engine_sweep", "bonded_billing", "export_summaries", "logistics_alerts", "support_escalation"}

// runningJobs reads from a node's metrics which of the leader's jobs run there.
func runningJobs(ctx context.Context, s *server) (map[string]bool, error) {
	st, body, err := get(ctx, s.url()+"/metrics", "")
	if err != nil || st != 200 {
		return nil, fmt.Errorf("metrics: %d %v", st, err)
	}
	running := map[string]bool{}
	for _, l := range strings.Split(string(body), "\n") {
		for _, j := range leaderJobs {
			if l == `cbec_background_job_running{job="`+j+`"} 1` {
				running[j] = true
			}
		}
	}
	return running, nil
}

// leader waits until one of the live nodes runs every leader job, failing as
// soon as two nodes run one job at once, and returns its index.
func leader(t *testing.T, nodes []*server, live []bool) int {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		who := -1
		on := map[string]int{}
		for i, n := range nodes {
			if !live[i] {
				continue
			}
			running, err := runningJobs(ctx, n)
			if err != nil {
				t.Fatalf("node %d: %v", i+1, err)
			}
			for j := range running {
				if k, ok := on[j]; ok {
					t.Fatalf("job %s runs on nodes %d and %d at once", j, k+1, i+1)
				}
				on[j] = i
			}
			if len(running) == len(leaderJobs) {
				who = i
			}
		}
		if who >= 0 {
			return who
		}
		if time.Now().After(deadline) {
			t.Fatalf("no node runs all the periodic jobs within 20 s: %v", on)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The periodic jobs run on one node; stopped (SIGTERM), its jobs move to
// another; killed (its connection to the database dropped with it), they
// move to the last one. Meanwhile no two nodes ever run one job.
func nodesOneLeader(t *testing.T, nodes []*server) {
	live := []bool{true, true, true}
	first := leader(t, nodes, live)
	// Watch for a while: the others keep trying, and none takes over.
	for range 10 {
		if again := leader(t, nodes, live); again != first {
			t.Fatalf("the jobs moved from node %d to node %d without a reason", first+1, again+1)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := nodes[first].stop(); err != nil {
		t.Fatalf("stop node %d: %v", first+1, err)
	}
	live[first] = false
	start := time.Now()
	second := leader(t, nodes, live)
	t.Logf("node %d stopped: node %d runs the jobs after %v", first+1, second+1, time.Since(start).Round(time.Millisecond))
	nodes[second].kill()
	live[second] = false
	start = time.Now()
	third := leader(t, nodes, live)
	t.Logf("node %d killed: node %d runs the jobs after %v", second+1, third+1, time.Since(start).Round(time.Millisecond))
}

// quiet fails if the screen shows another event within d.
func quiet(t *testing.T, sc *apptest.Screen, d time.Duration) {
	t.Helper()
	select {
	case ev := <-sc.Events:
		t.Errorf("unexpected event %s of parcel %s", ev.Type, ev.Parcel.ID)
	case <-time.After(d):
	}
}

// login opens an officer's session on a node and returns its cookie.
func login(t *testing.T, base, username, password string) string {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(base+"/console/officer/login", url.Values{"username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "cbec_officer" {
			return c.Value
		}
	}
	t.Fatalf("login %s: %d, no session cookie", username, resp.StatusCode)
	return ""
}

// A parcel scanned through node 1 and marked by an officer on node 3 shows
// on a screen connected to node 2 (LISTEN/NOTIFY), and once on the screen
// of the node that took the scan.
func nodesLiveScreens(t *testing.T, nodes []*server, db *store.DB) {
	ctx := context.Background()
	const password = "correct horse battery staple 17"
	officers := &console.Service{DB: db, Now: time.Now}
	admin, err := officers.AddOfficer(ctx, console.OfficerInput{Username: "admin.nodes", Name: "管理员", Department: console.Admin, Password: password}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := officers.AddOfficer(ctx, console.OfficerInput{Username: "customs.nodes", Name: "关员", Department: console.Customs, Password: password}, admin); err != nil {
		t.Fatal(err)
	}
	line, err := officers.CreateLine(ctx, admin, "1号线", "保税仓A")
	if err != nil {
		t.Fatal(err)
	}
	scanner, err := officers.AddScanner(ctx, admin, line.ID, "X光机1")
	if err != nil {
		t.Fatal(err)
	}
	cookie := login(t, nodes[1].url(), "customs.nodes", password)
	far := apptest.OpenScreen(t, nodes[1].url(), cookie, line.ID)
	near := apptest.OpenScreen(t, nodes[0].url(), login(t, nodes[0].url(), "customs.nodes", password), line.ID)

	body, _ := json.Marshal(map[string]string{"logisticsNo": "SF1700000001", "imageRef": "/img/1.png"})
	st, resp, err := do(ctx, "POST", nodes[0].url()+"/api/v1/sorting-lines/"+line.ID+"/scans", scanner, "application/json", body)
	if err != nil || st != http.StatusCreated {
		t.Fatalf("scan on node 1: %d %s %v", st, resp, err)
	}
	var scanned struct{ ParcelID string }
	if err := json.Unmarshal(resp, &scanned); err != nil {
		t.Fatal(err)
	}
	ev := far.Next(t, "scan")
	if ev.Parcel == nil || ev.Parcel.ID != scanned.ParcelID || ev.Parcel.LogisticsNo != "SF1700000001" || ev.Parcel.LineID != line.ID {
		t.Fatalf("node 2's screen shows %+v, want parcel %s", ev.Parcel, scanned.ParcelID)
	}
	t.Logf("scan on node 1 to a screen on node 2: %v", time.Since(time.Unix(0, ev.SentAt)).Round(time.Millisecond))
	if ev := near.Next(t, "scan"); ev.Parcel.ID != scanned.ParcelID {
		t.Fatalf("node 1's screen shows parcel %s", ev.Parcel.ID)
	}

	markBody, _ := json.Marshal(map[string]string{"note": "密度异常"})
	req, _ := http.NewRequest("POST", nodes[2].url()+"/console/officer/parcels/"+scanned.ParcelID+"/mark", strings.NewReader(string(markBody)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", "cbec_officer="+login(t, nodes[2].url(), "customs.nodes", password))
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Fatalf("mark on node 3: %d", r.StatusCode)
	}
	for name, sc := range map[string]*apptest.Screen{"node 2": far, "node 1": near} {
		if ev := sc.Next(t, "mark"); ev.Parcel.ID != scanned.ParcelID || ev.Parcel.CustomsMark == "" {
			t.Errorf("%s's screen shows the mark as %+v", name, ev.Parcel)
		}
	}
	// Each event once on each screen: a node does not show its own events again from the relay.
	quiet(t, near, 500*time.Millisecond)
	quiet(t, far, 0)
}

// hookReceiver is an enterprise's webhook endpoint: it answers slowly, so
// that a delivery is still in flight when the other nodes look for due
// webhooks, and counts every receipt it is sent.
type hookReceiver struct {
	mu   sync.Mutex
	seen map[string]map[int64]int // enterprise → seq → times received
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p webhook.Payload
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	time.Sleep(300 * time.Millisecond)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, rc := range p.Receipts {
		if h.seen[p.Enterprise] == nil {
			h.seen[p.Enterprise] = map[int64]int{}
		}
		h.seen[p.Enterprise][rc.Seq]++
	}
}

// Declarations sent to all nodes at once make receipts for the agents'
// feeds; each agent's webhook receives every receipt exactly once, although
// every node delivers webhooks.
func nodesWebhooksOnce(t *testing.T, nodes []*server, db *store.DB) {
	ctx := context.Background()
	h := &hookReceiver{seen: map[string]map[int64]int{}}
	recv := httptest.NewServer(h)
	defer recv.Close()
	ps := register(ctx, t, nodes, loadgen.PartyCounts{Shops: 2, Pays: 1, Logistics: 1, Agents: 2}, 10000000)
	var codes []string
	for _, p := range ps.All() {
		codes = append(codes, p.Code)
		if err := db.PutWebhook(ctx, &store.Webhook{EnterpriseCode: p.Code, URL: recv.URL + "/" + p.Code, Secret: "s", UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	mix := loadgen.Mix{Bonded: 0.3, Batch: 0.05, Bad: 0.1, Buyers: 30, BatchLen: 5}
	loadCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i, n := range nodes {
		gen, err := loadgen.NewGenerator(uint64(i+1), loadgen.NewRunID(), mix, countsOf(ps))
		if err != nil {
			t.Fatal(err)
		}
		d := &driver{t: t, base: n.url(), logs: n.logLines, ps: ps, gen: gen, bl: &loadgen.Builder{Parties: ps}, stats: map[string]int{}}
		wg.Go(func() { d.run(loadCtx, 2, uint64(i+1)) })
	}
	wg.Wait()
	settle(t, db)
	last := map[string]int64{}
	total := int64(0)
	for _, c := range codes {
		if last[c], _ = db.LastReceiptSeq(ctx, c); last[c] > 0 {
			total += last[c]
		}
	}
	if total == 0 {
		t.Fatal("the load made no receipts")
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		behind := 0
		for _, c := range codes {
			w, err := db.Webhook(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if w.DeliveredSeq < last[c] {
				behind++
			}
		}
		if behind == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d webhooks not delivered within 60 s", behind)
		}
		time.Sleep(200 * time.Millisecond)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	twice := 0
	for _, c := range codes {
		for seq := int64(1); seq <= last[c]; seq++ {
			switch n := h.seen[c][seq]; {
			case n == 0:
				t.Errorf("%s: receipt %d never delivered", c, seq)
			case n > 1:
				twice++
				if twice <= 5 {
					t.Errorf("%s: receipt %d delivered %d times", c, seq, n)
				}
			}
		}
	}
	t.Logf("%d receipts delivered to %d endpoints, %d more than once", total, len(codes), twice)
}
