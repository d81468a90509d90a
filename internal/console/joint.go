package console

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
)

// Line is a sorting line of a bonded warehouse.
type Line = store.SortingLine

// Finding is one side's result at the inspection bench.
type Finding struct {
	Result string `json:"result"`           // release, return, detain
	Status string `json:"status,omitempty"` // 501, 502, 503, 599 when detained
	Note   string `json:"note"`
	By     string `json:"by"`
}

// Parcel is a parcel seen at a sorting line, with what both screens show.
type Parcel struct {
	ID             string    `json:"id"`
	LineID         string    `json:"lineId"`
	LogisticsNo    string    `json:"logisticsNo"`
	InventoryID    string    `json:"inventoryId,omitempty"`
	ImageRef       string    `json:"imageRef"`
	ScannedAt      time.Time `json:"scannedAt"`
	Divert         string    `json:"divert"` // pass, inspect
	CustomsMark    string    `json:"customsMark,omitempty"`
	InspectionMark string    `json:"inspectionMark,omitempty"`
	Customs        *Finding  `json:"customsFinding,omitempty"`
	Inspection     *Finding  `json:"inspectionFinding,omitempty"`
	Outcome        string    `json:"outcome,omitempty"`
	Summary        *Summary  `json:"summary,omitempty"`
}

// Summary is the declaration as the screens show it.
type Summary struct {
	CopNo     string   `json:"copNo"`
	Status    string   `json:"status"`
	EbcCode   string   `json:"ebcCode"`
	Goods     []string `json:"goods"`
	Value     string   `json:"value"`
	Tax       string   `json:"tax"`
	RiskHits  []string `json:"riskHits"`
	Consignee string   `json:"consignee"` // masked
}

// Event is what the screens receive.
type Event struct {
	Type   string  `json:"type"` // scan, mark, finding, decided
	Parcel *Parcel `json:"parcel"`
	// SentAt is the server time the event left, for latency measurements (Unix nanoseconds).
	SentAt int64 `json:"sentAt"`
}

// CreateLine adds a sorting line (platform admin).
func (s *Service) CreateLine(ctx context.Context, o *Officer, name, warehouse string) (_ *Line, err error) {
	defer errs.Wrap(&err, "console.CreateLine(%q)", warehouse)
	name, warehouse = strings.TrimSpace(name), strings.TrimSpace(warehouse)
	var l errs.List
	if name == "" || utf8.RuneCountInString(name) > 50 {
		l = append(l, errs.Invalidf("name", "name_invalid", "name is required, at most 50 characters"))
	}
	if utf8.RuneCountInString(warehouse) > 50 {
		l = append(l, errs.Invalidf("warehouse", "warehouse_invalid", "warehouse has at most 50 characters"))
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	line := &Line{ID: newID("line_"), Name: name, Warehouse: warehouse, CreatedAt: s.now()}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertSortingLine(ctx, line); err != nil {
			return err
		}
		return s.audit(ctx, tx, o, "line.add", line.ID, "", line.Name)
	})
	return line, err
}

// AddScanner registers a scanner on a line and returns its token (shown once).
func (s *Service) AddScanner(ctx context.Context, o *Officer, lineID, name string) (_ string, err error) {
	defer errs.Wrap(&err, "console.AddScanner(%q)", lineID)
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 50 {
		return "", errs.Invalidf("name", "name_invalid", "name is required, at most 50 characters")
	}
	if _, err := s.Line(ctx, lineID); err != nil {
		return "", err
	}
	token, err := enterprise.NewSecret()
	if err != nil {
		return "", err
	}
	id := newID("scn_")
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertLineScanner(ctx, id, lineID, name, enterprise.HashKey(token), s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, o, "scanner.add", id, "", lineID+" "+name)
	})
	return token, err
}

// Line reads one line.
func (s *Service) Line(ctx context.Context, id string) (_ *Line, err error) {
	defer errs.Wrap(&err, "console.Line(%q)", id)
	l, err := s.DB.SortingLine(ctx, id)
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.New(errs.NotFound, "line_not_found", "line", "no sorting line %q", id)
	}
	return l, err
}

