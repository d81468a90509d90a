package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("Logistics", runLogistics) }

// The logistics channels' tables (package logistics): manifests with their
// parcels and events, and the alerts of what is stuck.
func runLogistics(t *testing.T, open Opener) {
	t.Run("ManifestRoundTripAndStages", func(t *testing.T) { testManifestRoundTrip(t, open(t)) })
	t.Run("ManifestLists", func(t *testing.T) { testManifestLists(t, open(t)) })
	t.Run("ManifestParcels", func(t *testing.T) { testManifestParcels(t, open(t)) })
	t.Run("Alerts", func(t *testing.T) { testLogisticsAlerts(t, open(t)) })
}

var logisticsT0 = time.Date(2026, 11, 27, 8, 0, 0, 125000000, time.UTC)

func manifest(id, carrier, bill, channel string, created time.Time) *store.Manifest {
	return &store.Manifest{ID: id, LogisticsCode: carrier, BillNo: bill, VoyageNo: "X9" + bill, TrafMode: "3", Channel: channel,
		Route: "重庆—杜伊斯堡", WeightG: 1250500, Stage: "filed", StageAt: created, CreatedAt: created}
}

// fileManifest stores m with its parcels in one transaction.
func fileManifest(t *testing.T, db *store.DB, m *store.Manifest, parcels ...string) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		if err := tx.InsertManifest(context.Background(), m); err != nil {
			return err
		}
		for _, p := range parcels {
			if err := tx.InsertManifestParcel(context.Background(), m.LogisticsCode, p, m.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("file manifest %s: %v", m.ID, err)
	}
}

