package ceb

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"
)

const tiny312 = `<CEB312Message guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94" version="1.0" xmlns="http://www.chinaport.gov.cn/ceb"><OrderReturn><guid>4CDE1CFD-EDED-46B1-946C-B8022E42FC94</guid><ebpCode>1105910159</ebpCode><ebcCode>1105910159</ebcCode><orderNo>订单&amp;1</orderNo><returnStatus>120</returnStatus><returnTime>20220501120000123</returnTime><returnInfo>[Code:1800;Desc:逻辑校验通过]</returnInfo></OrderReturn></CEB312Message>`

func fatalCodes(t *testing.T, err error) []string {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	var out []string
	for _, p := range ve.Problems {
		out = append(out, p.Code)
	}
	return out
}

// TestHostileInput: every case is refused with the named code, no panic.
func TestHostileInput(t *testing.T) {
	deep := strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200)
	cases := []struct {
		name string
		doc  string
		opts []Option
		code string
	}{
		{"doctype", `<!DOCTYPE CEB312Message SYSTEM "http://x/e.dtd">` + tiny312, nil, CodeDoctype},
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>`, nil, CodeDoctype},
		{"external entity", `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>`, nil, CodeDoctype},
		{"undefined entity", strings.Replace(tiny312, "&amp;", "&e;", 1), nil, CodeSyntax},
		{"too large", tiny312, []Option{WithMaxSize(100)}, CodeTooLarge},
		{"too deep", `<CEB312Message xmlns="http://www.chinaport.gov.cn/ceb" guid="x" version="1">` + deep + `</CEB312Message>`, nil, CodeTooDeep},
		{"invalid utf-8", strings.Replace(tiny312, "订单", "\xff\xfe", 1), nil, CodeEncoding},
		{"unsupported encoding", `<?xml version="1.0" encoding="ISO-8859-1"?>` + tiny312, nil, CodeEncoding},
		{"mismatched tag", strings.Replace(tiny312, "</orderNo>", "</orderno>", 1), nil, CodeSyntax},
		{"unterminated", tiny312[:200], nil, CodeSyntax},
		{"two roots", tiny312 + tiny312, nil, CodeSyntax},
		{"trailing text", tiny312 + "x", nil, CodeSyntax},
		{"undeclared prefix", strings.Replace(tiny312, "<ebpCode>", "<x:ebpCode>", 1), nil, CodeSyntax},
		{"control char", strings.Replace(tiny312, "订单", "\x01", 1), nil, CodeSyntax},
		{"bad char ref", strings.Replace(tiny312, "&amp;", "&#0;", 1), nil, CodeSyntax},
		{"duplicate attribute", strings.Replace(tiny312, `version="1.0"`, `version="1.0" version="1.0"`, 1), nil, CodeSyntax},
		{"unknown root", `<Foo xmlns="http://www.chinaport.gov.cn/ceb"/>`, nil, CodeRoot},
		{"empty", ``, nil, CodeSyntax},
		{"late declaration", " " + `<?xml version="1.0"?>` + tiny312, nil, CodeSyntax},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode([]byte(c.doc), c.opts...)
			codes := fatalCodes(t, err)
			if len(codes) == 0 || codes[len(codes)-1] != c.code {
				t.Errorf("codes %v, want %s last", codes, c.code)
			}
		})
	}
}

// TestPrefixAgnostic: the same message with a ceb: prefix, the default
// namespace, another prefix, a BOM, CRLF line ends, CDATA and comments
// decodes to the same value.
func TestPrefixAgnostic(t *testing.T) {
	base, err := Decode([]byte(tiny312))
	if err != nil || !base.Valid() {
		t.Fatalf("base: %v %v", err, base)
	}
	prefixed := strings.NewReplacer("</", "</c:", "<", "<c:", `xmlns=`, `xmlns:c=`).Replace(tiny312)
	variants := map[string]string{
		"prefix c":  prefixed,
		"bom":       "\xef\xbb\xbf" + `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n" + tiny312,
		"cdata":     strings.Replace(tiny312, "订单&amp;1", "<![CDATA[订单&1]]>", 1),
		"split":     strings.Replace(tiny312, "订单&amp;1", "订<!-- c -->单&#x26;<?pi?>1", 1),
		"self-decl": strings.Replace(tiny312, `<OrderReturn>`, `<OrderReturn xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`, 1),
	}
	for name, doc := range variants {
		t.Run(name, func(t *testing.T) {
			d, err := Decode([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if !d.Valid() {
				t.Errorf("problems: %v", d.Problems)
			}
			if diff := cmp.Diff(base.Message, d.Message); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestValuesNotTrimmed: values are kept as sent; CRLF becomes LF as XML
// requires and survives a rewrite.
func TestValuesNotTrimmed(t *testing.T) {
	doc := strings.Replace(tiny312, "[Code:1800;Desc:逻辑校验通过]", " a\r\nb&#13; ", 1)
	d, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	got := d.Message.(*CEB312Message).OrderReturn[0].ReturnInfo
	if got != " a\nb\r " {
		t.Fatalf("value %q", got)
	}
	out, err := Marshal(d.Message)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := Decode(out)
	if err != nil || d2.Message.(*CEB312Message).OrderReturn[0].ReturnInfo != got {
		t.Fatalf("rewrite lost the value: %v", err)
	}
}

// TestGBK: a GBK, GB2312 or GB18030 declaration is transcoded.
func TestGBK(t *testing.T) {
	base, _ := Decode([]byte(tiny312))
	for _, enc := range []string{"GBK", "gb2312", "GB18030"} {
		doc := `<?xml version="1.0" encoding="` + enc + `"?>` + tiny312
		gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(gbk, []byte(doc)) {
			t.Fatal("encoding did not change the bytes")
		}
		d, err := Decode(gbk)
		if err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if diff := cmp.Diff(base.Message, d.Message); diff != "" {
			t.Errorf("%s (-want +got)\n%s", enc, diff)
		}
	}
}

// TestSignatureKept: a ds:Signature is recorded and kept verbatim.
func TestSignatureKept(t *testing.T) {
	m := fillMessage("CEB623Message").(*CEB623Message)
	out, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(out)
	if err != nil || !d.Signed {
		t.Fatalf("signature not seen: %v", err)
	}
	if d.Message.(*CEB623Message).Signature != minimalSignature {
		t.Errorf("signature not kept verbatim")
	}
	m.Signature = ""
	if _, err := Encode(m); err != nil {
		t.Errorf("Encode must accept an unsigned declaration (signing comes later): %v", err)
	}
	out, _ = Marshal(m)
	d, _ = Decode(out)
	if d.Signed || !problemKeys(d.Problems)["error CEB-REQUIRED Signature"] {
		t.Errorf("missing signature must be reported on decode: %v", d.Problems)
	}
}

// TestImportSignatureBeforeExtend: the PDF order (Signature before
// ExtendMessage) is accepted with a warning in import messages.
func TestImportSignatureBeforeExtend(t *testing.T) {
	m := fillMessage("CEB311Message").(*CEB311Message)
	out, _ := Marshal(m)
	s := string(out)
	i, j := strings.Index(s, "<ceb:ExtendMessage>"), strings.Index(s, "</ceb:ExtendMessage>")+len("</ceb:ExtendMessage>")
	ext := s[i:j]
	s = s[:i] + s[j:]
	s = strings.Replace(s, "</ds:Signature>", "</ds:Signature>"+ext, 1)
	d, err := Decode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	if !d.Valid() || !problemKeys(d.Problems)["warning CEB-ORDER ExtendMessage"] {
		t.Errorf("want only an order warning, got %v", d.Problems)
	}
}

// TestLinearWork: inputs built to make naive parsers quadratic finish fast.
func TestLinearWork(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	cases := map[string]string{
		"split value": strings.Replace(tiny312, "订单&amp;1", strings.Repeat("a<!---->", 1<<20), 1),
		"many problems": strings.Replace(tiny312, "<returnStatus>",
			strings.Repeat("<x>\n</x>", 1<<20)+"<returnStatus>", 1),
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			d, err := Decode([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("%d bytes took %v", len(doc), el)
			}
			if len(d.Problems) > DefaultMaxProblems+1 {
				t.Errorf("%d problems kept", len(d.Problems))
			}
		})
	}
}

// TestLimitOptions: the depth and problem limits are the caller's to set; a
// lower depth limit refuses what the default accepts, and a lower problem
// limit cuts the list with one CEB-TOOMANY naming the limit.
func TestLimitOptions(t *testing.T) {
	nested := `<CEB312Message xmlns="http://www.chinaport.gov.cn/ceb" guid="x" version="1">` +
		strings.Repeat("<a>", 10) + strings.Repeat("</a>", 10) + `</CEB312Message>`
	if _, err := Decode([]byte(nested)); err != nil {
		t.Errorf("default limit: %v", err)
	}
	_, err := Decode([]byte(nested), WithMaxDepth(5))
	codes := fatalCodes(t, err)
	if len(codes) == 0 || codes[len(codes)-1] != CodeTooDeep {
		t.Errorf("WithMaxDepth(5): codes %v, want %s last", codes, CodeTooDeep)
	}

	unknown := strings.Replace(tiny312, "<returnStatus>", strings.Repeat("<x/>", 5)+"<returnStatus>", 1)
	d, err := Decode([]byte(unknown), WithMaxProblems(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Problems) != 3 || d.Problems[2].Code != CodeTooMany || d.Problems[2].Rule != "at most 2 problems listed" {
		t.Errorf("WithMaxProblems(2): %+v", d.Problems)
	}
	if d, err := Decode([]byte(unknown)); err != nil || len(d.Problems) != 5 {
		t.Errorf("default limit: %v, %d problems", err, len(d.Problems))
	}
}
