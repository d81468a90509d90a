package trace

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// LabInput is an enterprise's application for testing one of its products.
type LabInput struct {
	LabCode string   `json:"labCode"`
	ItemNo  string   `json:"itemNo"`
	Batch   string   `json:"batch"`
	Sample  string   `json:"sample"`
	Items   []string `json:"items"`
}

// Apply records an application (在线报验检测) by the e-commerce enterprise
// that filed the product, to a lab registered with the lab role.
func (s *Service) Apply(ctx context.Context, applicant *enterprise.Enterprise, in LabInput) (_ *store.LabApplication, err error) {
	defer errs.Wrap(&err, "trace.Apply")
	var problems errs.List
	now := s.Now()
	a := &store.LabApplication{Applicant: applicant.Code, EbcCode: applicant.Code, Status: "applied", CreatedAt: now, UpdatedAt: now}
	a.LabCode = text(&problems, "labCode", in.LabCode, true, 10)
	a.ItemNo = text(&problems, "itemNo", in.ItemNo, true, 50)
	a.Batch = text(&problems, "batch", in.Batch, false, 50)
	a.Sample = text(&problems, "sample", in.Sample, true, 500)
	if a.ItemNo != "" {
		if p, ok := s.Ref.Product(a.EbcCode, a.ItemNo); ok {
			a.ProductName, a.GTIN = p.Name, p.GTIN
		} else {
			problems = append(problems, errs.Invalidf("itemNo", "product_not_filed", "no product %s filed by %s; file it first", a.ItemNo, a.EbcCode))
		}
	}
	if a.LabCode != "" {
		lab, err := s.Parties.Get(ctx, a.LabCode)
		if err != nil {
			return nil, err
		}
		if lab == nil || !lab.HasRole(enterprise.RoleLab) || lab.Status != enterprise.StatusActive {
			problems = append(problems, errs.Invalidf("labCode", "lab_unknown", "%s is not an active enterprise with the lab role", a.LabCode))
		}
	}
	a.Items = cleanItems(&problems, in.Items)
	if err := problems.Err(); err != nil {
		return nil, err
	}
	a.ID = newID("LA", now)
	if err := s.DB.InsertLabApplication(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

func cleanItems(problems *errs.List, items []string) []string {
	var out []string
	for i, it := range items {
		it = strings.TrimSpace(it)
		field := fmt.Sprintf("items[%d]", i)
		switch {
		case it == "":
			*problems = append(*problems, errs.Invalidf(field, "item_empty", "%s is empty", field))
		case len([]rune(it)) > 100 || strings.ContainsAny(it, "\n\r"):
			*problems = append(*problems, errs.Invalidf(field, "item_invalid", "%s: one line of at most 100 characters", field))
		case slices.Contains(out, it):
			*problems = append(*problems, errs.Invalidf(field, "item_duplicate", "%s %q is listed twice", field, it))
		default:
			out = append(out, it)
		}
	}
	if len(items) == 0 || len(items) > 50 {
		*problems = append(*problems, errs.Invalidf("items", "items_count", "list 1 to 50 test items, not %d", len(items)))
	}
	return out
}

// Application reads an application for its applicant, its lab or an officer (who == nil).
func (s *Service) Application(ctx context.Context, who *enterprise.Enterprise, id string) (_ *store.LabApplication, err error) {
	defer errs.Wrap(&err, "trace.Application(%q)", id)
	a, err := s.DB.LabApplication(ctx, id)
	if err != nil {
		return nil, err
	}
	if who != nil && who.Code != a.Applicant && who.Code != a.LabCode {
		return nil, errs.New(errs.NotFound, "lab_application_not_found", "id", "no lab application %s", id)
	}
	return a, nil
}

// Accept lets the lab accept (or refuse, with a note) an application.
func (s *Service) Accept(ctx context.Context, lab *enterprise.Enterprise, id string, accept bool, note string) (_ *store.LabApplication, err error) {
	defer errs.Wrap(&err, "trace.Accept(%q)", id)
	var out *store.LabApplication
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.labOwn(ctx, tx, lab, id)
		if err != nil {
			return err
		}
		if a.Status != "applied" {
			return errs.New(errs.Conflict, "lab_status", "status", "application %s is %s; only an applied one can be accepted or refused", id, a.Status)
		}
		a.Status, a.UpdatedAt = "accepted", s.Now()
		if !accept {
			a.Status = "refused"
		}
		var problems errs.List
		a.Note = text(&problems, "note", note, !accept, 1000)
		if err := problems.Err(); err != nil {
			return err
		}
		out = a
		return tx.UpdateLabApplication(ctx, a)
	})
	return out, err
}

