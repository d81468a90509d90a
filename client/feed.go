package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Receipt is one receipt of an enterprise's feed (GET /api/v1/receipts), or
// of a webhook delivery.
type Receipt struct {
	Seq          int64     `json:"seq"` // the enterprise's sequence number, rising; resume after the last one handled
	MessageType  string    `json:"messageType"`
	CopNo        string    `json:"copNo"`
	OrderNo      string    `json:"orderNo"`
	ReturnStatus string    `json:"returnStatus"`
	ReturnInfo   string    `json:"returnInfo"`
	XML          string    `json:"xml"` // the receipt message as CEB XML
	CreatedAt    time.Time `json:"createdAt"`
}

// Code is the reason code of ReturnInfo, e.g. "2600"; "" when there is none.
func (r Receipt) Code() string { return ReasonCode(r.ReturnInfo) }

// Page is one answer of the receipts feed.
type Page struct {
	Receipts []Receipt `json:"receipts"`
	Next     int64     `json:"next"` // pass as after for the following page
}

// MaxPage is the most receipts the server returns in one page.
const MaxPage = 1000

// Receipts reads one page of the calling enterprise's receipts with a
// sequence number above after, oldest first; limit is 1 to MaxPage (0: the
// server's default, 100).
func (c *Client) Receipts(ctx context.Context, after int64, limit int) (Page, error) {
	var p Page
	err := c.page(ctx, after, limit, &p)
	return p, err
}

func (c *Client) page(ctx context.Context, after int64, limit int, into any) error {
	path := "/api/v1/receipts?after=" + strconv.FormatInt(after, 10)
	if limit > 0 {
		path += "&limit=" + strconv.Itoa(limit)
	}
	b, err := c.Do(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, into); err != nil {
		return fmt.Errorf("GET %s: decode answer: %w", path, err)
	}
	return nil
}

// FollowOptions tune Follow. The zero value follows for ever, 500 receipts
// a page, asking again a second after catching up, and stops at the first error.
type FollowOptions struct {
	PageSize int           // receipts asked for per page, 1 to MaxPage (default 500)
	Interval time.Duration // pause after a page that was not full (default 1s)
	// UntilCaughtUp makes Follow return nil after the first page that was
	// not full, instead of waiting for more.
	UntilCaughtUp bool
	// WithoutXML leaves Receipt.XML empty, sparing the decoding of every
	// receipt message when only statuses matter.
	WithoutXML bool
	// OnError is called when a page cannot be read. Returning nil makes
	// Follow try again after RetryAfter; returning an error (or a nil
	// OnError) ends Follow with it.
	OnError    func(error) error
	RetryAfter time.Duration // pause before another try (default 5 × Interval)
}

// Follow calls fn with every receipt whose sequence number is above after,
// in order, and keeps asking for new ones until ctx ends (then it returns
// ctx.Err()), fn returns an error (then it returns that error), or, with
// UntilCaughtUp, the feed is read to its end. Delivery is at least once
// across restarts: store the Seq of each receipt handled and resume with it.
func (c *Client) Follow(ctx context.Context, after int64, opt FollowOptions, fn func(Receipt) error) error {
	if opt.PageSize <= 0 || opt.PageSize > MaxPage {
		opt.PageSize = 500
	}
	if opt.Interval <= 0 {
		opt.Interval = time.Second
	}
	if opt.RetryAfter <= 0 {
		opt.RetryAfter = 5 * opt.Interval
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rs, next, err := c.followPage(ctx, after, opt)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if opt.OnError == nil {
				return err
			}
			if err := opt.OnError(err); err != nil {
				return err
			}
			if err := pause(ctx, opt.RetryAfter); err != nil {
				return err
			}
			continue
		}
		for _, r := range rs {
			if err := fn(r); err != nil {
				return err
			}
			after = max(after, r.Seq)
		}
		after = max(after, next)
		if len(rs) < opt.PageSize {
			if opt.UntilCaughtUp {
				return nil
			}
			if err := pause(ctx, opt.Interval); err != nil {
				return err
			}
		}
	}
}

// followPage reads one page, without the receipt messages when asked.
func (c *Client) followPage(ctx context.Context, after int64, opt FollowOptions) ([]Receipt, int64, error) {
	if !opt.WithoutXML {
		var p Page
		err := c.page(ctx, after, opt.PageSize, &p)
		return p.Receipts, p.Next, err
	}
	// The same fields but XML: the decoder skips the messages.
	var p struct {
		Receipts []struct {
			Seq          int64     `json:"seq"`
			MessageType  string    `json:"messageType"`
			CopNo        string    `json:"copNo"`
			OrderNo      string    `json:"orderNo"`
			ReturnStatus string    `json:"returnStatus"`
			ReturnInfo   string    `json:"returnInfo"`
			CreatedAt    time.Time `json:"createdAt"`
		} `json:"receipts"`
		Next int64 `json:"next"`
	}
	if err := c.page(ctx, after, opt.PageSize, &p); err != nil {
		return nil, 0, err
	}
	rs := make([]Receipt, len(p.Receipts))
	for i, r := range p.Receipts {
		rs[i] = Receipt{Seq: r.Seq, MessageType: r.MessageType, CopNo: r.CopNo, OrderNo: r.OrderNo,
			ReturnStatus: r.ReturnStatus, ReturnInfo: r.ReturnInfo, CreatedAt: r.CreatedAt}
	}
	return rs, p.Next, nil
}

func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
