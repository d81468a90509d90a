package ceb

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestDxpWrapAndDecode(t *testing.T) {
	r, err := ReceiptFor(fillMessage("CEB621Message"), Status{Status: "800", Code: "2600", Desc: "放行"}, completeKeys("CEB622Message"))
	if err != nil {
		t.Fatal(err)
	}
	ti := TransInfo{CopMsgId: "MSG-1", SenderId: "DXPEDCCEB0000002", ReceiverIds: []string{"DXPENT0000458763"}}
	env, err := WrapDxp(r, ti)
	if err != nil {
		t.Fatal(err)
	}
	xmllintValidate(t, filepath.Join(specDir(t), "xsd", "dxp-terminal-202205.xsd"), env)
	d, err := Decode(env)
	if err != nil {
		t.Fatal(err)
	}
	if d.Type != "CEB622Message" || d.Envelope == nil || d.Envelope.TransInfo.CopMsgId != "MSG-1" ||
		d.Envelope.TransInfo.MsgType != "CEB622Message" || !isXSDateTime(d.Envelope.TransInfo.CreatTime) {
		t.Fatalf("envelope not decoded: %+v", d.Envelope)
	}
	if !d.Valid() {
		t.Errorf("problems: %v", d.Problems)
	}
}

func TestDxpFaults(t *testing.T) {
	ok := `<DxpMsg ver="1.0" xmlns="http://www.chinaport.gov.cn/dxp"><TransInfo><CopMsgId>1</CopMsgId><SenderId>S</SenderId><ReceiverIds><ReceiverId>R</ReceiverId></ReceiverIds><CreatTime>2022-05-01T12:00:00</CreatTime><MsgType>CEB311Message</MsgType></TransInfo><Data>%s</Data></DxpMsg>`
	cases := []struct {
		name, doc, code string
		fatal           bool
	}{
		{"bad base64", strings.Replace(ok, "%s", "!!!", 1), CodeEnvelope, true},
		{"bad payload", strings.Replace(ok, "%s", "PHg+", 1), CodeRoot, true}, // <x>
		{"type mismatch", strings.Replace(ok, "%s", "PENFQjQxMk1lc3NhZ2UvPg==", 1), CodeEnvelope, false},
		{"no data", strings.Replace(ok, "<Data>%s</Data>", "", 1), CodeRequired, true},
		{"bad ver", strings.Replace(strings.Replace(ok, `ver="1.0"`, `ver="2"`, 1), "%s", "PENFQjQxMk1lc3NhZ2UvPg==", 1), CodeFixed, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Decode([]byte(c.doc))
			var probs []Problem
			if c.fatal {
				ve, ok := err.(*ValidationError)
				if !ok {
					t.Fatalf("want a *ValidationError, got %v", err)
				}
				probs = ve.Problems
			} else {
				if err != nil {
					t.Fatal(err)
				}
				probs = d.Problems
			}
			for _, p := range probs {
				if p.Code == c.code {
					return
				}
			}
			t.Errorf("no %s in %v", c.code, probs)
		})
	}
}
