package crashtest

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/loadgen"
	"github.com/cbec-platform/cbec/internal/xmlsig"
)

// acked is one message the server answered 200.
type acked struct {
	Sender  string // enterprise code
	Guid    string
	Type    string   // CEB311Message, …
	Receipt string   // the receipt type expected in the sender's feed
	Docs    []string // head guids of its documents
}

// sentInventory is an acknowledged bonded inventory that cancels and
// returns may follow.
type sentInventory struct {
	decl  *loadgen.Declaration
	agent *loadgen.Party
	shop  *loadgen.Party
	logi  *loadgen.Party
	lines []ceb.InventoryList
	done  bool // a cancel or return was tried
}

// driver sends a mixed load: declarations from loadgen (direct and
// bonded, good and bad), cancels of released inventories, returns with
// their arrival in the zone.
type driver struct {
	t       testing.TB
	base    string
	logs    func(requestID string) string // the server's log lines of a request
	ps      *loadgen.Parties
	gen     *loadgen.Generator
	bl      *loadgen.Builder
	genMu   sync.Mutex
	mu      sync.Mutex
	acks    []acked
	invs    []*sentInventory
	stats   map[string]int
	posted  atomic.Int64
	refused atomic.Int64 // answers other than 200 (bad messages are still answered 200 with a refusal)
}

