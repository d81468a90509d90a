// Package storetest is the storage conformance suite: every storage behaviour
// the platform relies on, run against each engine by that engine's test.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// Opener returns a fresh, migrated, empty database for one test.
type Opener func(t testing.TB) *store.DB

// suites are the parts of the conformance suite; each file of this package
// adds its own in an init function, so that areas grow without touching Run.
var suites []suite

type suite struct {
	name string
	run  func(t *testing.T, open Opener)
}

func addSuite(name string, run func(t *testing.T, open Opener)) {
	suites = append(suites, suite{name, run})
}

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) { s.run(t, open) })
	}
}

func init() { addSuite("Registry", runRegistry) }

func runRegistry(t *testing.T, open Opener) {
	t.Run("EnterpriseRoundTrip", func(t *testing.T) { testEnterpriseRoundTrip(t, open(t)) })
	t.Run("EnterpriseDuplicates", func(t *testing.T) { testEnterpriseDuplicates(t, open(t)) })
	t.Run("EnterpriseNotFound", func(t *testing.T) { testEnterpriseNotFound(t, open(t)) })
	t.Run("EnterpriseListFilterAndPages", func(t *testing.T) { testEnterpriseList(t, open(t)) })
	t.Run("EnterpriseUpdate", func(t *testing.T) { testEnterpriseUpdate(t, open(t)) })
	t.Run("APIKeys", func(t *testing.T) { testAPIKeys(t, open(t)) })
	t.Run("NothingHalfWritten", func(t *testing.T) { testNothingHalfWritten(t, open(t)) })
	t.Run("TimesKeepTheInstant", func(t *testing.T) { testTimes(t, open(t)) })
	t.Run("Settings", func(t *testing.T) { testSettings(t, open(t)) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrentWriters(t, open(t)) })
}

var shanghai = time.FixedZone("CST", 8*3600)

func sample(code string, roles ...enterprise.Role) *enterprise.Enterprise {
	now := time.Date(2026, 11, 27, 20, 30, 15, 123456000, shanghai)
	return &enterprise.Enterprise{
		Code: code, Name: "重庆测试跨境电商有限公司 " + code, Roles: roles, CreditClass: enterprise.CreditGeneral,
		Status: enterprise.StatusActive, CreatedAt: now, UpdatedAt: now, Certificates: []enterprise.Certificate{},
	}
}

func key(hash string) *enterprise.APIKey {
	return &enterprise.APIKey{Hash: hash, Prefix: "cbec_" + hash[:4], CreatedAt: time.Now()}
}

func mustCreate(t testing.TB, db *store.DB, e *enterprise.Enterprise, k *enterprise.APIKey) {
	t.Helper()
	if err := db.CreateEnterprise(context.Background(), e, k); err != nil {
		t.Fatalf("create %s: %v", e.Code, err)
	}
}

func testEnterpriseRoundTrip(t *testing.T, db *store.DB) {
	ctx := context.Background()
	e := sample("1105910159", enterprise.RolePlatform, enterprise.RoleSeller)
	e.USCC = "91500000MA5U00000W"
	e.AbnormalList = true
	e.Certificates = []enterprise.Certificate{{Fingerprint: "ab12", Algorithm: "SM2", Subject: "CN=测试", Serial: "01691fe9",
		NotAfter: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC), PEM: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}}
	mustCreate(t, db, e, key("hash-1"))
	got, err := db.GetEnterprise(ctx, e.Code)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != e.Name || got.USCC != e.USCC || !got.AbnormalList || got.SeriousViolationList ||
		got.CreditClass != e.CreditClass || got.Status != e.Status {
		t.Errorf("round trip changed fields:\n got %+v\nwant %+v", got, e)
	}
	if fmt.Sprint(got.Roles) != fmt.Sprint(e.Roles) {
		t.Errorf("roles = %v, want %v", got.Roles, e.Roles)
	}
	if !got.CreatedAt.Equal(e.CreatedAt) {
		t.Errorf("created_at = %v, want %v", got.CreatedAt, e.CreatedAt)
	}
	if len(got.Certificates) != 1 || got.Certificates[0].Subject != "CN=测试" || !got.Certificates[0].NotAfter.Equal(e.Certificates[0].NotAfter) {
		t.Errorf("certificates = %+v", got.Certificates)
	}
}

