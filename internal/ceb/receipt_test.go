package ceb

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestFormatReturnTime(t *testing.T) {
	tm := time.Date(2022, 5, 1, 4, 0, 0, 123456789, time.UTC)
	if got := FormatReturnTime(tm); got != "20220501120000123" {
		t.Errorf("FormatReturnTime = %s, want 20220501120000123 (China time)", got)
	}
	if got := FormatReturnInfo("1800", "逻辑校验通过"); got != "[Code:1800;Desc:逻辑校验通过]" {
		t.Errorf("FormatReturnInfo = %s", got)
	}
}

func TestReturnFor(t *testing.T) {
	for decl, ret := range map[string]string{"CEB311Message": "CEB312Message", "CEB621Message": "CEB622Message",
		"CEB213Message": "CEB214Message", "CEB701Message": "CEB702Message", "CEB513Message": "CEB514Message"} {
		if got, ok := ReturnFor(decl); !ok || got != ret {
			t.Errorf("ReturnFor(%s) = %s, %v", decl, got, ok)
		}
	}
	if _, ok := ReturnFor("CEB622Message"); ok {
		t.Errorf("a receipt has no receipt")
	}
	if len(returnTypes) != 19 {
		t.Errorf("%d declaration types with receipts, want 19", len(returnTypes))
	}
}

// completeKeys fills what the platform assigns (preNo, invtNo…) for the
// required fields of the return type the declaration does not carry.
func completeKeys(rt string) func(int, Keys) {
	rs := messageSpecs[rt].typ.fields[0].typ
	return func(_ int, k Keys) {
		for i := range rs.fields {
			f := &rs.fields[i]
			v := k[f.name]
			if (f.min > 0 && v == "") || (v != "" && f.length >= 0 && len([]rune(v)) != f.length) {
				k[f.name] = fillValue(f, 0)
			}
		}
	}
}

var returnTimeRE = regexp.MustCompile(`^\d{17}$`)

// TestReceiptForEveryDeclaration builds the receipt of every declaration
// type, checks the keys were copied, and validates it with xmllint.
func TestReceiptForEveryDeclaration(t *testing.T) {
	for decl, rt := range returnTypes {
		t.Run(rt, func(t *testing.T) {
			m := fillMessage(decl)
			r, err := ReceiptFor(m, Status{Status: "120", Code: "1800", Desc: "逻辑校验通过"}, completeKeys(rt))
			if err != nil {
				t.Fatal(err)
			}
			if r.MessageType() != rt {
				t.Fatalf("type %s", r.MessageType())
			}
			out, err := Encode(r)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if strings.Contains(string(out), "<ceb:") || !strings.Contains(string(out), `xmlns="`+nsCEB+`"`) {
				t.Errorf("receipts use the default namespace, no prefix")
			}
			d, err := Decode(out)
			if err != nil || !d.Valid() {
				t.Fatalf("Decode: %v %v", err, d)
			}
			docs := DocumentKeys(m)
			for i := range docs {
				completeKeys(rt)(i, docs[i])
			}
			rets := r.kids(0)
			if len(rets) != len(docs) {
				t.Fatalf("%d returns for %d documents", len(rets), len(docs))
			}
			rs := r.spec().fields[0].typ
			for j := range rs.fields {
				name := rs.fields[j].name
				got := rets[0].get(j)
				switch name {
				case "returnStatus":
					if got != "120" {
						t.Errorf("returnStatus %q", got)
					}
				case "returnTime":
					if !returnTimeRE.MatchString(got) {
						t.Errorf("returnTime %q", got)
					}
				case "returnInfo":
					if got != "[Code:1800;Desc:逻辑校验通过]" {
						t.Errorf("returnInfo %q", got)
					}
				default:
					if v, ok := docs[0][name]; ok && v != "" && got != v {
						t.Errorf("%s = %q, declaration has %q", name, got, v)
					}
				}
			}
			xmllintValidate(t, schemaFor(t, rt), out)
		})
	}
}

// TestReceiptFromSample: a receipt for the official CEB311 keeps its keys.
func TestReceiptFromSample(t *testing.T) {
	d, err := Decode(readSample(t, "import-CEB311Message.xml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReceiptFor(d.Message, Status{Status: "2", Info: "新增申报成功"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	or := r.(*CEB312Message).OrderReturn[0]
	head := d.Message.(*CEB311Message).Order[0].OrderHead
	if or.OrderNo != head.OrderNo || or.EbpCode != head.EbpCode || or.EbcCode != head.EbcCode || or.Guid != head.Guid {
		t.Errorf("keys not copied: %+v vs %+v", or, head)
	}
	if _, err := Encode(r); err != nil {
		t.Errorf("Encode: %v", err)
	}
}

// TestCEB900 answers an unparseable and an invalid message with a CEB900
// that validates.
func TestCEB900(t *testing.T) {
	broken, err := os.ReadFile(filepath.Join("testdata", "broken-CEB621.xml"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(broken)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		orig  []byte
		typ   string
		probs []Problem
	}{
		{"invalid", broken, d.Type, d.Errors()},
		{"garbage", []byte("\x00\xff<not xml"), "", []Problem{{Code: CodeSyntax, Message: "x"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := NewCEB900("COPMSG1", c.typ, c.orig, c.probs, Status{})
			out, err := Encode(m)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !strings.HasPrefix(m.MessageReturn.ReturnInfo, "[Code:000") || m.MessageReturn.ReturnStatus != "-1" {
				t.Errorf("returnInfo %q status %q", m.MessageReturn.ReturnInfo, m.MessageReturn.ReturnStatus)
			}
			back, err := Decode(out)
			if err != nil {
				t.Fatal(err)
			}
			if c.name == "invalid" && back.Message.(*CEB900Message).MessageReturn.OriBizMessage != string(broken) {
				t.Errorf("original message not kept")
			}
			xmllintValidate(t, filepath.Join(specDir(t), "xsd", "ceb-import-202205.xsd"), out)
		})
	}
}

func TestNewReceiptErrors(t *testing.T) {
	if _, err := NewReceipt("CEB621Message", []Keys{{}}, Status{}); err == nil {
		t.Error("a declaration is not a receipt type")
	}
	if _, err := NewReceipt("CEB622Message", nil, Status{}); err == nil {
		t.Error("no documents must fail")
	}
	if _, err := ReceiptFor(&CEB622Message{}, Status{}, nil); err == nil {
		t.Error("a receipt has no receipt")
	}
}
