package ceb

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// schemaFor returns the official XSD a message type validates against.
func schemaFor(t testing.TB, msgType string) string {
	return filepath.Join(specDir(t), "xsd", "ceb-"+Family(msgType)+"-202205.xsd")
}

// xmllintValidate checks doc against the XSD with xmllint and fails the
// test with xmllint's report when it does not validate.
func xmllintValidate(t *testing.T, xsd string, doc []byte) {
	t.Helper()
	lint := xmllintPath(t)
	f := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(lint, "--noout", "--nonet", "--schema", xsd, f).CombinedOutput()
	if err != nil {
		t.Errorf("xmllint rejects what we wrote: %v\n%s\n--- document ---\n%s", err, out, clipDoc(doc))
	}
}

func clipDoc(b []byte) string {
	if len(b) > 3000 {
		return string(b[:3000]) + "…"
	}
	return string(b)
}

// TestRoundTripAllTypes writes a fully populated message of every type,
// validates it with xmllint, reads it back and compares.
func TestRoundTripAllTypes(t *testing.T) {
	for _, mt := range MessageTypes() {
		t.Run(mt, func(t *testing.T) {
			m := fillMessage(mt)
			out, err := Encode(m)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			d, err := Decode(out)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !d.Valid() {
				t.Fatalf("problems on our own output: %v", d.Problems)
			}
			if diff := cmp.Diff(m, d.Message); diff != "" {
				t.Fatalf("round trip changed the message (-want +got):\n%s", diff)
			}
			wantPrefix := !messageSpecs[mt].customs
			if got := bytes.Contains(out, []byte("<ceb:"+mt)); got != wantPrefix {
				t.Errorf("ceb: prefix used = %v, want %v", got, wantPrefix)
			}
			if _, err := os.Stat(schemaFor(t, mt)); err == nil {
				xmllintValidate(t, schemaFor(t, mt), out)
			}
		})
	}
}

// faultySamples are the official samples that fail the XSD (ceb-notes §0)
// and how Decode reports them.
var faultySamples = map[string][]string{
	"export-CEB303Message.xml": {"warning CEB-COUNT BaseTransfer"},
	"export-CEB403Message.xml": {"warning CEB-COUNT BaseTransfer"},
	"export-CEB505Message.xml": {"warning CEB-COUNT BaseTransfer"},
	"export-CEB507Message.xml": {"warning CEB-COUNT BaseTransfer"},
	"export-CEB509Message.xml": {"warning CEB-COUNT BaseTransfer"},
	"export-CEB603Message.xml": {"warning CEB-COUNT BaseTransfer", "error CEB-ENUM Inventory[1]/InventoryHead/ieFlag"},
	"export-CEB605Message.xml": {"warning CEB-COUNT BaseTransfer"},
	"export-CEB607Message.xml": {"warning CEB-COUNT BaseTransfer"},
	"export-CEB214Message.xml": {"warning CEB-ROOT ", "error CEB-UNKNOWN RefundReturn[1]/appSenderId"},
	"export-CEB792Message.xml": {"warning CEB-REQUIRED SummaryResult[1]/SummaryResultList[1]/gseqno"},
}

func problemKeys(ps []Problem) map[string]bool {
	k := map[string]bool{}
	for _, p := range ps {
		k[p.Severity.String()+" "+p.Code+" "+p.Path] = true
	}
	return k
}

// TestOfficialSamples decodes every official sample: the schema-valid ones
// without error-level problems, the faulty ones with the expected reports.
// Each is then written back; what Encode accepts must pass xmllint.
func TestOfficialSamples(t *testing.T) {
	for _, p := range samplePaths(t) {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want, faulty := faultySamples[name]
			keys := problemKeys(d.Problems)
			for _, w := range want {
				if !keys[w] {
					t.Errorf("missing problem %q; got %v", w, d.Problems)
				}
			}
			if !faulty && !d.Valid() {
				t.Errorf("schema-valid sample has errors: %v", d.Errors())
			}
			if strings.Contains(string(b), "ds:Signature") != d.Signed {
				t.Errorf("Signed = %v", d.Signed)
			}
			again, err := Marshal(d.Message)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			d2, err := Decode(again)
			if err != nil {
				t.Fatalf("Decode of written sample: %v", err)
			}
			if diff := cmp.Diff(d.Message, d2.Message); diff != "" {
				t.Fatalf("round trip changed the sample (-want +got):\n%s", diff)
			}
			enc, err := Encode(d.Message)
			if err != nil {
				if !faulty {
					t.Fatalf("Encode refused a valid sample: %v", err)
				}
				t.Logf("Encode refuses the faulty sample, as it should: %v", err)
				return
			}
			xmllintValidate(t, schemaFor(t, d.Type), enc)
		})
	}
}
