package trace

import (
	"context"
	"github.com/cbec-platform/cbec/internal/errs"
	"io"
	"strings"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/engine"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
)

// MaxPiecesPerLine bounds the codes one goods line gets; a line declaring more
// pieces gets this many (bulk goods are not labelled piece by piece).
const MaxPiecesPerLine = 10000

// Issuer is the engine effect that gives every released piece its code, in
// the transaction that records status 800: codes exist exactly when the
// release does. It must be the last effect, so no later one can refuse a
// release it has already coded.
type Issuer struct {
	Ref  clearance.Reference
	Rand io.Reader // crypto/rand when nil
}

// Apply implements engine.Effect.
func (is *Issuer) Apply(ctx context.Context, tx *store.Tx, d *engine.Decision, from, to string) (_ *engine.Outcome, err error) {
	defer errs.Wrap(&err, "trace.Issuer.Apply(%q)", from)
	if to != "800" || from == "800" || d.Doc == nil {
		return nil, nil
	}
	codes, err := is.codesFor(d, from)
	if err != nil {
		return nil, err
	}
	// Two equal codes (the same minute and 59 equal random bits) fail the
	// transaction (a conflict on the code): it is undone and the inventory,
	// still pending, is judged again with fresh codes.
	return nil, tx.InsertTraceCodes(ctx, codes)
}

func (is *Issuer) codesFor(d *engine.Decision, from string) ([]store.TraceCode, error) {
	doc, inv := d.Doc, d.Inventory
	total := 0
	counts := make([]int, len(doc.Lines))
	for i, l := range doc.Lines {
		counts[i] = Pieces(l.Qty)
		total += counts[i]
	}
	fresh, err := NewCodes(is.Rand, d.Now, total)
	if err != nil {
		return nil, err
	}
	inspected := from == "500" || engine.Detained(from)
	out := make([]store.TraceCode, 0, total)
	for i, l := range doc.Lines {
		c := store.TraceCode{InventoryID: inv.ID, Gnum: l.Gnum, EbcCode: doc.EbcCode, ItemNo: l.ItemNo, Name: l.Gname,
			OriginCountry: l.Country, HSCode: l.Gcode, CustomsCode: doc.CustomsCode, PortCode: doc.PortCode,
			Inspected: inspected, State: "released", ReleasedAt: d.Now}
		if c.Name == "" {
			c.Name = l.ItemName
		}
		if p, ok := is.Ref.Product(doc.EbcCode, l.ItemNo); ok {
			c.GTIN, c.Brand = p.GTIN, p.Brand
			if p.OriginCountry != "" {
				c.OriginCountry = p.OriginCountry
			}
			if p.Name != "" {
				c.Name = p.Name
			}
		}
		if c.GTIN == "" && GTIN14(strings.TrimSpace(l.BarCode)) != "" {
			c.GTIN = strings.TrimSpace(l.BarCode)
		}
		for piece := 1; piece <= counts[i]; piece++ {
			c.Code, c.Piece = fresh[len(out)], piece
			out = append(out, c)
		}
	}
	return out, nil
}

// Pieces is the number of codes a line quantity gets: the quantity rounded
// up, at least one, at most MaxPiecesPerLine.
func Pieces(q money.Decimal) int {
	whole, err := q.RoundHalfUp(money.FromFen(100))
	if err != nil {
		return 1
	}
	n := whole.Fen() / 100
	if q.Cmp(whole.Decimal()) > 0 {
		n++
	}
	return int(min(max(n, 1), MaxPiecesPerLine))
}
