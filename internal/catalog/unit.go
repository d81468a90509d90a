package catalog

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cbec-platform/cbec/internal/money"
)

// Unit is a measurement unit the tax rules convert between, held as its
// canonical symbol. Only units that tax math needs are known: mass (g, kg,
// t), volume (ml, L) and count (piece). Other customs units (bags, boxes
// sold by weight…) simply are not convertible; a line in such a unit can be
// taxed as long as its tariff row needs no quantity.
type Unit string

// Known units.
const (
	Gram       Unit = "g"
	Kilogram   Unit = "kg"
	Tonne      Unit = "t"
	Millilitre Unit = "ml"
	Litre      Unit = "L"
	Piece      Unit = "piece"
)

// Dimension groups units that convert by a fixed factor.
type Dimension int

// Dimensions. Mass and volume convert through a product's litres per tonne.
const (
	NoDimension Dimension = iota
	Mass
	Volume
	Count
)

// ErrUnknownUnit is returned for a unit ParseUnit does not know.
var ErrUnknownUnit = errors.New("unknown unit")

// unitInfo is a unit's dimension and its size in the dimension's base unit
// (g, ml, piece).
type unitInfo struct {
	dim  Dimension
	base int64
}

var units = map[Unit]unitInfo{
	Gram:       {Mass, 1},
	Kilogram:   {Mass, 1000},
	Tonne:      {Mass, 1000000},
	Millilitre: {Volume, 1},
	Litre:      {Volume, 1000},
	Piece:      {Count, 1},
}

// unitAliases maps what tables and messages write to a canonical unit:
// symbols, Chinese names and the JGS-20 customs unit codes used in CEB
// unit/unit1 fields. Every count unit (个, 件, 支, 片, 张, 瓶, 台, 只, 双,
// 套, 盒, 罐, 袋, 包, 条) counts as a piece: the rules know one count
// threshold, "per piece (片/张)", and the platform does not tell a box from a
// sheet. Codes follow third-party copies of the JGS-20 table.
var unitAliases = map[string]Unit{
	"g": Gram, "gram": Gram, "克": Gram, "036": Gram,
	"kg": Kilogram, "千克": Kilogram, "公斤": Kilogram, "035": Kilogram,
	"t": Tonne, "tonne": Tonne, "吨": Tonne, "070": Tonne,
	"ml": Millilitre, "毫升": Millilitre, "096": Millilitre,
	"l": Litre, "litre": Litre, "升": Litre, "095": Litre,
	"piece": Piece, "pcs": Piece, "件": Piece, "个": Piece, "支": Piece, "片": Piece,
	"张": Piece, "瓶": Piece, "台": Piece, "只": Piece, "双": Piece, "套": Piece,
	"盒": Piece, "罐": Piece, "袋": Piece, "包": Piece, "条": Piece,
	"001": Piece, "006": Piece, "007": Piece, "008": Piece, "010": Piece, "011": Piece,
	"012": Piece, "015": Piece, "020": Piece, "025": Piece, "122": Piece, "125": Piece,
	"136": Piece, "140": Piece, "142": Piece,
}

// ParseUnit maps a unit symbol ("kg", "L"), Chinese name ("千克") or customs
// unit code ("035") to its canonical Unit. Symbols are case-insensitive.
func ParseUnit(s string) (Unit, error) {
	s = strings.TrimSpace(s)
	if u, ok := unitAliases[strings.ToLower(s)]; ok {
		return u, nil
	}
	return "", fmt.Errorf("%w %q: want one of g, kg, t, ml, L, piece or their customs codes", ErrUnknownUnit, s)
}

// Dimension returns the unit's dimension, NoDimension for an unknown unit.
func (u Unit) Dimension() Dimension { return units[u].dim }

// Known reports whether u is one of the known canonical units.
func (u Unit) Known() bool { return units[u].dim != NoDimension }

// Convertible reports whether a quantity in from can be expressed in to:
// both units known and of the same dimension, or one a mass and the other a
// volume.
func Convertible(from, to Unit) bool {
	f, t := from.Dimension(), to.Dimension()
	if f == NoDimension || t == NoDimension {
		return false
	}
	return f == t || (f != Count && t != Count)
}

// DefaultLitresPerTonne is the volume-to-mass equivalence used when a tariff
// row gives none: 1 ml ≡ 1 g, as the consumption-tax rules state for
// cosmetics ("10 CNY per ml (g)") and spirits ("0.5 CNY per 500 g (or
// 500 ml)").
var DefaultLitresPerTonne = money.DecimalFromInt(1000)

// ConvertQuantity converts q from one unit to another. Mass and volume
// convert through litresPerTonne (beer: 988 by statute); zero means
// DefaultLitresPerTonne. Count converts only to count.
func ConvertQuantity(q money.Decimal, from, to Unit, litresPerTonne money.Decimal) (money.Decimal, error) {
	if from == to {
		return q, nil
	}
	fi, ti := units[from], units[to]
	if fi.dim == NoDimension || ti.dim == NoDimension {
		return money.Decimal{}, fmt.Errorf("convert %s %s to %s: %w", q, from, to, ErrUnknownUnit)
	}
	base, err := q.Mul(money.DecimalFromInt(fi.base)) // in g, ml or pieces
	if err != nil {
		return money.Decimal{}, fmt.Errorf("convert %s %s to %s: %w", q, from, to, err)
	}
	if fi.dim != ti.dim {
		if base, err = crossMassVolume(base, fi.dim, ti.dim, litresPerTonne); err != nil {
			return money.Decimal{}, fmt.Errorf("convert %s %s to %s: %w", q, from, to, err)
		}
	}
	out, err := base.Quo(money.DecimalFromInt(ti.base))
	if err != nil {
		return money.Decimal{}, fmt.Errorf("convert %s %s to %s: %w", q, from, to, err)
	}
	return out, nil
}

// crossMassVolume turns grams into millilitres or back: litresPerTonne
// litres weigh one tonne, so 1 g is litresPerTonne/1000 ml.
func crossMassVolume(base money.Decimal, from, to Dimension, litresPerTonne money.Decimal) (money.Decimal, error) {
	if litresPerTonne.IsZero() {
		litresPerTonne = DefaultLitresPerTonne
	}
	if litresPerTonne.Sign() < 0 {
		return money.Decimal{}, fmt.Errorf("litres per tonne %s is negative", litresPerTonne)
	}
	thousand := money.DecimalFromInt(1000)
	switch {
	case from == Mass && to == Volume:
		ml, err := base.Mul(litresPerTonne)
		if err != nil {
			return money.Decimal{}, err
		}
		return ml.Quo(thousand)
	case from == Volume && to == Mass:
		g, err := base.Mul(thousand)
		if err != nil {
			return money.Decimal{}, err
		}
		return g.Quo(litresPerTonne)
	}
	return money.Decimal{}, errors.New("count and measure units do not convert")
}
