package httpapi_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/xmlsig/xmlsigtest"
)

// The README's curl walk-through, step by step against a real server with
// the examples/ files: the agent's feed shows what the README promises, line
// for line, and the walk-through writes its key, certificate and signed
// message into a temporary folder, not the working directory.
func TestREADMEWalkthrough(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	section = section[strings.Index(section, "## Clearing a parcel with curl"):]
	section = section[:strings.Index(section, "\n```\n")]
	var promised []string
	after := false
	for _, l := range strings.Split(section, "\n") {
		switch {
		case strings.Contains(l, "/api/v1/receipts?after=0"):
			after = true
		case after && strings.HasPrefix(l, "# "):
			promised = append(promised, strings.TrimPrefix(l, "# "))
		default:
			after = false
		}
	}
	if len(promised) == 0 {
		t.Fatal("the walk-through promises no receipts")
	}
	for _, f := range regexp.MustCompile(`(?:--key-out|--cert-out|-o) (\S+)`).FindAllStringSubmatch(section, -1) {
		if !strings.HasPrefix(f[1], "$T/") {
			t.Errorf("the walk-through writes %s into the working directory, not the temporary folder $T", f[1])
		}
	}

	s := apptest.Start(t, apptest.SQLite, func(c *config.Config) {
		for class := range c.Rules.InspectionRates {
			c.Rules.InspectionRates[class] = "0" // the README notes the 5 % random inspection
		}
	})
	sign := xmlsigtest.NewSM2(t)
	key := map[string]string{}
	for code, body := range map[string]map[string]any{
		"1105910159": {"code": "1105910159", "name": "重庆示例跨境电商平台", "roles": []string{"ebp", "ebc"}},
		"4403169D3W": {"code": "4403169D3W", "name": "示例支付", "roles": []string{"pay"}},
		"4401962010": {"code": "4401962010", "name": "示例国际物流", "roles": []string{"logistics"}},
		"330766K00Q": {"code": "330766K00Q", "name": "示例报关行", "roles": []string{"agent"}, "certificates": []string{string(sign.CertPEM)}},
		"46121601BC": {"code": "46121601BC", "name": "示例担保", "roles": []string{"assure"}},
	} {
		r := s.JSON("POST", "/api/v1/enterprises", apptest.AdminToken, body)
		var out struct{ APIKey string }
		r.JSON(t, &out)
		if r.Status != http.StatusCreated {
			t.Fatalf("register %s: %d %s", code, r.Status, r.Body)
		}
		key[code] = out.APIKey
	}
	example := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if r := s.Do("POST", "/api/v1/products", key["1105910159"], "text/csv", []byte(example("products.csv"))); r.Status >= 300 {
		t.Fatalf("products: %d %s", r.Status, r.Body)
	}
	// The platform entrusts the agent with its inventories, as the walk-through does (rules §12).
	if !strings.Contains(section, `/api/v1/entrustments -H "Authorization: Bearer $EBP"`) {
		t.Error("the walk-through does not entrust the agent, so its inventory would be refused 1108")
	}
	if r := s.JSON("POST", "/api/v1/entrustments", key["1105910159"], map[string]string{"agentCode": "330766K00Q"}); r.Status != http.StatusCreated {
		t.Fatalf("entrust the agent: %d %s", r.Status, r.Body)
	}
	for _, m := range []struct{ sender, file string }{{"1105910159", "order.xml"}, {"4403169D3W", "payment.xml"}, {"4401962010", "waybill.xml"}, {"330766K00Q", "inventory.xml"}} {
		body := example(m.file)
		if m.file == "inventory.xml" {
			body = string(sign.Sign(t, []byte(body)))
		}
		if r := s.Do("POST", "/api/v1/ceb", key[m.sender], "application/xml", []byte(body)); r.Status >= 300 {
			t.Fatalf("%s: %d %s", m.file, r.Status, r.Body)
		}
	}
	// The decision follows in the feed (as the fixture's final does: read the
	// feed until it holds as many receipts as promised, or 10 s passed).
	var got []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var page struct {
			Receipts []struct {
				Seq          int64
				ReturnStatus string
				ReturnInfo   string
			}
		}
		s.Do("GET", "/api/v1/receipts?after=0", key["330766K00Q"], "", nil).JSON(t, &page)
		got = got[:0]
		for _, r := range page.Receipts {
			got = append(got, fmt.Sprintf("%d %s %s", r.Seq, r.ReturnStatus, r.ReturnInfo))
		}
		if len(got) >= len(promised) {
			break
		}
	}
	if strings.Join(got, "\n") != strings.Join(promised, "\n") {
		t.Errorf("the agent's feed:\n%s\nthe README promises:\n%s", strings.Join(got, "\n"), strings.Join(promised, "\n"))
	}
}