func testEnterpriseDuplicates(t *testing.T, db *store.DB) {
	ctx := context.Background()
	a := sample("1105910159", enterprise.RoleSeller)
	a.USCC = "91500000MA5U00000W"
	mustCreate(t, db, a, key("hash-a"))

	err := db.CreateEnterprise(ctx, sample("1105910159", enterprise.RoleAgent), key("hash-b"))
	if e, ok := errs.As(err); !ok || e.Kind != errs.Conflict || e.Field != "code" {
		t.Errorf("duplicate code: got %v, want a conflict on code", err)
	}
	b := sample("330766K00Q", enterprise.RoleAgent)
	b.USCC = a.USCC
	err = db.CreateEnterprise(ctx, b, key("hash-c"))
	if e, ok := errs.As(err); !ok || e.Kind != errs.Conflict || e.Field != "uscc" {
		t.Errorf("duplicate uscc: got %v, want a conflict on uscc", err)
	}
	// Enterprises without a USCC do not clash with each other.
	mustCreate(t, db, sample("4401962010", enterprise.RoleAgent), key("hash-d"))
	mustCreate(t, db, sample("46121601BC", enterprise.RoleAgent), key("hash-e"))
}

func testEnterpriseNotFound(t *testing.T, db *store.DB) {
	_, err := db.GetEnterprise(context.Background(), "0000000000")
	if errs.KindOf(err) != errs.NotFound {
		t.Errorf("got %v, want not found", err)
	}
	e := sample("0000000000", enterprise.RoleSeller)
	if err := db.UpdateEnterprise(context.Background(), e); errs.KindOf(err) != errs.NotFound {
		t.Errorf("update of a missing enterprise: got %v, want not found", err)
	}
}

