package receipt

import (
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
)

// Every export receipt type takes a status per document, and what Build
// writes validates.
func TestExportReceiptsPerDocument(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 15, 0, 0, time.FixedZone("CST", 8*3600))
	k := ceb.Keys{"ebpCode": "1105910159", "ebcCode": "1105910159", "orderNo": "ORD1", "payNo": "P1", "logisticsCode": "4401962010",
		"logisticsNo": "LN1", "operatorCode": "4401962010", "preNo": "E20261127000000001", "copNo": "COP1", "billNo": "BILL1",
		"msgSeqNo": "1", "agentCode": "330766K00Q", "invtNo": "80102026E000000001", "statisticsFlag": "B", "coElNo": "R1",
		"sumNo": "80102026H000000001"}
	for _, typ := range []string{"CEB304Message", "CEB404Message", "CEB506Message", "CEB508Message", "CEB510Message", "CEB604Message",
		"CEB606Message", "CEB608Message", "CEB214Message", "CEB216Message", "CEB702Message"} {
		sts := []Status{{"120", "[Code:1800;Desc:accepted]"}, {"100", "[Code:1404;Desc:differs]"}}
		b, err := Build(typ, []ceb.Keys{k, k}, sts, now)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		for i, xml := range append([][]byte{whole(t, b)}, perDoc(t, b, sts, now)...) {
			d, err := ceb.Decode(xml)
			if err != nil {
				t.Fatalf("%s #%d: %v", typ, i, err)
			}
			if !d.Valid() {
				t.Errorf("%s #%d does not validate: %v", typ, i, d.Errors())
			}
		}
		if !strings.Contains(string(perDoc(t, b, sts, now)[1]), "<returnStatus>100</returnStatus>") || !strings.Contains(string(perDoc(t, b, sts, now)[0]), "<returnStatus>120</returnStatus>") {
			t.Errorf("%s: per-document statuses lost:\n%s", typ, whole(t, b))
		}
	}
}
