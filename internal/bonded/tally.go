package bonded

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/intake"
	"github.com/cbec-platform/cbec/internal/store"
)

// Tally is what a warehouse recorded as physically arrived (理货), before the
// entry declaration that must follow within the deadline.
type Tally struct {
	TallyNo      string       `json:"tallyNo"`
	EmsNo        string       `json:"emsNo"`
	OperatorCode string       `json:"operatorCode"`
	Items        []EntryLine  `json:"items"`
	Deadline     time.Time    `json:"deadline"`
	EntryNo      string       `json:"entryNo,omitempty"`
	DeclaredAt   *time.Time   `json:"declaredAt,omitempty"`
	Differences  []Difference `json:"differences"`
	Overdue      bool         `json:"overdue"` // not declared by the deadline, or declared after it
	CreatedAt    time.Time    `json:"createdAt"`
}

// mayTallyFirst says why an operator may not tally first, or "" when it may
// (rules §8: credit class general or better, on no sanction list).
func mayTallyFirst(e *enterprise.Enterprise) string {
	switch {
	case e.CreditClass == enterprise.CreditDishonest || e.CreditClass == enterprise.CreditSeriouslyDishonest:
		return fmt.Sprintf("credit class %s is below general", e.CreditClass)
	case clearance.Sanctioned(e) || e.AbnormalList:
		return "the enterprise is on a sanction list"
	}
	return ""
}

