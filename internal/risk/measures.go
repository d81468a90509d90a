package risk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/engine"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// Measure is an emergency measure (风险应急措施): everything matching is held
// (300) until the measure is lifted, or rejected once it is converted.
type Measure struct {
	store.EmergencyMeasure
	Held []string `json:"held,omitempty"` // copNos put on hold when the measure was created
}

// MeasureInput is what an officer sends to start a measure.
type MeasureInput struct {
	Kind       string     `json:"kind"`
	Value      string     `json:"value"`
	EbcCode    string     `json:"ebcCode"`
	Reason     string     `json:"reason"`
	LegalBasis string     `json:"legalBasis"`
	Author     string     `json:"author"`
	StartsAt   *time.Time `json:"startsAt"`
	EndsAt     *time.Time `json:"endsAt"`
}

var measureKinds = []string{"product", "gtin", "hs_prefix", "brand", "origin", "enterprise"}

// in force tells whether the measure applies at t.
func (m *Measure) inForce(t time.Time) bool {
	return m.State != "lifted" && !t.Before(m.StartsAt) && (m.EndsAt == nil || t.Before(*m.EndsAt))
}

// matches tells whether an inventory falls under the measure; the answer
// names what matched.
func (m *Measure) matches(doc *clearance.Inventory, ref clearance.Reference) (string, bool) {
	if m.Kind == "enterprise" {
		for _, c := range []string{doc.EbpCode, doc.EbcCode, doc.AgentCode, doc.LogisticsCode, doc.AssureCode} {
			if c != "" && c == m.Value {
				return "enterprise " + c, true
			}
		}
		return "", false
	}
	for _, l := range doc.Lines {
		gtin, brand, origin := strings.TrimSpace(l.BarCode), "", l.Country
		if ref != nil {
			if p, ok := ref.Product(doc.EbcCode, l.ItemNo); ok {
				brand = p.Brand
				if gtin == "" {
					gtin = p.GTIN
				}
				if p.OriginCountry != "" {
					origin = p.OriginCountry
				}
			}
		}
		var hit bool
		switch m.Kind {
		case "product":
			hit = l.ItemNo == m.Value && (m.EbcCode == "" || m.EbcCode == doc.EbcCode)
		case "gtin":
			hit = gtin != "" && strings.TrimLeft(gtin, "0") == strings.TrimLeft(m.Value, "0")
		case "hs_prefix":
			hit = strings.HasPrefix(l.Gcode, m.Value)
		case "brand":
			hit = brand != "" && strings.EqualFold(brand, m.Value)
		case "origin":
			hit = origin == m.Value
		}
		if hit {
			return fmt.Sprintf("line %d %s=%s", l.Gnum, m.Kind, m.Value), true
		}
	}
	return "", false
}

// measureOutcome holds or rejects an inventory under a measure in force.
func (s *Service) measureOutcome(ctx context.Context, tx *store.Tx, snap *snapshot, d *engine.Decision) (*engine.Outcome, error) {
	for _, m := range snap.measures {
		if !m.inForce(d.Now) {
			continue
		}
		what, ok := m.matches(d.Doc, s.Ref)
		if !ok {
			continue
		}
		if err := tx.InsertRiskHit(ctx, d.Inventory.ID, store.RiskHit{Kind: "measure", Ref: m.ID, Action: m.Action, At: d.Now}); err != nil {
			return nil, fmt.Errorf("risk check of inventory %s: %w", d.Inventory.ID, err)
		}
		if m.Action == "reject" {
			return &engine.Outcome{Status: "100", Finding: clearance.Finding{Code: "1501", Detail: fmt.Sprintf("measure %s: %s", m.ID, what)}}, nil
		}
		if err := tx.HoldForMeasure(ctx, m.ID, d.Inventory.ID, d.Now); err != nil {
			return nil, fmt.Errorf("risk check of inventory %s: %w", d.Inventory.ID, err)
		}
		return &engine.Outcome{Status: "300", Finding: clearance.Finding{Code: "2420", Detail: fmt.Sprintf("measure %s: %s", m.ID, what)}}, nil
	}
	return nil, nil
}

