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
		sts := []Status{{"120", "[Code:1800;Desc:逻辑校验通过 / accepted]"}, {"100", "[Code:1332;Desc:支付金额不符 / amount differs: 1 & 2 <3>]"}}
		b, err := Build(c.typ, []ceb.Keys{c.keys, c.keys}, sts, now)
		if err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		for i, xml := range append([][]byte{whole(t, b)}, perDoc(t, b, sts, now)...) {
			d, err := ceb.Decode(xml)
			if err != nil {
				t.Fatalf("%s #%d: %v", c.typ, i, err)
			}
			if !d.Valid() {
				t.Errorf("%s #%d does not validate: %v", c.typ, i, d.Errors())
			}
		}
		if !strings.Contains(string(whole(t, b)), "<returnStatus>100</returnStatus>") || !strings.Contains(string(whole(t, b)), "&lt;3&gt;") {
			t.Errorf("%s: per-document status or escaping lost:\n%s", c.typ, whole(t, b))
		}
		if len(b.PerDoc) != 2 || !strings.Contains(string(perDoc(t, b, sts, now)[1]), "<returnStatus>100</returnStatus>") {
			t.Errorf("%s: per-document receipts wrong", c.typ)
		}
	}
}

// perDoc rebuilds the texts of a built receipt's per-document receipts.
func perDoc(t *testing.T, b *Built, sts []Status, now time.Time) [][]byte {
	t.Helper()
	out := make([][]byte, len(b.PerDoc))
	for i, p := range b.PerDoc {
		xml, err := Text(b.Type, p, sts[i], now)
		if err != nil {
			t.Fatalf("%s #%d: %v", b.Type, i, err)
		}
		out[i] = xml
	}
	return out
}

// The feed keeps a one-document message's receipt packed; rebuilt, it must be
// byte for byte the answer the sender got, whatever the time's sub-millisecond
// part and zone (the database keeps microseconds, in UTC).
func TestPackedReceiptRebuildsTheAnswer(t *testing.T) {
	now := time.Date(2026, 12, 6, 4, 30, 15, 987654321, time.UTC)
	keys := ceb.Keys{"guid": "36DD9625-A56D-4CA0-ADD3-34373868BC33", "customsCode": "2924", "ebpCode": "33109BH6UL", "ebcCode": "33219BH6UL",
		"agentCode": "33519BH6UL", "copNo": "CBH6UL0000000101", "preNo": "B20261206000000001", "invtNo": "29242026I000000001",
		"buyerName": "not in a receipt"}
	st := Status{"120", "[Code:1800;Desc:逻辑校验通过 / accepted & <ok>]"}
	b, err := Build("CEB622Message", []ceb.Keys{keys}, []Status{st}, now)
	if err != nil {
		t.Fatal(err)
	}
	stored := now.Truncate(time.Microsecond).In(time.FixedZone("X", -5*3600))
	got, err := Text("CEB622Message", b.PerDoc[0], st, stored)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(whole(t, b)) {
		t.Errorf("rebuilt receipt differs:\n got %s\nwant %s", got, whole(t, b))
	}
	if strings.Contains(b.PerDoc[0], "not in a receipt") {
		t.Errorf("packed receipt keeps a key the receipt does not show: %q", b.PerDoc[0])
	}
	if _, err := Text("CEB622Message", "only-a-guid", st, now); err == nil {
		t.Error("a packed form with missing values was rebuilt")
	}
}

// A later status's receipt has no document guid among its keys; the one drawn
// for it must be the same every time the text is rebuilt.
func TestPackedReceiptIsStable(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	packed, err := NewPacked("CEB622Message", ceb.Keys{"customsCode": "2924", "ebpCode": "33109BH6UL", "ebcCode": "33219BH6UL",
		"agentCode": "33519BH6UL", "copNo": "C1", "preNo": "B20261206000000001", "invtNo": "29242026I000000001"})
	if err != nil {
		t.Fatal(err)
	}
	st := Status{"800", "[Code:2600;Desc:released]"}
	first, err := Text("CEB622Message", packed, st, now)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Text("CEB622Message", packed, st, now)
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(again) {
		t.Errorf("the same packed receipt gave two texts:\n%s\n%s", first, again)
	}
	d, err := ceb.Decode(first)
	if err != nil || !d.Valid() {
		t.Errorf("rebuilt receipt does not validate: %v", err)
	}
}

