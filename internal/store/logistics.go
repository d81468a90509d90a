package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Manifest is a carrier's master bill or voyage (package logistics), as stored.
type Manifest struct {
	ID, LogisticsCode, BillNo, VoyageNo, TrafMode string
	Channel, Route                                string
	WeightG                                       int64
	CostFen                                       *int64 // nil when no cost was declared
	PlannedArrival, DepartedAt, ArrivedAt         *time.Time
	Stage                                         string
	StageAt, CreatedAt                            time.Time
}

// ManifestEvent is something reported of a manifest: departed, arrived or a note.
type ManifestEvent struct {
	Event      string    `json:"event"` // departed, arrived, note
	At         time.Time `json:"at"`
	Place      string    `json:"place,omitempty"`
	Note       string    `json:"note,omitempty"`
	RecordedAt time.Time `json:"recordedAt"`
}

// ManifestParcel is one waybill of a manifest with what the platform's own
// tables tell of it: the waybill, the inventory naming it (one row per such
// inventory, cancelled ones left out) and the latest waybill status.
type ManifestParcel struct {
	LogisticsNo           string
	WaybillAt, DeclaredAt *time.Time
	InventoryStatus       string // "" without an inventory
	CopNo                 string
	ReleasedAt            *time.Time
	StatusData            *string // the stored logistics status document, nil when none
}

// LogisticsAlert is a manifest or parcel stuck in one stage (package logistics).
type LogisticsAlert struct {
	ID            string     `json:"id"`
	Subject       string     `json:"subject"` // manifest:<id> or parcel:<logisticsNo>
	ManifestID    string     `json:"manifestId"`
	LogisticsCode string     `json:"logisticsCode"`
	Stage         string     `json:"stage"` // the stage it is stuck in: filed, departed, arrived, declared, released
	Since         time.Time  `json:"since"`
	RaisedAt      time.Time  `json:"raisedAt"`
	ResolvedAt    *time.Time `json:"resolvedAt,omitempty"`
	Detail        string     `json:"detail"`
}

// ManifestFilter selects manifests; "" matches any.
type ManifestFilter struct {
	Carrier, Channel, Stage string
	Limit                   int
}

const manifestColumns = `id, logistics_code, bill_no, voyage_no, traf_mode, channel, route, weight_g, cost_fen, planned_arrival,
	departed_at, arrived_at, stage, stage_at, created_at`

func scanManifest(row Scanner) (*Manifest, error) {
	var m Manifest
	var cost sql.NullInt64
	var planned, departed, arrived NullTime
	var stageAt, created Time
	if err := row.Scan(&m.ID, &m.LogisticsCode, &m.BillNo, &m.VoyageNo, &m.TrafMode, &m.Channel, &m.Route, &m.WeightG, &cost, &planned,
		&departed, &arrived, &m.Stage, &stageAt, &created); err != nil {
		return nil, classify(err)
	}
	if cost.Valid {
		m.CostFen = &cost.Int64
	}
	m.PlannedArrival, m.DepartedAt, m.ArrivedAt = nullTimePtr(planned), nullTimePtr(departed), nullTimePtr(arrived)
	m.StageAt, m.CreatedAt = stageAt.UTC(), created.UTC()
	return &m, nil
}

// nullTimePtr is t in UTC, nil when it is NULL.
func nullTimePtr(t NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.UTC()
	return &v
}