// Lines lists the sorting lines.
func (s *Service) Lines(ctx context.Context) (_ []*Line, err error) {
	defer errs.Wrap(&err, "console.Lines")
	lines, err := s.DB.SortingLines(ctx)
	if err != nil {
		return nil, err
	}
	out := []*Line{}
	for i := range lines {
		out = append(out, &lines[i])
	}
	return out, nil
}

// scanner returns the id of the scanner a token belongs to on a line.
func (s *Service) scanner(ctx context.Context, lineID, token string) (string, error) {
	id, line, err := s.DB.LineScannerByTokenHash(ctx, enterprise.HashKey(token))
	if errs.KindOf(err) == errs.NotFound {
		return "", errs.New(errs.Unauthorized, "scanner_unknown", "Authorization", "unknown scanner token")
	}
	if err != nil {
		return "", err
	}
	if line != lineID {
		return "", errs.New(errs.Forbidden, "scanner_other_line", "line", "this scanner belongs to another sorting line")
	}
	return id, nil
}

// ScanInput is what the line reports when a parcel passes a scanner.
type ScanInput struct {
	LogisticsNo string `json:"logisticsNo"`
	ImageRef    string `json:"imageRef"`
}

// selectedMark is the customs mark of a parcel whose inventory customs' risk
// selection chose for inspection (500).
const selectedMark = "selected for inspection (500)"

// Scan records a parcel passing a scanner and shows it on both screens. A
// parcel whose inventory was selected for inspection (500) is diverted to the
// inspection bench and marked for customs at once: the selection is customs'
// instruction, so customs records the finding that decides it (rules §9: a
// parcel is decided when the sides that marked it have recorded). Inspection
// marks it too to take part.
func (s *Service) Scan(ctx context.Context, lineID, token string, in ScanInput) (_ *Parcel, err error) {
	defer errs.Wrap(&err, "console.Scan(%q)", lineID)
	scannerID, err := s.scanner(ctx, lineID, token)
	if err != nil {
		return nil, err
	}
	in.LogisticsNo, in.ImageRef = strings.TrimSpace(in.LogisticsNo), strings.TrimSpace(in.ImageRef)
	var l errs.List
	if in.LogisticsNo == "" || len(in.LogisticsNo) > 60 {
		l = append(l, errs.Invalidf("logisticsNo", "logistics_no_invalid", "logisticsNo is required, at most 60 characters"))
	}
	if len(in.ImageRef) > 500 {
		l = append(l, errs.Invalidf("imageRef", "image_ref_invalid", "imageRef has at most 500 characters"))
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	p := &Parcel{ID: newID("pcl_"), LineID: lineID, LogisticsNo: in.LogisticsNo, ImageRef: in.ImageRef, ScannedAt: now, Divert: "pass"}
	inv, err := s.inventoryForWaybill(ctx, in.LogisticsNo)
	if err != nil {
		return nil, err
	}
	if inv != nil {
		p.InventoryID = inv.ID
		if inv.Status == "500" {
			p.Divert, p.CustomsMark = "inspect", selectedMark
		}
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertLineParcel(ctx, &store.LineParcel{ID: p.ID, LineID: lineID, LogisticsNo: p.LogisticsNo, InventoryID: p.InventoryID,
			ImageRef: p.ImageRef, ScannedAt: now, Divert: p.Divert, CustomsMark: p.CustomsMark}, scannerID)
	})
	if err != nil {
		return nil, err
	}
	p.Summary = s.summary(ctx, inv)
	s.publish(ctx, "scan", p)
	return p, nil
}

func (s *Service) inventoryForWaybill(ctx context.Context, logisticsNo string) (*store.Inventory, error) {
	id, err := s.DB.LatestInventoryIDByLogisticsNo(ctx, logisticsNo)
	if errs.KindOf(err) == errs.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.DB.Inventory(ctx, id)
}

