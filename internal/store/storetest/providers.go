package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("Providers", runProviders) }

// Technical service providers' tables (package provider): authorisations,
// suspensions, the messages sent for clients and the submissions behind the
// quality figures.
func runProviders(t *testing.T, open Opener) {
	t.Run("AuthorisationsRoundTripAndCoverage", func(t *testing.T) { testAuthorisations(t, open(t)) })
	t.Run("Suspensions", func(t *testing.T) { testSuspensions(t, open(t)) })
	t.Run("Activity", func(t *testing.T) { testProviderActivity(t, open(t)) })
}

var providerT0 = time.Date(2026, 11, 27, 8, 0, 0, 250000000, time.UTC)

func authorisation(id, client, provider string, types []string, from, until time.Time) *store.Authorisation {
	return &store.Authorisation{ID: id, ClientCode: client, ProviderCode: provider, MessageTypes: types, ValidFrom: from, ValidUntil: until, CreatedAt: from}
}

func testAuthorisations(t *testing.T, db *store.DB) {
	ctx := context.Background()
	day := 24 * time.Hour
	for _, a := range []*store.Authorisation{
		authorisation("A1", "EBC0000001", "TSP0000001", []string{"CEB311Message", "CEB621Message"}, providerT0, providerT0.Add(30*day)),
		authorisation("A2", "EBC0000002", "TSP0000001", []string{"CEB621Message"}, providerT0.Add(time.Second), providerT0.Add(30*day)),
		authorisation("A3", "EBC0000003", "TSP0000001", []string{"CEB311Message"}, providerT0.Add(2*time.Second), providerT0.Add(30*day)),
		authorisation("A4", "EBC0000004", "TSP0000001", []string{"CEB621Message"}, providerT0.Add(10*day), providerT0.Add(30*day)),
		authorisation("A5", "EBC0000001", "TSP0000002", []string{"CEB621Message"}, providerT0.Add(3*time.Second), providerT0.Add(30*day)),
	} {
		if err := db.AddAuthorisation(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Authorisation(ctx, "A1")
	if err != nil || got.ClientCode != "EBC0000001" || !slices.Equal(got.MessageTypes, []string{"CEB311Message", "CEB621Message"}) ||
		!got.ValidFrom.Equal(providerT0) || !got.ValidUntil.Equal(providerT0.Add(30*day)) || got.RevokedAt != nil {
		t.Errorf("read back: %+v %v", got, err)
	}
	if _, err := db.Authorisation(ctx, "nope"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("missing: %v, want not found", err)
	}
	// Covering CEB621Message now: A1 and A2; not A3 (other type), A4 (not yet), A5 (other provider).
	now := providerT0.Add(time.Hour)
	if c, err := db.AuthorisingClients(ctx, "TSP0000001", "CEB621Message", now); err != nil || !slices.Equal(c, []string{"EBC0000001", "EBC0000002"}) {
		t.Errorf("clients: %v %v", c, err)
	}
	// A type name inside another is no match: the stored list is delimited.
	if c, err := db.AuthorisingClients(ctx, "TSP0000001", "CEB62", now); err != nil || len(c) != 0 {
		t.Errorf("partial type matched: %v %v", c, err)
	}
	if err := db.RevokeAuthorisation(ctx, "A2", now); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeAuthorisation(ctx, "A2", now.Add(time.Hour)); err != nil { // a second revoke keeps the first time
		t.Fatal(err)
	}
	if a, _ := db.Authorisation(ctx, "A2"); a.RevokedAt == nil || !a.RevokedAt.Equal(now) {
		t.Errorf("revoked at %v, want %v", a.RevokedAt, now)
	}
	if c, _ := db.AuthorisingClients(ctx, "TSP0000001", "CEB621Message", now.Add(time.Minute)); !slices.Equal(c, []string{"EBC0000001"}) {
		t.Errorf("clients after revoke: %v", c)
	}
	if c, _ := db.AuthorisingClients(ctx, "TSP0000001", "CEB621Message", providerT0.Add(31*day)); len(c) != 0 {
		t.Errorf("clients after expiry: %v", c)
	}
	list, err := db.Authorisations(ctx, "", "TSP0000001")
	if err != nil || len(list) != 4 || list[0].ID != "A4" || list[3].ID != "A1" {
		t.Errorf("held by TSP0000001, newest first: %+v %v", list, err)
	}
	if list, err := db.Authorisations(ctx, "EBC0000001", ""); err != nil || len(list) != 2 || list[0].ID != "A5" {
		t.Errorf("granted by EBC0000001: %+v %v", list, err)
	}
}

func testSuspensions(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if why, err := db.ProviderSuspension(ctx, "TSP0000001"); err != nil || why != "" {
		t.Errorf("not suspended: %q %v", why, err)
	}
	if err := db.SuspendProvider(ctx, "TSP0000001", "报文错误率过高", providerT0); err != nil {
		t.Fatal(err)
	}
	if err := db.SuspendProvider(ctx, "TSP0000001", "再次暂停", providerT0.Add(time.Hour)); err != nil { // replaces, no conflict
		t.Fatal(err)
	}
	if why, err := db.ProviderSuspension(ctx, "TSP0000001"); err != nil || why != "再次暂停" {
		t.Errorf("suspended: %q %v", why, err)
	}
	if err := db.ReinstateProvider(ctx, "TSP0000001"); err != nil {
		t.Fatal(err)
	}
	if err := db.ReinstateProvider(ctx, "TSP0000001"); err != nil { // nothing to lift is fine
		t.Fatal(err)
	}
	if why, err := db.ProviderSuspension(ctx, "TSP0000001"); err != nil || why != "" {
		t.Errorf("reinstated: %q %v", why, err)
	}
}

func testProviderActivity(t *testing.T, db *store.DB) {
	ctx := context.Background()
	from := providerT0
	a, err := db.ProviderActivity(ctx, "TSP0000001", from, from)
	if err != nil || *a != (store.ProviderActivity{}) {
		t.Errorf("no activity: %+v %v", a, err)
	}
	for _, s := range []store.ProviderSubmission{
		{Provider: "TSP0000001", Type: "CEB621Message", Status: 200, Documents: 3, Refused: 1, Latency: 1500 * time.Microsecond, At: from.Add(time.Minute)},
		{Provider: "TSP0000001", Type: "CEB621Message", Status: 400, Latency: 500 * time.Microsecond, At: from.Add(2 * time.Minute)},
		{Provider: "TSP0000001", Type: "CEB311Message", Status: 200, Documents: 1, Latency: 9 * time.Millisecond, At: from.Add(-time.Minute)}, // before from
		{Provider: "TSP0000002", Type: "CEB621Message", Status: 500, Latency: time.Second, At: from.Add(time.Minute)},                         // another provider
	} {
		if err := db.AddProviderSubmission(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AddAuthorisation(ctx, authorisation("A1", "EBC0000001", "TSP0000001", []string{"CEB621Message"}, from, from.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertMessage(ctx, &store.Message{ID: "m1", Sender: "TSP0000001", Guid: "g1", Type: "CEB621Message", ReceivedAt: from.Add(time.Minute),
			Body: []byte("x"), HTTPStatus: 200, Receipt: "<r/>"}); err != nil {
			return err
		}
		return tx.RecordProviderMessage(ctx, "m1", "TSP0000001", "EBC0000001", "CEB621Message", from.Add(time.Minute))
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err = db.ProviderActivity(ctx, "TSP0000001", from, from.Add(30*time.Minute))
	want := store.ProviderActivity{Messages: 2, Errors: 1, Documents: 3, RejectedDocuments: 1, LatencySumMicros: 2000, LatencyMaxMicros: 1500,
		MessagesForClient: 1, ActiveClients: 1}
	if err != nil || *a != want {
		t.Errorf("activity %+v %v, want %+v", a, err, want)
	}
	// After the authorisation ends the client no longer counts.
	if a, _ := db.ProviderActivity(ctx, "TSP0000001", from, from.Add(2*time.Hour)); a.ActiveClients != 0 {
		t.Errorf("clients after expiry: %d", a.ActiveClients)
	}
}
