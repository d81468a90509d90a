// Package logistics tracks the international logistics channels: manifests
// (a master bill or voyage with its parcels) per channel — rail (e.g. 渝新欧
// China–Europe Railway Express), air, sea, road, postal — their departure and
// arrival, each parcel's declaration, release and delivery (CEB513 signed-for
// status), the channel figures (volumes, transit times, on-time share, cost per
// kg) and alerts for anything stuck longer than a configurable time.
package logistics

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
)

// Channels by the customs traffic mode (运输方式) of the bill.
var channelOf = map[string]string{"2": "sea", "3": "rail", "4": "road", "5": "air", "6": "postal"}

// Channels lists the channels in display order.
var Channels = []string{"rail", "air", "sea", "road", "postal"}

// Stages of a manifest.
const (
	StageFiled    = "filed"
	StageDeparted = "departed"
	StageArrived  = "arrived"
)

// China Standard Time, the zone of CEB timestamps.
var cst = time.FixedZone("CST", 8*3600)

// Service keeps manifests and raises alerts.
type Service struct {
	DB  *store.DB
	Now func() time.Time
	Log *slog.Logger
	// StuckAfter is how long a manifest or parcel may stay in one stage before an alert.
	StuckAfter time.Duration
	// Every is how often Run looks for stuck manifests and parcels.
	Every time.Duration
}

// ManifestInput is what a carrier files.
type ManifestInput struct {
	BillNo         string     `json:"billNo"`
	VoyageNo       string     `json:"voyageNo"`
	TrafMode       string     `json:"trafMode"`
	Route          string     `json:"route"`
	WeightKg       string     `json:"weightKg"`
	Cost           string     `json:"cost,omitempty"` // CNY, when declared
	PlannedArrival *time.Time `json:"plannedArrival,omitempty"`
	Parcels        []string   `json:"parcels"` // logistics numbers of the carrier's waybills
}

// Manifest is a master bill or voyage as kept.
type Manifest struct {
	ID             string         `json:"id"`
	LogisticsCode  string         `json:"logisticsCode"`
	BillNo         string         `json:"billNo"`
	VoyageNo       string         `json:"voyageNo"`
	TrafMode       string         `json:"trafMode"`
	Channel        string         `json:"channel"`
	Route          string         `json:"route"`
	WeightKg       string         `json:"weightKg"`
	Cost           *money.Amount  `json:"cost,omitempty"`
	PlannedArrival *time.Time     `json:"plannedArrival,omitempty"`
	DepartedAt     *time.Time     `json:"departedAt,omitempty"`
	ArrivedAt      *time.Time     `json:"arrivedAt,omitempty"`
	Stage          string         `json:"stage"`
	StageAt        time.Time      `json:"stageAt"`
	CreatedAt      time.Time      `json:"createdAt"`
	Parcels        []Parcel       `json:"parcels,omitempty"`
	Events         []Event        `json:"events,omitempty"`
	Counts         map[string]int `json:"parcelStages,omitempty"`
}

// Parcel is one waybill of a manifest with what the platform knows of it.
type Parcel struct {
	LogisticsNo     string     `json:"logisticsNo"`
	Stage           string     `json:"stage"` // filed, departed, arrived, declared, released, delivered, rejected
	WaybillAt       *time.Time `json:"waybillAt,omitempty"`
	DeclaredAt      *time.Time `json:"declaredAt,omitempty"`
	InventoryStatus string     `json:"inventoryStatus,omitempty"`
	CopNo           string     `json:"copNo,omitempty"`
	ReleasedAt      *time.Time `json:"releasedAt,omitempty"`
	DeliveredAt     *time.Time `json:"deliveredAt,omitempty"`
}

// Event is something reported of a manifest.
type Event = store.ManifestEvent

// parseKg reads a weight in kg with up to three decimals into grams.
func parseKg(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" || len(frac) > 3 || len(whole) > 12 {
		return 0, fmt.Errorf("%q is not a weight in kg with up to three decimals", s)
	}
	var g int64
	for _, c := range whole {
		g = g*10 + int64(c-'0')
	}
	frac += strings.Repeat("0", 3-len(frac))
	for _, c := range frac {
		g = g*10 + int64(c-'0')
	}
	return g, nil
}

