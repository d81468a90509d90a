package xmlsig_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/xmlsig"
)

// xmlsec1 (libxml2 + OpenSSL) is an independent, conforming XML-DSig
// implementation. If it verifies what we sign and we verify what it signs,
// our C14N, digest and SignedInfo handling are the standard ones.
// Install it with "apt-get install -y xmlsec1"; the tests skip without it.
func needXmlsec1(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Skip("xmlsec1 not installed (apt-get install -y xmlsec1); skipping the interop check")
	}
	return path
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestXmlsec1VerifiesOurSignature(t *testing.T) {
	xmlsec := needXmlsec1(t)
	base := readTestdata(t, "ceb621.xml")
	certFile := writeTemp(t, "cert.pem", rsaID.CertPEM)
	for name, doc := range map[string][]byte{
		"ceb prefix":        base,
		"default namespace": defaultNamespace(base),
		"BOM":               append([]byte{0xEF, 0xBB, 0xBF}, base...),
		"tricky":            readTestdata(t, "tricky.xml"),
	} {
		t.Run(name, func(t *testing.T) {
			signed := writeTemp(t, "signed.xml", sign(t, doc, rsaID))
			out, err := exec.Command(xmlsec, "--verify", "--pubkey-cert-pem", certFile, signed).CombinedOutput()
			if err != nil || !bytes.Contains(out, []byte("OK")) {
				t.Fatalf("xmlsec1 rejected our signature: %v\n%s", err, out)
			}
		})
	}
}

func TestWeVerifyXmlsec1Signature(t *testing.T) {
	xmlsec := needXmlsec1(t)
	keyFile := writeTemp(t, "key.pem", rsaID.KeyPEM)
	certFile := writeTemp(t, "cert.pem", rsaID.CertPEM)
	template := `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>
<ds:SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/>
<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/><ds:DigestValue/></ds:Reference>
</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature>
`
	for name, doc := range map[string][]byte{
		"ceb prefix":        readTestdata(t, "ceb621.xml"),
		"default namespace": defaultNamespace(readTestdata(t, "ceb621.xml")),
		"tricky":            readTestdata(t, "tricky.xml"),
	} {
		t.Run(name, func(t *testing.T) {
			s := string(doc)
			i := max(strings.LastIndex(s, "</ceb:CEB621Message>"), strings.LastIndex(s, "</CEB621Message>"))
			tmpl := writeTemp(t, "template.xml", []byte(s[:i]+template+s[i:]))
			out, err := exec.Command(xmlsec, "--sign", "--privkey-pem", keyFile+","+certFile, tmpl).Output()
			if err != nil {
				t.Fatalf("xmlsec1 --sign: %v", err)
			}
			res, err := xmlsig.Verify(out)
			if err != nil {
				t.Fatalf("Verify of xmlsec1 output: %v\n%s", err, out)
			}
			if res.Certificate.Fingerprint != rsaID.Cert.Fingerprint || res.Algorithm != xmlsig.RSASHA1 {
				t.Fatalf("got %+v", res)
			}
		})
	}
}