// summary builds the screens' view of an inventory; nil without one.
func (s *Service) summary(ctx context.Context, inv *store.Inventory) *Summary {
	if inv == nil {
		return nil
	}
	sm := &Summary{CopNo: inv.CopNo, Status: inv.Status, EbcCode: inv.EbcCode, Value: fen(inv.DutiableFen), Tax: fen(inv.Tax), RiskHits: []string{}}
	var doc clearance.Inventory
	if json.Unmarshal(inv.Data, &doc) == nil {
		for _, l := range doc.Lines {
			sm.Goods = append(sm.Goods, l.Gname+" × "+l.Qty.String())
		}
	}
	sm.RiskHits = s.riskHits(ctx, inv.ID)
	return sm
}

func (s *Service) riskHits(ctx context.Context, inventoryID string) []string {
	out := []string{}
	hits, err := s.DB.RiskHits(ctx, inventoryID)
	if err != nil { // the screens show the declaration without its hits
		return out
	}
	for _, h := range hits {
		out = append(out, h.Kind+" "+h.Ref+" → "+h.Action)
	}
	return out
}

// parcelFrom is the stored parcel with its findings decoded.
func parcelFrom(sp *store.LineParcel) (*Parcel, error) {
	p := Parcel{ID: sp.ID, LineID: sp.LineID, LogisticsNo: sp.LogisticsNo, InventoryID: sp.InventoryID, ImageRef: sp.ImageRef,
		ScannedAt: sp.ScannedAt, Divert: sp.Divert, CustomsMark: sp.CustomsMark, InspectionMark: sp.InspectionMark, Outcome: sp.Outcome}
	cf, inf := sp.CustomsFinding, sp.InspectionFinding
	if cf != "" {
		p.Customs = &Finding{}
		if err := json.Unmarshal([]byte(cf), p.Customs); err != nil {
			return nil, fmt.Errorf("decode stored customs finding of parcel %s: %w", p.ID, err)
		}
	}
	if inf != "" {
		p.Inspection = &Finding{}
		if err := json.Unmarshal([]byte(inf), p.Inspection); err != nil {
			return nil, fmt.Errorf("decode stored inspection finding of parcel %s: %w", p.ID, err)
		}
	}
	return &p, nil
}

// Parcel reads one parcel with its summary.
func (s *Service) Parcel(ctx context.Context, id string) (_ *Parcel, err error) {
	defer errs.Wrap(&err, "console.Parcel(%q)", id)
	sp, err := s.DB.LineParcel(ctx, id)
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.New(errs.NotFound, "parcel_not_found", "parcel", "no parcel %q", id)
	}
	if err != nil {
		return nil, err
	}
	p, err := parcelFrom(sp)
	if err != nil {
		return nil, err
	}
	s.fill(ctx, p)
	return p, nil
}

func (s *Service) fill(ctx context.Context, p *Parcel) {
	if p.InventoryID != "" {
		if inv, err := s.DB.Inventory(ctx, p.InventoryID); err == nil {
			p.Summary = s.summary(ctx, inv)
		}
	}
}