// setup registers the parties and their reference data on a running server.
func setup(ctx context.Context, t testing.TB, base string, seed uint64) *driver {
	t.Helper()
	runID := loadgen.NewRunID()
	counts := loadgen.PartyCounts{Shops: 2, Pays: 1, Logistics: 1, Agents: 2}
	ps, err := loadgen.NewParties(runID, counts, xmlsig.RSASHA1)
	if err != nil {
		t.Fatal(err)
	}
	c, err := loadgen.NewClient(base, adminToken, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := loadgen.Register(ctx, c, ps); err != nil {
		t.Fatal(err)
	}
	warn := func(s string) { t.Log(s) }
	if err := loadgen.LoadReferenceData(ctx, c, ps, warn); err != nil {
		t.Fatal(err)
	}
	if err := loadgen.LoadBondedStock(ctx, c, ps, warn); err != nil {
		t.Fatal(err)
	}
	return newDriver(t, base, ps, seed, runID)
}

// newDriver is a driver of the crash test's mix for the parties ps, sending to base.
func newDriver(t testing.TB, base string, ps *loadgen.Parties, seed uint64, runID string) *driver {
	t.Helper()
	mix := loadgen.Mix{Bonded: 0.5, Batch: 0.05, Bad: 0.1, Resend: 0.05, Modify: 0.05, Heavy: 0.2, Buyers: 60, BatchLen: 10}
	gen, err := loadgen.NewGenerator(seed, runID, mix, countsOf(ps))
	if err != nil {
		t.Fatal(err)
	}
	return &driver{t: t, base: base, ps: ps, gen: gen, bl: &loadgen.Builder{Parties: ps}, stats: map[string]int{}}
}

// post sends one CEB message; a 200 answer is recorded as acknowledged.
// It reports false when the server could not be reached (killed).
func (d *driver) post(ctx context.Context, sender *loadgen.Party, msgType string, body []byte) (string, bool) {
	st, resp, err := do(ctx, "POST", d.base+"/api/v1/ceb", sender.Key, "application/xml", body)
	d.posted.Add(1)
	if err != nil {
		return "", false
	}
	if st != 200 {
		d.refused.Add(1)
		if st >= 500 && st != 503 {
			var e struct{ RequestID string }
			_ = json.Unmarshal(resp, &e)
			d.t.Errorf("%s from %s: HTTP %d %.300s\nserver log: %s", msgType, sender.Code, st, resp, d.logs(e.RequestID))
		}
		return string(resp), true
	}
	dec, err := ceb.Decode(body)
	if err != nil {
		d.t.Errorf("re-read own %s: %v", msgType, err)
		return string(resp), true
	}
	rt, _ := ceb.ReturnFor(msgType)
	d.mu.Lock()
	d.acks = append(d.acks, acked{Sender: sender.Code, Guid: dec.Guid, Type: msgType, Receipt: rt, Docs: docGuids(dec.Message)})
	d.stats[msgType]++
	d.mu.Unlock()
	return string(resp), true
}

// declare sends one batch's four messages (and the demo extras).
func (d *driver) declare(ctx context.Context) bool {
	d.genMu.Lock()
	b, err := d.gen.Next()
	d.genMu.Unlock()
	if err != nil {
		d.t.Error(err)
		return false
	}
	msgs, err := d.bl.Build(b, time.Now())
	if err != nil {
		d.t.Error(err)
		return false
	}
	ps := d.ps
	shop, pay, logi, agent := ps.Shops[b.Shop%len(ps.Shops)], ps.Pays[b.Pay%len(ps.Pays)], ps.Logistics[b.Logi%len(ps.Logistics)], ps.Agents[b.Agent%len(ps.Agents)]
	if _, ok := d.post(ctx, ps.Platform, loadgen.TypeOrder, msgs.Order); !ok {
		return false
	}
	for _, x := range msgs.Extra {
		if _, ok := d.post(ctx, ps.Platform, loadgen.TypeOrder, x); !ok {
			return false
		}
	}
	if _, ok := d.post(ctx, pay, loadgen.TypePayment, msgs.Payment); !ok {
		return false
	}
	if _, ok := d.post(ctx, logi, loadgen.TypeWaybill, msgs.Waybill); !ok {
		return false
	}
	resp, ok := d.post(ctx, agent, loadgen.TypeInventory, msgs.Inventory)
	if !ok {
		return false
	}
	if !strings.Contains(resp, "CEB622Message") {
		return true
	}
	dec, err := ceb.Decode(msgs.Inventory)
	if err != nil {
		d.t.Error(err)
		return true
	}
	inv := dec.Message.(*ceb.CEB621Message).Inventory
	d.mu.Lock()
	for i, decl := range b.Decls {
		if decl.TradeMode == loadgen.Bonded && decl.Bad == loadgen.Valid {
			d.invs = append(d.invs, &sentInventory{decl: decl, agent: agent, shop: shop, logi: logi, lines: inv[i].InventoryList})
		}
	}
	d.mu.Unlock()
	return true
}

// followUp picks an acknowledged bonded inventory and, once released,
// cancels it or returns part of it and records the return's arrival.
func (d *driver) followUp(ctx context.Context, r *rand.Rand) bool {
	d.mu.Lock()
	if len(d.invs) == 0 {
		d.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		return true
	}
	v := d.invs[r.IntN(len(d.invs))]
	if v.done {
		d.mu.Unlock()
		return true
	}
	d.mu.Unlock()
	st, body, err := get(ctx, d.base+"/api/v1/inventories/"+v.decl.CopNo, v.agent.Key)
	if err != nil {
		return false
	}
	if st != 200 {
		return true // not stored yet (refused, or acknowledged as waiting)
	}
	var inv struct{ Status, InvtNo string }
	if err := json.Unmarshal(body, &inv); err != nil {
		d.t.Errorf("inventory %s: %v", v.decl.CopNo, err)
		return true
	}
	if inv.Status != "800" {
		return true
	}
	d.mu.Lock()
	v.done = true
	d.mu.Unlock()
	appTime := time.Now().In(time.FixedZone("CST", 8*3600)).Format("20060102150405")
	b := v.decl.Buyer
	if r.IntN(2) == 0 {
		c := ceb.InvtCancel{Guid: guid(), AppType: "1", AppTime: appTime, AppStatus: "2", CustomsCode: "2924", OrderNo: v.decl.OrderNo,
			EbpCode: d.ps.Platform.Code, EbpName: d.ps.Platform.Name, EbcCode: v.shop.Code, EbcName: v.shop.Name,
			LogisticsNo: v.decl.LogisticsNo, LogisticsCode: v.logi.Code, LogisticsName: v.logi.Name,
			CopNo: "X" + v.decl.CopNo, InvtNo: inv.InvtNo, BuyerIdType: "1", BuyerIdNumber: b.IDNumber, BuyerName: b.Name,
			BuyerTelephone: b.Phone, AgentCode: v.agent.Code, AgentName: v.agent.Name, Reason: "买家取消订单"}
		msg := &ceb.CEB623Message{Guid: guid(), Version: "1.0", InvtCancel: []ceb.InvtCancel{c}, BaseTransfer: transferOf(v.agent)}
		_, ok := d.send(ctx, v.agent, msg)
		return ok
	}
	h := ceb.InvtRefundHead{Guid: guid(), AppType: "1", AppTime: appTime, AppStatus: "2", CustomsCode: "2924", OrderNo: v.decl.OrderNo,
		EbpCode: d.ps.Platform.Code, EbpName: d.ps.Platform.Name, EbcCode: v.shop.Code, EbcName: v.shop.Name,
		LogisticsNo: v.decl.LogisticsNo, LogisticsCode: v.logi.Code, LogisticsName: v.logi.Name,
		CopNo: "R" + v.decl.CopNo, InvtNo: inv.InvtNo, BuyerIdType: "1", BuyerIdNumber: b.IDNumber, BuyerName: b.Name,
		BuyerTelephone: b.Phone, AgentCode: v.agent.Code, AgentName: v.agent.Name, Reason: "七天无理由退货"}
	ret := ceb.InvtRefund{InvtRefundHead: h}
	for _, l := range v.lines[:1+r.IntN(len(v.lines))] {
		ret.InvtRefundList = append(ret.InvtRefundList, ceb.InvtRefundList{Gnum: l.Gnum, Gcode: l.Gcode, Gname: l.Gname, Qty: l.Qty, Unit: l.Unit})
	}
	msg := &ceb.CEB625Message{Guid: guid(), Version: "1.0", InvtRefund: []ceb.InvtRefund{ret}, BaseTransfer: transferOf(v.agent)}
	resp, ok := d.send(ctx, v.agent, msg)
	if !ok || !strings.Contains(resp, "<returnStatus>120<") {
		return ok
	}
	st, body, err = get(ctx, d.base+"/api/v1/returns?invtNo="+inv.InvtNo, adminToken)
	if err != nil {
		return false
	}
	if st == 503 {
		return true // the database is cut off (the campaign's outage): the arrival is for another round, as for the other requests
	}
	var rs struct{ Returns []struct{ ID, State string } }
	if st != 200 || json.Unmarshal(body, &rs) != nil {
		d.t.Errorf("returns of %s: HTTP %d %.200s", inv.InvtNo, st, body)
		return true
	}
	for _, x := range rs.Returns {
		st, body, err := do(ctx, "POST", d.base+"/api/v1/returns/"+x.ID+"/arrival", v.agent.Key, "application/json", nil)
		if err != nil {
			return false
		}
		if st == 200 {
			d.mu.Lock()
			d.stats["arrival"]++
			d.mu.Unlock()
		} else if st >= 500 && st != 503 {
			var e struct{ RequestID string }
			_ = json.Unmarshal(body, &e)
			d.t.Errorf("arrival %s: HTTP %d %.200s\nserver log: %s", x.ID, st, body, d.logs(e.RequestID))
		}
	}
	return true
}

func (d *driver) send(ctx context.Context, sender *loadgen.Party, m ceb.Message) (string, bool) {
	xml, err := ceb.Encode(m)
	if err != nil {
		d.t.Errorf("encode %s: %v", m.MessageType(), err)
		return "", true
	}
	if xml, err = xmlsig.Sign(xml, sender.Identity.Key, sender.Identity.Cert); err != nil {
		d.t.Errorf("sign %s: %v", m.MessageType(), err)
		return "", true
	}
	return d.post(ctx, sender, m.MessageType(), xml)
}

func transferOf(p *loadgen.Party) ceb.BaseTransfer {
	return ceb.BaseTransfer{CopCode: p.Code, CopName: p.Name, DxpMode: "DXP", DxpId: "DXPENT" + p.Code}
}

func guid() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]))
}

// run drives the load until ctx ends or the server goes away.
func (d *driver) run(ctx context.Context, workers int, seed uint64) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil && d.declare(ctx) {
			}
		})
		_ = w
	}
	wg.Go(func() {
		r := rand.New(rand.NewPCG(seed, 7))
		for ctx.Err() == nil && d.followUp(ctx, r) {
		}
	})
	wg.Wait()
}
