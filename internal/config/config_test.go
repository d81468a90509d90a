package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestFileOverlaysDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cbec.toml")
	body := "addr = \"0.0.0.0:9000\"\n[rules]\nannual_limit = \"30000.00\"\ndocument_wait = \"12h\"\n[rules.inspection_rates]\ngeneral = \"0.1\"\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.Rules.AnnualLimit != "30000.00" || time.Duration(c.Rules.DocumentWait) != 12*time.Hour {
		t.Errorf("file not applied: %+v", c)
	}
	if c.Rules.SingleLimit != "5000.00" {
		t.Errorf("default lost: single_limit = %q", c.Rules.SingleLimit)
	}
	if c.Rules.InspectionRates["general"] != "0.1" || c.Rules.InspectionRates["advanced"] != "0.005" {
		t.Errorf("inspection rates: %v", c.Rules.InspectionRates)
	}
}

func TestUnknownSettingIsNamed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cbec.toml")
	os.WriteFile(path, []byte("[rules]\nanual_limit = \"1\"\n"), 0o600)
	c := Default()
	err := c.LoadFile(path)
	if err == nil || !strings.Contains(err.Error(), "rules.anual_limit") {
		t.Errorf("got %v, want the misspelt key named", err)
	}
}

func TestValidateNamesEveryBadSetting(t *testing.T) {
	c := Default()
	c.Addr = "nowhere"
	c.SignaturePolicy = "sometimes"
	c.Rules.AnnualLimit = "lots"
	c.Rules.TaxCut = "1.5"
	c.Rules.InspectionRates["dishonest"] = "-0.1"
	c.Rules.ReturnArriveDays = 10
	c.OTLPEndpoint = "collector:4318"
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"addr:", "signature_policy:", "rules.annual_limit:", "rules.tax_cut:", "rules.inspection_rates.dishonest:", "rules.return_arrive_days:", "otlp_endpoint:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}

func TestEveryParamHasADescription(t *testing.T) {
	for _, p := range Params() {
		if p.Key == "" || p.Description == "" {
			t.Errorf("param %+v lacks a key or description", p)
		}
	}
}

// TestEverySettingDeclaredOnce: every field of Config that the file can set
// has exactly one entry in the table of settings, under the key the file
// uses for it, and every entry points at such a field.
func TestEverySettingDeclaredOnce(t *testing.T) {
	var c Config
	fields := map[string]any{} // file key → pointer to the field
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		for i := range v.NumField() {
			tag := v.Type().Field(i).Tag.Get("toml")
			if tag == "" || tag == "-" {
				continue
			}
			f := v.Field(i)
			if f.Kind() == reflect.Struct {
				walk(f, prefix+tag+".")
				continue
			}
			fields[prefix+tag] = f.Addr().Interface()
		}
	}
	walk(reflect.ValueOf(&c).Elem(), "")
	seen := map[string]bool{}
	for _, s := range settings {
		key := strings.TrimSuffix(s.key, perClass)
		if seen[key] {
			t.Errorf("%s declared twice", key)
		}
		seen[key] = true
		if want, ok := fields[key]; !ok {
			t.Errorf("%s: no field of Config has that key", key)
		} else if got := s.field(&c); got != want {
			t.Errorf("%s: the entry points at another field", key)
		}
	}
	for key := range fields {
		if !seen[key] {
			t.Errorf("%s: a field of Config without an entry in settings", key)
		}
	}
}

// TestDefaultsAreNotShared: changing one configuration's map or list leaves
// the defaults of the next one alone.
func TestDefaultsAreNotShared(t *testing.T) {
	a := Default()
	a.Rules.InspectionRates["general"] = "1"
	a.Rules.GuaranteeTradeModes[0] = "9999"
	a.Rules.Export.FoodHS[0] = "99"
	b := Default()
	if b.Rules.InspectionRates["general"] != "0.05" || b.Rules.GuaranteeTradeModes[0] != "1210" || b.Rules.Export.FoodHS[0] != "01" {
		t.Errorf("defaults changed through an earlier configuration: %v %v %v", b.Rules.InspectionRates, b.Rules.GuaranteeTradeModes, b.Rules.Export.FoodHS)
	}
}

// The doors' settings (issue 16) name a bad value.
func TestDoorSettingsValidated(t *testing.T) {
	c := Default()
	c.Webhook.Allow = []string{"10.0.0.0/8", "192.168.1.2", "erp.internal", "10.0.0.0/33", "bad host!"}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), `webhook.allow: "10.0.0.0/33"`) || !strings.Contains(err.Error(), `webhook.allow: "bad host!"`) ||
		strings.Contains(err.Error(), "erp.internal") {
		t.Errorf("got %v", err)
	}
}

func TestThrottleSettingsValidated(t *testing.T) {
	c := Default()
	c.RateLimit.QuotaIDPerMinute, c.RateLimit.QuotaIDBurst = 1, 0
	c.RateLimit.FailedAuthPerMinute = -1
	c.RateLimit.QuotaAddressPerMinute, c.RateLimit.QuotaAddressBurst = 0, 0 // off: its burst does not matter
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "rate_limit.quota_id_burst: must be at least 1") ||
		!strings.Contains(err.Error(), "rate_limit.failed_auth_per_minute: must be 0") || strings.Contains(err.Error(), "quota_address") {
		t.Errorf("got %v", err)
	}
}

func TestXrayImageSource(t *testing.T) {
	for base, want := range map[string]string{
		"":                                 "",
		"http://10.1.2.3:8081/images/":     "http://10.1.2.3:8081/images/",
		"https://xray.line1.local":         "https://xray.line1.local",
		"http://10.1.2.3/a b/":             "http://10.1.2.3/a%20b/",
		"ftp://10.1.2.3/":                  "error",
		"10.1.2.3/images":                  "error",
		"http://user:pw@10.1.2.3/":         "error",
		"http://10.1.2.3/?x=1":             "error",
		"http://10.1.2.3/;script-src *":    "error",
		"http:///images/":                  "error",
		"http://10.1.2.3/img'/":            "error",
		"https://xray.example/a,b/":        "error",
		"http://10.1.2.3/images/#fragment": "error",
	} {
		got, err := XrayImageSource(base)
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("XrayImageSource(%q) = %q (%v), want %q", base, got, err, want)
		}
	}
	c := Default()
	c.Console.XrayImageBase = "javascript:alert(1)"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "console.xray_image_base") {
		t.Errorf("a bad X-ray base: %v", err)
	}
}

// PostgreSQL's writers each hold a connection of the pool, which must keep
// one for reads.
func TestWritersBelowThePool(t *testing.T) {
	c := Default()
	c.DBMaxConns, c.DBWriters = 4, 3
	if err := c.Validate(); err != nil {
		t.Fatalf("3 writers in a pool of 4: %v", err)
	}
	for _, w := range []int{0, 4, 9} {
		c.DBWriters = w
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "db_writers: must be at least 1 and below db_max_conns (4)") {
			t.Errorf("%d writers in a pool of 4: got %v", w, err)
		}
	}
}
