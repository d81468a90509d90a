package trace

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// RiskLevels are the levels a warning or recall may carry.
var RiskLevels = []string{"low", "medium", "high"}

// RecallInput is an officer's recall order.
type RecallInput struct {
	Title        string `json:"title"`
	Reason       string `json:"reason"`
	Advice       string `json:"advice"`
	RiskLevel    string `json:"riskLevel"`
	EbcCode      string `json:"ebcCode"`
	ItemNo       string `json:"itemNo"`
	GTIN         string `json:"gtin"`
	Batch        string `json:"batch"`
	ProducedFrom string `json:"producedFrom"`
	ProducedTo   string `json:"producedTo"`
}

// RecallResult is a started recall with the inventories (orders) it reached.
type RecallResult struct {
	Recall      *store.Recall
	Inventories []store.RecalledInventory
	Notified    []string // enterprises told through their receipts feed
}

func text(problems *errs.List, field, v string, required bool, maxLen int) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && required:
		*problems = append(*problems, errs.Invalidf(field, field+"_required", "%s is required", field))
	case utf8.RuneCountInString(v) > maxLen:
		*problems = append(*problems, errs.Invalidf(field, field+"_too_long", "%s has %d characters; at most %d", field, utf8.RuneCountInString(v), maxLen))
	}
	return v
}

func riskLevel(problems *errs.List, v string) string {
	if v == "" {
		return "high"
	}
	for _, l := range RiskLevels {
		if v == l {
			return v
		}
	}
	*problems = append(*problems, errs.Invalidf("riskLevel", "risk_level_unknown", "riskLevel %q: want low, medium or high", v))
	return v
}

func day(problems *errs.List, field, v string) string {
	if v == "" {
		return ""
	}
	if _, err := time.Parse("2006-01-02", v); err != nil {
		*problems = append(*problems, errs.Invalidf(field, "date_invalid", "%s %q: want a date YYYY-MM-DD", field, v))
	}
	return v
}

// productFields checks the product a recall, warning or application names:
// the filing (ebcCode + itemNo) or a GTIN, or both.
func (s *Service) productFields(problems *errs.List, ebc, item, gtin string, need bool) (string, string, string, string) {
	ebc, item, gtin = strings.TrimSpace(ebc), strings.TrimSpace(item), strings.TrimSpace(gtin)
	name := ""
	if gtin != "" && GTIN14(gtin) == "" {
		*problems = append(*problems, errs.Invalidf("gtin", "gtin_invalid", "gtin %q is not a GTIN-8/12/13/14 with a right check digit", gtin))
	}
	switch {
	case (ebc == "") != (item == ""):
		field := "itemNo"
		if ebc == "" {
			field = "ebcCode"
		}
		*problems = append(*problems, errs.Invalidf(field, "product_incomplete", "a product filing is named by ebcCode and itemNo together"))
	case ebc != "":
		p, ok := s.Ref.Product(ebc, item)
		if !ok {
			*problems = append(*problems, errs.Invalidf("itemNo", "product_not_filed", "no product %s filed by %s", item, ebc))
		} else {
			name = p.Name
			if gtin == "" {
				gtin = p.GTIN
			}
		}
	case gtin == "" && need:
		*problems = append(*problems, errs.Invalidf("itemNo", "product_required", "name the product: ebcCode and itemNo, or gtin"))
	}
	return ebc, item, gtin, name
}