// InsertManifest stores a new manifest; a Conflict error when its carrier
// has filed the bill already.
func (t *Tx) InsertManifest(ctx context.Context, m *Manifest) error {
	_, err := t.Exec(ctx, `INSERT INTO lg_manifests (id, logistics_code, bill_no, voyage_no, traf_mode, channel, route, weight_g, cost_fen,
			planned_arrival, departed_at, arrived_at, stage, stage_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		m.ID, m.LogisticsCode, m.BillNo, m.VoyageNo, m.TrafMode, m.Channel, m.Route, m.WeightG, m.CostFen, m.PlannedArrival,
		m.DepartedAt, m.ArrivedAt, m.Stage, m.StageAt, m.CreatedAt)
	if err != nil {
		return fmt.Errorf("store manifest %s/%s: %w", m.LogisticsCode, m.BillNo, err)
	}
	return nil
}

// InsertManifestParcel puts the carrier's parcel logisticsNo on manifest
// manifestID; a Conflict error when it is on a manifest already.
func (t *Tx) InsertManifestParcel(ctx context.Context, carrier, logisticsNo, manifestID string) error {
	_, err := t.Exec(ctx, `INSERT INTO lg_parcels (logistics_code, logistics_no, manifest_id) VALUES ($1, $2, $3)`, carrier, logisticsNo, manifestID)
	if err != nil {
		return fmt.Errorf("store parcel %s/%s of manifest %s: %w", carrier, logisticsNo, manifestID, err)
	}
	return nil
}

// MoveManifestStage moves manifest id from stage from to stage to
// ("departed" or "arrived") at at, recording at as that stage's time. It
// reports false when the manifest is no longer at stage from.
func (t *Tx) MoveManifestStage(ctx context.Context, id, from, to string, at time.Time) (bool, error) {
	// One statement per stage keeps the column out of string building.
	var query string
	switch to {
	case "departed":
		query = `UPDATE lg_manifests SET departed_at = $1, stage = $2, stage_at = $1 WHERE id = $3 AND stage = $4`
	case "arrived":
		query = `UPDATE lg_manifests SET arrived_at = $1, stage = $2, stage_at = $1 WHERE id = $3 AND stage = $4`
	default:
		return false, fmt.Errorf("move manifest %s: %q is not a stage with a time", id, to)
	}
	res, err := t.Exec(ctx, query, at, to, id, from)
	return changedOne(res, err, "move manifest "+id+" to "+to)
}

// AddManifestEvent records event id of manifest manifestID.
func (t *Tx) AddManifestEvent(ctx context.Context, id, manifestID string, e ManifestEvent) error {
	_, err := t.Exec(ctx, `INSERT INTO lg_events (id, manifest_id, event, at, place, note, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, manifestID, e.Event, e.At, e.Place, e.Note, e.RecordedAt)
	if err != nil {
		return fmt.Errorf("store event %s of manifest %s: %w", e.Event, manifestID, err)
	}
	return nil
}

// Manifest reads one manifest; a NotFound error when there is none.
func (db *DB) Manifest(ctx context.Context, id string) (*Manifest, error) {
	return scanManifest(db.QueryRow(ctx, `SELECT `+manifestColumns+` FROM lg_manifests WHERE id = $1`, id))
}

// ManifestEvents lists the events of manifest id in the order they happened.
func (db *DB) ManifestEvents(ctx context.Context, id string) ([]ManifestEvent, error) {
	rows, err := db.Query(ctx, `SELECT event, at, place, note, recorded_at FROM lg_events WHERE manifest_id = $1 ORDER BY at, recorded_at`, id)
	if err != nil {
		return nil, fmt.Errorf("events of manifest %s: %w", id, err)
	}
	return Collect(rows, func(r Scanner) (ManifestEvent, error) {
		var e ManifestEvent
		var at, rec Time
		if err := r.Scan(&e.Event, &at, &e.Place, &e.Note, &rec); err != nil {
			return e, fmt.Errorf("events of manifest %s: %w", id, err)
		}
		e.At, e.RecordedAt = at.UTC(), rec.UTC()
		return e, nil
	})
}

// Manifests lists the manifests f selects, newest first, at most f.Limit.
func (db *DB) Manifests(ctx context.Context, f ManifestFilter) ([]Manifest, error) {
	rows, err := db.Query(ctx, `SELECT `+manifestColumns+` FROM lg_manifests
		WHERE ($1 = '' OR logistics_code = $1) AND ($2 = '' OR channel = $2) AND ($3 = '' OR stage = $3)
		ORDER BY created_at DESC, id DESC LIMIT $4`, f.Carrier, f.Channel, f.Stage, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list manifests: %w", err)
	}
	return collect(rows, scanManifest)
}

// ManifestsFiled lists the manifests of carrier ("" for every one) filed
// in [from, to), oldest first.
func (db *DB) ManifestsFiled(ctx context.Context, carrier string, from, to time.Time) ([]Manifest, error) {
	rows, err := db.Query(ctx, `SELECT `+manifestColumns+` FROM lg_manifests
		WHERE ($1 = '' OR logistics_code = $1) AND created_at >= $2 AND created_at < $3 ORDER BY created_at`, carrier, from, to)
	if err != nil {
		return nil, fmt.Errorf("manifests filed from %s: %w", from.Format(time.RFC3339), err)
	}
	return collect(rows, scanManifest)
}

// ManifestsSince lists every manifest filed at or after since, oldest first.
func (db *DB) ManifestsSince(ctx context.Context, since time.Time) ([]Manifest, error) {
	rows, err := db.Query(ctx, `SELECT `+manifestColumns+` FROM lg_manifests WHERE created_at >= $1 ORDER BY created_at`, since)
	if err != nil {
		return nil, fmt.Errorf("manifests since %s: %w", since.Format(time.RFC3339), err)
	}
	return collect(rows, scanManifest)
}

// ManifestParcels lists the parcels of manifest id by logistics number, with
// their waybill, inventories and waybill status.
func (db *DB) ManifestParcels(ctx context.Context, id string) ([]ManifestParcel, error) {
	rows, err := db.Query(ctx, `SELECT p.logistics_no, w.created_at, i.created_at, COALESCE(i.status, ''), COALESCE(i.cop_no, ''), i.released_at, ls.data, ls.data_z
		FROM lg_parcels p
		LEFT JOIN documents w ON w.kind = 'waybill' AND w.k1 = p.logistics_code AND w.k2 = p.logistics_no AND NOT w.deleted
		LEFT JOIN inventories i ON i.logistics_code = p.logistics_code AND i.logistics_no = p.logistics_no AND i.status <> '899'
		LEFT JOIN documents ls ON ls.kind = 'logistics_status' AND ls.k1 = p.logistics_code AND ls.k2 = p.logistics_no AND NOT ls.deleted
		WHERE p.manifest_id = $1 ORDER BY p.logistics_no`, id)
	if err != nil {
		return nil, fmt.Errorf("parcels of manifest %s: %w", id, err)
	}
	return Collect(rows, func(r Scanner) (ManifestParcel, error) {
		var p ManifestParcel
		var wb, decl, rel NullTime
		var status sql.NullString
		var packed []byte
		if err := r.Scan(&p.LogisticsNo, &wb, &decl, &p.InventoryStatus, &p.CopNo, &rel, &status, &packed); err != nil {
			return p, fmt.Errorf("parcels of manifest %s: %w", id, err)
		}
		p.WaybillAt, p.DeclaredAt, p.ReleasedAt = nullTimePtr(wb), nullTimePtr(decl), nullTimePtr(rel)
		if status.Valid {
			data, _, err := (&rowJSON{text: status.String, packed: packed}).plain(nil) // a logistics status's columns hold none of its values
			if err != nil {
				return p, fmt.Errorf("status of parcel %s: %w", p.LogisticsNo, err)
			}
			s := string(data)
			p.StatusData = &s
		}
		return p, nil
	})
}

// OpenAlertChannels lists the channel of each open alert of carrier ("" for
// every one), once per alert.
func (db *DB) OpenAlertChannels(ctx context.Context, carrier string) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT m.channel FROM lg_alerts a JOIN lg_manifests m ON m.id = a.manifest_id
		WHERE a.resolved_at IS NULL AND ($1 = '' OR a.logistics_code = $1)`, carrier)
	if err != nil {
		return nil, fmt.Errorf("open alerts of %q: %w", carrier, err)
	}
	return Collect(rows, func(r Scanner) (c string, err error) { return c, r.Scan(&c) })
}

// OpenLogisticsAlerts maps subject|stage of each open alert to its id.
func (t *Tx) OpenLogisticsAlerts(ctx context.Context) (map[string]string, error) {
	rows, err := t.Query(ctx, `SELECT id, subject, stage FROM lg_alerts WHERE resolved_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("open logistics alerts: %w", err)
	}
	defer rows.Close()
	open := map[string]string{}
	for rows.Next() {
		var id, subject, stage string
		if err := rows.Scan(&id, &subject, &stage); err != nil {
			return nil, fmt.Errorf("open logistics alerts: %w", err)
		}
		open[subject+"|"+stage] = id
	}
	return open, rows.Err()
}

