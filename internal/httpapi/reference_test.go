package httpapi_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/catalog"
)

// csvErr is the answer to a refused upload.
type csvErr struct {
	Error struct {
		Code, Field, Message string
		Line                 int
	}
	Problems []struct {
		Code, Field, Message string
		Line                 int
	}
	ProblemCount int
}

const (
	tariffCSVHeader  = "hs_code,name,vat_rate,consumption_tax_rate,consumption_tax_threshold,consumption_tax_unit,duty_rate\n"
	productCSVHeader = "item_no,name,hs_code,gtin,brand,origin_country,spec,legal_unit,item_record_no\n"
)

func postCSV(s *apptest.Server, path, token, body string) *apptest.Response {
	return s.Do("POST", path, token, "text/csv", []byte(body))
}

func wantStatus(t *testing.T, what string, r *apptest.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
}

func TestReferenceTables(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		s := apptest.Start(t, engine)
		admin := apptest.AdminToken
		shop := s.Register("1105910159", "ebc")

		// The starter set is version 1 of every table.
		r := s.Do("GET", "/api/v1/tariff", shop, "", nil)
		wantStatus(t, "versions", r, 200)
		var versions struct {
			Versions []struct {
				Version    int64
				UploadedBy string
				State      string
				Rows       int
			}
		}
		r.JSON(t, &versions)
		if len(versions.Versions) != 1 || versions.Versions[0].UploadedBy != "starter" || versions.Versions[0].Rows < 60 {
			t.Fatalf("starter versions: %+v", versions)
		}

		r = postCSV(s, "/api/v1/tariff", admin, tariffCSVHeader+
			"3304990010,面膜 masks,0.13,0.15,10,g,0.05\n0401200000,牛奶 milk,0.09,0,,,0.12\n")
		wantStatus(t, "tariff upload", r, 200)
		if string(r.Body) != "{\"imported\":2}\n" {
			t.Errorf("upload answer: %s", r.Body)
		}
		r = s.Do("GET", "/api/v1/tariff/3304990010", shop, "", nil)
		wantStatus(t, "tariff row", r, 200)
		var row struct {
			HSCode, VATRate, ConsumptionTaxRate, ConsumptionTaxThreshold, ConsumptionTaxUnit, DutyRate string
			Version                                                                                    int
		}
		r.JSON(t, &row)
		if row.ConsumptionTaxRate != "0.15" || row.ConsumptionTaxThreshold != "10" || row.ConsumptionTaxUnit != "g" || row.Version != 2 {
			t.Errorf("tariff row: %s", r.Body)
		}
		// Starter rows not in the upload stay in force.
		if r := s.Do("GET", "/api/v1/tariff/1901101000", shop, "", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"version":1`) {
			t.Errorf("starter row after a partial upload: %d %s", r.Status, r.Body)
		}

		// A bad file: every problem by line and column, nothing applied.
		r = postCSV(s, "/api/v1/tariff", admin, tariffCSVHeader+
			"9603210000,牙刷 toothbrushes,0.13,0,,,0.08\n96032100,short code,0.13,0,,,0.08\n9603290000,brushes,13%,0,,,0.08\n")
		wantStatus(t, "bad tariff", r, 400)
		var bad csvErr
		r.JSON(t, &bad)
		if bad.ProblemCount != 2 || len(bad.Problems) != 2 || bad.Problems[0].Line != 3 || bad.Problems[0].Field != "hs_code" ||
			bad.Problems[1].Line != 4 || bad.Problems[1].Field != "vat_rate" || bad.Error.Code != "csv_invalid" ||
			!strings.Contains(bad.Error.Message, "line 3") {
			t.Errorf("bad upload answer: %s", r.Body)
		}
		if r := s.Do("GET", "/api/v1/tariff/9603210000", shop, "", nil); r.Status != 404 {
			t.Errorf("the good row of a refused file is in force: %d %s", r.Status, r.Body)
		}

		// A header-only file imports nothing.
		if r := postCSV(s, "/api/v1/positive-list", admin, "hs_code,name,remark_kind,remark\n"); r.Status != 200 || string(r.Body) != "{\"imported\":0}\n" {
			t.Errorf("header-only file: %d %s", r.Status, r.Body)
		}

		// A table loaded for a future date is scheduled until then.
		future := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		r = postCSV(s, "/api/v1/tariff?effectiveFrom="+url.QueryEscape(future.Format(time.RFC3339)), admin,
			tariffCSVHeader+"3304990010,面膜 masks,0.13,0.15,10,g,0.08\n")
		wantStatus(t, "future tariff", r, 200)
		if r := s.Do("GET", "/api/v1/tariff/3304990010", shop, "", nil); !strings.Contains(string(r.Body), `"dutyRate":"0.05"`) {
			t.Errorf("tomorrow's rate is in force now: %s", r.Body)
		}
		at := url.QueryEscape(future.Add(time.Minute).Format(time.RFC3339))
		if r := s.Do("GET", "/api/v1/tariff/3304990010?at="+at, shop, "", nil); !strings.Contains(string(r.Body), `"dutyRate":"0.08"`) {
			t.Errorf("the rate on its date: %s", r.Body)
		}
		r = s.Do("GET", "/api/v1/tariff", admin, "", nil)
		r.JSON(t, &versions)
		if n := len(versions.Versions); n != 3 || versions.Versions[2].State != "scheduled" || versions.Versions[1].State != "effective" {
			t.Errorf("versions with a scheduled one: %s", r.Body)
		}
		r = postCSV(s, "/api/v1/tariff?effectiveFrom=2027-01-01", admin, tariffCSVHeader+"3304990010,面膜 masks,0.13,0.15,10,g,0.08\n")
		if e := decodeErr(t, r); r.Status != 400 || e.Error.Code != "time_format" || e.Error.Field != "effectiveFrom" {
			t.Errorf("date without a zone: %d %s", r.Status, r.Body)
		}

		// Positive list: an entry of the 10-digit code, the 8-digit line otherwise.
		r = postCSV(s, "/api/v1/positive-list", admin, "hs_code,name,remark_kind,remark,comment\n"+
			"1701999090,方糖 sugar cubes,yearly_cap,1 kg,extra columns are ignored\n")
		wantStatus(t, "positive list", r, 200)
		r = s.Do("GET", "/api/v1/positive-list/1701999090", shop, "", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"yearlyCap":{"amount":"1","unit":"kg"}`) {
			t.Errorf("positive entry: %d %s", r.Status, r.Body)
		}
		if r := s.Do("GET", "/api/v1/positive-list/9302000000", shop, "", nil); r.Status != 404 || decodeErr(t, r).Error.Code != "positive_list_not_found" {
			t.Errorf("not on the list: %d %s", r.Status, r.Body)
		}
		if r := s.Do("GET", "/api/v1/positive-list/93", shop, "", nil); r.Status != 400 || decodeErr(t, r).Error.Code != "hs_code_format" {
			t.Errorf("bad code: %d %s", r.Status, r.Body)
		}

		// Negative list: a replacing upload is the whole list.
		r = postCSV(s, "/api/v1/negative-list?replace=true", admin, "hs_prefix,gtin,name,kind,reason\n0207,,,suspended,禽流感 avian flu\n")
		wantStatus(t, "negative list", r, 200)
		r = s.Do("GET", "/api/v1/negative-list", admin, "", nil)
		var neg struct {
			Entries []struct{ HSPrefix, Kind string }
		}
		r.JSON(t, &neg)
		if len(neg.Entries) != 1 || neg.Entries[0].HSPrefix != "0207" {
			t.Errorf("negative list after a replacing upload: %s", r.Body)
		}
		if hits := s.App.Reference.Negative(catalog.Goods{HSCode: "0207140000"}); len(hits) != 1 {
			t.Errorf("clearance does not see the new negative list: %+v", hits)
		}

		// Only the administrator loads tables; bodies must be CSV.
		if r := postCSV(s, "/api/v1/tariff", shop, tariffCSVHeader); r.Status != 403 || decodeErr(t, r).Error.Code != "admin_only" {
			t.Errorf("enterprise uploads tariff: %d %s", r.Status, r.Body)
		}
		if r := s.Do("POST", "/api/v1/tariff", admin, "application/json", []byte(`{}`)); r.Status != 400 || decodeErr(t, r).Error.Code != "content_type" {
			t.Errorf("JSON body: %d %s", r.Status, r.Body)
		}
		if r := s.Do("GET", "/api/v1/tariff/3304990010", "", "", nil); r.Status != 401 {
			t.Errorf("read without a key: %d", r.Status)
		}
	})
}

