package xmlsig_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/xmlsig"
)

// OpenSSL 3 is an independent SM2 implementation: keys and certificates it
// makes must work with Sign and Verify, and it must accept our SM2
// signatures (DER, SM3 with the Z value of the default user ID). The tests
// skip when openssl is missing or built without SM2.

func needOpenSSLSM2(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed; skipping the OpenSSL interop check")
	}
	if out, err := exec.Command(path, "genpkey", "-algorithm", "SM2", "-out", os.DevNull).CombinedOutput(); err != nil {
		t.Skipf("openssl has no SM2 support: %s", out)
	}
	return path
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func TestOpenSSLKeysSignVerify(t *testing.T) {
	openssl := needOpenSSLSM2(t)
	dir := t.TempDir()
	cases := []struct {
		name    string
		keyGen  [][]string
		reqArgs []string
		want    xmlsig.Algorithm
	}{
		{"SM2 genpkey", [][]string{{"genpkey", "-algorithm", "SM2", "-out", dir + "/k.pem"}},
			[]string{"-sm3", "-sigopt", "distid:1234567812345678"}, xmlsig.SM2SM3},
		{"SM2 ecparam", [][]string{{"ecparam", "-name", "SM2", "-genkey", "-out", dir + "/k.pem"}},
			[]string{"-sm3", "-sigopt", "distid:1234567812345678"}, xmlsig.SM2SM3},
		{"RSA PKCS#8", [][]string{{"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", dir + "/k.pem"}},
			[]string{"-sha256"}, xmlsig.RSASHA1},
		{"RSA PKCS#1", [][]string{
			{"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", dir + "/k8.pem"},
			{"rsa", "-traditional", "-in", dir + "/k8.pem", "-out", dir + "/k.pem"}},
			[]string{"-sha256"}, xmlsig.RSASHA1},
	}
	doc := readTestdata(t, "ceb621.xml")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, args := range tc.keyGen {
				run(t, openssl, args...)
			}
			req := append([]string{"req", "-new", "-x509", "-key", dir + "/k.pem", "-subj", "/CN=openssl test/O=cbec", "-days", "30", "-out", dir + "/c.pem"}, tc.reqArgs...)
			run(t, openssl, req...)
			keyPEM, _ := os.ReadFile(dir + "/k.pem")
			certPEM, _ := os.ReadFile(dir + "/c.pem")
			key, err := xmlsig.ParsePrivateKeyPEM(keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			certs, err := xmlsig.ParseCertificatesPEM(certPEM)
			if err != nil {
				t.Fatal(err)
			}
			signed, err := xmlsig.Sign(doc, key, certs[0])
			if err != nil {
				t.Fatal(err)
			}
			res, err := xmlsig.Verify(signed)
			if err != nil {
				t.Fatal(err)
			}
			if res.Algorithm != tc.want || res.Certificate.Fingerprint != certs[0].Fingerprint {
				t.Fatalf("got %s %s", res.Algorithm, res.Certificate.Fingerprint)
			}
		})
	}
}

// TestOpenSSLChecksOurSM2Signature recomputes our SM2 signature's inputs
// with other tools: xmllint canonicalizes SignedInfo (given the namespaces
// it inherits from the root) and the document without the signature,
// OpenSSL checks the SM3 digest and the SM2 signature value.
func TestOpenSSLChecksOurSM2Signature(t *testing.T) {
	openssl := needOpenSSLSM2(t)
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install -y libxml2-utils)")
	}
	signed := string(sign(t, readTestdata(t, "ceb621.xml"), sm2ID))
	pubFile := writeTemp(t, "cert.pem", sm2ID.CertPEM)
	pub := run(t, openssl, "x509", "-in", pubFile, "-pubkey", "-noout")
	pubFile = writeTemp(t, "pub.pem", pub)

	// Reference digest: C14N of the message with the Signature removed
	// (xmllint keeps comments; ceb621.xml has none).
	unsigned := regexp.MustCompile(`(?s)<ds:Signature .*</ds:Signature>`).ReplaceAllString(signed, "")
	canon := run(t, xmllint, "--c14n", writeTemp(t, "unsigned.xml", []byte(unsigned)))
	digest := run(t, openssl, "dgst", "-sm3", "-binary", writeTemp(t, "canon.xml", canon))
	wantDigest := regexp.MustCompile(`<ds:DigestValue>([^<]*)<`).FindStringSubmatch(signed)[1]
	if got := base64.StdEncoding.EncodeToString(digest); got != wantDigest {
		t.Fatalf("SM3 digest by openssl %s, in the message %s", got, wantDigest)
	}

	// SignedInfo as a document of its own, carrying the root's namespaces.
	si := regexp.MustCompile(`(?s)<ds:SignedInfo>.*</ds:SignedInfo>`).FindString(signed)
	si = strings.Replace(si, "<ds:SignedInfo>", `<ds:SignedInfo xmlns:ceb="http://www.chinaport.gov.cn/ceb" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">`, 1)
	siCanon := run(t, xmllint, "--c14n", writeTemp(t, "si.xml", []byte(si)))
	sigB64 := regexp.MustCompile(`<ds:SignatureValue>([^<]*)<`).FindStringSubmatch(signed)[1]
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, openssl, "dgst", "-sm3", "-verify", pubFile, "-sigopt", "distid:1234567812345678",
		"-signature", writeTemp(t, "sig.der", sig), writeTemp(t, "si.c14n", siCanon))
	if !bytes.Contains(out, []byte("Verified OK")) {
		t.Fatalf("openssl: %s", out)
	}
}
