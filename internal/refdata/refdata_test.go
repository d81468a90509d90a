package refdata_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/catalog"
	"github.com/cbec-platform/cbec/internal/refdata"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// open returns a seeded, loaded service on a fresh SQLite database.
func open(t *testing.T) (*refdata.Service, *store.DB, *clock) {
	t.Helper()
	db := storetest.OpenSQLite(t)
	c := &clock{t: t0}
	s := service(t, db, c)
	return s, db, c
}

func service(t *testing.T, db *store.DB, c *clock) *refdata.Service {
	t.Helper()
	s := refdata.NewService(db, refdata.Options{Now: c.now})
	if _, err := s.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

const tariffHeader = "hs_code,name,vat_rate,consumption_tax_rate,consumption_tax_threshold,consumption_tax_unit,duty_rate\n"

func TestStarterSeededOnce(t *testing.T) {
	s, db, c := open(t)
	start, err := catalog.LoadStarter()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range start.Tariff {
		got, ok := s.Tariff(r.HSCode)
		if !ok || got.Name != r.Name || got.VATRate.Cmp(r.VATRate) != 0 {
			t.Fatalf("starter %s: %+v %v", r.HSCode, got, ok)
		}
	}
	if e, ok := s.Positive("1701999010"); !ok || e.RemarkKind != catalog.RemarkYearlyCap || e.YearlyCap == nil {
		t.Errorf("sugar falls under its 8-digit line with a yearly cap: %+v %v", e, ok)
	}
	if hits := s.Negative(catalog.Goods{HSCode: "9302000000"}); len(hits) != 1 || hits[0].Kind != catalog.Prohibited {
		t.Errorf("arms: %+v", hits)
	}
	// A second node (or restart) seeds nothing more.
	s2 := service(t, db, c)
	for _, k := range refdata.Kinds {
		if vs := s2.Versions(k); len(vs) != 1 || vs[0].ID != 1 || !vs[0].EffectiveFrom.Equal(refdata.StarterEffectiveFrom) {
			t.Errorf("%s versions after a restart: %+v", k, vs)
		}
	}
}

func TestImportOverlaysAndReplaces(t *testing.T) {
	s, _, c := open(t)
	ctx := context.Background()
	before, _ := s.Tariff("0401200000")
	// A partial upload replaces only the rows with its keys.
	v, err := s.ImportTariff(ctx, strings.NewReader(tariffHeader+"3304990010,面膜 masks,0.13,0.15,10,g,0.05\n"), refdata.Upload{By: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if v.ID != 2 || v.Rows != 1 || !v.EffectiveFrom.Equal(t0) || v.UploadedBy != "admin" {
		t.Errorf("version: %+v", v)
	}
	if r, ok := s.Tariff("3304990010"); !ok || r.CTRate.String() != "0.15" {
		t.Errorf("imported row: %+v %v", r, ok)
	}
	if r, ok := s.Tariff("0401200000"); !ok || r.Name != before.Name {
		t.Errorf("starter row lost by a partial upload: %+v %v", r, ok)
	}
	// A replacing upload is the whole table from its date.
	c.set(t0.Add(time.Minute))
	_, err = s.ImportTariff(ctx, strings.NewReader(tariffHeader+"0401200000,牛奶 milk,0.09,0,,,0.12\n"), refdata.Upload{By: "admin", Replace: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Tariff("3304990010"); ok {
		t.Error("a row survived a replacing upload")
	}
	if r, _, ok := s.TariffAt("3304990010", t0); !ok || r.CTRate.String() != "0.15" {
		t.Errorf("history before the replacement: %+v %v", r, ok)
	}
	if r, ok := s.Tariff("0401200000"); !ok || r.DutyRate.String() != "0.12" {
		t.Errorf("replacing row: %+v", r)
	}
}

func TestFutureVersionTakesEffectByItself(t *testing.T) {
	s, _, c := open(t)
	ctx := context.Background()
	from := t0.Add(24 * time.Hour)
	_, err := s.ImportPositiveList(ctx, strings.NewReader("hs_code,name,remark_kind,remark\n3304990010,面膜 masks,bonded_only,\n"),
		refdata.Upload{EffectiveFrom: from, By: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.ImportNegativeList(ctx, strings.NewReader("hs_prefix,gtin,name,kind,reason\n,,Durian,suspended,pest alert\n"),
		refdata.Upload{EffectiveFrom: from, By: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := s.Positive("3304990010"); e.RemarkKind == catalog.RemarkBondedOnly {
		t.Error("a version for tomorrow is in force today")
	}
	if hits := s.Negative(catalog.Goods{Name: "Fresh DURIAN 2kg"}); len(hits) != 0 {
		t.Errorf("tomorrow's negative entry matched today: %+v", hits)
	}
	c.set(from)
	if e, ok := s.Positive("3304990010"); !ok || e.RemarkKind != catalog.RemarkBondedOnly {
		t.Errorf("on its date: %+v %v", e, ok)
	}
	if hits := s.Negative(catalog.Goods{Name: "Fresh DURIAN 2kg"}); len(hits) != 1 || hits[0].Kind != catalog.Suspended {
		t.Errorf("negative entry on its date: %+v", hits)
	}
	// An 8-digit query answers the line's own entry, not the 10-digit one.
	if e, v, ok := s.PositiveAt("33049900", from); !ok || v != 1 || e.HSCode != "33049900" {
		t.Errorf("8-digit query: %+v version %d %v", e, v, ok)
	}
}

func TestBadUploadChangesNothing(t *testing.T) {
	s, _, _ := open(t)
	ctx := context.Background()
	bad := tariffHeader + "3304990010,面膜,0.13,0,,,0.05\n12345,short,0.13,0,,,0.05\n3304990090,x,13%,0,,,0.05\n"
	_, err := s.ImportTariff(ctx, strings.NewReader(bad), refdata.Upload{By: "admin"})
	probs, ok := catalog.AsProblems(err)
	if !ok || len(probs) != 2 || probs[0].Line != 3 || probs[0].Column != "hs_code" || probs[1].Line != 4 || probs[1].Column != "vat_rate" {
		t.Fatalf("problems: %v (%v)", probs, err)
	}
	if _, ok := s.Tariff("3304990010"); ok {
		t.Error("the good row of a bad file was applied")
	}
	if vs := s.Versions(refdata.Tariff); len(vs) != 1 {
		t.Errorf("versions after a bad upload: %+v", vs)
	}
	// A header-only file imports nothing and stores no version; as the
	// whole table it is refused, as it would empty the table.
	if v, err := s.ImportTariff(ctx, strings.NewReader(tariffHeader), refdata.Upload{By: "admin"}); err != nil || v.Rows != 0 || v.ID != 0 {
		t.Errorf("a header-only file: %+v %v", v, err)
	}
	_, err = s.ImportTariff(ctx, strings.NewReader(tariffHeader), refdata.Upload{By: "admin", Replace: true})
	if probs, ok := catalog.AsProblems(err); !ok || probs[0].Line != 2 {
		t.Errorf("a header-only replacing file: %v", err)
	}
	if vs := s.Versions(refdata.Tariff); len(vs) != 1 {
		t.Errorf("versions after header-only files: %+v", vs)
	}
	if _, err := s.ImportProducts(ctx, "1105910159", strings.NewReader("item_no\nX\n")); err == nil {
		t.Error("a product file without its columns was accepted")
	}
}

const productsHeader = "item_no,name,hs_code,gtin,brand,origin_country,spec,legal_unit,item_record_no\n"

func TestProductsAndReloadAcrossNodes(t *testing.T) {
	a, db, c := open(t)
	b := service(t, db, c) // a second node on the same database
	ctx := context.Background()
	n, err := a.ImportProducts(ctx, "1105910159", strings.NewReader(productsHeader+
		"SKU-1,面霜 cream,3304990010,6901234567892,品牌,116,50ml,035,\nSKU-2,奶粉 formula,1901101000,,品牌,502,900g,035,T1\n"))
	if err != nil || n != 2 {
		t.Fatalf("import: %d %v", n, err)
	}
	if p, ok := a.Product("1105910159", "SKU-2"); !ok || p.ItemRecordNo != "T1" || p.EBCCode != "1105910159" {
		t.Errorf("filed product on the importing node: %+v %v", p, ok)
	}
	if _, ok := a.Product("330766K00Q", "SKU-2"); ok {
		t.Error("a filing is visible under another enterprise")
	}
	if _, err := a.ImportTariff(ctx, strings.NewReader(tariffHeader+"3304990010,面膜 masks,0.13,0.15,10,g,0.05\n"), refdata.Upload{By: "admin"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Product("1105910159", "SKU-1"); ok {
		t.Fatal("the other node knew the filing before reloading")
	}
	if err := b.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if p, ok := b.Product("1105910159", "SKU-1"); !ok || p.Name != "面霜 cream" {
		t.Errorf("after reload: %+v %v", p, ok)
	}
	if _, ok := b.Tariff("3304990010"); !ok || len(b.Versions(refdata.Tariff)) != 2 {
		t.Error("the other node did not pick up the tariff version")
	}
	// A later upload replaces by key; the other node follows.
	c.set(t0.Add(time.Second))
	if _, err := a.ImportProducts(ctx, "1105910159", strings.NewReader(productsHeader+"SKU-1,面霜 新版,3304990010,,品牌,116,50ml,035,\n")); err != nil {
		t.Fatal(err)
	}
	if err := b.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if p, _ := b.Product("1105910159", "SKU-1"); p.Name != "面霜 新版" {
		t.Errorf("replaced filing on the other node: %+v", p)
	}
	if p, _ := b.Product("1105910159", "SKU-2"); p.Name != "奶粉 formula" {
		t.Errorf("untouched filing: %+v", p)
	}
}

// The index must answer as catalog.NegativeList.Match does.
func TestNegativeMatchesCatalog(t *testing.T) {
	entries := []catalog.NegativeListEntry{
		{HSPrefix: "93", Kind: catalog.Prohibited, Reason: "arms"},
		{HSPrefix: "0207", Kind: catalog.Suspended, Reason: "poultry"},
		{HSPrefix: "020714", Kind: catalog.Prohibited, Reason: "offal"},
		{GTIN: "6901234567892", Kind: catalog.Suspended, Reason: "recall"},
		{Name: "象牙", Kind: catalog.Prohibited, Reason: "ivory"},
		{Name: "Dragon Fruit", Kind: catalog.Suspended, Reason: "pest"},
	}
	want := catalog.NewNegativeList(entries)
	s := refdata.New(nil, nil, entries, nil)
	goods := []catalog.Goods{
		{HSCode: "9302000000"}, {HSCode: "0207140000", Name: "chicken"}, {HSCode: "0207110000"},
		{GTIN: "6901234567892", HSCode: "0207140000"}, {Name: "仿象牙梳子"}, {Name: "DRAGON FRUIT dried"},
		{Name: "dragon"}, {HSCode: "9", Name: ""}, {}, {HSCode: "3304990010", GTIN: "6901234567885", Name: "面霜"},
	}
	for _, g := range goods {
		if got, exp := fmt.Sprint(s.Negative(g)), fmt.Sprint(want.Match(g)); got != exp {
			t.Errorf("%+v:\n got %s\nwant %s", g, got, exp)
		}
	}
}

// Lookups run for every inventory line: they must not allocate.
func TestLookupsDoNotAllocate(t *testing.T) {
	s, _, c := open(t)
	ctx := context.Background()
	if _, err := s.ImportProducts(ctx, "1105910159", strings.NewReader(productsHeader+"SKU-1,面霜,3304990010,,品牌,116,50ml,035,\n")); err != nil {
		t.Fatal(err)
	}
	// A version waiting for its date makes every lookup read the clock too.
	if _, err := s.ImportTariff(ctx, strings.NewReader(tariffHeader+"3304990010,面膜,0.13,0.15,10,g,0.05\n"),
		refdata.Upload{By: "admin", EffectiveFrom: c.now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	g := catalog.Goods{HSCode: "3304990010", GTIN: "6901234567885", Name: "SK-II Facial Treatment Essence 230ml"}
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = s.Product("1105910159", "SKU-1")
		_, _ = s.Tariff("3304990010")
		_, _ = s.Positive("3304990010")
		_ = s.Negative(g)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per lookup round", allocs)
	}
}

func BenchmarkLookups(b *testing.B) {
	start, err := catalog.LoadStarter()
	if err != nil {
		b.Fatal(err)
	}
	s := refdata.New(start.Tariff, start.PositiveList, start.NegativeList,
		[]catalog.Product{{EBCCode: "1105910159", ItemNo: "SKU-1", HSCode: "3304990010"}})
	g := catalog.Goods{HSCode: "3304990010", GTIN: "6901234567885", Name: "SK-II Facial Treatment Essence 230ml"}
	for _, bm := range []struct {
		name string
		f    func()
	}{
		{"Product", func() { _, _ = s.Product("1105910159", "SKU-1") }},
		{"Tariff", func() { _, _ = s.Tariff("3304990010") }},
		{"Positive", func() { _, _ = s.Positive("3304990010") }},
		{"Negative", func() { _ = s.Negative(g) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					bm.f()
				}
			})
		})
	}
}

// Run keeps a node in step with what another node stores.
func TestRunReloadsPeriodically(t *testing.T) {
	a, db, c := open(t)
	b := refdata.NewService(db, refdata.Options{Now: c.now, ReloadEvery: 10 * time.Millisecond})
	if err := b.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if _, err := a.ImportProducts(context.Background(), "1105910159", strings.NewReader(productsHeader+"SKU-1,面霜,3304990010,,品牌,116,50ml,035,\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := b.Product("1105910159", "SKU-1"); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the other node never picked up the filing")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
