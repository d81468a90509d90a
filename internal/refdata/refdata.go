// Package refdata serves the reference data in force — product filings, the
// tariff table, the positive and negative lists — from memory, for the
// clearance checks, and keeps it in step with what operators and enterprises
// load.
package refdata

import (
	"sync"

	"cbec/internal/catalog"
)

// Service holds the tables in force. It is safe for concurrent use.
type Service struct {
	mu       sync.RWMutex
	tariff   catalog.TariffTable
	positive catalog.PositiveList
	negative catalog.NegativeList
	products map[productKey]catalog.Product
}

type productKey struct{ ebc, itemNo string }

// New returns a service holding the given tables.
func New(tariff []catalog.TariffRow, positive []catalog.PositiveListEntry, negative []catalog.NegativeListEntry, products []catalog.Product) *Service {
	s := &Service{
		tariff:   catalog.NewTariffTable(tariff),
		positive: catalog.NewPositiveList(positive),
		negative: catalog.NewNegativeList(negative),
		products: make(map[productKey]catalog.Product, len(products)),
	}
	s.PutProducts(products)
	return s
}

// PutProducts adds or replaces product filings.
func (s *Service) PutProducts(ps []catalog.Product) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		s.products[productKey{p.EBCCode, p.ItemNo}] = p
	}
}

// Product returns the filing of an e-commerce enterprise's item.
func (s *Service) Product(ebcCode, itemNo string) (catalog.Product, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.products[productKey{ebcCode, itemNo}]
	return p, ok
}

// Tariff returns the tariff row of a 10-digit HS code.
func (s *Service) Tariff(hsCode string) (catalog.TariffRow, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tariff.Lookup(hsCode)
}

// Positive returns the positive-list entry covering an HS code.
func (s *Service) Positive(hsCode string) (catalog.PositiveListEntry, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.positive.Match(hsCode)
}

// Negative returns the negative-list entries matching the goods.
func (s *Service) Negative(g catalog.Goods) []catalog.NegativeListEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.negative.Match(g)
}
