package catalog

import (
	"sort"
	"strings"
)

// TariffTable is an immutable tariff table keyed by 10-digit HS code.
type TariffTable struct {
	rows map[string]TariffRow
}

// NewTariffTable builds a table from parsed rows; a later row replaces an
// earlier one with the same HS code.
func NewTariffTable(rows []TariffRow) TariffTable {
	return TariffTable{}.Merge(rows)
}

// Merge returns a new table: t's rows with rows laid over them, as an upload
// replaces the rows with the same key (contract §6). t is unchanged.
func (t TariffTable) Merge(rows []TariffRow) TariffTable {
	m := make(map[string]TariffRow, len(t.rows)+len(rows))
	for k, v := range t.rows {
		m[k] = v
	}
	for _, r := range rows {
		m[r.HSCode] = r
	}
	return TariffTable{rows: m}
}

// Lookup returns the row of a 10-digit HS code.
func (t TariffTable) Lookup(hsCode string) (TariffRow, bool) {
	r, ok := t.rows[hsCode]
	return r, ok
}

// Len returns the number of rows.
func (t TariffTable) Len() int { return len(t.rows) }

// Rows returns all rows ordered by HS code.
func (t TariffTable) Rows() []TariffRow {
	out := make([]TariffRow, 0, len(t.rows))
	for _, r := range t.rows {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].HSCode < out[j].HSCode })
	return out
}

// PositiveList is an immutable positive list keyed by 8- or 10-digit code.
type PositiveList struct {
	entries map[string]PositiveListEntry
}

// NewPositiveList builds a list from parsed entries.
func NewPositiveList(entries []PositiveListEntry) PositiveList {
	return PositiveList{}.Merge(entries)
}

// Merge returns a new list with entries laid over l's (same code replaces).
func (l PositiveList) Merge(entries []PositiveListEntry) PositiveList {
	m := make(map[string]PositiveListEntry, len(l.entries)+len(entries))
	for k, v := range l.entries {
		m[k] = v
	}
	for _, e := range entries {
		m[e.HSCode] = e
	}
	return PositiveList{entries: m}
}

// Match finds the entry governing a 10-digit HS code: an exact 10-digit
// entry wins, else the entry of its 8-digit tariff line. ok is false when
// the goods are not on the list, or hsCode is not 10 digits.
func (l PositiveList) Match(hsCode string) (PositiveListEntry, bool) {
	if ValidateHSCode(hsCode, 10) != nil {
		return PositiveListEntry{}, false
	}
	if e, ok := l.entries[hsCode]; ok {
		return e, true
	}
	e, ok := l.entries[hsCode[:8]]
	return e, ok
}

// Len returns the number of entries.
func (l PositiveList) Len() int { return len(l.entries) }

// NegativeList is an immutable negative list.
type NegativeList struct {
	entries []NegativeListEntry
}

// NewNegativeList builds a list from parsed entries.
func NewNegativeList(entries []NegativeListEntry) NegativeList {
	return NegativeList{entries: append([]NegativeListEntry(nil), entries...)}
}

// Goods describes what is matched against the negative list.
type Goods struct {
	HSCode string
	GTIN   string
	Name   string
}

// Match returns every entry that matches the goods: HS-code prefix, equal
// GTIN, or name keyword contained in the goods name (case-insensitive), in
// list order. Prohibited entries come first so a caller taking the first
// gets the harshest.
func (l NegativeList) Match(g Goods) []NegativeListEntry {
	var out []NegativeListEntry
	name := strings.ToLower(g.Name)
	for _, e := range l.entries {
		switch {
		case e.HSPrefix != "" && g.HSCode != "" && strings.HasPrefix(g.HSCode, e.HSPrefix),
			e.GTIN != "" && e.GTIN == g.GTIN,
			e.Name != "" && name != "" && strings.Contains(name, strings.ToLower(e.Name)):
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Kind == Prohibited && out[j].Kind != Prohibited })
	return out
}