// StartRecall records a recall: it links every released piece of the product,
// holds further releases of it, tells the e-commerce enterprises (and
// platforms) of every order reached through their receipts feed and webhook,
// and publishes the notice, all in one transaction.
func (s *Service) StartRecall(ctx context.Context, in RecallInput, actor string) (_ *RecallResult, err error) {
	defer errs.Wrap(&err, "trace.StartRecall")
	var problems errs.List
	r := &store.Recall{Status: "active", CreatedBy: actor, CreatedAt: s.Now()}
	r.Title = text(&problems, "title", in.Title, true, 200)
	r.Reason = text(&problems, "reason", in.Reason, true, 2000)
	r.Advice = text(&problems, "advice", in.Advice, false, 2000)
	r.RiskLevel = riskLevel(&problems, in.RiskLevel)
	m := &r.Match
	m.EbcCode, m.ItemNo, m.GTIN, r.ProductName = s.productFields(&problems, in.EbcCode, in.ItemNo, in.GTIN, true)
	m.Batch = text(&problems, "batch", in.Batch, false, 50)
	m.ProducedFrom = day(&problems, "producedFrom", in.ProducedFrom)
	m.ProducedTo = day(&problems, "producedTo", in.ProducedTo)
	if m.ProducedFrom != "" && m.ProducedTo != "" && m.ProducedFrom > m.ProducedTo {
		problems = append(problems, errs.Invalidf("producedTo", "date_range", "producedTo %s is before producedFrom %s", m.ProducedTo, m.ProducedFrom))
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	if r.ProductName == "" {
		r.ProductName = r.Title
	}
	r.ID = newID("RC", r.CreatedAt)
	hold := &store.ProductHold{ID: newID("H", r.CreatedAt), Source: "recall", EbcCode: m.EbcCode, ItemNo: m.ItemNo, GTIN: m.GTIN,
		Batch: m.Batch, Reason: "recall " + r.ID + ": " + r.Title, Active: true, CreatedAt: r.CreatedAt}
	r.HoldID = hold.ID
	out := &RecallResult{Recall: r}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertProductHold(ctx, hold); err != nil {
			return err
		}
		if _, err := tx.InsertRecall(ctx, r); err != nil {
			return err
		}
		invs, err := tx.RecalledInventories(ctx, r.ID)
		if err != nil {
			return err
		}
		out.Inventories = invs
		told := map[string]bool{}
		for _, inv := range invs {
			for _, to := range []string{inv.EbcCode, inv.EbpCode} {
				if err := s.notify(ctx, tx, r, inv, to); err != nil {
					return err
				}
				if !told[to] {
					told[to] = true
					out.Notified = append(out.Notified, to)
				}
				if inv.EbpCode == inv.EbcCode {
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.reloadAfter(ctx)
	return out, nil
}

// recallNotice is the XML of a recall notice in the receipts feed.
type recallNotice struct {
	XMLName   xml.Name `xml:"urn:cbec:trace RecallNotice"`
	RecallID  string   `xml:"recallId"`
	Title     string   `xml:"title"`
	Reason    string   `xml:"reason"`
	Advice    string   `xml:"advice,omitempty"`
	RiskLevel string   `xml:"riskLevel"`
	CopNo     string   `xml:"copNo"`
	OrderNo   string   `xml:"orderNo"`
	Pieces    int      `xml:"pieces"`
	NoticeAt  string   `xml:"noticeTime"`
}

func (s *Service) notify(ctx context.Context, tx *store.Tx, r *store.Recall, inv store.RecalledInventory, to string) error {
	f := clearance.Finding{Code: "2700", Detail: fmt.Sprintf("recall %s (%s), %d pieces of order %s", r.ID, r.Title, inv.Pieces, inv.OrderNo)}
	body, err := xml.Marshal(recallNotice{RecallID: r.ID, Title: r.Title, Reason: r.Reason, Advice: r.Advice, RiskLevel: r.RiskLevel,
		CopNo: inv.CopNo, OrderNo: inv.OrderNo, Pieces: inv.Pieces, NoticeAt: r.CreatedAt.In(cst).Format("20060102150405000")})
	if err != nil {
		return err
	}
	// Not a decision about the inventory, which stays released: 120 (a
	// notice recorded, nothing decided), never 800, which programs read as
	// a release (docs/reasons.md).
	return tx.AddReceipt(ctx, &store.Receipt{EnterpriseCode: to, MessageType: "RecallNotice", CopNo: inv.CopNo, OrderNo: inv.OrderNo,
		ReturnStatus: "120", ReturnInfo: f.Info(), XML: xml.Header + string(body), CreatedAt: r.CreatedAt})
}

// RecallReport is a recall with its counts: pieces reached and pieces returned.
type RecallReport struct {
	Recall   *store.Recall
	Returned int
	Pieces   []store.RecalledPiece
}

// Report reads a recall with its counts and a page of its pieces (after code).
func (s *Service) Report(ctx context.Context, id, after string, limit int) (_ *RecallReport, err error) {
	defer errs.Wrap(&err, "trace.Report(%q)", id)
	r, err := s.DB.Recall(ctx, id)
	if err != nil {
		return nil, err
	}
	rep := &RecallReport{Recall: r}
	if rep.Returned, err = s.DB.RecallReturned(ctx, id); err != nil {
		return nil, err
	}
	if rep.Pieces, err = s.DB.RecallPieces(ctx, id, after, limit); err != nil {
		return nil, err
	}
	return rep, nil
}

// CloseRecall ends a recall and lifts its hold: later inventories of the
// product are released again; those already held stay with the officer.
func (s *Service) CloseRecall(ctx context.Context, id string) (_ *store.Recall, err error) {
	defer errs.Wrap(&err, "trace.CloseRecall(%q)", id)
	var r *store.Recall
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		now := s.Now()
		if err := tx.CloseRecall(ctx, id, now); err != nil {
			return err
		}
		var err error
		if r, err = tx.RecallByID(ctx, id); err != nil {
			return err
		}
		if err := tx.LiftProductHold(ctx, r.HoldID, now); err != nil && errs.KindOf(err) != errs.NotFound {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.reloadAfter(ctx)
	return r, nil
}

// LiftHold ends a product hold.
func (s *Service) LiftHold(ctx context.Context, id string) (err error) {
	defer errs.Wrap(&err, "trace.LiftHold(%q)", id)
	if err := s.DB.InTx(ctx, func(tx *store.Tx) error { return tx.LiftProductHold(ctx, id, s.Now()) }); err != nil {
		return err
	}
	s.reloadAfter(ctx)
	return nil
}

// NoticeInput is a risk warning or policy notice to publish.
type NoticeInput struct {
	Title     string `json:"title"`
	Body      string `json:"body"`
	Product   string `json:"product"`
	EbcCode   string `json:"ebcCode"`
	ItemNo    string `json:"itemNo"`
	GTIN      string `json:"gtin"`
	RiskLevel string `json:"riskLevel"`
	Advice    string `json:"advice"`
}

// Publish publishes a warning (kind "warning") or a policy notice (kind "policy").
func (s *Service) Publish(ctx context.Context, kind string, in NoticeInput, source string) (_ *store.Notice, err error) {
	defer errs.Wrap(&err, "trace.Publish(%q)", kind)
	n, err := s.notice(kind, in, source)
	if err != nil {
		return nil, err
	}
	if err := s.DB.InTx(ctx, func(tx *store.Tx) error { return tx.InsertNotice(ctx, n) }); err != nil {
		return nil, err
	}
	s.reloadAfter(ctx)
	return n, nil
}

func (s *Service) notice(kind string, in NoticeInput, source string) (*store.Notice, error) {
	var problems errs.List
	n := &store.Notice{Kind: kind, Source: source, PublishedAt: s.Now()}
	n.Title = text(&problems, "title", in.Title, true, 200)
	n.Body = text(&problems, "body", in.Body, true, 10000)
	if kind == "warning" {
		var name string
		n.EbcCode, n.ItemNo, n.GTIN, name = s.productFields(&problems, in.EbcCode, in.ItemNo, in.GTIN, false)
		n.Product = text(&problems, "product", in.Product, name == "", 200)
		if n.Product == "" {
			n.Product = name
		}
		n.RiskLevel = riskLevel(&problems, in.RiskLevel)
		n.Advice = text(&problems, "advice", in.Advice, false, 2000)
	} else {
		for field, v := range map[string]string{"product": in.Product, "ebcCode": in.EbcCode, "itemNo": in.ItemNo, "gtin": in.GTIN, "riskLevel": in.RiskLevel, "advice": in.Advice} {
			if v != "" {
				problems = append(problems, errs.Invalidf(field, "field_not_for_policy", "%s belongs to warnings, not policy notices", field))
			}
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	prefix := "W"
	if kind == "policy" {
		prefix = "P"
	}
	n.ID = newID(prefix, n.PublishedAt)
	return n, nil
}

// Withdraw takes a notice off the public pages.
func (s *Service) Withdraw(ctx context.Context, id string) (err error) {
	defer errs.Wrap(&err, "trace.Withdraw(%q)", id)
	if err := s.DB.WithdrawNotice(ctx, id, s.Now()); err != nil {
		return err
	}
	s.reloadAfter(ctx)
	return nil
}
