package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/refdata"
	"github.com/cbec-platform/cbec/internal/store"
)

func init() { addSuite("Reference", runReference) }

func runReference(t *testing.T, open Opener) {
	t.Run("TariffRoundTrip", func(t *testing.T) { testTariffRoundTrip(t, open(t)) })
	t.Run("ListsRoundTrip", func(t *testing.T) { testListsRoundTrip(t, open(t)) })
	t.Run("VersionNumbersPerTable", func(t *testing.T) { testVersionNumbers(t, open(t)) })
	t.Run("VersionNothingHalfWritten", func(t *testing.T) { testVersionAtomic(t, open(t)) })
	t.Run("SeedOnce", func(t *testing.T) { testSeedOnce(t, open(t)) })
	t.Run("SeedSkipsLoadedTables", func(t *testing.T) { testSeedSkipsLoaded(t, open(t)) })
	t.Run("ProductFilings", func(t *testing.T) { testProductFilings(t, open(t)) })
	t.Run("ManyRows", func(t *testing.T) { testManyRows(t, open(t)) })
}

func dec(t testing.TB, s string) money.Decimal {
	t.Helper()
	d, err := money.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func spirits(t testing.TB) catalog.TariffRow {
	return catalog.TariffRow{HSCode: "2208300000", Name: "威士忌酒 whisky", VATRate: dec(t, "0.13"), CTRate: dec(t, "0.20"),
		CTSpecific: dec(t, "1.000"), CTSpecificUnit: catalog.Litre, LegalUnit: catalog.Litre, DutyRate: dec(t, "0.05"),
		CTThreshold: dec(t, "10"), CTUnit: catalog.Millilitre, CTThresholdPiece: dec(t, "15"), CTSpecificBelow: dec(t, "0.5"),
		LitresPerTonne: dec(t, "988")}
}

func version(from time.Time, by string) *refdata.VersionInfo {
	return &refdata.VersionInfo{EffectiveFrom: from, UploadedBy: by, UploadedAt: time.Now().Truncate(time.Microsecond)}
}

func testTariffRoundTrip(t *testing.T, db *store.DB) {
	ctx := context.Background()
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, shanghai)
	want := []catalog.TariffRow{spirits(t), {HSCode: "0401200000", Name: "鲜乳 milk", VATRate: dec(t, "0.09"), CTRate: dec(t, "0"), DutyRate: dec(t, "0.15")}}
	v := version(from, "admin")
	v.Replace = true
	if err := db.AddTariffVersion(ctx, v, want); err != nil {
		t.Fatal(err)
	}
	if v.ID != 1 || v.Rows != 2 || v.Kind != refdata.Tariff {
		t.Errorf("version after add: %+v", v)
	}
	infos, err := db.ReferenceVersions(ctx, refdata.Tariff)
	if err != nil || len(infos) != 1 {
		t.Fatalf("versions: %v %v", infos, err)
	}
	got := infos[0]
	if got.ID != 1 || !got.EffectiveFrom.Equal(from) || !got.Replace || got.UploadedBy != "admin" || got.Rows != 2 || !got.UploadedAt.Equal(v.UploadedAt) {
		t.Errorf("version read back %+v, stored %+v", got, v)
	}
	rows, err := db.TariffRows(ctx, 1)
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows: %v %v", rows, err)
	}
	// Rows come back by HS code, with every decimal as written (1.000 stays 1.000).
	if a, b := fmt.Sprintf("%+v", rows[1]), fmt.Sprintf("%+v", want[0]); a != b {
		t.Errorf("tariff row changed:\n got %s\nwant %s", a, b)
	}
	if rows[1].CTSpecific.String() != "1.000" || rows[1].VATRate.String() != "0.13" {
		t.Errorf("decimals not kept as parsed: %s %s", rows[1].CTSpecific, rows[1].VATRate)
	}
	if rows[0].HSCode != "0401200000" || !rows[0].CTThreshold.IsZero() || rows[0].CTUnit != "" {
		t.Errorf("row without optional values: %+v", rows[0])
	}
}