// Parcels lists a line's latest parcels, newest first.
func (s *Service) Parcels(ctx context.Context, lineID string, limit int) (_ []*Parcel, err error) {
	defer errs.Wrap(&err, "console.Parcels(%q)", lineID)
	stored, err := s.DB.LineParcels(ctx, lineID, limit)
	if err != nil {
		return nil, err
	}
	var out []*Parcel
	for i := range stored {
		p, err := parcelFrom(&stored[i])
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	for _, p := range out {
		s.fill(ctx, p)
	}
	return out, nil
}

// Divert tells the line where a parcel goes: pass, or inspect (to the bench).
func (s *Service) Divert(ctx context.Context, lineID, token, parcelID string) (_ *Parcel, err error) {
	defer errs.Wrap(&err, "console.Divert(%q)", lineID)
	if _, err := s.scanner(ctx, lineID, token); err != nil {
		return nil, err
	}
	p, err := s.Parcel(ctx, parcelID)
	if err != nil {
		return nil, err
	}
	if p.LineID != lineID {
		return nil, errs.New(errs.NotFound, "parcel_not_found", "parcel", "no parcel %q on this line", parcelID)
	}
	return p, nil
}

// Mark flags a parcel for inspection from the officer's side and diverts it.
func (s *Service) Mark(ctx context.Context, o *Officer, parcelID, note string) (_ *Parcel, err error) {
	defer errs.Wrap(&err, "console.Mark(%q)", parcelID)
	side := o.Side()
	if side == "" || !o.May("joint") {
		return nil, errs.New(errs.Forbidden, "not_a_side", "department", "only customs and inspection officers mark parcels")
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > 200 {
		return nil, errs.Invalidf("note", "note_too_long", "note has at most 200 characters")
	}
	if note == "" {
		note = "marked"
	}
	p, err := s.Parcel(ctx, parcelID)
	if err != nil {
		return nil, err
	}
	if p.Outcome != "" {
		return nil, errs.New(errs.Conflict, "parcel_decided", "parcel", "the parcel was decided already (%s)", p.Outcome)
	}
	before := p.Divert + " " + p.CustomsMark + "|" + p.InspectionMark
	mark := o.Username + ": " + note
	if side == Inspection {
		p.InspectionMark = mark
	} else {
		p.CustomsMark = mark
	}
	p.Divert = "inspect"
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		marked, err := tx.MarkLineParcel(ctx, p.ID, side, mark, s.now())
		if err != nil {
			return err
		}
		if !marked {
			return errs.New(errs.Conflict, "parcel_decided", "parcel", "the parcel was decided meanwhile")
		}
		return s.audit(ctx, tx, o, "parcel.mark", p.ID, before, "inspect "+p.CustomsMark+"|"+p.InspectionMark)
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, "mark", p)
	return p, nil
}

// FindingInput is a side's result at the inspection bench.
type FindingInput struct {
	Result string `json:"result"`
	Status string `json:"status"`
	Note   string `json:"note"`
}

// RecordFinding stores the officer's side's finding; once every side that
// marked the parcel has recorded, the inventory is released (800), returned
// (100) or detained (501–503, 599) through the engine, which writes the
// receipt for the enterprise.
func (s *Service) RecordFinding(ctx context.Context, o *Officer, parcelID string, in FindingInput) (_ *Parcel, err error) {
	defer errs.Wrap(&err, "console.RecordFinding(%q)", parcelID)
	side := o.Side()
	if side == "" || !o.May("joint") {
		return nil, errs.New(errs.Forbidden, "not_a_side", "department", "only customs and inspection officers record findings")
	}
	in.Note = strings.TrimSpace(in.Note)
	var l errs.List
	switch in.Result {
	case "release", "return":
		in.Status = ""
	case "detain":
		if in.Status != "501" && in.Status != "502" && in.Status != "503" && in.Status != "599" {
			l = append(l, errs.Invalidf("status", "status_invalid", "a detention needs status 501, 502, 503 or 599"))
		}
	default:
		l = append(l, errs.Invalidf("result", "result_invalid", "result %q is not release, return or detain", in.Result))
	}
	if in.Result != "release" && in.Note == "" {
		l = append(l, errs.Invalidf("note", "note_required", "a return or detention needs a note giving the reason"))
	}
	if utf8.RuneCountInString(in.Note) > 500 {
		l = append(l, errs.Invalidf("note", "note_too_long", "note has at most 500 characters"))
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	p, err := s.Parcel(ctx, parcelID)
	if err != nil {
		return nil, err
	}
	if p.Outcome != "" {
		return nil, errs.New(errs.Conflict, "parcel_decided", "parcel", "the parcel was decided already (%s)", p.Outcome)
	}
	mark, mine := p.side(side)
	if mark == "" {
		return nil, errs.New(errs.Conflict, "not_marked_by_side", "parcel", "the %s side did not mark this parcel; only a side that marked it records a finding", side)
	}
	if mine != nil {
		return nil, findingRecorded(side)
	}
	f := &Finding{Result: in.Result, Status: in.Status, Note: in.Note, By: o.Username}
	fb, _ := json.Marshal(f)
	// The finding is stored first, only where the side has none (it is final
	// for the side until a supervisor reopens it); then the parcel is read
	// again, so that of two sides recording at the same moment, the one
	// committing last sees both findings and decides. A failed transition
	// leaves the findings stored and the parcel undecided: a supervisor's
	// reopening and a new finding retry it.
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		stored, err := tx.SetLineParcelFinding(ctx, p.ID, side, string(fb), s.now())
		if err != nil {
			return err
		}
		if !stored {
			return errs.New(errs.Conflict, "parcel_changed", "parcel", "the parcel was decided, or the %s side recorded, meanwhile: reload the screen", side)
		}
		return s.audit(ctx, tx, o, "parcel.finding", p.ID, "", f.text(side))
	})
	if err != nil {
		return nil, err
	}
	return s.decideIfFinal(ctx, o, parcelID)
}

