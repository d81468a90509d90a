package xmlsig_test

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/xmlsig"
)

// The official samples and schemas sit in the shared reference folder
// beside the project; these tests skip when it or xmllint is absent.
const specDir = "../../../shared/spec/ceb-202205"

func needSpec(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(specDir + "/xsd"); err != nil {
		t.Skip("shared spec folder not found; skipping the schema check")
	}
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install -y libxml2-utils)")
	}
	return xmllint
}

// Re-signing the official samples must put the signature where the schema
// wants it: last for import, before ceb:ExtendMessage for export.
func TestSignedSamplesValidate(t *testing.T) {
	xmllint := needSpec(t)
	extend := "\n\t<ceb:ExtendMessage><ceb:name>n</ceb:name><ceb:version>1</ceb:version><ceb:Message/></ceb:ExtendMessage>\n"
	cases := []struct {
		sample, xsd string
		edit        func(string) string
	}{
		{"import-CEB621Message.xml", "ceb-import-202205.xsd", func(s string) string { return s }},
		{"import-CEB621Message.xml", "ceb-import-202205.xsd", func(s string) string {
			return strings.Replace(s, "</ceb:BaseTransfer>", "</ceb:BaseTransfer>"+extend, 1)
		}},
		{"export-CEB701Message.xml", "ceb-export-202205.xsd", func(s string) string {
			// Move the sample's signature out of the way and append an
			// ExtendMessage: Sign must put the new one before it.
			s = regexp.MustCompile(`(?s)<ds:Signature .*</ds:Signature>`).ReplaceAllString(s, "")
			return strings.Replace(s, "</ceb:CEB701Message>", extend+"</ceb:CEB701Message>", 1)
		}},
	}
	for _, tc := range cases {
		for _, id := range []string{"RSA", "SM2"} {
			t.Run(tc.sample+"/"+id, func(t *testing.T) {
				raw, err := os.ReadFile(specDir + "/samples/" + tc.sample)
				if err != nil {
					t.Fatal(err)
				}
				signer := rsaID
				if id == "SM2" {
					signer = sm2ID
				}
				signed := sign(t, []byte(tc.edit(string(raw))), signer)
				if _, err := xmlsig.Verify(signed); err != nil {
					t.Fatal(err)
				}
				out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", specDir+"/xsd/"+tc.xsd, writeTemp(t, "signed.xml", signed)).CombinedOutput()
				if err != nil {
					t.Fatalf("signed sample does not validate: %v\n%s", err, out)
				}
			})
		}
	}
}

// The official samples carry placeholder signatures: Verify must reject
// them with a specific error, never a panic or a generic failure.
func TestOfficialSamplesRejected(t *testing.T) {
	needSpec(t)
	files, _ := os.ReadDir(specDir + "/samples")
	kinds := []error{xmlsig.ErrNoSignature, xmlsig.ErrBadCertificate, xmlsig.ErrSignatureInvalid, xmlsig.ErrDigestMismatch, xmlsig.ErrUnsupportedAlgorithm}
	for _, f := range files {
		raw, err := os.ReadFile(specDir + "/samples/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		_, err = xmlsig.Verify(raw)
		known := false
		for _, k := range kinds {
			known = known || errors.Is(err, k)
		}
		if !known {
			t.Errorf("%s: %v", f.Name(), err)
		}
	}
}
