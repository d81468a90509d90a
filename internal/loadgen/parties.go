package loadgen

import (
	"crypto/rand"
	"fmt"

	"github.com/cbec-platform/cbec/internal/xmlsig"
	"github.com/cbec-platform/cbec/internal/xmlsig/xmlsigtest"
)

// PartyCounts says how many enterprises of each kind a run registers.
type PartyCounts struct {
	Shops     int // e-commerce enterprises (ebc), each its own tax guarantor (assure)
	Pays      int // payment enterprises
	Logistics int // logistics enterprises
	Agents    int // declaring agents, also the bonded-area warehouse (area)
}

// DefaultParties is a small market: one platform, two shops, one payment
// firm, two carriers and two declaring agents.
var DefaultParties = PartyCounts{Shops: 2, Pays: 1, Logistics: 2, Agents: 2}

// Party is one registered enterprise with its API key and signing identity.
type Party struct {
	Code     string
	Name     string
	Roles    []string
	Key      string // API key, set once registered
	Identity *xmlsigtest.Identity
}

// Parties are the enterprises of a run.
type Parties struct {
	Platform  *Party // ebp
	Shops     []*Party
	Pays      []*Party
	Logistics []*Party
	Agents    []*Party
}

// All lists every party, platform first.
func (p *Parties) All() []*Party {
	out := []*Party{p.Platform}
	for _, g := range [][]*Party{p.Shops, p.Pays, p.Logistics, p.Agents} {
		out = append(out, g...)
	}
	return out
}

const codeAlphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// NewRunID returns 5 random characters that make this run's enterprise
// codes and document numbers unique on a server that has seen other runs.
func NewRunID() string {
	var b [5]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b[:])
}

// NewParties names the run's enterprises and makes a signing identity for
// each (alg xmlsig.SM2SM3 or xmlsig.RSASHA1). Codes are 10 characters: a
// region prefix, a role digit, an index and the run id.
func NewParties(runID string, counts PartyCounts, alg xmlsig.Algorithm) (*Parties, error) {
	mk := func(role byte, i int, name string, roles ...string) (*Party, error) {
		code := fmt.Sprintf("33%c%d9%s", role, i%10, runID)
		id, err := xmlsigtest.Generate(alg, "cbec bench "+code)
		if err != nil {
			return nil, fmt.Errorf("identity for %s: %w", code, err)
		}
		return &Party{Code: code, Name: name, Roles: roles, Identity: id}, nil
	}
	var err error
	p := &Parties{}
	if p.Platform, err = mk('1', 0, "压测跨境电商平台"+runID, "ebp"); err != nil {
		return nil, err
	}
	groups := []struct {
		dst   *[]*Party
		n     int
		role  byte
		name  string
		roles []string
	}{
		{&p.Shops, counts.Shops, '2', "压测海外旗舰店", []string{"ebc", "assure"}},
		{&p.Pays, counts.Pays, '3', "压测支付有限公司", []string{"pay"}},
		{&p.Logistics, counts.Logistics, '4', "压测国际物流有限公司", []string{"logistics"}},
		{&p.Agents, counts.Agents, '5', "压测报关有限公司", []string{"agent", "area"}},
	}
	for _, g := range groups {
		for i := range max(1, g.n) {
			party, err := mk(g.role, i, fmt.Sprintf("%s%d号%s", g.name, i+1, runID), g.roles...)
			if err != nil {
				return nil, err
			}
			*g.dst = append(*g.dst, party)
		}
	}
	return p, nil
}