// RecordTally records a tally by the book's operator.
func (s *Service) RecordTally(ctx context.Context, by *enterprise.Enterprise, t Tally) (_ *Tally, err error) {
	defer errs.Wrap(&err, "bonded.RecordTally(%q, %q)", by.Code, t.TallyNo)
	if t.TallyNo = strings.TrimSpace(t.TallyNo); t.TallyNo == "" || len(t.TallyNo) > 40 {
		return nil, errs.Invalidf("tallyNo", "tally_no_invalid", "tallyNo must be 1 to 40 characters")
	}
	op, err := operatorOf(ctx, s.DB, t.EmsNo)
	if err != nil {
		return nil, err
	}
	if by.Code != op {
		return nil, errs.New(errs.Forbidden, "not_your_book", "emsNo", "account book %s is kept by another enterprise", t.EmsNo)
	}
	if why := mayTallyFirst(by); why != "" {
		return nil, errs.New(errs.Forbidden, "tally_not_allowed", "operatorCode", "%s may not tally before declaring: %s", by.Code, why)
	}
	if err := s.checkLines(ctx, s.DB, t.EmsNo, t.Items); err != nil {
		return nil, err
	}
	now := s.Now()
	t.OperatorCode, t.CreatedAt, t.Deadline = op, now, now.Add(s.Params.TallyDeadline)
	items, err := json.Marshal(t.Items)
	if err != nil {
		return nil, fmt.Errorf("encode items of tally %s: %w", t.TallyNo, err)
	}
	err = s.Batch.Do(ctx, func(tx *store.Tx) error {
		// Not declared yet: no entry, no differences.
		err := tx.InsertBondedTally(ctx, &store.BondedTally{TallyNo: t.TallyNo, EmsNo: t.EmsNo, OperatorCode: op, Items: string(items),
			Deadline: t.Deadline, Differences: "[]", CreatedAt: now})
		if errs.KindOf(err) == errs.Conflict {
			return errs.New(errs.Conflict, "tally_exists", "tallyNo", "tally %s is already recorded", t.TallyNo)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.TallyByNo(ctx, op, t.TallyNo)
}

// tallyOf decodes a stored tally, and tells whether it is overdue at now.
func tallyOf(st *store.BondedTally, now time.Time) (*Tally, error) {
	t := Tally{TallyNo: st.TallyNo, EmsNo: st.EmsNo, OperatorCode: st.OperatorCode, EntryNo: st.EntryNo}
	if err := json.Unmarshal([]byte(st.Items), &t.Items); err != nil {
		return nil, fmt.Errorf("decode stored items of tally %s of %s: %w", t.TallyNo, t.OperatorCode, err)
	}
	t.Differences = []Difference{}
	if err := json.Unmarshal([]byte(st.Differences), &t.Differences); err != nil {
		return nil, fmt.Errorf("decode stored differences of tally %s of %s: %w", t.TallyNo, t.OperatorCode, err)
	}
	t.Deadline, t.CreatedAt = st.Deadline.In(cst), st.CreatedAt.In(cst)
	if st.DeclaredAt != nil {
		d := st.DeclaredAt.In(cst)
		t.DeclaredAt = &d
	}
	t.Overdue = (t.DeclaredAt == nil && now.After(t.Deadline)) || (t.DeclaredAt != nil && t.DeclaredAt.After(t.Deadline))
	return &t, nil
}

// TallyByNo reads the tally numbered no of an operator. Tally numbers are
// each operator's own (rules §12); operator "" (the administrator) finds the
// one tally of that number, or asks for the operator when several keep one.
func (s *Service) TallyByNo(ctx context.Context, operator, no string) (_ *Tally, err error) {
	defer errs.Wrap(&err, "bonded.TallyByNo(%q, %q)", operator, no)
	found, err := s.DB.BondedTalliesNumbered(ctx, operator, no)
	if err != nil {
		return nil, err
	}
	switch len(found) {
	case 0:
		return nil, errs.New(errs.NotFound, "tally_not_found", "tallyNo", "no tally %s", no)
	case 1:
		return tallyOf(&found[0], s.Now())
	}
	return nil, errs.Invalidf("operatorCode", "param_missing", "zone operators %s and %s each keep a tally %s: give operatorCode", found[0].OperatorCode, found[1].OperatorCode, no)
}

// TallyFilter selects tallies: of one operator, only overdue, only with differences to review.
type TallyFilter struct {
	Operator    string
	Overdue     bool
	Differences bool
}

// Tallies lists tallies, newest first.
func (s *Service) Tallies(ctx context.Context, f TallyFilter) (_ []Tally, err error) {
	defer errs.Wrap(&err, "bonded.Tallies(%q)", f.Operator)
	now := s.Now()
	sf := store.BondedTallyFilter{Operator: f.Operator, Differences: f.Differences}
	if f.Overdue {
		sf.OverdueAt = now
	}
	found, err := s.DB.BondedTallies(ctx, sf)
	if err != nil {
		return nil, err
	}
	out := make([]Tally, len(found))
	for i := range found {
		t, err := tallyOf(&found[i], now)
		if err != nil {
			return nil, err
		}
		out[i] = *t
	}
	return out, nil
}

// bondedEntry is the ExtendMessage a CEB711 carries to declare the goods of a
// bonded zone entry: <BondedEntry><emsNo/><tallyNo/><Item><itemRecordNo/><qty/></Item>…</BondedEntry>.
type bondedEntry struct {
	EmsNo   string `xml:"emsNo"`
	TallyNo string `xml:"tallyNo"`
	Items   []struct {
		ItemRecordNo string `xml:"itemRecordNo"`
		Qty          string `xml:"qty"`
	} `xml:"Item"`
}

// entryDocuments takes a CEB711 from a zone operator as a bonded zone entry.
// The goods come from its ExtendMessage (name BondedEntry), or, without one,
// from the tally whose number is the DeliveryHead's copNo.
func (s *Service) entryDocuments(ctx context.Context, _ *intake.Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]intake.Doc, []ceb.Problem, error) {
	m := d.Message.(*ceb.CEB711Message)
	h := m.Delivery.DeliveryHead
	if err := intake.MayAct(sender, "Delivery/DeliveryHead/operatorCode", []enterprise.Role{enterprise.RoleArea}, h.OperatorCode); err != nil {
		return nil, nil, err
	}
	keys := ceb.DocumentKeys(m)[0]
	var ext *bondedEntry
	var problem string
	if m.ExtendMessage != nil {
		ext = new(bondedEntry)
		if err := xml.Unmarshal([]byte("<x>"+m.ExtendMessage.Message+"</x>"), &struct {
			E *bondedEntry `xml:"BondedEntry"`
		}{ext}); err != nil {
			problem = "ExtendMessage/Message: " + err.Error()
		}
	}
	return []intake.Doc{&doc{keys: keys, copNo: h.CopNo, apply: func(ctx context.Context, tx *store.Tx, env *intake.Env) (intake.Result, error) {
		if problem != "" {
			return intake.Refused("1386", "%s", problem), nil
		}
		if h.AppType != "1" {
			return intake.Refused("1103", "a zone entry is declared with appType 1 only here, not %s", h.AppType), nil
		}
		e := Entry{EntryNo: h.CopNo, Source: "CEB711"}
		switch {
		case ext != nil:
			e.EmsNo, e.TallyNo = ext.EmsNo, ext.TallyNo
			for _, it := range ext.Items {
				e.Items = append(e.Items, EntryLine{ItemRecordNo: it.ItemRecordNo, Qty: it.Qty})
			}
		default:
			t, err := tx.BondedTally(ctx, env.Sender.Code, h.CopNo)
			if errs.KindOf(err) == errs.NotFound {
				return intake.Refused("1386", "copNo=%s: no ExtendMessage BondedEntry naming the goods, and no tally %s to declare", h.CopNo, h.CopNo), nil
			}
			if err != nil {
				return intake.Result{}, err
			}
			e.EmsNo, e.TallyNo = t.EmsNo, h.CopNo
			if err := json.Unmarshal([]byte(t.Items), &e.Items); err != nil {
				return intake.Result{}, fmt.Errorf("decode stored items of tally %s of %s: %w", h.CopNo, env.Sender.Code, err)
			}
		}
		var refusal error
		err := tx.Savepoint(ctx, "bonded_entry", func() error {
			refusal = s.recordEntry(ctx, tx, env.Sender.Code, &e, env.Now)
			return refusal
		})
		if err != nil {
			if _, ok := errs.As(err); ok {
				return intake.Refused("1386", "%s", describe(err)), nil
			}
			return intake.Result{}, err
		}
		if len(e.EntryNo) <= 18 {
			keys["rkdNo"] = e.EntryNo
		}
		detail := fmt.Sprintf("entry %s into book %s: %d item(s)", e.EntryNo, e.EmsNo, len(e.Items))
		if len(e.Differences) > 0 {
			detail += fmt.Sprintf("; %d difference(s) from tally %s listed for review", len(e.Differences), e.TallyNo)
		}
		return intake.Result{Status: "120", Finding: clearance.Finding{Code: "1800", Detail: detail}}, nil
	}}}, nil, nil
}

// describe renders a validation error (or list) as one line naming the fields.
func describe(err error) string {
	var list errs.List
	if errors.As(err, &list) {
		parts := make([]string, len(list))
		for i, e := range list {
			parts[i] = e.Field + ": " + e.Message
		}
		return strings.Join(parts, "; ")
	}
	if e, ok := errs.As(err); ok && e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return err.Error()
}
