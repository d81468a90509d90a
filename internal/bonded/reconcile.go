package bonded

import (
	"context"
	"encoding/csv"
	"fmt"
	"github.com/cbec-platform/cbec/internal/csvsafe"
	"io"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// Reconciliation is the monthly account-book report (rules §8): per item,
// opening, in, out, returned, adjusted and closing, from the movements.
type Reconciliation struct {
	EmsNo    string      `json:"emsNo"`
	Month    string      `json:"month"` // YYYY-MM, China time
	From     time.Time   `json:"from"`
	To       time.Time   `json:"to"`
	Lines    []ReconLine `json:"lines"`
	Balanced bool        `json:"balanced"` // every line adds up and matches the book
}

// ReconLine is one item's month. Closing = opening + in − out + returned +
// adjusted always holds by construction; BookClosing is the stock the book
// holds now minus the movements after the month, and any difference between
// the two is a discrepancy, explained by the movements listed.
type ReconLine struct {
	ItemRecordNo string `json:"itemRecordNo"`
	Name         string `json:"name"`
	Opening      string `json:"opening"`
	In           string `json:"in"`
	Out          string `json:"out"`
	Returned     string `json:"returned"`
	Adjusted     string `json:"adjusted"`
	Closing      string `json:"closing"`
	BookClosing  string `json:"bookClosing"`
	Discrepancy  string `json:"discrepancy"`
	Explanation  string `json:"explanation"`
	Moves        []Move `json:"moves,omitempty"` // the month's movements, when there is a discrepancy or adjustment
}

// Reconcile builds the report of a book for a month (YYYY-MM).
func (s *Service) Reconcile(ctx context.Context, emsNo, month string) (_ *Reconciliation, err error) {
	defer errs.Wrap(&err, "bonded.Reconcile(%q, %q)", emsNo, month)
	start, err := time.ParseInLocation("2006-01", month, cst)
	if err != nil {
		return nil, errs.Invalidf("month", "month_invalid", "month must be YYYY-MM (got %q)", month)
	}
	end := start.AddDate(0, 1, 0)
	book, err := s.Book(ctx, emsNo)
	if err != nil {
		return nil, err
	}
	all, err := s.moves(ctx, store.BondedMoveFilter{EmsNo: emsNo})
	if err != nil {
		return nil, err
	}
	r := &Reconciliation{EmsNo: emsNo, Month: month, From: start, To: end, Lines: []ReconLine{}, Balanced: true}
	for _, it := range book.Items {
		var opening, in, out, returned, adjusted, after int64
		var moved []Move
		for _, m := range all {
			if m.ItemRecordNo != it.ItemRecordNo {
				continue
			}
			switch {
			case m.At.Before(start):
				opening += m.milli
			case m.At.Before(end):
				moved = append(moved, m)
				switch m.Kind {
				case "in":
					in += m.milli
				case "out":
					out -= m.milli
				case "returned":
					returned += m.milli
				default:
					adjusted += m.milli
				}
			default:
				after += m.milli
			}
		}
		closing := opening + in - out + returned + adjusted
		bookClosing := it.onHand - after
		l := ReconLine{ItemRecordNo: it.ItemRecordNo, Name: it.Name, Opening: Qty(opening), In: Qty(in), Out: Qty(out),
			Returned: Qty(returned), Adjusted: Qty(adjusted), Closing: Qty(closing), BookClosing: Qty(bookClosing), Discrepancy: Qty(bookClosing - closing)}
		switch {
		case bookClosing != closing:
			r.Balanced = false
			l.Explanation = fmt.Sprintf("the book holds %s at the end of %s but its movements add up to %s: a stock change without a movement record; see the movements listed", Qty(bookClosing), r.Month, Qty(closing))
			l.Moves = moved
		case adjusted != 0:
			l.Explanation = fmt.Sprintf("adds up; adjusted by %s, see the adjustments listed", Qty(adjusted))
			for _, m := range moved {
				if m.Kind == "adjusted" {
					l.Moves = append(l.Moves, m)
				}
			}
		case it.Reserved != "0.000":
			l.Explanation = fmt.Sprintf("adds up; %s is reserved now by inventories not yet released (still in stock)", it.Reserved)
		default:
			l.Explanation = "adds up"
		}
		r.Lines = append(r.Lines, l)
	}
	return r, nil
}

// WriteCSV writes the report as CSV, one row per item.
func (r *Reconciliation) WriteCSV(w io.Writer) error {
	c := csv.NewWriter(w)
	_ = c.Write([]string{"ems_no", "month", "item_record_no", "name", "opening", "in", "out", "returned", "adjusted", "closing", "book_closing", "discrepancy", "explanation"})
	for _, l := range r.Lines {
		// Item numbers and names are the enterprise's own text: not a formula in a spreadsheet.
		_ = c.Write([]string{r.EmsNo, r.Month, csvsafe.Text(l.ItemRecordNo), csvsafe.Text(l.Name), l.Opening, l.In, l.Out, l.Returned, l.Adjusted,
			l.Closing, l.BookClosing, l.Discrepancy, l.Explanation})
	}
	c.Flush()
	return c.Error()
}
