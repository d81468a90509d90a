package trace

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// Piece states and the events that move them.
var eventState = map[string]struct{ from []string }{
	"exited":   {from: []string{"released"}},
	"returned": {from: []string{"released", "exited"}},
}

// EventInput records what happened to some pieces after release.
type EventInput struct {
	Codes    []string  `json:"codes"`
	Event    string    `json:"event"`    // exited (left the zone) or returned
	Location string    `json:"location"` // e.g. the gate or warehouse
	Ref      string    `json:"ref"`      // e.g. a vehicle list or return number
	At       time.Time `json:"at"`       // when; now when zero
}

// RecordEvents stores an event for several pieces at once. An officer (who
// == nil), a zone operator or logistics enterprise, or the pieces' own
// e-commerce enterprise may record it.
func (s *Service) RecordEvents(ctx context.Context, who *enterprise.Enterprise, in EventInput) (_ int, err error) {
	defer errs.Wrap(&err, "trace.RecordEvents")
	var problems errs.List
	rule, ok := eventState[in.Event]
	if !ok {
		problems = append(problems, errs.Invalidf("event", "event_unknown", "event %q: want exited or returned", in.Event))
	}
	if len(in.Codes) == 0 || len(in.Codes) > 1000 {
		problems = append(problems, errs.Invalidf("codes", "codes_count", "send 1 to 1000 codes, not %d", len(in.Codes)))
	}
	loc := text(&problems, "location", in.Location, false, 200)
	ref := text(&problems, "ref", in.Ref, false, 100)
	if err := problems.Err(); err != nil {
		return 0, err
	}
	at := in.At
	if at.IsZero() {
		at = s.Now()
	}
	actor := "officer"
	if who != nil {
		actor = who.Code
	}
	var events []store.TraceEvent
	seen := map[string]bool{}
	for i, raw := range in.Codes {
		field := fmt.Sprintf("codes[%d]", i)
		code := Normalize(raw)
		if Check(code) != WellFormed {
			problems = append(problems, errs.Invalidf(field, "code_invalid", "%s %q is not a traceability code", field, raw))
			continue
		}
		if seen[code] {
			continue
		}
		seen[code] = true
		c, err := s.DB.TraceCode(ctx, code)
		if err != nil {
			return 0, err
		}
		mine, err := s.mayRecord(ctx, who, c)
		if err != nil {
			return 0, err
		}
		switch {
		case c == nil:
			problems = append(problems, errs.Invalidf(field, "code_unknown", "%s %s does not exist", field, code))
		case !mine:
			problems = append(problems, errs.Invalidf(field, "code_not_yours", "%s %s belongs to another enterprise's goods", field, code))
		case !slices.Contains(rule.from, c.State):
			problems = append(problems, errs.Invalidf(field, "event_not_allowed", "%s %s is %s; %s is recorded only for pieces %s", field, code, c.State, in.Event, strings.Join(rule.from, " or ")))
		default:
			events = append(events, store.TraceEvent{Code: code, At: at, Kind: in.Event, Location: loc, Actor: actor, Ref: ref})
		}
	}
	if err := problems.Err(); err != nil {
		return 0, err
	}
	return len(events), s.DB.AddTraceEvents(ctx, events, in.Event)
}

// mayRecord tells whether who may record events on the piece c: an officer
// (who is nil), the goods' owner, or the enterprise carrying them (the
// waybill's carrier, the zone whose book holds them) — not any carrier.
func (s *Service) mayRecord(ctx context.Context, who *enterprise.Enterprise, c *store.TraceCode) (bool, error) {
	if who == nil || c == nil || who.Code == c.EbcCode {
		return true, nil
	}
	if !who.HasRole(enterprise.RoleArea) && !who.HasRole(enterprise.RoleLogistics) {
		return false, nil
	}
	return s.DB.CarriesInventory(ctx, c.InventoryID, who.Code)
}

// EPCIS builds a GS1 EPCIS 2.0 JSON-LD document of the pieces' lives: an
// ObjectEvent commissioning each code at release, then one per recorded
// event, and one per recall that reached it. base is the public site's
// origin (https://host) for the pieces' Digital Link identifiers.
func (s *Service) EPCIS(ctx context.Context, base string, codes []store.TraceCode) (_ map[string]any, err error) {
	defer errs.Wrap(&err, "trace.EPCIS(%q)", base)
	var list []map[string]any
	f := s.snapshot()
	for i := range codes {
		c := &codes[i]
		epc := base + LookupPath(c.Code, c.GTIN)
		where := map[string]any{"id": "urn:cbec:customs:" + c.CustomsCode + ":port:" + c.PortCode}
		list = append(list, objectEvent(c.ReleasedAt, epc, "ADD", "commissioning", "active", where, map[string]any{
			"cbec:inventory": c.InventoryID, "cbec:inspected": c.Inspected}))
		evs, err := s.DB.TraceEvents(ctx, c.Code)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			step, disp := "departing", "in_transit"
			if e.Kind == "returned" {
				step, disp = "receiving", "returned"
			}
			ext := map[string]any{"cbec:actor": e.Actor}
			if e.Ref != "" {
				ext["cbec:ref"] = e.Ref
			}
			var loc map[string]any
			if e.Location != "" {
				loc = map[string]any{"id": "urn:cbec:location:" + e.Location}
			}
			list = append(list, objectEvent(e.At, epc, "OBSERVE", step, disp, loc, ext))
		}
		p := product{ebc: c.EbcCode, item: c.ItemNo, gtin: GTIN14(c.GTIN)}
		for _, r := range f.recalls {
			if recallReaches(r, c, p) {
				list = append(list, objectEvent(r.CreatedAt, epc, "OBSERVE", "holding", "recalled", nil, map[string]any{"cbec:recall": r.ID}))
			}
		}
	}
	if list == nil {
		list = []map[string]any{}
	}
	return map[string]any{
		"@context":      []any{"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", map[string]any{"cbec": "urn:cbec:epcis:"}},
		"type":          "EPCISDocument",
		"schemaVersion": "2.0",
		"creationDate":  s.Now().UTC().Format(time.RFC3339),
		"epcisBody":     map[string]any{"eventList": list},
	}, nil
}

func objectEvent(at time.Time, epc, action, step, disposition string, where map[string]any, ext map[string]any) map[string]any {
	e := map[string]any{
		"type": "ObjectEvent", "eventTime": at.In(cst).Format(time.RFC3339Nano), "eventTimeZoneOffset": "+08:00",
		"epcList": []string{epc}, "action": action, "bizStep": step, "disposition": disposition,
	}
	if where != nil {
		e["bizLocation"] = where
	}
	for k, v := range ext {
		e[k] = v
	}
	return e
}