func formatKg(g int64) string {
	s := fmt.Sprintf("%d.%03d", g/1000, g%1000)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// File stores a carrier's manifest with its parcels, all or nothing.
func (s *Service) File(ctx context.Context, carrier string, in ManifestInput) (_ *Manifest, err error) {
	defer errs.Wrap(&err, "logistics.File(%q)", carrier)
	var problems errs.List
	req := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			problems = append(problems, errs.Invalidf(field, "required", "%s is required", field))
		} else if len(v) > 64 {
			problems = append(problems, errs.Invalidf(field, "too_long", "%s has %d characters; at most 64", field, len(v)))
		}
	}
	req("billNo", in.BillNo)
	req("voyageNo", in.VoyageNo)
	channel, ok := channelOf[in.TrafMode]
	if !ok {
		problems = append(problems, errs.Invalidf("trafMode", "traf_mode_unknown", "%q is not a traffic mode of a channel: 2 sea, 3 rail, 4 road, 5 air, 6 postal", in.TrafMode))
	}
	if len(in.Route) > 100 {
		problems = append(problems, errs.Invalidf("route", "too_long", "route has %d characters; at most 100", len(in.Route)))
	}
	grams, err := parseKg(in.WeightKg)
	if err != nil {
		problems = append(problems, errs.Invalidf("weightKg", "weight_invalid", "%v", err))
	} else if grams == 0 {
		problems = append(problems, errs.Invalidf("weightKg", "weight_invalid", "the weight must be positive"))
	}
	var cost *int64
	if in.Cost != "" {
		a, err := money.ParseAmount(in.Cost)
		if err != nil || a.IsNegative() {
			problems = append(problems, errs.Invalidf("cost", "cost_invalid", "%q is not an amount in CNY like 8600.00", in.Cost))
		} else {
			f := a.Fen()
			cost = &f
		}
	}
	if len(in.Parcels) == 0 {
		problems = append(problems, errs.Invalidf("parcels", "required", "list the logistics numbers of the manifest's parcels"))
	}
	seen := map[string]bool{}
	for i, p := range in.Parcels {
		switch {
		case strings.TrimSpace(p) == "" || len(p) > 60:
			problems = append(problems, errs.Invalidf(fmt.Sprintf("parcels[%d]", i), "logistics_no_invalid", "a logistics number has 1 to 60 characters"))
		case seen[p]:
			problems = append(problems, errs.Invalidf(fmt.Sprintf("parcels[%d]", i), "parcel_repeated", "%s is listed twice", p))
		}
		seen[p] = true
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	m := &Manifest{ID: uuid.Must(uuid.NewV7()).String(), LogisticsCode: carrier, BillNo: in.BillNo, VoyageNo: in.VoyageNo, TrafMode: in.TrafMode,
		Channel: channel, Route: in.Route, WeightKg: formatKg(grams), Stage: StageFiled, StageAt: now, CreatedAt: now}
	if cost != nil {
		a := money.FromFen(*cost)
		m.Cost = &a
	}
	if in.PlannedArrival != nil {
		t := in.PlannedArrival.UTC()
		m.PlannedArrival = &t
	}
	stored := &store.Manifest{ID: m.ID, LogisticsCode: carrier, BillNo: m.BillNo, VoyageNo: m.VoyageNo, TrafMode: m.TrafMode, Channel: channel,
		Route: m.Route, WeightG: grams, CostFen: cost, PlannedArrival: m.PlannedArrival, Stage: StageFiled, StageAt: now, CreatedAt: now}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		err := tx.InsertManifest(ctx, stored)
		if errs.KindOf(err) == errs.Conflict {
			return errs.New(errs.Conflict, "manifest_exists", "billNo", "carrier %s has filed bill %s already", carrier, in.BillNo)
		}
		if err != nil {
			return err
		}
		for i, p := range in.Parcels {
			err := tx.InsertManifestParcel(ctx, carrier, p, m.ID)
			if errs.KindOf(err) == errs.Conflict {
				return errs.New(errs.Conflict, "parcel_on_other_manifest", fmt.Sprintf("parcels[%d]", i), "parcel %s is on another manifest already", p)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, m.ID, true)
}

// EventInput is a reported departure, arrival or note.
type EventInput struct {
	Event string    `json:"event"`
	At    time.Time `json:"at"`
	Place string    `json:"place,omitempty"`
	Note  string    `json:"note,omitempty"`
}

// Report records an event of the carrier's manifest; departure and arrival move its stage.
func (s *Service) Report(ctx context.Context, carrier, id string, in EventInput) (_ *Manifest, err error) {
	defer errs.Wrap(&err, "logistics.Report(%q, %q)", carrier, id)
	m, err := s.Get(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if m.LogisticsCode != carrier {
		return nil, errs.New(errs.NotFound, "manifest_not_found", "id", "no manifest %s of carrier %s", id, carrier)
	}
	now := s.Now().UTC()
	if in.At.IsZero() {
		return nil, errs.Invalidf("at", "required", "give the time of the event (RFC 3339 with zone)")
	}
	if in.At.After(now.Add(5 * time.Minute)) {
		return nil, errs.Invalidf("at", "in_future", "%s is in the future", in.At.Format(time.RFC3339))
	}
	if len(in.Place) > 100 || len(in.Note) > 1000 {
		return nil, errs.Invalidf("note", "too_long", "place has at most 100 characters, note at most 1000")
	}
	at := in.At.UTC()
	move := false // departure and arrival move the stage; a note does not
	switch in.Event {
	case StageDeparted:
		if m.Stage != StageFiled {
			return nil, errs.New(errs.Conflict, "stage_wrong", "event", "manifest %s is %s; departure follows filing", id, m.Stage)
		}
		move = true
	case StageArrived:
		if m.Stage != StageDeparted {
			return nil, errs.New(errs.Conflict, "stage_wrong", "event", "manifest %s is %s; arrival follows departure", id, m.Stage)
		}
		if at.Before(*m.DepartedAt) {
			return nil, errs.Invalidf("at", "before_departure", "arrival %s is before departure %s", at.Format(time.RFC3339), m.DepartedAt.Format(time.RFC3339))
		}
		move = true
	case "note":
	default:
		return nil, errs.Invalidf("event", "event_unknown", "%q is not one of departed, arrived, note", in.Event)
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if move {
			moved, err := tx.MoveManifestStage(ctx, id, m.Stage, in.Event, at)
			if err != nil {
				return err
			}
			if !moved {
				return errs.New(errs.Conflict, "stage_changed", "event", "manifest %s changed meanwhile; read it and retry", id)
			}
		}
		return tx.AddManifestEvent(ctx, uuid.Must(uuid.NewV7()).String(), id, Event{Event: in.Event, At: at, Place: in.Place, Note: in.Note, RecordedAt: now})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, true)
}

// fromStored is the stored manifest as shown: weight in kg, cost as an amount.
func fromStored(sm *store.Manifest) *Manifest {
	m := &Manifest{ID: sm.ID, LogisticsCode: sm.LogisticsCode, BillNo: sm.BillNo, VoyageNo: sm.VoyageNo, TrafMode: sm.TrafMode,
		Channel: sm.Channel, Route: sm.Route, WeightKg: formatKg(sm.WeightG), PlannedArrival: sm.PlannedArrival,
		DepartedAt: sm.DepartedAt, ArrivedAt: sm.ArrivedAt, Stage: sm.Stage, StageAt: sm.StageAt, CreatedAt: sm.CreatedAt}
	if sm.CostFen != nil {
		a := money.FromFen(*sm.CostFen)
		m.Cost = &a
	}
	return m
}

// fromStoredList converts a list of stored manifests.
func fromStoredList(sms []store.Manifest) []*Manifest {
	out := make([]*Manifest, len(sms))
	for i := range sms {
		out[i] = fromStored(&sms[i])
	}
	return out
}

// Get reads a manifest; full adds its parcels and events.
func (s *Service) Get(ctx context.Context, id string, full bool) (_ *Manifest, err error) {
	defer errs.Wrap(&err, "logistics.Get(%q)", id)
	sm, err := s.DB.Manifest(ctx, id)
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.New(errs.NotFound, "manifest_not_found", "id", "no manifest %s", id)
	}
	if err != nil {
		return nil, err
	}
	m := fromStored(sm)
	if !full {
		return m, nil
	}
	if m.Parcels, err = s.parcels(ctx, m); err != nil {
		return nil, err
	}
	m.Counts = map[string]int{}
	for _, p := range m.Parcels {
		m.Counts[p.Stage]++
	}
	events, err := s.DB.ManifestEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	m.Events = events
	return m, nil
}

// ListFilter selects manifests.
type ListFilter struct {
	Carrier, Channel, Stage string
	Limit                   int
}

// List returns manifests, newest first.
func (s *Service) List(ctx context.Context, f ListFilter) (_ []*Manifest, err error) {
	defer errs.Wrap(&err, "logistics.List")
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	sms, err := s.DB.Manifests(ctx, store.ManifestFilter{Carrier: f.Carrier, Channel: f.Channel, Stage: f.Stage, Limit: f.Limit})
	if err != nil {
		return nil, err
	}
	return fromStoredList(sms), nil
}

// parcels reads each parcel of m with its waybill, inventory and delivery.
func (s *Service) parcels(ctx context.Context, m *Manifest) ([]Parcel, error) {
	stored, err := s.DB.ManifestParcels(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	out := []Parcel{}
	for _, sp := range stored {
		p := Parcel{LogisticsNo: sp.LogisticsNo, WaybillAt: sp.WaybillAt, DeclaredAt: sp.DeclaredAt, InventoryStatus: sp.InventoryStatus,
			CopNo: sp.CopNo, ReleasedAt: sp.ReleasedAt}
		// Only a released parcel can have been delivered: a signed-for status
		// of one that is not (intake refuses those now) does not count.
		if sp.StatusData != nil && sp.ReleasedAt != nil {
			p.DeliveredAt = signedAt(*sp.StatusData)
		}
		p.Stage = parcelStage(m, &p)
		if len(out) > 0 && out[len(out)-1].LogisticsNo == p.LogisticsNo {
			continue // a second inventory naming the waybill: the first one counts
		}
		out = append(out, p)
	}
	return out, nil
}

// signedAt reads the time of a signed-for (S) waybill status as stored by intake.
func signedAt(data string) *time.Time {
	var ls struct{ LogisticsStatus, LogisticsTime string }
	if json.Unmarshal([]byte(data), &ls) != nil || ls.LogisticsStatus != "S" {
		return nil
	}
	t, err := time.ParseInLocation("20060102150405", ls.LogisticsTime, cst)
	if err != nil {
		return nil
	}
	t = t.UTC()
	return &t
}

func parcelStage(m *Manifest, p *Parcel) string {
	switch {
	case p.DeliveredAt != nil:
		return "delivered"
	case p.ReleasedAt != nil:
		return "released"
	case p.InventoryStatus == "100":
		return "rejected"
	case p.DeclaredAt != nil && m.Stage == StageArrived:
		return "declared"
	}
	return m.Stage
}

// ChannelFigures are one channel's figures over a period.
type ChannelFigures struct {
	Channel   string        `json:"channel"`
	Manifests int           `json:"manifests"`
	Parcels   int           `json:"parcels"`
	WeightKg  string        `json:"weightKg"`
	Cost      *money.Amount `json:"declaredCost,omitempty"`
	// CostPerKg is the declared cost over the weight of the manifests that declared one.
	CostPerKg *money.Amount `json:"costPerKg,omitempty"`
	// OnTimeShare: arrived manifests with a planned arrival that arrived by it, of all such ("0.7500").
	OnTimeShare string `json:"onTimeShare,omitempty"`
	OnTime      int    `json:"onTime"`
	Late        int    `json:"late"`
	// Mean hours of each leg, over the parcels where both ends are known.
	Hours      map[string]string `json:"meanHours"`
	Stages     map[string]int    `json:"parcelStages"`
	OpenAlerts int               `json:"openAlerts"`
}

// Legs of a parcel's journey, in order.
var Legs = []string{"departure_arrival", "arrival_declaration", "declaration_release", "release_delivery", "departure_delivery"}

// Figures computes the channel view for manifests filed in [from, to), of one carrier or all ("").
func (s *Service) Figures(ctx context.Context, carrier string, from, to time.Time) (_ []ChannelFigures, err error) {
	defer errs.Wrap(&err, "logistics.Figures(%q)", carrier)
	sms, err := s.DB.ManifestsFiled(ctx, carrier, from, to)
	if err != nil {
		return nil, err
	}
	ms := fromStoredList(sms)
	type acc struct {
		f                ChannelFigures
		grams, costGrams int64
		cost             int64
		costed           bool
		sum              map[string]time.Duration
		n                map[string]int
	}
	by := map[string]*acc{}
	for _, c := range Channels {
		by[c] = &acc{f: ChannelFigures{Channel: c, Hours: map[string]string{}, Stages: map[string]int{}}, sum: map[string]time.Duration{}, n: map[string]int{}}
	}
	leg := func(a *acc, name string, from, to *time.Time) {
		if from != nil && to != nil && !to.Before(*from) {
			a.sum[name] += to.Sub(*from)
			a.n[name]++
		}
	}
	for _, m := range ms {
		a := by[m.Channel]
		if a == nil {
			continue
		}
		a.f.Manifests++
		g, _ := parseKg(m.WeightKg)
		a.grams += g
		if m.Cost != nil {
			a.cost += m.Cost.Fen()
			a.costGrams += g
			a.costed = true
		}
		if m.PlannedArrival != nil && m.ArrivedAt != nil {
			if m.ArrivedAt.After(*m.PlannedArrival) {
				a.f.Late++
			} else {
				a.f.OnTime++
			}
		}
		ps, err := s.parcels(ctx, m)
		if err != nil {
			return nil, err
		}
		for i := range ps {
			p := &ps[i]
			a.f.Parcels++
			a.f.Stages[p.Stage]++
			leg(a, "departure_arrival", m.DepartedAt, m.ArrivedAt)
			leg(a, "arrival_declaration", m.ArrivedAt, p.DeclaredAt)
			leg(a, "declaration_release", p.DeclaredAt, p.ReleasedAt)
			leg(a, "release_delivery", p.ReleasedAt, p.DeliveredAt)
			leg(a, "departure_delivery", m.DepartedAt, p.DeliveredAt)
		}
	}
	open, err := s.DB.OpenAlertChannels(ctx, carrier)
	if err != nil {
		return nil, err
	}
	for _, c := range open {
		if a := by[c]; a != nil {
			a.f.OpenAlerts++
		}
	}
	out := make([]ChannelFigures, 0, len(Channels))
	for _, c := range Channels {
		a := by[c]
		a.f.WeightKg = formatKg(a.grams)
		if a.costed {
			cost := money.FromFen(a.cost)
			a.f.Cost = &cost
			if a.costGrams > 0 {
				// fen per kg = fen × 1000 / grams, rounded half up.
				per := money.FromFen((a.cost*1000*2 + a.costGrams) / (2 * a.costGrams))
				a.f.CostPerKg = &per
			}
		}
		if n := a.f.OnTime + a.f.Late; n > 0 {
			v := (int64(a.f.OnTime)*100000/int64(n) + 5) / 10
			a.f.OnTimeShare = fmt.Sprintf("%d.%04d", v/10000, v%10000)
		}
		for _, l := range Legs {
			if a.n[l] > 0 {
				a.f.Hours[l] = fmt.Sprintf("%.1f", (a.sum[l] / time.Duration(a.n[l])).Hours())
			}
		}
		out = append(out, a.f)
	}
	return out, nil
}

// ParseChannel checks a channel name.
func ParseChannel(c string) error {
	if c != "" && !slices.Contains(Channels, c) {
		return errs.Invalidf("channel", "channel_unknown", "%q is not one of %s", c, strings.Join(Channels, ", "))
	}
	return nil
}
