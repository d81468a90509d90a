package crashtest

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/bonded"
	"github.com/cbec-platform/cbec/internal/loadgen"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
	"github.com/cbec-platform/cbec/internal/vault"
	"github.com/cbec-platform/cbec/internal/xmlsig"
)

// Several `cbec serve` processes on one PostgreSQL database, as a deployment
// behind a load balancer runs them (issue 7). Every node takes messages, and
// every node's engine and sweep compete for the same inventories, the same
// buyers' quota and the same bonded stock. The subtests check that nothing
// is recorded twice and that no limit is overrun between nodes.
func TestNodesPostgres(t *testing.T) {
	nodes, db, _ := deployment(t, 3)
	t.Run("mixed load", func(t *testing.T) { nodesMixedLoad(t, nodes, db) })
	t.Run("one buyer's annual limit", func(t *testing.T) { nodesQuota(t, nodes, db) })
	t.Run("bonded stock", func(t *testing.T) { nodesStock(t, nodes, db) })
}

// deployment starts n nodes on a fresh PostgreSQL schema with one shared
// secret key (and env, if any), and opens the database for the checks; dsn names it.
func deployment(t *testing.T, n int, env ...string) (nodes []*server, db *store.DB, dsn string) {
	t.Helper()
	if testing.Short() {
		t.Skip("several nodes on PostgreSQL skipped in -short mode")
	}
	dsn = storetest.PostgresDSN(t)
	secret, err := vault.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	nodes = startNodes(t, dsn, secret, n, env...)
	db, err = store.Open(context.Background(), dsn, "", store.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return nodes, db, dsn
}

// startNodes starts n servers on one database together, as a deployment
// starts: the migrations run once, under the database's lock.
func startNodes(t *testing.T, dsn, secret string, n int, env ...string) []*server {
	t.Helper()
	nodes := make([]*server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range nodes {
		nodes[i] = newServer(t, append([]string{"CBEC_DB=" + dsn, "CBEC_DATA=" + t.TempDir(), "CBEC_SECRET_KEY=" + secret}, env...)...)
		wg.Go(func() { errs[i] = nodes[i].start(90 * time.Second) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i+1, err)
		}
	}
	return nodes
}

// logLines returns the server's log lines of a request.
func (s *server) logLines(requestID string) string {
	if requestID == "" || s.p == nil {
		return ""
	}
	time.Sleep(200 * time.Millisecond) // the server logs a failure after answering
	return s.p.out.lines(requestID)
}

// register creates a run's enterprises and reference data through the first
// node, with stock pieces of every bonded item. The other nodes learn the
// product filings from the database (engine.RefreshProducts).
func register(ctx context.Context, t *testing.T, nodes []*server, counts loadgen.PartyCounts, stock int64) *loadgen.Parties {
	t.Helper()
	ps, err := loadgen.NewParties(loadgen.NewRunID(), counts, xmlsig.RSASHA1)
	if err != nil {
		t.Fatal(err)
	}
	c, err := loadgen.NewClient(nodes[0].url(), adminToken, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := loadgen.Register(ctx, c, ps); err != nil {
		t.Fatal(err)
	}
	warn := func(s string) { t.Error(s) }
	if err := loadgen.LoadReferenceData(ctx, c, ps, warn); err != nil {
		t.Fatal(err)
	}
	if err := loadgen.LoadBondedStockOf(ctx, c, ps, stock, warn); err != nil {
		t.Fatal(err)
	}
	return ps
}

func countsOf(ps *loadgen.Parties) loadgen.PartyCounts {
	return loadgen.PartyCounts{Shops: len(ps.Shops), Pays: len(ps.Pays), Logistics: len(ps.Logistics), Agents: len(ps.Agents)}
}

// nodesMixedLoad runs the crash test's driver against every node at once:
// declarations good and bad, direct and bonded, resubmissions, changed
// orders, cancels and returns. Every node's generator has the same seed, so
// the same buyers' baskets reach all nodes at the same moment.
func nodesMixedLoad(t *testing.T, nodes []*server, db *store.DB) {
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	ps := register(ctx, t, nodes, loadgen.PartyCounts{Shops: 2, Pays: 1, Logistics: 1, Agents: 2}, 10000000)
	mix := loadgen.Mix{Bonded: 0.5, Batch: 0.05, Bad: 0.1, Resend: 0.05, Modify: 0.05, Heavy: 0.3, Buyers: 30, BatchLen: 10}
	var drivers []*driver
	for _, n := range nodes {
		gen, err := loadgen.NewGenerator(seed, loadgen.NewRunID(), mix, countsOf(ps))
		if err != nil {
			t.Fatal(err)
		}
		drivers = append(drivers, &driver{t: t, base: n.url(), logs: n.logLines, ps: ps, gen: gen,
			bl: &loadgen.Builder{Parties: ps}, stats: map[string]int{}})
	}
	loadCtx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i, d := range drivers {
		wg.Go(func() { d.run(loadCtx, 2, seed+uint64(i)) })
	}
	wg.Wait()
	settle(t, db)
	var acks []acked
	for i, d := range drivers {
		acks = append(acks, d.acks...)
		t.Logf("node %d: %d messages acknowledged, by type %v", i+1, len(d.acks), d.stats)
	}
	(&checker{t: t, db: db}).database(ctx, acks)
	noRepeatedDecision(ctx, t, db)
	keys := map[string]string{}
	for _, p := range ps.All() {
		keys[p.Code] = p.Key
	}
	for _, n := range nodes { // every node serves the whole feed, in sequence
		feedAPI(ctx, t, n.url(), keys)
	}
}

// settle waits until no inventory is pending judgement on any node.
func settle(t *testing.T, db *store.DB) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	quiet := 0
	for quiet < 3 {
		var n int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM inventories WHERE pending`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			quiet++
		} else {
			quiet = 0
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d inventories still pending after 60 s", n)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// noRepeatedDecision: two nodes judging one inventory would record the
// same decision twice (or two different ones); the optimistic version lets
// only one of them commit.
func noRepeatedDecision(ctx context.Context, t *testing.T, db *store.DB) {
	t.Helper()
	c := &checker{t: t, db: db}
	c.steps(ctx, "inventory decided twice by the engine (events)", func(_ bool, evs []store.Event) bool {
		return decisions(evs) > 1
	})
	c.none(ctx, "inventory decided twice (receipts)",
		`SELECT enterprise_code, cop_no, return_status, COUNT(*) AS n FROM receipts WHERE message_type = 'CEB622Message'
		AND return_status IN ('100', '300', '500', '800') GROUP BY enterprise_code, cop_no, return_status HAVING COUNT(*) > 1`)
}

// decisions counts the engine's decisions among an inventory's steps.
func decisions(evs []store.Event) int {
	n := 0
	for _, e := range evs {
		if e.Actor == "system" && (e.Status == "100" || e.Status == "300" || e.Status == "500" || e.Status == "800") {
			n++
		}
	}
	return n
}

// outcome is one inventory of a targeted run as the database has it.
type outcome struct {
	copNo, status, code, info, buyer string
	decisions, finalReceipts         int
}

// spread sends each declaration's four messages to different nodes, all
// declarations at once (12 at a time). Every second declaration sends its
// inventory first: it waits, and the documents arriving at the other nodes
// wake it there while its own node's sweep may find it too. It then waits
// until every inventory is decided and returns them by copNo.
func spread(ctx context.Context, t *testing.T, nodes []*server, ps *loadgen.Parties, gen *loadgen.Generator, runID string, n int, db *store.DB) map[string]*outcome {
	t.Helper()
	bl := &loadgen.Builder{Parties: ps}
	sem := make(chan struct{}, 12)
	var wg sync.WaitGroup
	for i := range n {
		b, err := gen.NextN(1)
		if err != nil {
			t.Fatal(err)
		}
		m, err := bl.Build(b, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		type message struct {
			from *loadgen.Party
			body []byte
		}
		msgs := []message{{ps.Platform, m.Order}, {ps.Pays[b.Pay%len(ps.Pays)], m.Payment},
			{ps.Logistics[b.Logi%len(ps.Logistics)], m.Waybill}, {ps.Agents[b.Agent%len(ps.Agents)], m.Inventory}}
		if i%2 == 1 {
			msgs = append(msgs[3:], msgs[:3]...)
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for k, msg := range msgs {
				node := nodes[(i+k)%len(nodes)]
				st, body, err := do(ctx, "POST", node.url()+"/api/v1/ceb", msg.from.Key, "application/xml", msg.body)
				if err != nil || st != 200 {
					t.Errorf("declaration %d, message %d to %s: HTTP %d %v %.300s", i, k, node.url(), st, err, body)
				}
			}
		})
	}
	wg.Wait()
	prefix := "C" + runID + "%"
	deadline := time.Now().Add(60 * time.Second)
	for {
		var decided int
		err := db.QueryRow(ctx, `SELECT COUNT(*) FROM inventories WHERE cop_no LIKE $1 AND status IN ('100', '300', '500', '800')`, prefix).Scan(&decided)
		if err != nil {
			t.Fatal(err)
		}
		if decided == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d inventories decided after 60 s", decided, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	settle(t, db)
	rows, err := db.Query(ctx, `SELECT i.cop_no, i.status, i.reason_code, i.reason_info, i.buyer_key, i.id,
		(SELECT COUNT(*) FROM receipts r WHERE r.enterprise_code = i.sender AND r.cop_no = i.cop_no
			AND r.message_type = 'CEB622Message' AND r.return_status IN ('100', '300', '500', '800'))
		FROM inventories i WHERE i.cop_no LIKE $1`, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]*outcome{}
	for rows.Next() {
		o := &outcome{}
		var id string
		if err := rows.Scan(&o.copNo, &o.status, &o.code, &o.info, &o.buyer, &id, &o.finalReceipts); err != nil {
			t.Fatal(err)
		}
		evs, err := db.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		o.decisions = decisions(evs)
		out[o.copNo] = o
		if o.decisions != 1 || o.finalReceipts != 1 {
			t.Errorf("inventory %s (%s %s): %d decisions by the engine and %d final receipts, want one of each", o.copNo, o.status, o.code, o.decisions, o.finalReceipts)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	annualRE = regexp.MustCompile(`used ([0-9.]+) \+ this ([0-9.]+) > limit ([0-9.]+)`)
	capRE    = regexp.MustCompile(`gcode ([0-9]+): used ([0-9.]+) \+ this ([0-9.]+) > cap ([0-9.]+)`)
	stockRE  = regexp.MustCompile(`emsNo=(\S+) itemRecordNo=(\S+): available ([0-9.]+), this inventory needs ([0-9.]+)`)
)

// nodesQuota sends one frequent buyer's large baskets, far more than the
// annual limit allows, split over the nodes at once. Exactly as many must
// pass as fit: the counted amount stays within the limit, and every
// inventory refused for the limit (1313) or a yearly cap (1315) would still
// not fit in what is left at the end (no quota is given back in this run,
// so what was left when it was refused was no more than that).
func nodesQuota(t *testing.T, nodes []*server, db *store.DB) {
	ctx := context.Background()
	ps := register(ctx, t, nodes, loadgen.PartyCounts{Shops: 1, Pays: 1, Logistics: 1, Agents: 2}, 10000000)
	runID := loadgen.NewRunID()
	// 500 buyers with heavy share 1: every basket is the one frequent buyer's.
	gen, err := loadgen.NewGenerator(uint64(time.Now().UnixNano()), runID, loadgen.Mix{Heavy: 1, Buyers: 500, BatchLen: 1}, countsOf(ps))
	if err != nil {
		t.Fatal(err)
	}
	const n = 36
	invs := spread(ctx, t, nodes, ps, gen, runID, n, db)
	(&checker{t: t, db: db}).database(ctx, nil)

	var buyer string
	counted, refused := 0, 0
	var annual []*outcome
	for _, o := range invs {
		if buyer == "" {
			buyer = o.buyer
		}
		if o.buyer != buyer {
			t.Fatalf("one buyer has two buyer keys (%s, %s): the nodes do not hash alike", buyer, o.buyer)
		}
		switch {
		case o.status != "100":
			counted++
		case o.code == "1313" || o.code == "1315":
			refused++
			annual = append(annual, o)
		default:
			t.Errorf("inventory %s: rejected with %s, want only the annual limit or a cap: %s", o.copNo, o.code, o.info)
		}
	}
	var usedFen, entries int64
	var nEntries int
	if err := db.QueryRow(ctx, `SELECT used_fen FROM quota_usage WHERE buyer_key = $1`, buyer).Scan(&usedFen); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(amount_fen), 0) FROM quota_entries WHERE buyer_key = $1 AND state IN ('reserved', 'released')`,
		buyer).Scan(&nEntries, &entries); err != nil {
		t.Fatal(err)
	}
	if nEntries != counted || entries != usedFen {
		t.Errorf("%d inventories passed but %d counted against the quota (%d fen in entries, %d used)", counted, nEntries, entries, usedFen)
	}
	if refused == 0 || counted == 0 {
		t.Fatalf("%d passed, %d refused for the limit: the run did not reach the limit", counted, refused)
	}
	for _, o := range annual {
		if m := annualRE.FindStringSubmatch(o.info); m != nil {
			this, limit := fen(t, m[2]), fen(t, m[3])
			if usedFen > limit {
				t.Errorf("annual limit overrun: %s used of %s", money.FromFen(usedFen), money.FromFen(limit))
			}
			if usedFen+this <= limit {
				t.Errorf("inventory %s refused (%s) although %s fits in what is left of the limit (%s of %s used)",
					o.copNo, o.info, money.FromFen(this), money.FromFen(usedFen), money.FromFen(limit))
			}
			continue
		}
		m := capRE.FindStringSubmatch(o.info)
		if m == nil {
			t.Errorf("inventory %s: cannot read the refusal %q", o.copNo, o.info)
			continue
		}
		var capUsed int64
		if err := db.QueryRow(ctx, `SELECT used_milli FROM cap_usage WHERE buyer_key = $1 AND hs_code = $2`, buyer, m[1]).Scan(&capUsed); err != nil {
			t.Fatal(err)
		}
		this, limit := milli(t, m[3]), milli(t, m[4])
		if capUsed > limit || capUsed+this <= limit {
			t.Errorf("inventory %s refused (%s); the cap's use at the end is %s", o.copNo, o.info, bonded.Qty(capUsed))
		}
	}
	t.Logf("%d inventories of one buyer over %d nodes: %d passed (%s counted), %d refused for the limit", n, len(nodes), counted, money.FromFen(usedFen), refused)
}

// nodesStock sends bonded inventories of 3 pieces of stock per item over
// the nodes at once: the stock is never oversold, and every inventory
// refused for want of stock (1371) needed more than what is left at the end.
func nodesStock(t *testing.T, nodes []*server, db *store.DB) {
	ctx := context.Background()
	ps := register(ctx, t, nodes, loadgen.PartyCounts{Shops: 1, Pays: 1, Logistics: 1, Agents: 1}, 3)
	runID := loadgen.NewRunID()
	gen, err := loadgen.NewGenerator(uint64(time.Now().UnixNano()), runID, loadgen.Mix{Bonded: 1, BatchLen: 1}, countsOf(ps))
	if err != nil {
		t.Fatal(err)
	}
	const n = 45
	invs := spread(ctx, t, nodes, ps, gen, runID, n, db)
	(&checker{t: t, db: db}).database(ctx, nil)

	passed, noStock := 0, 0
	for _, o := range invs {
		if o.status != "100" {
			passed++
			continue
		}
		m := stockRE.FindStringSubmatch(o.info)
		if o.code != "1371" || m == nil {
			t.Errorf("inventory %s: rejected with %s, want only for want of stock (1371): %s", o.copNo, o.code, o.info)
			continue
		}
		noStock++
		var onHand, reserved int64
		if err := db.QueryRow(ctx, `SELECT on_hand_milli, reserved_milli FROM bonded_items WHERE ems_no = $1 AND item_record_no = $2`,
			m[1], m[2]).Scan(&onHand, &reserved); err != nil {
			t.Fatal(err)
		}
		if need := milli(t, m[4]); onHand-reserved >= need {
			t.Errorf("inventory %s refused (%s) although %s of the item are left", o.copNo, o.info, bonded.Qty(onHand-reserved))
		}
	}
	(&checker{t: t, db: db}).none(ctx, "stock oversold",
		`SELECT ems_no, item_record_no, on_hand_milli, reserved_milli FROM bonded_items WHERE on_hand_milli < 0 OR reserved_milli > on_hand_milli`)
	if passed == 0 || noStock == 0 {
		t.Fatalf("%d passed, %d refused for want of stock: the run did not use the stock up", passed, noStock)
	}
	var out int64
	if err := db.QueryRow(ctx, `SELECT -COALESCE(SUM(m.qty_milli), 0) FROM bonded_moves m JOIN bonded_items b
		ON b.ems_no = m.ems_no AND b.item_record_no = m.item_record_no WHERE m.qty_milli < 0 AND b.ems_no LIKE $1`, "%"+ps.Agents[0].Code).Scan(&out); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bonded inventories over %d nodes: %d passed (%s pieces out of the zone), %d refused for want of stock", n, len(nodes), passed, bonded.Qty(out), noStock)
}

func fen(t *testing.T, s string) int64 {
	t.Helper()
	a, err := money.ParseAmount(s)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return a.Fen()
}

func milli(t *testing.T, s string) int64 {
	t.Helper()
	q, err := bonded.ParseQty("qty", s)
	if err != nil {
		t.Fatalf("quantity %q: %v", s, err)
	}
	return q
}

// Nodes must agree on what one of them stored: a product filed through one
// node is found by another judging an inventory before its next reload of
// the reference data, and a node whose secret key differs from the one the
// database was written with refuses to start (it would hash one buyer's ID
// number differently and keep a second annual quota for the same person).
func TestNodesAgree(t *testing.T) {
	nodes, db, dsn := deployment(t, 2)

	t.Run("product filed on one node, declared on another", func(t *testing.T) {
		ctx := context.Background()
		ps := register(ctx, t, nodes[:1], loadgen.PartyCounts{Shops: 1, Pays: 1, Logistics: 1, Agents: 1}, 10000000)
		runID := loadgen.NewRunID()
		gen, err := loadgen.NewGenerator(1, runID, loadgen.Mix{BatchLen: 1}, countsOf(ps))
		if err != nil {
			t.Fatal(err)
		}
		invs := spread(ctx, t, nodes[1:], ps, gen, runID, 3, db)
		for _, o := range invs {
			if o.status == "100" {
				t.Errorf("inventory %s rejected on the node that did not store the filing: %s %s", o.copNo, o.code, o.info)
			}
		}
	})

	t.Run("node with another secret key", func(t *testing.T) {
		other := newServer(t, "CBEC_DB="+dsn, "CBEC_DATA="+t.TempDir())
		err := other.start(90 * time.Second)
		if err == nil {
			t.Fatal("a node with its own secret key started on the deployment's database")
		}
		if !strings.Contains(other.p.out.String(), "written with another secret key") {
			t.Errorf("the refusal does not say why: %v\n%s", err, other.p.out.String())
		}
	})
}