func testListsRoundTrip(t *testing.T, db *store.DB) {
	ctx := context.Background()
	cap := catalog.Quantity{Amount: dec(t, "2"), Unit: catalog.Kilogram}
	pos := []catalog.PositiveListEntry{
		{HSCode: "17019910", Name: "砂糖 sugar", RemarkKind: catalog.RemarkYearlyCap, Remark: "2 kg", YearlyCap: &cap},
		{HSCode: "3304990010", Name: "面膜 masks", RemarkKind: catalog.RemarkBondedOnly},
	}
	if err := db.AddPositiveListVersion(ctx, version(time.Now(), "admin"), pos); err != nil {
		t.Fatal(err)
	}
	gotPos, err := db.PositiveListRows(ctx, 1)
	if err != nil || len(gotPos) != 2 {
		t.Fatalf("positive rows: %v %v", gotPos, err)
	}
	if e := gotPos[0]; e.HSCode != "17019910" || e.YearlyCap == nil || e.YearlyCap.String() != "2 kg" || e.Remark != "2 kg" {
		t.Errorf("yearly cap entry: %+v", e)
	}
	if e := gotPos[1]; e.RemarkKind != catalog.RemarkBondedOnly || e.YearlyCap != nil {
		t.Errorf("bonded-only entry: %+v", e)
	}
	// The negative list keeps its order: matches are reported in list order.
	neg := []catalog.NegativeListEntry{
		{HSPrefix: "93", Kind: catalog.Prohibited, Reason: "arms"},
		{Name: "Dragon Fruit", Kind: catalog.Suspended, Reason: "pest alert"},
		{GTIN: "6901234567892", Kind: catalog.Suspended, Reason: "recall"},
	}
	if err := db.AddNegativeListVersion(ctx, version(time.Now(), "cli"), neg); err != nil {
		t.Fatal(err)
	}
	gotNeg, err := db.NegativeListRows(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gotNeg) != fmt.Sprint(neg) {
		t.Errorf("negative list:\n got %v\nwant %v", gotNeg, neg)
	}
}

func testVersionNumbers(t *testing.T, db *store.DB) {
	ctx := context.Background()
	row := []catalog.TariffRow{spirits(t)}
	// Each table numbers its own versions; a later upload may take effect earlier.
	for i, from := range []time.Time{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)} {
		v := version(from, "admin")
		if err := db.AddTariffVersion(ctx, v, row); err != nil {
			t.Fatal(err)
		}
		if v.ID != int64(i+1) {
			t.Errorf("tariff version %d got id %d", i+1, v.ID)
		}
	}
	v := version(time.Now(), "admin")
	if err := db.AddNegativeListVersion(ctx, v, []catalog.NegativeListEntry{{HSPrefix: "93", Kind: catalog.Prohibited, Reason: "arms"}}); err != nil {
		t.Fatal(err)
	}
	if v.ID != 1 {
		t.Errorf("first negative-list version has id %d, want 1", v.ID)
	}
	infos, err := db.ReferenceVersions(ctx, refdata.Tariff)
	if err != nil || len(infos) != 2 || infos[0].ID != 1 || infos[1].ID != 2 {
		t.Fatalf("tariff versions: %+v %v", infos, err)
	}
	if none, err := db.ReferenceVersions(ctx, refdata.PositiveList); err != nil || len(none) != 0 {
		t.Errorf("positive list versions: %+v %v", none, err)
	}
}

func testVersionAtomic(t *testing.T, db *store.DB) {
	ctx := context.Background()
	// Two rows with one key clash on the primary key after the header was
	// written: neither the header nor the first row may remain.
	dup := []catalog.TariffRow{spirits(t), spirits(t)}
	if err := db.AddTariffVersion(ctx, version(time.Now(), "admin"), dup); err == nil {
		t.Fatal("a version with a repeated HS code was stored")
	}
	infos, err := db.ReferenceVersions(ctx, refdata.Tariff)
	if err != nil || len(infos) != 0 {
		t.Errorf("after a failed add: versions %+v, %v", infos, err)
	}
	if err := db.PutProductFilings(ctx, "1105910159", []catalog.Product{product("A1", "x"), product("A1", "y")}, time.Now()); err == nil {
		t.Error("filings with a repeated item number were stored")
	}
	if list, _ := db.ProductFilings(ctx, "1105910159", "", 10); len(list) != 0 {
		t.Errorf("after a failed put: %d filings", len(list))
	}
}

func starter(t testing.TB) refdata.Starter {
	s, err := catalog.LoadStarter()
	if err != nil {
		t.Fatal(err)
	}
	return refdata.Starter{EffectiveFrom: refdata.StarterEffectiveFrom, At: time.Now(), Tariff: s.Tariff, PositiveList: s.PositiveList, NegativeList: s.NegativeList}
}