func (s *Service) labOwn(ctx context.Context, tx *store.Tx, lab *enterprise.Enterprise, id string) (*store.LabApplication, error) {
	a, err := tx.LabApplication(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.LabCode != lab.Code {
		return nil, errs.New(errs.NotFound, "lab_application_not_found", "id", "no lab application %s addressed to %s", id, lab.Code)
	}
	return a, nil
}

// ResultInput is a lab's result for one test item.
type ResultInput struct {
	Item     string `json:"item"`
	Passed   *bool  `json:"passed"`
	Value    string `json:"value"`
	Standard string `json:"standard"`
	Method   string `json:"method"`
}

// Record stores the lab's results. Once every item has a result the
// application is passed or failed; a failure publishes a risk warning and,
// unless hold is false, holds further releases of the product — all in one
// transaction.
func (s *Service) Record(ctx context.Context, lab *enterprise.Enterprise, id string, results []ResultInput, hold bool) (_ *store.LabApplication, err error) {
	defer errs.Wrap(&err, "trace.Record(%q)", id)
	var out *store.LabApplication
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.labOwn(ctx, tx, lab, id)
		if err != nil {
			return err
		}
		if a.Status != "accepted" {
			return errs.New(errs.Conflict, "lab_status", "status", "application %s is %s; results are recorded on an accepted one", id, a.Status)
		}
		now := s.Now()
		var problems errs.List
		if len(results) == 0 {
			problems = append(problems, errs.Invalidf("results", "results_required", "send at least one result"))
		}
		var rs []store.LabResult
		for i, in := range results {
			f := fmt.Sprintf("results[%d]", i)
			r := store.LabResult{Item: strings.TrimSpace(in.Item), RecordedAt: now}
			if !slices.Contains(a.Items, r.Item) {
				problems = append(problems, errs.Invalidf(f+".item", "item_not_applied", "%s.item %q is not a test item of the application (%s)", f, in.Item, strings.Join(a.Items, ", ")))
			}
			if in.Passed == nil {
				problems = append(problems, errs.Invalidf(f+".passed", "passed_required", "%s.passed must be true or false", f))
			} else {
				r.Passed = *in.Passed
			}
			r.Value = text(&problems, f+".value", in.Value, false, 200)
			r.Standard = text(&problems, f+".standard", in.Standard, false, 200)
			r.Method = text(&problems, f+".method", in.Method, false, 200)
			rs = append(rs, r)
		}
		if err := problems.Err(); err != nil {
			return err
		}
		for _, r := range rs {
			if err := tx.PutLabResult(ctx, a.ID, r); err != nil {
				return err
			}
		}
		if a, err = tx.LabApplication(ctx, id); err != nil {
			return err
		}
		a.UpdatedAt = now
		if len(a.Results) == len(a.Items) {
			if err := s.finish(ctx, tx, a, hold); err != nil {
				return err
			}
		}
		out = a
		return tx.UpdateLabApplication(ctx, a)
	})
	if err != nil {
		return nil, err
	}
	s.reloadAfter(ctx)
	return out, nil
}

// finish decides a complete application; a failure raises a warning and a hold.
func (s *Service) finish(ctx context.Context, tx *store.Tx, a *store.LabApplication, hold bool) error {
	var failed []string
	for _, r := range a.Results {
		if !r.Passed {
			failed = append(failed, r.Item+" "+r.Value+" (标准/standard "+r.Standard+")")
		}
	}
	a.Status = "passed"
	if len(failed) == 0 {
		return nil
	}
	a.Status = "failed"
	n, err := s.notice("warning", NoticeInput{
		Title:   "检测不合格 / failed lab test: " + a.ProductName,
		Body:    "在线报验检测 " + a.ID + "（样品/sample: " + a.Sample + batchNote(a.Batch) + "）不合格项目 / failed items: " + strings.Join(failed, "; "),
		EbcCode: a.EbcCode, ItemNo: a.ItemNo, RiskLevel: "high",
		Advice: "暂停购买和使用该商品，已购消费者可联系电商企业退货 / stop buying and using this product; buyers may return it to the seller",
	}, "lab:"+a.LabCode)
	if err != nil {
		return err
	}
	if err := tx.InsertNotice(ctx, n); err != nil {
		return err
	}
	a.WarningID = n.ID
	if hold {
		h := &store.ProductHold{ID: newID("H", n.PublishedAt), Source: "lab", EbcCode: a.EbcCode, ItemNo: a.ItemNo, GTIN: a.GTIN,
			Reason: "failed lab test " + a.ID, Active: true, CreatedAt: n.PublishedAt}
		if err := tx.InsertProductHold(ctx, h); err != nil {
			return err
		}
		a.HoldID = h.ID
	}
	return nil
}

func batchNote(b string) string {
	if b == "" {
		return ""
	}
	return ", 批次/batch " + b
}

// Applications lists the applications an enterprise made or, as a lab, received; all for an officer (who == nil).
func (s *Service) Applications(ctx context.Context, who *enterprise.Enterprise, limit int) ([]store.LabApplication, error) {
	party := ""
	if who != nil {
		party = who.Code
	}
	return s.DB.LabApplications(ctx, party, "", "", limit)
}