// Blocking returns the measure in force that an inventory falls under, if
// any: an officer may not release it while the measure lasts.
func (s *Service) Blocking(doc *clearance.Inventory) *Measure {
	now := s.Now()
	for _, m := range s.current().measures {
		if m.inForce(now) {
			if _, ok := m.matches(doc, s.Ref); ok {
				return m
			}
		}
	}
	return nil
}

// StartMeasure records a measure and, in the same transaction, holds every
// matching inventory still waiting (120): its documents incomplete or its
// judgement not yet made. Inventories already held (300) or in inspection
// (500) stay where they are, and an officer cannot release them while the
// measure lasts. New inventories are held by the check.
func (s *Service) StartMeasure(ctx context.Context, in MeasureInput) (_ *Measure, err error) {
	defer errs.Wrap(&err, "risk.StartMeasure(%s %s)", in.Kind, in.Value)
	now := s.Now()
	m := &Measure{EmergencyMeasure: store.EmergencyMeasure{ID: newID("M", now), Kind: strings.TrimSpace(in.Kind), Value: strings.TrimSpace(in.Value),
		EbcCode: strings.TrimSpace(in.EbcCode), Action: "hold", Reason: strings.TrimSpace(in.Reason), LegalBasis: strings.TrimSpace(in.LegalBasis),
		Author: strings.TrimSpace(in.Author), StartsAt: now, EndsAt: in.EndsAt, State: "active", CreatedAt: now}, Held: []string{}}
	if in.StartsAt != nil {
		m.StartsAt = *in.StartsAt
	}
	var problems errs.List
	known := false
	for _, k := range measureKinds {
		known = known || k == m.Kind
	}
	if !known {
		problems = append(problems, errs.Invalidf("kind", "measure_kind_unknown", "kind %q is not one of %s", m.Kind, strings.Join(measureKinds, ", ")))
	}
	if m.Value == "" {
		problems = append(problems, errs.Invalidf("value", "value_required", "value is required: the product, GTIN, HS prefix, brand, country or enterprise code"))
	}
	if m.Kind == "hs_prefix" && (len(m.Value) < 2 || strings.Trim(m.Value, "0123456789") != "") {
		problems = append(problems, errs.Invalidf("value", "hs_prefix_invalid", "an HS prefix is 2 to 10 digits, not %q", m.Value))
	}
	if m.Reason == "" {
		problems = append(problems, errs.Invalidf("reason", "reason_required", "reason is required"))
	}
	if m.LegalBasis == "" {
		problems = append(problems, errs.Invalidf("legalBasis", "legal_basis_required", "legalBasis is required: the notice or law the measure rests on"))
	}
	if m.Author == "" {
		problems = append(problems, errs.Invalidf("author", "author_required", "author is required: the officer ordering the measure"))
	}
	if m.EndsAt != nil && !m.EndsAt.After(m.StartsAt) {
		problems = append(problems, errs.Invalidf("endsAt", "validity_invalid", "endsAt is not after startsAt"))
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	err = s.Engine.Batch.Do(ctx, func(tx *store.Tx) error {
		m.Held = m.Held[:0]
		if err := tx.InsertMeasure(ctx, &m.EmergencyMeasure); err != nil {
			return err
		}
		if err := tx.BumpRiskGeneration(ctx); err != nil {
			return err
		}
		if !m.inForce(now) {
			return nil
		}
		invs, err := waiting(ctx, tx)
		if err != nil {
			return err
		}
		for _, inv := range invs {
			var doc clearance.Inventory
			if err := json.Unmarshal(inv.Data, &doc); err != nil {
				return fmt.Errorf("decode inventory %s: %w", inv.ID, err)
			}
			what, ok := m.matches(&doc, s.Ref)
			if !ok {
				continue
			}
			o := engine.Outcome{Status: "300", Finding: clearance.Finding{Code: "2420", Detail: fmt.Sprintf("measure %s: %s", m.ID, what)}}
			if err := s.Engine.Put(ctx, tx, inv, o, false, "officer:"+m.Author); errors.Is(err, store.ErrStale) {
				// Decided by the engine meanwhile: hold it only if it still waits.
				if inv, err = tx.InventoryByID(ctx, inv.ID); err != nil {
					return err
				}
				if inv.Status != "120" {
					continue
				}
				if err := s.Engine.Put(ctx, tx, inv, o, false, "officer:"+m.Author); err != nil {
					return err
				}
			} else if err != nil {
				return err
			}
			if err := tx.HoldForMeasure(ctx, m.ID, inv.ID, now); err != nil {
				return err
			}
			m.Held = append(m.Held, inv.CopNo)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, s.Reload(ctx)
}

// waiting reads the inventories in status 120, in the transaction.
func waiting(ctx context.Context, tx *store.Tx) ([]*store.Inventory, error) {
	ids, err := tx.WaitingInventoryIDs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*store.Inventory, 0, len(ids))
	for _, id := range ids {
		inv, err := tx.InventoryByID(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, nil
}

// EndInput is an officer's reason for ending or converting a measure.
type EndInput struct {
	Reason string `json:"reason"`
	Author string `json:"author"`
}

func (in EndInput) check() error {
	var problems errs.List
	if strings.TrimSpace(in.Reason) == "" {
		problems = append(problems, errs.Invalidf("reason", "reason_required", "reason is required"))
	}
	if strings.TrimSpace(in.Author) == "" {
		problems = append(problems, errs.Invalidf("author", "author_required", "author is required: the officer"))
	}
	return problems.Err()
}

// HeldExports are the exports held by measures (package export judges them).
type HeldExports interface {
	// Unhold puts the exports a lifted measure held back to waiting (120,
	// with f) in the lift's transaction; it returns their ids and copNos.
	Unhold(ctx context.Context, tx *store.Tx, measureID string, f clearance.Finding, now time.Time) (ids, copNos []string, err error)
	// Rejudge judges them once the lift is committed and the measure gone.
	Rejudge(ctx context.Context, ids []string) error
}

// LiftMeasure ends a measure: the inventories it holds, imports and exports,
// go back to judgement (pending again), where any other measure or rule
// still applies.
func (s *Service) LiftMeasure(ctx context.Context, id string, in EndInput) (_ *Measure, _ []string, err error) {
	defer errs.Wrap(&err, "risk.LiftMeasure(%s)", id)
	if err := in.check(); err != nil {
		return nil, nil, err
	}
	var woken, exports, copNos []string
	err = s.Engine.Batch.Do(ctx, func(tx *store.Tx) error {
		woken, exports, copNos = woken[:0], exports[:0], copNos[:0]
		m, err := s.endMeasure(ctx, tx, id, "lifted", in)
		if err != nil {
			return err
		}
		held, err := heldBy(ctx, tx, m.ID)
		if err != nil {
			return err
		}
		f := clearance.Finding{Code: "2421", Detail: fmt.Sprintf("measure %s lifted: %s", m.ID, strings.TrimSpace(in.Reason))}
		for _, inv := range held {
			if err := s.Engine.Put(ctx, tx, inv, engine.Outcome{Status: "120", Finding: f}, true, "officer:"+strings.TrimSpace(in.Author)); err != nil {
				return err
			}
			woken, copNos = append(woken, inv.ID), append(copNos, inv.CopNo)
		}
		if s.Exports == nil {
			return nil
		}
		ids, cops, err := s.Exports.Unhold(ctx, tx, m.ID, f, s.Now())
		exports, copNos = append(exports, ids...), append(copNos, cops...)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if err := s.Reload(ctx); err != nil {
		return nil, nil, err
	}
	s.Engine.Wake(woken)
	if len(exports) > 0 {
		// Waiting exports are judged again by the export sweep too, should this fail.
		if err := s.Exports.Rejudge(ctx, exports); err != nil {
			return nil, nil, err
		}
	}
	m, err := s.Measure(ctx, id)
	return m, copNos, err
}

// ConvertMeasure turns a hold into a rejection: the inventories it holds are
// rejected (100) and later matches are rejected too, until the measure is lifted.
func (s *Service) ConvertMeasure(ctx context.Context, id string, in EndInput) (_ *Measure, _ []string, err error) {
	defer errs.Wrap(&err, "risk.ConvertMeasure(%s)", id)
	if err := in.check(); err != nil {
		return nil, nil, err
	}
	var held []*store.Inventory
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := s.endMeasure(ctx, tx, id, "converted", in); err != nil {
			return err
		}
		var err error
		held, err = heldBy(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if err := s.Reload(ctx); err != nil {
		return nil, nil, err
	}
	var rejected []string
	for _, inv := range held {
		f := clearance.Finding{Code: "1501", Detail: fmt.Sprintf("measure %s: %s", id, strings.TrimSpace(in.Reason))}
		if _, err := s.Engine.Transition(ctx, inv.ID, "100", f, "officer:"+strings.TrimSpace(in.Author)); err != nil {
			if errs.KindOf(err) == errs.Conflict {
				continue // decided meanwhile
			}
			return nil, rejected, fmt.Errorf("reject inventory %s: %w", inv.ID, err)
		}
		rejected = append(rejected, inv.CopNo)
	}
	m, err := s.Measure(ctx, id)
	return m, rejected, err
}

// endMeasure changes an active measure's state.
func (s *Service) endMeasure(ctx context.Context, tx *store.Tx, id, state string, in EndInput) (*store.EmergencyMeasure, error) {
	by, reason := strings.TrimSpace(in.Author), strings.TrimSpace(in.Reason)
	var ended bool
	var err error
	if state == "converted" {
		ended, err = tx.ConvertMeasure(ctx, id, by, reason)
	} else {
		ended, err = tx.LiftMeasure(ctx, id, by, reason, s.Now())
	}
	if err != nil {
		return nil, err
	}
	if !ended {
		if _, err := tx.Measure(ctx, id); err != nil {
			return nil, notFound(err, "measure", id)
		}
		return nil, errs.New(errs.Conflict, "measure_ended", "id", "measure %s is not in a state that can be %s", id, state)
	}
	if err := tx.BumpRiskGeneration(ctx); err != nil {
		return nil, err
	}
	return tx.Measure(ctx, id)
}

// heldBy reads the inventories a measure holds now (300 with its code).
func heldBy(ctx context.Context, tx *store.Tx, id string) ([]*store.Inventory, error) {
	ids, err := tx.MeasureHolds(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []*store.Inventory
	for _, v := range ids {
		inv, err := tx.InventoryByID(ctx, v)
		if err != nil {
			return nil, err
		}
		if inv.Status == "300" && inv.ReasonCode == "2420" && strings.Contains(inv.ReasonInfo, "measure "+id+":") {
			out = append(out, inv)
		}
	}
	return out, nil
}

// Measure reads a measure.
func (s *Service) Measure(ctx context.Context, id string) (_ *Measure, err error) {
	defer errs.Wrap(&err, "risk.Measure(%s)", id)
	m, err := s.DB.Measure(ctx, id)
	if err != nil {
		return nil, notFound(err, "measure", id)
	}
	return &Measure{EmergencyMeasure: *m}, nil
}

// Measures lists measures, of one state when state is not empty ("active"
// also lists converted ones, which still reject).
func (s *Service) Measures(ctx context.Context, state string) (_ []*Measure, err error) {
	defer errs.Wrap(&err, "risk.Measures(%s)", state)
	return s.listMeasures(ctx, state)
}

func (s *Service) listMeasures(ctx context.Context, state string) ([]*Measure, error) {
	var list []*store.EmergencyMeasure
	var err error
	if state == "active" {
		list, err = s.DB.MeasuresInForce(ctx)
	} else {
		list, err = s.DB.Measures(ctx, state)
	}
	if err != nil {
		return nil, err
	}
	out := make([]*Measure, len(list))
	for i, m := range list {
		out[i] = &Measure{EmergencyMeasure: *m}
	}
	return out, nil
}

// Hit is a recorded rule or measure hit of an inventory.
type Hit = store.RiskHit

// Hits lists what hit an inventory, oldest first.
func (s *Service) Hits(ctx context.Context, inventoryID string) (_ []Hit, err error) {
	defer errs.Wrap(&err, "risk.Hits(%s)", inventoryID)
	return s.DB.RiskHits(ctx, inventoryID)
}
