package loadgen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/money"
)

// Mix is the shape of the generated traffic. Shares are in [0, 1].
type Mix struct {
	Bonded float64 `json:"bonded"` // share of declarations in bonded trade (1210); the rest are direct (9610)
	Batch  float64 `json:"batch"`  // share of messages carrying 100 documents; the rest carry one
	Bad    float64 `json:"bad"`    // share of declarations that break one rule on purpose
	// The demo's extras, on single-document messages only.
	Resend   float64 `json:"resend,omitempty"`   // share whose order message is sent twice, same guid
	Modify   float64 `json:"modify,omitempty"`   // share whose order is followed by a changed one (appType 2)
	Heavy    float64 `json:"heavy,omitempty"`    // share bought by a few frequent buyers who run into the annual limit
	Buyers   int     `json:"buyers,omitempty"`   // distinct buyers to draw from (0: one per declaration)
	BatchLen int     `json:"batchLen,omitempty"` // documents in a batch message (default 100, the spec's maximum)
}

// Batch is one round of messages: the order, payment, waybill and inventory
// messages carrying the same declarations, sent by one set of enterprises.
type Batch struct {
	Decls  []*Declaration
	Shop   int // index of the e-commerce enterprise (ebc, also the guarantor)
	Pay    int
	Logi   int
	Agent  int
	Resend bool // send the order message twice (idempotency)
	Modify bool // follow the order with an appType 2 change
	Guids  [5]string
}

// Generator draws declarations deterministically from a seed.
type Generator struct {
	r      *rand.Rand
	mix    Mix
	runID  string // makes document numbers unique per run on a shared server
	salt   uint64 // from runID: guids differ between runs of the same seed
	taxer  *taxer
	buyers []Buyer
	heavy  int // buyers[0:heavy] are the frequent buyers
	seq    int
	bad    int
	now    func() time.Time
	shops  int
	pays   int
	logis  int
	agents int
}

// NewGenerator returns a generator for mix, numbering its documents with
// runID (5 upper-case letters or digits). parties gives how many enterprises
// of each role batches are spread over.
func NewGenerator(seed uint64, runID string, mix Mix, parties PartyCounts) (*Generator, error) {
	t, err := newTaxer()
	if err != nil {
		return nil, err
	}
	if mix.BatchLen <= 0 || mix.BatchLen > 100 {
		mix.BatchLen = 100
	}
	g := &Generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), mix: mix, runID: runID, taxer: t,
		now: time.Now, shops: max(1, parties.Shops), pays: max(1, parties.Pays), logis: max(1, parties.Logistics),
		agents: max(1, parties.Agents)}
	for i := 0; i < len(runID); i++ {
		g.salt = g.salt*1099511628211 ^ uint64(runID[i]) // FNV-1a style mix
	}
	if mix.Buyers > 0 {
		g.buyers = make([]Buyer, mix.Buyers)
		for i := range g.buyers {
			g.buyers[i] = newBuyer(g.r, i+1)
		}
		if mix.Heavy > 0 {
			g.heavy = max(1, mix.Buyers/500)
		}
	}
	return g, nil
}

// Next returns the next batch: BatchLen declarations with share Mix.Batch,
// one otherwise.
func (g *Generator) Next() (*Batch, error) {
	n := 1
	if g.r.Float64() < g.mix.Batch {
		n = g.mix.BatchLen
	}
	return g.NextN(n)
}

// NextN returns a batch of n declarations.
func (g *Generator) NextN(n int) (*Batch, error) {
	b := &Batch{Shop: g.r.IntN(g.shops), Pay: g.r.IntN(g.pays), Logi: g.r.IntN(g.logis), Agent: g.r.IntN(g.agents)}
	for i := range b.Guids {
		b.Guids[i] = g.guid()
	}
	for range n {
		d, err := g.declaration()
		if err != nil {
			return nil, err
		}
		b.Decls = append(b.Decls, d)
	}
	if n == 1 && b.Decls[0].Bad == Valid {
		b.Resend = g.r.Float64() < g.mix.Resend
		b.Modify = g.r.Float64() < g.mix.Modify
	}
	return b, nil
}

// guid draws an upper-case UUID (version 4 layout) from the generator.
func (g *Generator) guid() string {
	const hex = "0123456789ABCDEF"
	var b [16]byte
	for i := range b {
		b[i] = byte(g.r.UintN(256))
		if i < 8 {
			b[i] ^= byte(g.salt >> (8 * i))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&15])
	}
	return string(out)
}