func TestProductFilings(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		s := apptest.Start(t, engine)
		admin := apptest.AdminToken
		shop := s.Register("1105910159", "ebc")
		other := s.Register("330766K00Q", "ebc")
		platform := s.Register("4401962010", "ebp")

		r := postCSV(s, "/api/v1/products", shop, productCSVHeader+
			"SKU-1,面霜 cream,3304990010,6901234567892,品牌,116,50ml,035,\nSKU-2,奶粉 formula,1901101000,,品牌,502,900g,035,T0001\n")
		wantStatus(t, "filing", r, 200)
		if string(r.Body) != "{\"imported\":2}\n" {
			t.Errorf("filing answer: %s", r.Body)
		}
		if p, ok := s.App.Reference.Product("1105910159", "SKU-2"); !ok || p.HSCode != "1901101000" {
			t.Errorf("clearance does not see the filing: %+v %v", p, ok)
		}
		// A later upload replaces the filing with the same item number only.
		wantStatus(t, "refiling", postCSV(s, "/api/v1/products", shop, productCSVHeader+"SKU-1,面霜 新版,3304990010,,品牌,116,50ml,035,\n"), 200)
		r = s.Do("GET", "/api/v1/products/SKU-1", shop, "", nil)
		wantStatus(t, "own filing", r, 200)
		var f struct{ EbcCode, ItemNo, Name, GTIN string }
		r.JSON(t, &f)
		if f.Name != "面霜 新版" || f.EbcCode != "1105910159" || f.GTIN != "" {
			t.Errorf("replaced filing: %s", r.Body)
		}
		r = s.Do("GET", "/api/v1/products?ebcCode=1105910159&limit=1", admin, "", nil)
		var page struct {
			Products []struct{ ItemNo, Name string }
			Next     string
		}
		r.JSON(t, &page)
		if len(page.Products) != 1 || page.Next != "SKU-1" {
			t.Errorf("first page: %s", r.Body)
		}
		r = s.Do("GET", "/api/v1/products?ebcCode=1105910159&after="+page.Next, admin, "", nil)
		r.JSON(t, &page)
		if len(page.Products) != 1 || page.Products[0].Name != "奶粉 formula" || page.Next != "" {
			t.Errorf("second page: %s", r.Body)
		}

		// A bad file is refused whole, with line numbers.
		r = postCSV(s, "/api/v1/products", shop, productCSVHeader+"SKU-3,ok,3304990010,,品牌,116,50ml,035,\nSKU-4,bad,3304990010,123,品牌,US,50ml,035,\n")
		wantStatus(t, "bad filing", r, 400)
		var bad csvErr
		r.JSON(t, &bad)
		if bad.ProblemCount != 2 || bad.Problems[0].Line != 3 || bad.Problems[0].Field != "gtin" || bad.Problems[1].Field != "origin_country" {
			t.Errorf("bad filing answer: %s", r.Body)
		}
		if r := s.Do("GET", "/api/v1/products/SKU-3", shop, "", nil); r.Status != 404 || decodeErr(t, r).Error.Code != "product_not_found" {
			t.Errorf("a row of a refused file was filed: %d %s", r.Status, r.Body)
		}

		cases := []struct {
			name, method, path, token string
			status                    int
			code                      string
		}{
			{"no key", "POST", "/api/v1/products", "", 401, "credentials_missing"},
			{"not an e-commerce enterprise", "POST", "/api/v1/products", platform, 403, "ebc_role_required"},
			{"administrator files", "POST", "/api/v1/products", admin, 403, "enterprise_only"},
			{"another enterprise's filing", "GET", "/api/v1/products/SKU-1", other, 404, "product_not_found"},
			{"another enterprise's list", "GET", "/api/v1/products?ebcCode=1105910159", other, 403, "not_your_enterprise"},
			{"admin without ebcCode", "GET", "/api/v1/products", admin, 400, "ebc_code_required"},
			{"bad limit", "GET", "/api/v1/products?limit=0", shop, 400, "limit_range"},
		}
		for _, c := range cases {
			r := s.Do(c.method, c.path, c.token, "text/csv", []byte(productCSVHeader+"SKU-9,x,3304990010,,b,116,s,035,\n"))
			if r.Status != c.status || decodeErr(t, r).Error.Code != c.code {
				t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Body, c.status, c.code)
			}
		}
		if _, ok := s.App.Reference.Product("4401962010", "SKU-9"); ok {
			t.Error("a refused filing reached memory")
		}
	})
}

func decodeErr(t *testing.T, r *apptest.Response) errBody {
	t.Helper()
	var e errBody
	r.JSON(t, &e)
	return e
}
