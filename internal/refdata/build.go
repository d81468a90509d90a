package refdata

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cbec-platform/cbec/internal/catalog"
)

// version is one stored version of a table with its rows.
type version[T any] struct {
	info VersionInfo
	rows []T
}

// sourced is a row in force with the version it came from.
type sourced[T any] struct {
	Row     T
	Version int64
}

// inForce is a table as it stands at one moment: every version effective by
// then laid over the earlier ones in order, a replacing version clearing
// what came before it.
type inForce[T any] struct {
	rows  map[string]sourced[T]
	order []string // keys in the order they first appeared (list order)
}

// fold builds the table in force at at from versions sorted by effective
// date and id.
func fold[T any](vs []version[T], at time.Time, key func(T) string) inForce[T] {
	t := inForce[T]{rows: map[string]sourced[T]{}}
	for _, v := range vs {
		if v.info.EffectiveFrom.After(at) {
			break
		}
		if v.info.Replace {
			t.rows = make(map[string]sourced[T], len(v.rows))
			t.order = t.order[:0]
		}
		for _, r := range v.rows {
			k := key(r)
			if _, ok := t.rows[k]; !ok {
				t.order = append(t.order, k)
			}
			t.rows[k] = sourced[T]{Row: r, Version: v.info.ID}
		}
	}
	return t
}

// insertVersion adds v to vs, kept sorted by effective date then id, unless a
// version with its id is there already. It returns a new slice: states
// already published keep theirs.
func insertVersion[T any](vs []version[T], v version[T]) ([]version[T], bool) {
	i := 0
	for ; i < len(vs); i++ {
		if vs[i].info.ID == v.info.ID {
			return vs, false
		}
	}
	out := make([]version[T], 0, len(vs)+1)
	for i = 0; i < len(vs) && !versionAfter(vs[i].info, v.info); i++ {
		out = append(out, vs[i])
	}
	out = append(out, v)
	out = append(out, vs[i:]...)
	return out, true
}

// versionAfter orders versions by effective date; uploads for the same
// instant apply in upload order.
func versionAfter(a, b VersionInfo) bool {
	if !a.EffectiveFrom.Equal(b.EffectiveFrom) {
		return a.EffectiveFrom.After(b.EffectiveFrom)
	}
	return a.ID > b.ID
}

func tariffKey(r catalog.TariffRow) string           { return r.HSCode }
func positiveKey(e catalog.PositiveListEntry) string { return e.HSCode }

// negativeKey is what identifies a negative-list entry across uploads, as
// the parser uses it to find duplicates within a file.
func negativeKey(e catalog.NegativeListEntry) string {
	switch {
	case e.HSPrefix != "":
		return "hs_prefix " + e.HSPrefix
	case e.GTIN != "":
		return "gtin " + e.GTIN
	default:
		return "name " + strings.ToLower(e.Name)
	}
}

// negativeIndex answers negative-list matches without scanning the list or
// allocating: prefixes and GTINs are map lookups, only name keywords are
// scanned.
type negativeIndex struct {
	byPrefix   map[string][]negativeHit
	prefixLens []int // the prefix lengths present, so a lookup tries only those
	byGTIN     map[string][]negativeHit
	names      []negativeHit
	entries    []catalog.NegativeListEntry // list order, for listings
}

type negativeHit struct {
	entry     catalog.NegativeListEntry
	pos       int  // position in the list: matches are reported in list order
	nameRunes int  // rune count of entry.Name, for containsFold
	caseless  bool // entry.Name has no letter with case (象牙): a plain substring search will do
}

func newNegativeIndex(t inForce[catalog.NegativeListEntry]) *negativeIndex {
	ix := &negativeIndex{byPrefix: map[string][]negativeHit{}, byGTIN: map[string][]negativeHit{}}
	seenLen := [11]bool{}
	for _, k := range t.order {
		s, ok := t.rows[k]
		if !ok {
			continue // cleared by a replacing version
		}
		e := s.Row
		h := negativeHit{entry: e, pos: len(ix.entries)}
		ix.entries = append(ix.entries, e)
		switch {
		case e.HSPrefix != "":
			ix.byPrefix[e.HSPrefix] = append(ix.byPrefix[e.HSPrefix], h)
			if n := len(e.HSPrefix); n < len(seenLen) {
				seenLen[n] = true
			}
		case e.GTIN != "":
			ix.byGTIN[e.GTIN] = append(ix.byGTIN[e.GTIN], h)
		case e.Name != "":
			h.nameRunes = utf8.RuneCountInString(e.Name)
			h.caseless = strings.ToLower(e.Name) == e.Name && strings.ToUpper(e.Name) == e.Name
			ix.names = append(ix.names, h)
		}
	}
	for n, ok := range seenLen {
		if ok {
			ix.prefixLens = append(ix.prefixLens, n)
		}
	}
	return ix
}

// match returns the entries matching g, prohibited ones first and otherwise
// in list order, as catalog.NegativeList.Match does. It allocates only when
// something matches.
func (ix *negativeIndex) match(g catalog.Goods) []catalog.NegativeListEntry {
	var hits []negativeHit
	if g.HSCode != "" {
		for _, n := range ix.prefixLens {
			if n > len(g.HSCode) {
				break
			}
			hits = append(hits, ix.byPrefix[g.HSCode[:n]]...)
		}
	}
	if g.GTIN != "" {
		hits = append(hits, ix.byGTIN[g.GTIN]...)
	}
	if g.Name != "" {
		for _, h := range ix.names {
			if h.caseless && strings.Contains(g.Name, h.entry.Name) ||
				!h.caseless && containsFold(g.Name, h.entry.Name, h.nameRunes) {
				hits = append(hits, h)
			}
		}
	}
	if len(hits) == 0 {
		return nil
	}
	sortHits(hits)
	out := make([]catalog.NegativeListEntry, len(hits))
	for i, h := range hits {
		out[i] = h.entry
	}
	return out
}

// sortHits orders hits prohibited first, then by list position (insertion
// sort: there are only ever a few).
func sortHits(hits []negativeHit) {
	less := func(a, b negativeHit) bool {
		ap, bp := a.entry.Kind == catalog.Prohibited, b.entry.Kind == catalog.Prohibited
		if ap != bp {
			return ap
		}
		return a.pos < b.pos
	}
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && less(hits[j], hits[j-1]); j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
}

// containsFold reports whether sub (of subRunes runes) occurs in s, ignoring
// case, without allocating as strings.ToLower would for names holding
// upper-case letters. Positions whose rune cannot start sub are skipped
// before any comparison, which keeps the scan of every keyword over every
// line name cheap.
func containsFold(s, sub string, subRunes int) bool {
	first, _ := utf8.DecodeRuneInString(sub)
	if sub == "" || first == utf8.RuneError {
		return false
	}
	lower := unicode.ToLower(first)
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == first || unicode.ToLower(r) == lower {
			if j, ok := runesAhead(s, i, subRunes); ok && strings.EqualFold(s[i:j], sub) {
				return true
			} else if !ok {
				return false
			}
		}
		i += w
	}
	return false
}

// runesAhead returns the end of the n runes of s starting at byte i; ok is
// false when fewer remain.
func runesAhead(s string, i, n int) (int, bool) {
	for ; n > 0 && i < len(s); n-- {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return i, n == 0
}
