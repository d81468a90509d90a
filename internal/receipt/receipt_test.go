package receipt

import (
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
)

// What Build and One write must validate against the spec's rules, since they
// skip validation at run time.
func TestReceiptsValidate(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 15, 0, 123e6, time.FixedZone("CST", 8*3600))
	cases := []struct {
		typ  string
		keys ceb.Keys
	}{
		{"CEB312Message", ceb.Keys{"ebpCode": "1105910159", "ebcCode": "1105910159", "orderNo": "ORD1"}},
		{"CEB412Message", ceb.Keys{"payCode": "4403169D3W", "payTransactionId": "PAY1"}},
		{"CEB512Message", ceb.Keys{"logisticsCode": "4401962010", "logisticsNo": "LN1"}},
		{"CEB514Message", ceb.Keys{"logisticsCode": "4401962010", "logisticsNo": "LN1", "logisticsStatus": "S"}},
		{"CEB622Message", ceb.Keys{"customsCode": "8010", "ebpCode": "1105910159", "ebcCode": "1105910159", "agentCode": "330766K00Q",
			"copNo": "COP1", "preNo": "B20261127000000001", "invtNo": "80102026I000000001"}},
	}
	for _, c := range cases {
		b, err := Build(c.typ, []ceb.Keys{c.keys, c.keys}, []Status{{"120", "[Code:1800;Desc:逻辑校验通过 / accepted]"}, {"100", "[Code:1332;Desc:支付金额不符 / amount differs: 1 & 2 <3>]"}}, now)
		if err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		for i, xml := range append([][]byte{b.Whole}, b.PerDoc...) {
			d, err := ceb.Decode(xml)
			if err != nil {
				t.Fatalf("%s #%d: %v", c.typ, i, err)
			}
			if !d.Valid() {
				t.Errorf("%s #%d does not validate: %v", c.typ, i, d.Errors())
			}
		}
		if !strings.Contains(string(b.Whole), "<returnStatus>100</returnStatus>") || !strings.Contains(string(b.Whole), "&lt;3&gt;") {
			t.Errorf("%s: per-document status or escaping lost:\n%s", c.typ, b.Whole)
		}
		if len(b.PerDoc) != 2 || !strings.Contains(string(b.PerDoc[1]), "<returnStatus>100</returnStatus>") {
			t.Errorf("%s: per-document receipts wrong", c.typ)
		}
	}
}
