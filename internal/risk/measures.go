package risk

import (
	"context"
	"database/sql"
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
	ID         string     `json:"id"`
	Kind       string     `json:"kind"` // product, gtin, hs_prefix, brand, origin, enterprise
	Value      string     `json:"value"`
	EbcCode    string     `json:"ebcCode,omitempty"` // the filing enterprise, with kind product
	Action     string     `json:"action"`            // hold, reject
	Reason     string     `json:"reason"`
	LegalBasis string     `json:"legalBasis"`
	Author     string     `json:"author"`
	StartsAt   time.Time  `json:"startsAt"`
	EndsAt     *time.Time `json:"endsAt,omitempty"`
	State      string     `json:"state"` // active, lifted, converted
	EndedBy    string     `json:"endedBy,omitempty"`
	EndReason  string     `json:"endReason,omitempty"`
	EndedAt    *time.Time `json:"endedAt,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	Held       []string   `json:"held,omitempty"` // copNos put on hold when the measure was created
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
		if _, err := tx.Exec(ctx, `INSERT INTO risk_hits (inventory_id, kind, ref, version, action, score, at) VALUES ($1,'measure',$2,0,$3,0,$4)
			ON CONFLICT (inventory_id, kind, ref, version) DO NOTHING`, d.Inventory.ID, m.ID, m.Action, d.Now); err != nil {
			return nil, fmt.Errorf("record measure hit: %w", err)
		}
		if m.Action == "reject" {
			return &engine.Outcome{Status: "100", Finding: clearance.Finding{Code: "1501", Detail: fmt.Sprintf("measure %s: %s", m.ID, what)}}, nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO measure_holds (measure_id, inventory_id, at) VALUES ($1,$2,$3) ON CONFLICT (measure_id, inventory_id) DO NOTHING`,
			m.ID, d.Inventory.ID, d.Now); err != nil {
			return nil, fmt.Errorf("record measure hold: %w", err)
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
func (s *Service) StartMeasure(ctx context.Context, in MeasureInput) (*Measure, error) {
	now := s.Now()
	m := &Measure{ID: newID("M", now), Kind: strings.TrimSpace(in.Kind), Value: strings.TrimSpace(in.Value), EbcCode: strings.TrimSpace(in.EbcCode),
		Action: "hold", Reason: strings.TrimSpace(in.Reason), LegalBasis: strings.TrimSpace(in.LegalBasis), Author: strings.TrimSpace(in.Author),
		StartsAt: now, EndsAt: in.EndsAt, State: "active", CreatedAt: now, Held: []string{}}
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
	err := s.Engine.Batch.Do(ctx, func(tx *store.Tx) error {
		m.Held = m.Held[:0]
		if _, err := tx.Exec(ctx, `INSERT INTO emergency_measures (id, kind, value, ebc_code, action, reason, legal_basis, author, starts_at, ends_at,
			state, ended_by, end_reason, ended_at, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,'','',NULL,$12)`,
			m.ID, m.Kind, m.Value, m.EbcCode, m.Action, m.Reason, m.LegalBasis, m.Author, m.StartsAt, m.EndsAt, m.State, m.CreatedAt); err != nil {
			return fmt.Errorf("store measure: %w", err)
		}
		if err := bump(ctx, tx); err != nil {
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
			if json.Unmarshal(inv.Data, &doc) != nil {
				continue
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
			if _, err := tx.Exec(ctx, `INSERT INTO measure_holds (measure_id, inventory_id, at) VALUES ($1,$2,$3) ON CONFLICT (measure_id, inventory_id) DO NOTHING`,
				m.ID, inv.ID, now); err != nil {
				return fmt.Errorf("record measure hold: %w", err)
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
	rows, err := tx.Query(ctx, `SELECT id FROM inventories WHERE status = '120'`)
	if err != nil {
		return nil, fmt.Errorf("inventories waiting: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
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
func (s *Service) LiftMeasure(ctx context.Context, id string, in EndInput) (*Measure, []string, error) {
	if err := in.check(); err != nil {
		return nil, nil, err
	}
	var woken, exports, copNos []string
	err := s.Engine.Batch.Do(ctx, func(tx *store.Tx) error {
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
func (s *Service) ConvertMeasure(ctx context.Context, id string, in EndInput) (*Measure, []string, error) {
	if err := in.check(); err != nil {
		return nil, nil, err
	}
	var held []*store.Inventory
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
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
			if e, ok := err.(*errs.Error); ok && e.Kind == errs.Conflict {
				continue // decided meanwhile
			}
			return nil, rejected, err
		}
		rejected = append(rejected, inv.CopNo)
	}
	m, err := s.Measure(ctx, id)
	return m, rejected, err
}

// endMeasure changes an active measure's state.
func (s *Service) endMeasure(ctx context.Context, tx *store.Tx, id, state string, in EndInput) (*Measure, error) {
	now := s.Now()
	var res sql.Result
	var err error
	if state == "converted" {
		res, err = tx.Exec(ctx, `UPDATE emergency_measures SET state = 'converted', action = 'reject', ended_by = $2, end_reason = $3
			WHERE id = $1 AND state = 'active'`, id, strings.TrimSpace(in.Author), strings.TrimSpace(in.Reason))
	} else {
		res, err = tx.Exec(ctx, `UPDATE emergency_measures SET state = 'lifted', ended_by = $2, end_reason = $3, ended_at = $4
			WHERE id = $1 AND state IN ('active','converted')`, id, strings.TrimSpace(in.Author), strings.TrimSpace(in.Reason), now)
	}
	if err != nil {
		return nil, fmt.Errorf("end measure: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		if _, err := scanMeasure(tx.QueryRow(ctx, `SELECT `+measureColumns+` FROM emergency_measures WHERE id = $1`, id)); err != nil {
			return nil, notFound(err, "measure", id)
		}
		return nil, errs.New(errs.Conflict, "measure_ended", "id", "measure %s is not in a state that can be %s", id, state)
	}
	if err := bump(ctx, tx); err != nil {
		return nil, err
	}
	return scanMeasure(tx.QueryRow(ctx, `SELECT `+measureColumns+` FROM emergency_measures WHERE id = $1`, id))
}

// heldBy reads the inventories a measure holds now (300 with its code).
func heldBy(ctx context.Context, tx *store.Tx, id string) ([]*store.Inventory, error) {
	rows, err := tx.Query(ctx, `SELECT inventory_id FROM measure_holds WHERE measure_id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("measure holds: %w", err)
	}
	var ids []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
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

const measureColumns = `id, kind, value, ebc_code, action, reason, legal_basis, author, starts_at, ends_at, state, ended_by, end_reason, ended_at, created_at`

func scanMeasure(row rowScanner) (*Measure, error) {
	var m Measure
	var starts, created store.Time
	var ends, ended store.NullTime
	err := row.Scan(&m.ID, &m.Kind, &m.Value, &m.EbcCode, &m.Action, &m.Reason, &m.LegalBasis, &m.Author, &starts, &ends, &m.State,
		&m.EndedBy, &m.EndReason, &ended, &created)
	if err == sql.ErrNoRows {
		return nil, errs.New(errs.NotFound, "not_found", "", "not found")
	}
	if err != nil {
		return nil, err
	}
	m.StartsAt, m.CreatedAt, m.EndsAt, m.EndedAt = starts.Time, created.Time, nullTime(ends), nullTime(ended)
	return &m, nil
}

// Measure reads a measure.
func (s *Service) Measure(ctx context.Context, id string) (*Measure, error) {
	m, err := scanMeasure(s.DB.QueryRow(ctx, `SELECT `+measureColumns+` FROM emergency_measures WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "measure", id)
	}
	return m, nil
}

// Measures lists measures, of one state when state is not empty ("active"
// also lists converted ones, which still reject).
func (s *Service) Measures(ctx context.Context, state string) ([]*Measure, error) {
	return s.listMeasures(ctx, state)
}

func (s *Service) listMeasures(ctx context.Context, state string) ([]*Measure, error) {
	q := `SELECT ` + measureColumns + ` FROM emergency_measures WHERE $1 = '' OR state = $1 ORDER BY created_at, id`
	if state == "active" {
		q = `SELECT ` + measureColumns + ` FROM emergency_measures WHERE $1 = 'active' AND state IN ('active','converted') ORDER BY created_at, id`
	}
	rows, err := s.DB.Query(ctx, q, state)
	if err != nil {
		return nil, fmt.Errorf("list measures: %w", err)
	}
	return store.Collect(rows, scanMeasure)
}

// Hit is a recorded rule or measure hit of an inventory.
type Hit struct {
	Kind    string    `json:"kind"` // rule, measure
	Ref     string    `json:"ref"`
	Version int64     `json:"version,omitempty"`
	Action  string    `json:"action"`
	Score   int64     `json:"score,omitempty"`
	At      time.Time `json:"at"`
}

// Hits lists what hit an inventory, oldest first.
func (s *Service) Hits(ctx context.Context, inventoryID string) ([]Hit, error) {
	rows, err := s.DB.Query(ctx, `SELECT kind, ref, version, action, score, at FROM risk_hits WHERE inventory_id = $1 ORDER BY at, kind, ref`, inventoryID)
	if err != nil {
		return nil, fmt.Errorf("risk hits: %w", err)
	}
	defer rows.Close()
	out := []Hit{}
	for rows.Next() {
		var h Hit
		var at store.Time
		if err := rows.Scan(&h.Kind, &h.Ref, &h.Version, &h.Action, &h.Score, &at); err != nil {
			return nil, err
		}
		h.At = at.Time
		out = append(out, h)
	}
	return out, rows.Err()
}