func testManifestRoundTrip(t *testing.T, db *store.DB) {
	ctx := context.Background()
	m := manifest("M1", "LOG0000001", "B1", "rail", logisticsT0)
	cost := int64(860000)
	planned := logisticsT0.Add(72 * time.Hour).In(shanghai)
	m.CostFen, m.PlannedArrival = &cost, &planned
	fileManifest(t, db, m, "P1", "P2")
	got, err := db.Manifest(ctx, "M1")
	if err != nil || got.LogisticsCode != "LOG0000001" || got.BillNo != "B1" || got.VoyageNo != "X9B1" || got.TrafMode != "3" ||
		got.Channel != "rail" || got.Route != "重庆—杜伊斯堡" || got.WeightG != 1250500 || got.CostFen == nil || *got.CostFen != 860000 ||
		got.PlannedArrival == nil || !got.PlannedArrival.Equal(planned) || got.DepartedAt != nil || got.ArrivedAt != nil ||
		got.Stage != "filed" || !got.StageAt.Equal(logisticsT0) || !got.CreatedAt.Equal(logisticsT0) {
		t.Fatalf("read back: %+v %v", got, err)
	}
	if _, err := db.Manifest(ctx, "nope"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("missing manifest: %v, want not found", err)
	}
	// Without a cost or planned arrival both read back as nil.
	fileManifest(t, db, manifest("M2", "LOG0000001", "B2", "air", logisticsT0))
	if got, err := db.Manifest(ctx, "M2"); err != nil || got.CostFen != nil || got.PlannedArrival != nil {
		t.Errorf("no cost: %+v %v", got, err)
	}
	// The same bill of the same carrier, or a parcel on another manifest: conflicts.
	err = db.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertManifest(ctx, manifest("M3", "LOG0000001", "B1", "rail", logisticsT0))
	})
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("repeated bill: %v, want a conflict", err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertManifestParcel(ctx, "LOG0000001", "P1", "M2") })
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("parcel on two manifests: %v, want a conflict", err)
	}
	// Another carrier may use the same bill and parcel numbers.
	fileManifest(t, db, manifest("M4", "LOG0000002", "B1", "rail", logisticsT0), "P1")

	departed, arrived := logisticsT0.Add(time.Hour), logisticsT0.Add(50*time.Hour)
	move := func(from, to string, at time.Time) bool {
		t.Helper()
		var moved bool
		err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			moved, err = tx.MoveManifestStage(ctx, "M1", from, to, at)
			if err != nil {
				return err
			}
			return tx.AddManifestEvent(ctx, "E-"+to+at.String(), "M1", store.ManifestEvent{Event: to, At: at, Place: "重庆团结村", RecordedAt: at.Add(time.Second)})
		})
		if err != nil {
			t.Fatalf("move to %s: %v", to, err)
		}
		return moved
	}
	if !move("filed", "departed", departed) || !move("departed", "arrived", arrived) {
		t.Fatal("a move from the stage the manifest is at did not happen")
	}
	if move("departed", "arrived", arrived.Add(time.Hour)) {
		t.Error("a move from a stage the manifest has left happened")
	}
	got, _ = db.Manifest(ctx, "M1")
	if got.Stage != "arrived" || !got.StageAt.Equal(arrived) || got.DepartedAt == nil || !got.DepartedAt.Equal(departed) ||
		got.ArrivedAt == nil || !got.ArrivedAt.Equal(arrived) {
		t.Errorf("after the moves: %+v", got)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.MoveManifestStage(ctx, "M1", "arrived", "note", arrived)
		return err
	})
	if err == nil {
		t.Error("a move to a stage without a time was accepted")
	}
	// Events in the order they happened, a note reported later but dated earlier included.
	err = db.InTx(ctx, func(tx *store.Tx) error {
		return tx.AddManifestEvent(ctx, "E-note", "M1", store.ManifestEvent{Event: "note", At: departed.Add(time.Minute), Note: "海关查验", RecordedAt: arrived.Add(2 * time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	events, err := db.ManifestEvents(ctx, "M1")
	if err != nil || len(events) != 4 {
		t.Fatalf("events: %+v %v", events, err)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Event)
	}
	if !slices.Equal(kinds, []string{"departed", "note", "arrived", "arrived"}) || events[1].Note != "海关查验" || events[0].Place != "重庆团结村" ||
		!events[0].At.Equal(departed) || !events[0].RecordedAt.Equal(departed.Add(time.Second)) {
		t.Errorf("events: %+v", events)
	}
	if events, err := db.ManifestEvents(ctx, "M2"); err != nil || len(events) != 0 {
		t.Errorf("events of a quiet manifest: %+v %v", events, err)
	}
}

func testManifestLists(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fileManifest(t, db, manifest("M1", "LOG0000001", "B1", "rail", logisticsT0))
	fileManifest(t, db, manifest("M2", "LOG0000001", "B2", "air", logisticsT0.Add(time.Hour)))
	fileManifest(t, db, manifest("M3", "LOG0000002", "B3", "rail", logisticsT0.Add(2*time.Hour)))
	m4 := manifest("M4", "LOG0000001", "B4", "rail", logisticsT0.Add(3*time.Hour))
	m4.Stage = "departed"
	fileManifest(t, db, m4)
	for _, c := range []struct {
		f    store.ManifestFilter
		want []string
	}{
		{store.ManifestFilter{Limit: 100}, []string{"M4", "M3", "M2", "M1"}},
		{store.ManifestFilter{Limit: 2}, []string{"M4", "M3"}},
		{store.ManifestFilter{Carrier: "LOG0000001", Limit: 100}, []string{"M4", "M2", "M1"}},
		{store.ManifestFilter{Channel: "rail", Limit: 100}, []string{"M4", "M3", "M1"}},
		{store.ManifestFilter{Carrier: "LOG0000001", Channel: "rail", Stage: "filed", Limit: 100}, []string{"M1"}},
		{store.ManifestFilter{Carrier: "LOG0000009", Limit: 100}, nil},
	} {
		got, err := db.Manifests(ctx, c.f)
		if err != nil || !slices.Equal(pluck(got, func(m store.Manifest) string { return m.ID }), c.want) {
			t.Errorf("manifests %+v: %v %v, want %v", c.f, pluck(got, func(m store.Manifest) string { return m.ID }), err, c.want)
		}
	}
	// Filed in [from, to), oldest first; the upper bound is excluded.
	got, err := db.ManifestsFiled(ctx, "", logisticsT0.Add(time.Hour), logisticsT0.Add(3*time.Hour))
	if err != nil || !slices.Equal(pluck(got, func(m store.Manifest) string { return m.ID }), []string{"M2", "M3"}) {
		t.Errorf("filed in a period: %v %v", pluck(got, func(m store.Manifest) string { return m.ID }), err)
	}
	got, err = db.ManifestsFiled(ctx, "LOG0000001", logisticsT0, logisticsT0.Add(24*time.Hour))
	if err != nil || !slices.Equal(pluck(got, func(m store.Manifest) string { return m.ID }), []string{"M1", "M2", "M4"}) {
		t.Errorf("filed by one carrier: %v %v", pluck(got, func(m store.Manifest) string { return m.ID }), err)
	}
	got, err = db.ManifestsSince(ctx, logisticsT0.Add(2*time.Hour))
	if err != nil || !slices.Equal(pluck(got, func(m store.Manifest) string { return m.ID }), []string{"M3", "M4"}) {
		t.Errorf("filed since: %v %v", pluck(got, func(m store.Manifest) string { return m.ID }), err)
	}
}

func testManifestParcels(t *testing.T, db *store.DB) {
	ctx := context.Background()
	const carrier = "LOG0000001"
	fileManifest(t, db, manifest("M1", carrier, "B1", "rail", logisticsT0), "P4", "P1", "P2", "P3", "P5")
	fileManifest(t, db, manifest("M2", carrier, "B2", "rail", logisticsT0), "P9")
	waybillAt, declaredAt, releasedAt := logisticsT0.Add(-time.Hour), logisticsT0.Add(60*time.Hour), logisticsT0.Add(61*time.Hour)
	doc := func(kind, no string, deleted bool, data string) *store.Document {
		return &store.Document{Kind: kind, K1: carrier, K2: no, Sender: carrier, AppType: "1", Deleted: deleted, Data: []byte(data),
			CreatedAt: waybillAt, UpdatedAt: waybillAt}
	}
	inv := func(id, no, status string, released *time.Time) *store.Inventory {
		return &store.Inventory{ID: id, CopNo: "COP" + id, LogisticsCode: carrier, LogisticsNo: no, Status: status,
			CreatedAt: declaredAt, UpdatedAt: declaredAt, ReleasedAt: released}
	}
	signed := `{"LogisticsStatus":"S","LogisticsTime":"20261130120000"}`
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, d := range []*store.Document{
			doc("waybill", "P1", false, "{}"), doc("waybill", "P2", false, "{}"), doc("waybill", "P3", true, "{}"), // P3's was deleted
			doc("logistics_status", "P1", false, signed), doc("logistics_status", "P2", true, signed),
		} {
			if err := tx.PutDocument(ctx, d); err != nil {
				return err
			}
		}
		for _, v := range []*store.Inventory{
			inv("I1", "P1", "800", &releasedAt),
			inv("I2", "P2", "899", nil),                              // cancelled: not counted
			inv("I3", "P4", "120", nil), inv("I4", "P4", "100", nil), // two inventories name P4
		} {
			if err := tx.InsertInventory(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.ManifestParcels(ctx, "M1")
	if err != nil {
		t.Fatal(err)
	}
	var nos []string
	for _, p := range got {
		nos = append(nos, p.LogisticsNo)
	}
	if !slices.Equal(nos, []string{"P1", "P2", "P3", "P4", "P4", "P5"}) {
		t.Fatalf("parcels: %v, want each in order, P4 once per inventory", nos)
	}
	p1, p2, p3, p5 := got[0], got[1], got[2], got[5]
	if p1.WaybillAt == nil || !p1.WaybillAt.Equal(waybillAt) || p1.DeclaredAt == nil || !p1.DeclaredAt.Equal(declaredAt) ||
		p1.InventoryStatus != "800" || p1.CopNo != "COPI1" || p1.ReleasedAt == nil || !p1.ReleasedAt.Equal(releasedAt) ||
		p1.StatusData == nil || *p1.StatusData != signed {
		t.Errorf("released and signed-for parcel: %+v", p1)
	}
	if p2.WaybillAt == nil || p2.DeclaredAt != nil || p2.InventoryStatus != "" || p2.CopNo != "" || p2.StatusData != nil {
		t.Errorf("parcel with a cancelled inventory and a deleted status: %+v", p2)
	}
	if p3.WaybillAt != nil {
		t.Errorf("parcel with a deleted waybill: %+v", p3)
	}
	if statuses := []string{got[3].InventoryStatus, got[4].InventoryStatus}; !slices.Contains(statuses, "120") || !slices.Contains(statuses, "100") {
		t.Errorf("both inventories of P4: %v", statuses)
	}
	if p5.WaybillAt != nil || p5.DeclaredAt != nil || p5.ReleasedAt != nil || p5.StatusData != nil || p5.InventoryStatus != "" {
		t.Errorf("parcel the platform knows nothing of: %+v", p5)
	}
	if got, err := db.ManifestParcels(ctx, "M2"); err != nil || len(got) != 1 || got[0].LogisticsNo != "P9" {
		t.Errorf("parcels of another manifest: %+v %v", got, err)
	}
}

func testLogisticsAlerts(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fileManifest(t, db, manifest("M1", "LOG0000001", "B1", "rail", logisticsT0))
	fileManifest(t, db, manifest("M2", "LOG0000002", "B2", "air", logisticsT0))
	alert := func(id, subject, manifestID, carrier string, raised time.Time) *store.LogisticsAlert {
		return &store.LogisticsAlert{ID: id, Subject: subject, ManifestID: manifestID, LogisticsCode: carrier, Stage: "filed",
			Since: logisticsT0, RaisedAt: raised, Detail: "rail bill " + subject + " filed: no departure"}
	}
	raise := func(a *store.LogisticsAlert) bool {
		t.Helper()
		var stored bool
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) { stored, err = tx.RaiseLogisticsAlert(ctx, a); return err }); err != nil {
			t.Fatal(err)
		}
		return stored
	}
	if !raise(alert("A1", "manifest:M1", "M1", "LOG0000001", logisticsT0.Add(time.Hour))) ||
		!raise(alert("A2", "manifest:M2", "M2", "LOG0000002", logisticsT0.Add(2*time.Hour))) ||
		!raise(alert("A3", "parcel:P1", "M1", "LOG0000001", logisticsT0.Add(3*time.Hour))) {
		t.Fatal("a new alert was not stored")
	}
	if raise(alert("A4", "manifest:M1", "M1", "LOG0000001", logisticsT0.Add(4*time.Hour))) {
		t.Error("a second alert of the same subject and stage was stored")
	}
	var open map[string]string
	err := db.InTx(ctx, func(tx *store.Tx) (err error) { open, err = tx.OpenLogisticsAlerts(ctx); return err })
	if err != nil || len(open) != 3 || open["manifest:M1|filed"] != "A1" || open["parcel:P1|filed"] != "A3" {
		t.Fatalf("open alerts: %v %v", open, err)
	}
	resolved := logisticsT0.Add(5 * time.Hour)
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.ResolveLogisticsAlert(ctx, "A3", resolved) }); err != nil {
		t.Fatal(err)
	}
	// A resolved alert still blocks a new one of its subject and stage.
	if raise(alert("A5", "parcel:P1", "M1", "LOG0000001", logisticsT0.Add(6*time.Hour))) {
		t.Error("an alert was raised again after its first was resolved")
	}
	err = db.InTx(ctx, func(tx *store.Tx) (err error) { open, err = tx.OpenLogisticsAlerts(ctx); return err })
	if err != nil || len(open) != 2 || open["parcel:P1|filed"] != "" {
		t.Errorf("open after resolving: %v %v", open, err)
	}
	ids := func(as []store.LogisticsAlert) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	all, err := db.LogisticsAlerts(ctx, "", true)
	if err != nil || !slices.Equal(ids(all), []string{"A3", "A2", "A1"}) {
		t.Fatalf("all alerts, newest first: %v %v", ids(all), err)
	}
	a3, a1 := all[0], all[2]
	if a3.ResolvedAt == nil || !a3.ResolvedAt.Equal(resolved) || a1.ResolvedAt != nil || a1.Subject != "manifest:M1" || a1.ManifestID != "M1" ||
		a1.LogisticsCode != "LOG0000001" || a1.Stage != "filed" || !a1.Since.Equal(logisticsT0) || !a1.RaisedAt.Equal(logisticsT0.Add(time.Hour)) ||
		a1.Detail != "rail bill manifest:M1 filed: no departure" {
		t.Errorf("read back: %+v / %+v", a3, a1)
	}
	if got, err := db.LogisticsAlerts(ctx, "", false); err != nil || !slices.Equal(ids(got), []string{"A2", "A1"}) {
		t.Errorf("open alerts: %v %v", ids(got), err)
	}
	if got, err := db.LogisticsAlerts(ctx, "LOG0000001", true); err != nil || !slices.Equal(ids(got), []string{"A3", "A1"}) {
		t.Errorf("one carrier's alerts: %v %v", ids(got), err)
	}
	// The channels of the open alerts, one per alert, through their manifests.
	channels, err := db.OpenAlertChannels(ctx, "")
	slices.Sort(channels)
	if err != nil || !slices.Equal(channels, []string{"air", "rail"}) {
		t.Errorf("open alert channels: %v %v", channels, err)
	}
	if channels, err := db.OpenAlertChannels(ctx, "LOG0000002"); err != nil || !slices.Equal(channels, []string{"air"}) {
		t.Errorf("one carrier's open alert channels: %v %v", channels, err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.ResolveLogisticsAlert(ctx, "A1", resolved) }); err != nil {
		t.Fatal(err)
	}
	if channels, err := db.OpenAlertChannels(ctx, "LOG0000001"); err != nil || len(channels) != 0 {
		t.Errorf("channels after resolving: %v %v", channels, err)
	}
}