// ResolveLogisticsAlert closes alert id at at.
func (t *Tx) ResolveLogisticsAlert(ctx context.Context, id string, at time.Time) error {
	if _, err := t.Exec(ctx, `UPDATE lg_alerts SET resolved_at = $1 WHERE id = $2`, at, id); err != nil {
		return fmt.Errorf("resolve logistics alert %s: %w", id, err)
	}
	return nil
}

// RaiseLogisticsAlert stores a, unless an alert of its subject and stage was
// raised before (open or resolved); it reports whether a was stored.
func (t *Tx) RaiseLogisticsAlert(ctx context.Context, a *LogisticsAlert) (bool, error) {
	res, err := t.Exec(ctx, `INSERT INTO lg_alerts (id, subject, manifest_id, logistics_code, stage, since, raised_at, resolved_at, detail)
				SELECT $1, $2, $3, $4, $5, $6, $7, NULL, $8 WHERE NOT EXISTS (SELECT 1 FROM lg_alerts WHERE subject = $2 AND stage = $5)`,
		a.ID, a.Subject, a.ManifestID, a.LogisticsCode, a.Stage, a.Since, a.RaisedAt, a.Detail)
	return changedOne(res, err, "raise logistics alert "+a.Subject+" "+a.Stage)
}

// LogisticsAlerts lists at most 1000 alerts of carrier ("" for every one),
// newest first: the open ones only unless all.
func (db *DB) LogisticsAlerts(ctx context.Context, carrier string, all bool) ([]LogisticsAlert, error) {
	rows, err := db.Query(ctx, `SELECT id, subject, manifest_id, logistics_code, stage, since, raised_at, resolved_at, detail FROM lg_alerts
		WHERE ($1 = '' OR logistics_code = $1) AND ($2 OR resolved_at IS NULL) ORDER BY raised_at DESC, id DESC LIMIT 1000`, carrier, all)
	if err != nil {
		return nil, fmt.Errorf("logistics alerts of %q: %w", carrier, err)
	}
	return Collect(rows, func(r Scanner) (LogisticsAlert, error) {
		var a LogisticsAlert
		var since, raised Time
		var resolved NullTime
		if err := r.Scan(&a.ID, &a.Subject, &a.ManifestID, &a.LogisticsCode, &a.Stage, &since, &raised, &resolved, &a.Detail); err != nil {
			return a, fmt.Errorf("logistics alerts of %q: %w", carrier, err)
		}
		a.Since, a.RaisedAt, a.ResolvedAt = since.UTC(), raised.UTC(), nullTimePtr(resolved)
		return a, nil
	})
}