func findingRecorded(side string) error {
	return errs.New(errs.Conflict, "finding_recorded", "parcel", "the %s side recorded its finding already; a %s supervisor may reopen it", side, side)
}

// side returns a side's mark and finding.
func (p *Parcel) side(side string) (string, *Finding) {
	if side == Inspection {
		return p.InspectionMark, p.Inspection
	}
	return p.CustomsMark, p.Customs
}

// text is a finding as the audit log shows it.
func (f *Finding) text(side string) string {
	t := side + ": " + f.Result
	if f.Status != "" {
		t += " " + f.Status
	}
	if f.Note != "" {
		t += ": " + f.Note
	}
	return t
}

// ReopenInput is a supervisor's reason for reopening their side's finding.
type ReopenInput struct {
	Reason string `json:"reason"`
}

// Reopen removes the finding of the supervisor's side from an undecided
// parcel, so that the side records it again; audited with the finding before
// and the reason after. A decided parcel is not reopened: its outcome went to
// the enterprise through the engine.
func (s *Service) Reopen(ctx context.Context, o *Officer, parcelID string, in ReopenInput) (_ *Parcel, err error) {
	defer errs.Wrap(&err, "console.Reopen(%q)", parcelID)
	side := o.Side()
	sup, err := s.supervises(ctx, o)
	if err != nil {
		return nil, err
	}
	if side == "" || !sup {
		return nil, errs.New(errs.Forbidden, "not_supervisor", "officer", "only a supervisor of the customs or inspection side reopens that side's finding")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" || utf8.RuneCountInString(in.Reason) > 500 {
		return nil, errs.Invalidf("reason", "reason_required", "a reopening needs a reason of at most 500 characters")
	}
	p, err := s.Parcel(ctx, parcelID)
	if err != nil {
		return nil, err
	}
	if p.Outcome != "" {
		return nil, errs.New(errs.Conflict, "parcel_decided", "parcel", "the parcel was decided already (%s)", p.Outcome)
	}
	_, mine := p.side(side)
	if mine == nil {
		return nil, errs.New(errs.Conflict, "no_finding", "parcel", "the %s side has no finding on this parcel to reopen", side)
	}
	before, _ := json.Marshal(mine)
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		cleared, err := tx.ClearLineParcelFinding(ctx, p.ID, side, string(before), s.now())
		if err != nil {
			return err
		}
		if !cleared {
			return errs.New(errs.Conflict, "parcel_changed", "parcel", "the parcel changed meanwhile: reload the screen")
		}
		return s.audit(ctx, tx, o, "parcel.reopen", p.ID, mine.text(side), "reopened: "+in.Reason)
	})
	if err != nil {
		return nil, err
	}
	if side == Inspection {
		p.Inspection = nil
	} else {
		p.Customs = nil
	}
	s.publish(ctx, "finding", p)
	return p, nil
}

// supervises tells whether the officer may reopen their side's findings.
func (s *Service) supervises(ctx context.Context, o *Officer) (bool, error) {
	return s.DB.OfficerSupervises(ctx, o.ID)
}