// buyer picks who buys: a frequent buyer, one from the pool, or a new one.
func (g *Generator) buyer() (Buyer, bool) {
	switch {
	case g.heavy > 0 && g.r.Float64() < g.mix.Heavy:
		return g.buyers[g.r.IntN(g.heavy)], true
	case len(g.buyers) > 0:
		return g.buyers[g.heavy+g.r.IntN(len(g.buyers)-g.heavy)], false
	default:
		return newBuyer(g.r, 1000000+g.seq), false
	}
}

// declaration draws one purchase, valid or (with share Mix.Bad) bad.
func (g *Generator) declaration() (*Declaration, error) {
	g.seq++
	d := &Declaration{
		Seq:              g.seq,
		TradeMode:        Direct,
		OrderNo:          fmt.Sprintf("OR%s%010d", g.runID, g.seq),
		PayTransactionID: fmt.Sprintf("PT%s%010d", g.runID, g.seq),
		LogisticsNo:      fmt.Sprintf("LN%s%010d", g.runID, g.seq),
		CopNo:            fmt.Sprintf("C%s%010d", g.runID, g.seq),
	}
	for i := range d.Guids {
		d.Guids[i] = g.guid()
	}
	if g.r.Float64() < g.mix.Bonded {
		d.TradeMode = Bonded
	}
	if g.r.Float64() < g.mix.Bad {
		d.Bad = BadKinds[g.bad%len(BadKinds)]
		g.bad++
	}
	var heavy bool
	d.Buyer, heavy = g.buyer()
	d.Frequent = heavy && d.Bad != BadSingleLimit
	d.WaybillPhone = d.Buyer.Phone
	d.Freight = g.freight(d.TradeMode)
	switch {
	case d.Bad == BadSingleLimit:
		d.Lines = overLimitBasket(g.r, d.Freight)
	case heavy:
		d.Lines = heavyBasket(g.r, d.Freight)
	default:
		d.Lines = basket(g.r, d.Freight)
	}
	for _, l := range d.Lines {
		d.GoodsValue = mustAdd(d.GoodsValue, l.Total)
	}
	if g.r.IntN(5) == 0 {
		d.Discount = money.FromFen(int64(500 * (1 + g.r.IntN(4))))
	}
	t, err := g.taxer.inventoryTax(d.Lines, d.Freight, d.InsuredFee)
	if err != nil {
		return nil, fmt.Errorf("declaration %d: tax: %w", d.Seq, err)
	}
	d.ComputedTax, d.TaxTotal = t, t
	g.applyBad(d)
	return d, nil
}

func (g *Generator) freight(mode string) money.Amount {
	if mode == Bonded {
		return money.FromFen(int64(800 * g.r.IntN(2)))
	}
	return money.FromFen(int64(1000 + 500*g.r.IntN(3)))
}

// applyBad sets the amounts from the (possibly broken) parts, breaking the
// one rule of d.Bad and keeping the rest consistent.
func (g *Generator) applyBad(d *Declaration) {
	switch d.Bad {
	case BadTaxTotal:
		d.TaxTotal = mustAdd(d.TaxTotal, money.FromFen(int64(300+100*g.r.IntN(20))))
	case BadIDCheck:
		d.Buyer.IDNumber = breakCheckDigit(d.Buyer.IDNumber)
	case BadConsignee:
		for d.WaybillPhone == d.Buyer.Phone {
			d.WaybillPhone = randomPhone(g.r)
		}
	}
	d.ActuralPaid = mustSub(mustAdd(d.GoodsValue, d.Freight, d.TaxTotal), d.Discount)
	d.AmountPaid = d.ActuralPaid
	if d.Bad == BadPaymentAmount {
		d.AmountPaid = mustAdd(d.AmountPaid, money.FromFen(int64(100*(1+g.r.IntN(50)))))
	}
}

// ParseMix reads the --mix flag: comma-separated NAME=SHARE pairs among
// bonded, batch, bad, resend, modify and heavy, e.g.
// "bonded=0.3,batch=0.05,bad=0.05". Names left out keep their value in base.
func ParseMix(s string, base Mix) (Mix, error) {
	m := base
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	fields := map[string]*float64{"bonded": &m.Bonded, "batch": &m.Batch, "bad": &m.Bad,
		"resend": &m.Resend, "modify": &m.Modify, "heavy": &m.Heavy}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		dst, known := fields[strings.TrimSpace(name)]
		if !ok || !known {
			return m, fmt.Errorf("mix %q: want NAME=SHARE with NAME one of bonded, batch, bad, resend, modify, heavy", part)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || v < 0 || v > 1 {
			return m, fmt.Errorf("mix %q: the share must be a number from 0 to 1", part)
		}
		*dst = v
	}
	return m, nil
}