func testEnterpriseList(t *testing.T, db *store.DB) {
	ctx := context.Background()
	for i := range 25 {
		e := sample(fmt.Sprintf("11059101%02d", i), enterprise.RoleSeller)
		if i%3 == 0 {
			e.Roles = append(e.Roles, enterprise.RoleAgent)
		}
		if i%5 == 0 {
			e.CreditClass = enterprise.CreditAdvanced
		}
		mustCreate(t, db, e, key(fmt.Sprintf("hash-%02d", i)))
	}
	var all []string
	after := ""
	for {
		page, err := db.ListEnterprises(ctx, enterprise.Filter{After: after, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			all = append(all, e.Code)
		}
		after = page[len(page)-1].Code
	}
	if len(all) != 25 || all[0] != "1105910100" || all[24] != "1105910124" {
		t.Errorf("paging returned %d codes: %v", len(all), all)
	}
	agents, err := db.ListEnterprises(ctx, enterprise.Filter{Role: enterprise.RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	if len(agents) != 9 {
		t.Errorf("role filter: %d agents, want 9", len(agents))
	}
	adv, err := db.ListEnterprises(ctx, enterprise.Filter{CreditClass: enterprise.CreditAdvanced, Role: enterprise.RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	if len(adv) != 2 { // i%15 == 0 below 25: 0 and 15
		t.Errorf("combined filter: %d, want 2", len(adv))
	}
}

func testEnterpriseUpdate(t *testing.T, db *store.DB) {
	ctx := context.Background()
	e := sample("1105910159", enterprise.RoleSeller)
	e.Certificates = []enterprise.Certificate{{Fingerprint: "f1", Algorithm: "RSA", Subject: "CN=a", Serial: "1", NotAfter: time.Now(), PEM: "x"}}
	mustCreate(t, db, e, key("hash-u"))
	e.Name = "新名称"
	e.CreditClass = enterprise.CreditDishonest
	e.SeriousViolationList = true
	e.Status = enterprise.StatusDisabled
	e.Certificates = []enterprise.Certificate{{Fingerprint: "f2", Algorithm: "SM2", Subject: "CN=b", Serial: "2", NotAfter: time.Now(), PEM: "y"}}
	if err := db.UpdateEnterprise(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetEnterprise(ctx, e.Code)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "新名称" || got.CreditClass != enterprise.CreditDishonest || !got.SeriousViolationList || got.Status != enterprise.StatusDisabled {
		t.Errorf("update not stored: %+v", got)
	}
	if len(got.Certificates) != 1 || got.Certificates[0].Fingerprint != "f2" {
		t.Errorf("certificates not replaced: %+v", got.Certificates)
	}
}

func testAPIKeys(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mustCreate(t, db, sample("1105910159", enterprise.RoleSeller), key("hash-k1"))
	got, err := db.EnterpriseByKeyHash(ctx, "hash-k1")
	if err != nil || got.Code != "1105910159" {
		t.Fatalf("lookup by key: %v, %v", got, err)
	}
	if err := db.ReplaceKeys(ctx, "1105910159", key("hash-k2"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnterpriseByKeyHash(ctx, "hash-k1"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("revoked key still works: %v", err)
	}
	if _, err := db.EnterpriseByKeyHash(ctx, "hash-k2"); err != nil {
		t.Errorf("new key: %v", err)
	}
	if err := db.ReplaceKeys(ctx, "1105910159", nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnterpriseByKeyHash(ctx, "hash-k2"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("key survived revoke-all: %v", err)
	}
}

func testNothingHalfWritten(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mustCreate(t, db, sample("1105910159", enterprise.RoleSeller), key("hash-taken"))
	// The enterprise row would insert, but its key clashes: nothing of it may remain.
	err := db.CreateEnterprise(ctx, sample("330766K00Q", enterprise.RoleAgent), key("hash-taken"))
	if err == nil {
		t.Fatal("create with a clashing key succeeded")
	}
	if _, err := db.GetEnterprise(ctx, "330766K00Q"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("half-written enterprise found after a failed create: %v", err)
	}
	// A failing transaction rolls back its earlier statements.
	boom := errors.New("boom")
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE enterprises SET name = 'changed' WHERE code = $1`, "1105910159"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v", err)
	}
	got, _ := db.GetEnterprise(ctx, "1105910159")
	if got.Name == "changed" {
		t.Error("rolled-back update is visible")
	}
}

func testTimes(t *testing.T, db *store.DB) {
	ctx := context.Background()
	zones := []*time.Location{time.UTC, shanghai, time.FixedZone("NPT", 5*3600+45*60), time.FixedZone("HST", -10*3600)}
	base := time.Date(2026, 12, 31, 23, 59, 59, 999999000, shanghai)
	for i, z := range zones {
		e := sample(fmt.Sprintf("T%09d", i), enterprise.RoleSeller)
		e.CreatedAt = base.Add(time.Duration(i) * time.Microsecond).In(z)
		e.UpdatedAt = e.CreatedAt
		mustCreate(t, db, e, key(fmt.Sprintf("hash-t%d", i)))
		got, err := db.GetEnterprise(ctx, e.Code)
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(e.CreatedAt) {
			t.Errorf("zone %s: stored %v, read %v", z, e.CreatedAt, got.CreatedAt)
		}
	}
	// Ordering by a time column follows the instants, whatever zone they came in.
	rows, err := db.Query(ctx, `SELECT code FROM enterprises ORDER BY created_at DESC`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var order []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		order = append(order, c)
	}
	if strings.Join(order, ",") != "T000000003,T000000002,T000000001,T000000000" {
		t.Errorf("time order = %v", order)
	}
}

func testSettings(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if _, found, err := db.Setting(ctx, "admin_token_hash"); err != nil || found {
		t.Fatalf("unset setting: found=%v err=%v", found, err)
	}
	for _, v := range []string{"one", "two"} {
		if err := db.PutSetting(ctx, "admin_token_hash", v, time.Now()); err != nil {
			t.Fatal(err)
		}
		got, found, err := db.Setting(ctx, "admin_token_hash")
		if err != nil || !found || got != v {
			t.Errorf("setting = %q, %v, %v; want %q", got, found, err, v)
		}
	}
}

func testConcurrentWriters(t *testing.T, db *store.DB) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errc := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- db.CreateEnterprise(ctx, sample(fmt.Sprintf("C%09d", i), enterprise.RoleSeller), key(fmt.Sprintf("hash-c%02d", i)))
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Errorf("concurrent create: %v", err)
		}
	}
	list, err := db.ListEnterprises(ctx, enterprise.Filter{Limit: 100})
	if err != nil || len(list) != 40 {
		t.Errorf("after concurrent writes: %d enterprises, err %v", len(list), err)
	}
}

// pluck lists one field of each element, to compare a list read back with
// the keys it should hold, in order.
func pluck[T any](list []T, field func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = field(v)
	}
	return out
}