// decideIfFinal reads the parcel again and, once every side that marked it
// has recorded, moves the inventory through the engine.
func (s *Service) decideIfFinal(ctx context.Context, o *Officer, parcelID string) (*Parcel, error) {
	p, err := s.Parcel(ctx, parcelID)
	if err != nil {
		return nil, err
	}
	decision := newID("dec_")
	outcome, final := decide(p, decision)
	if final && p.Outcome == "" {
		if p.InventoryID == "" {
			return nil, errs.New(errs.Conflict, "no_inventory", "parcel", "no inventory declares waybill %s: hand the parcel to the warehouse", p.LogisticsNo)
		}
		if err := s.settle(ctx, o, p, outcome, decision); err != nil {
			return nil, err
		}
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.SetLineParcelOutcome(ctx, p.ID, outcome.Status, s.now()); err != nil {
				return err
			}
			return s.audit(ctx, tx, o, "parcel.decide", p.ID, "", outcome.Status+" decision "+decision)
		})
		if err != nil {
			return nil, err
		}
		p.Outcome = outcome.Status
		s.fill(ctx, p)
		s.publish(ctx, "decided", p)
		return p, nil
	}
	s.publish(ctx, "finding", p)
	return p, nil
}

type outcome struct {
	Status  string
	Finding clearance.Finding
}

// decide tells whether every side that marked has recorded and, if so, the
// outcome: a detention wins over a return, a return over a release. The
// finding's detail goes to the enterprise: it names the sides and the
// decision id, never an officer (the audit log ties the id to the officers).
func decide(p *Parcel, decision string) (outcome, bool) {
	type sideFinding struct {
		side string
		f    *Finding
	}
	var fs []sideFinding
	for _, x := range []struct {
		side, mark string
		f          *Finding
	}{{Customs, p.CustomsMark, p.Customs}, {Inspection, p.InspectionMark, p.Inspection}} {
		if x.mark == "" {
			continue
		}
		if x.f == nil {
			return outcome{}, false
		}
		fs = append(fs, sideFinding{x.side, x.f})
	}
	if len(fs) == 0 {
		return outcome{}, false
	}
	detail := "joint inspection, decision " + decision
	for _, x := range fs {
		if x.f.Note != "" {
			detail += "; " + x.side + ": " + x.f.Note
		}
	}
	for _, x := range fs {
		if x.f.Result == "detain" {
			return outcome{x.f.Status, clearance.Finding{Code: "2510", Detail: detail}}, true
		}
	}
	for _, x := range fs {
		if x.f.Result == "return" {
			return outcome{"100", clearance.Finding{Code: "1502", Detail: detail}}, true
		}
	}
	return outcome{"800", clearance.Finding{Code: "2601", Detail: detail}}, true
}

// settle moves the inventory through the engine; an inventory already in the
// outcome's status (released before the scan, say, or decided alike by the
// other side's finding recorded at the same moment) is left as it is. The
// read below spares the writer in the common case; the engine checks again
// in its transaction, where two sides settling at once are serialized.
func (s *Service) settle(ctx context.Context, o *Officer, p *Parcel, out outcome, decision string) error {
	inv, err := s.DB.Inventory(ctx, p.InventoryID)
	if err != nil {
		return err
	}
	if inv.Status == out.Status {
		return nil
	}
	if s.Guard != nil {
		if err := s.Guard(ctx, inv, out.Status); err != nil {
			return err
		}
	}
	_, err = s.Engine.TransitionUnlessThere(ctx, inv.ID, out.Status, out.Finding, decisionActor(o, decision))
	return err
}

// decisionActor is who an inventory's events name for an officer's decision:
// the department and the decision id, which the enterprise sees; the audit
// log ties the id to the officer.
func decisionActor(o *Officer, decision string) string {
	return o.Department + " decision " + decision
}

// fen formats an amount of fen as yuan.
func fen(f int64) string { return money.FromFen(f).String() }
