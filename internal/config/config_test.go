package config

import (
	"os"
	"path/filepath"
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
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"addr:", "signature_policy:", "rules.annual_limit:", "rules.tax_cut:", "rules.inspection_rates.dishonest:", "rules.return_arrive_days:"} {
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