// whole writes a built receipt's text.
func whole(t *testing.T, b *Built) []byte {
	t.Helper()
	xml, err := b.Text()
	if err != nil {
		t.Fatalf("%s: %v", b.Type, err)
	}
	return xml
}

// The guids a packed receipt keeps (its own and its document's) take 23
// characters instead of 36 when they have the spec's upper-case form, and
// any other value, a lower-case guid included, is kept as it was sent: the
// text rebuilt is the same either way.
func TestPackedGuidsAreShort(t *testing.T) {
	now := time.Date(2026, 12, 6, 4, 30, 15, 987000000, time.UTC)
	st := Status{"120", "[Code:1800;Desc:逻辑校验通过 / accepted]"}
	for _, docGuid := range []string{"36DD9625-A56D-4CA0-ADD3-34373868BC33", "36dd9625-a56d-4ca0-add3-34373868bc33", "36DD9625A56D4CA0ADD334373868BC33XXXX"} {
		keys := ceb.Keys{"guid": docGuid, "ebpCode": "33109BH6UL", "ebcCode": "33219BH6UL", "orderNo": "ORBH6UL0000000101"}
		b, err := Build("CEB312Message", []ceb.Keys{keys}, []Status{st}, now)
		if err != nil {
			t.Fatal(err)
		}
		packed := b.PerDoc[0]
		if strings.Contains(packed, b.Guid) {
			t.Errorf("packed receipt keeps its guid as text: %q", packed)
		}
		if canonical := docGuid == strings.ToUpper(docGuid) && len(docGuid) == 36 && docGuid[8] == '-'; canonical == strings.Contains(packed, docGuid) {
			t.Errorf("document guid %s packed as %q", docGuid, packed)
		}
		got, err := Text("CEB312Message", packed, st, now)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(whole(t, b)) || !strings.Contains(string(got), "<guid>"+docGuid+"</guid>") {
			t.Errorf("rebuilt receipt differs:\n got %s\nwant %s", got, whole(t, b))
		}
	}
	if _, err := Text("CEB312Message", "\x1eAAAA\x1f\x1f33109BH6UL\x1f33219BH6UL\x1fOR1", st, now); err == nil {
		t.Error("a damaged short guid was rebuilt")
	}
}

// Receipts packed before guids were shortened (every value as text) rebuild
// as they did.
func TestOldPackedReceiptsRebuild(t *testing.T) {
	now := time.Date(2026, 12, 6, 4, 30, 15, 987000000, time.UTC)
	st := Status{"120", "[Code:1800;Desc:逻辑校验通过 / accepted]"}
	old := "ED1AEBDE-8EF5-4AFB-887C-D9484342ACD3\x1fC5EA5A93-A72A-4CBB-9B25-83D9E705E6F3\x1f331095ZUDA\x1f332195ZUDA\x1fOR5ZUDA0000000101"
	got, err := Text("CEB312Message", old, st, now)
	if err != nil {
		t.Fatal(err)
	}
	want, err := message("CEB312Message", "ED1AEBDE-8EF5-4AFB-887C-D9484342ACD3", []ceb.Keys{{"guid": "C5EA5A93-A72A-4CBB-9B25-83D9E705E6F3",
		"ebpCode": "331095ZUDA", "ebcCode": "332195ZUDA", "orderNo": "OR5ZUDA0000000101"}}, []Status{st}, now)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("old packed receipt rebuilt as\n%s\nwant\n%s", got, want)
	}
	if short, err := Pack("CEB312Message", "ED1AEBDE-8EF5-4AFB-887C-D9484342ACD3", ceb.Keys{"guid": "C5EA5A93-A72A-4CBB-9B25-83D9E705E6F3",
		"ebpCode": "331095ZUDA", "ebcCode": "332195ZUDA", "orderNo": "OR5ZUDA0000000101"}); err != nil || len(old)-len(short) != 26 {
		t.Errorf("packed anew in %d characters instead of %d (%v): %q", len(short), len(old), err, short)
	}
}
