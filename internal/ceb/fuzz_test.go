package ceb

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzSeeds are small inputs covering the tokenizer's features; the
// official samples are added when the shared folder is present.
var fuzzSeeds = []string{
	`<?xml version="1.0" encoding="UTF-8"?><ceb:CEB513Message guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94" version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb"><ceb:LogisticsStatus><ceb:guid>4CDE1CFD-EDED-46B1-946C-B8022E42FC94</ceb:guid><ceb:appType>1</ceb:appType><ceb:appTime>20160315153555</ceb:appTime><ceb:appStatus>2</ceb:appStatus><ceb:logisticsCode>1101180326</ceb:logisticsCode><ceb:logisticsName>物流&amp;&#x4E2D;</ceb:logisticsName><ceb:logisticsNo>L1</ceb:logisticsNo><ceb:logisticsStatus>S</ceb:logisticsStatus><ceb:logisticsTime>20160315153555</ceb:logisticsTime><ceb:note><![CDATA[a<b]]></ceb:note></ceb:LogisticsStatus><ceb:BaseTransfer><ceb:copCode>1</ceb:copCode><ceb:copName>n</ceb:copName><ceb:dxpMode>DXP</ceb:dxpMode><ceb:dxpId>D</ceb:dxpId></ceb:BaseTransfer><!-- c --><?pi x?></ceb:CEB513Message>`,
	"\xef\xbb\xbf<CEB412Message guid='x' version='v1.0' xmlns='http://www.chinaport.gov.cn/ceb'><PaymentReturn><guid/><payCode>1</payCode></PaymentReturn></CEB412Message>",
	`<?xml version="1.0" encoding="GBK"?><CEB900Message xmlns="http://www.chinaport.gov.cn/ceb" guid="1" version="1.0"/>`,
	`<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`,
	`<DxpMsg ver="1.0" xmlns="http://www.chinaport.gov.cn/dxp"><TransInfo><CopMsgId>1</CopMsgId><SenderId>S</SenderId><ReceiverIds><ReceiverId>R</ReceiverId></ReceiverIds><CreatTime>2022-05-01T12:00:00</CreatTime><MsgType>CEB412Message</MsgType></TransInfo><Data>PENFQjQxMk1lc3NhZ2UvPg==</Data></DxpMsg>`,
}

func addSeeds(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	dir := sharedDirOrEmpty()
	if dir == "" {
		return
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "spec", "ceb-202205", "samples", "*.xml"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// sharedDirOrEmpty is sharedDir without skipping (fuzz seeds are optional).
func sharedDirOrEmpty() string {
	if s := os.Getenv("CBEC_SHARED"); s != "" {
		return s
	}
	wd, _ := os.Getwd()
	for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared")
		}
	}
	return ""
}

// FuzzDecode: Decode never panics, returns either a message or a
// *ValidationError, and what it returns survives Marshal and Decode again.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Decode(data, WithMaxSize(1<<20))
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			return
		}
		if d.Message == nil || d.Type != d.Message.MessageType() {
			t.Fatalf("bad result %+v", d)
		}
		checkRewrite(t, d.Message)
	})
}

// checkRewrite writes m and reads it back: the value must not change.
func checkRewrite(t *testing.T, m Message) {
	out, err := Marshal(m)
	if err != nil {
		return // values with characters XML cannot carry are refused, fine
	}
	d2, err := Decode(out, WithMaxSize(len(out)+1))
	if err != nil {
		// Raw kept fragments (ds:Signature, ExtendMessage content) may use
		// namespace prefixes declared outside them; nothing else may fail.
		if !hasRawFragment(m, m.spec()) {
			t.Fatalf("our own output does not parse: %v\n%s", err, out)
		}
		return
	}
	if diff := cmp.Diff(m, d2.Message); diff != "" {
		t.Fatalf("rewrite changed the message (-want +got):\n%s", diff)
	}
}

// hasRawFragment reports whether n or a descendant keeps raw XML
// (ds:Signature or xs:any content).
func hasRawFragment(n node, ts *typeSpec) bool {
	for i := range ts.fields {
		switch f := &ts.fields[i]; f.kind {
		case kindSignature, kindAny:
			if n.get(i) != "" {
				return true
			}
		case kindComplex:
			for _, k := range n.kids(i) {
				if hasRawFragment(k, f.typ) {
					return true
				}
			}
		}
	}
	return false
}

// FuzzDecodeEnvelope feeds arbitrary payloads through a DxpMsg envelope.
func FuzzDecodeEnvelope(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		env, err := EncodeDxp(&DxpMsg{TransInfo: TransInfo{CopMsgId: "1", SenderId: "S", ReceiverIds: []string{"R"}, MsgType: "CEB311Message"}, Data: payload})
		if err != nil {
			t.Fatal(err)
		}
		d, err := Decode(env, WithMaxSize(4<<20))
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			return
		}
		if d.Envelope == nil || string(d.Envelope.Data) != string(payload) {
			t.Fatalf("payload lost")
		}
	})
}