func testSeedOnce(t *testing.T, db *store.DB) {
	ctx := context.Background()
	s := starter(t)
	// Nodes starting together: exactly one seeds.
	var wg sync.WaitGroup
	results := make(chan error, 4)
	seeded := make(chan bool, 4)
	for range 4 {
		wg.Go(func() {
			ok, err := db.SeedReference(ctx, s)
			results <- err
			seeded <- ok
		})
	}
	wg.Wait()
	close(results)
	close(seeded)
	for err := range results {
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	n := 0
	for ok := range seeded {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d nodes seeded, want 1", n)
	}
	for _, k := range refdata.Kinds {
		infos, err := db.ReferenceVersions(ctx, k)
		if err != nil || len(infos) != 1 || infos[0].ID != 1 || infos[0].UploadedBy != refdata.StarterUploader ||
			!infos[0].EffectiveFrom.Equal(refdata.StarterEffectiveFrom) {
			t.Errorf("%s after seeding: %+v %v", k, infos, err)
		}
	}
	rows, err := db.TariffRows(ctx, 1)
	if err != nil || len(rows) != len(s.Tariff) {
		t.Errorf("seeded tariff: %d rows, want %d (%v)", len(rows), len(s.Tariff), err)
	}
}

func testSeedSkipsLoaded(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if err := db.AddTariffVersion(ctx, version(time.Now(), "cli"), []catalog.TariffRow{spirits(t)}); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.SeedReference(ctx, starter(t)); err != nil || !ok {
		t.Fatalf("seed: %v %v", ok, err)
	}
	infos, _ := db.ReferenceVersions(ctx, refdata.Tariff)
	if len(infos) != 1 || infos[0].UploadedBy != "cli" {
		t.Errorf("the operator's tariff was joined by the starter: %+v", infos)
	}
	if infos, _ := db.ReferenceVersions(ctx, refdata.PositiveList); len(infos) != 1 {
		t.Errorf("empty positive list not seeded: %+v", infos)
	}
}

func product(item, name string) catalog.Product {
	return catalog.Product{ItemNo: item, Name: name, HSCode: "3304990010", GTIN: "6901234567892", Brand: "品牌",
		OriginCountry: "116", Spec: "50ml", LegalUnit: "035"}
}

func testProductFilings(t *testing.T, db *store.DB) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, shanghai)
	a := []catalog.Product{product("SKU-1", "面霜"), product("SKU-2", "精华")}
	a[1].ItemRecordNo = "T0001"
	if err := db.PutProductFilings(ctx, "1105910159", a, t0); err != nil {
		t.Fatal(err)
	}
	if err := db.PutProductFilings(ctx, "330766K00Q", []catalog.Product{product("SKU-1", "其他企业")}, t0); err != nil {
		t.Fatal(err)
	}
	// A later upload replaces the filing with the same key only.
	t1 := t0.Add(time.Hour)
	if err := db.PutProductFilings(ctx, "1105910159", []catalog.Product{product("SKU-1", "面霜 新版")}, t1); err != nil {
		t.Fatal(err)
	}
	f, err := db.ProductFiling(ctx, "1105910159", "SKU-1")
	if err != nil || f.Name != "面霜 新版" || !f.UpdatedAt.Equal(t1) || f.EBCCode != "1105910159" {
		t.Errorf("replaced filing: %+v %v", f, err)
	}
	if f, _ := db.ProductFiling(ctx, "1105910159", "SKU-2"); f.Name != "精华" || f.ItemRecordNo != "T0001" {
		t.Errorf("untouched filing: %+v", f)
	}
	if f, _ := db.ProductFiling(ctx, "330766K00Q", "SKU-1"); f.Name != "其他企业" {
		t.Errorf("another enterprise's filing: %+v", f)
	}
	_, err = db.ProductFiling(ctx, "1105910159", "SKU-9")
	if e, ok := errs.As(err); !ok || e.Kind != errs.NotFound || e.Code != "product_not_found" {
		t.Errorf("missing filing: %v", err)
	}
	var since []string
	err = db.ProductFilingsSince(ctx, t1, func(f refdata.Filing) error { since = append(since, f.EBCCode+"/"+f.ItemNo); return nil })
	if err != nil || fmt.Sprint(since) != "[1105910159/SKU-1]" {
		t.Errorf("filings since %v: %v %v", t1, since, err)
	}
	page, err := db.ProductFilings(ctx, "1105910159", "", 1)
	if err != nil || len(page) != 1 || page[0].ItemNo != "SKU-1" {
		t.Fatalf("first page: %+v %v", page, err)
	}
	page, err = db.ProductFilings(ctx, "1105910159", page[0].ItemNo, 10)
	if err != nil || len(page) != 1 || page[0].ItemNo != "SKU-2" {
		t.Errorf("second page: %+v %v", page, err)
	}
}

func testManyRows(t *testing.T, db *store.DB) {
	ctx := context.Background()
	// More rows than one multi-row INSERT carries.
	var rows []catalog.TariffRow
	var ps []catalog.Product
	for i := range 450 {
		r := spirits(t)
		r.HSCode = fmt.Sprintf("22%08d", i)
		rows = append(rows, r)
		ps = append(ps, product(fmt.Sprintf("SKU-%04d", i), "商品"))
	}
	v := version(time.Now(), "admin")
	if err := db.AddTariffVersion(ctx, v, rows); err != nil {
		t.Fatal(err)
	}
	got, err := db.TariffRows(ctx, v.ID)
	if err != nil || len(got) != 450 || got[449].HSCode != "2200000449" {
		t.Errorf("450 rows: got %d, %v", len(got), err)
	}
	if err := db.PutProductFilings(ctx, "1105910159", ps, time.Now()); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := db.ProductFilingsSince(ctx, time.Time{}, func(refdata.Filing) error { n++; return nil }); err != nil || n != 450 {
		t.Errorf("450 filings: got %d, %v", n, err)
	}
}
