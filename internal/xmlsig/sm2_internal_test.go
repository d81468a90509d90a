package xmlsig

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

func newSM2Cert(t testing.TB) (*sm2.PrivateKey, *Certificate) {
	t.Helper()
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key, selfSigned(t, key)
}

// resign recomputes DigestValue and SignatureValue of an SM2-signed
// document after its SignedInfo was edited, encoding the signature with enc.
func resign(t *testing.T, doc []byte, key *sm2.PrivateKey, enc func([]byte) []byte) []byte {
	t.Helper()
	d, err := parseDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	sigEl, err := findSignature(d.Root())
	if err != nil {
		t.Fatal(err)
	}
	content, err := canonicalDocument(d, sigEl)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := parseSignature(sigEl)
	if err != nil {
		t.Fatal(err)
	}
	h := ps.digest()
	h.Write(content)
	si := sigEl.SelectElement("SignedInfo")
	si.SelectElement("Reference").SelectElement("DigestValue").SetText(base64.StdEncoding.EncodeToString(h.Sum(nil)))
	canon, err := canonicalSubtree(si)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := key.Sign(rand.Reader, canon, sm2.DefaultSM2SignerOpts)
	if err != nil {
		t.Fatal(err)
	}
	sigEl.SelectElement("SignatureValue").SetText(base64.StdEncoding.EncodeToString(enc(sig)))
	out, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func derToRaw(t *testing.T, der []byte) []byte {
	t.Helper()
	var s ecSignature
	if _, err := asn1.Unmarshal(der, &s); err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 64)
	s.R.FillBytes(raw[:32])
	s.S.FillBytes(raw[32:])
	return raw
}

func TestVerifySM2Variants(t *testing.T) {
	base, err := os.ReadFile("testdata/ceb621.xml")
	if err != nil {
		t.Fatal(err)
	}
	key, cert := newSM2Cert(t)
	signed, err := Sign(base, key, cert)
	if err != nil {
		t.Fatal(err)
	}
	w3c := strings.NewReplacer(uriSM2SM3, uriSM2SM3W3C, uriSM3, uriSM3W3C).Replace(string(signed))
	if w3c == string(signed) {
		t.Fatal("URIs not replaced")
	}
	der := func(b []byte) []byte { return b }
	raw := func(b []byte) []byte { return derToRaw(t, b) }
	for name, doc := range map[string][]byte{
		"W3C URIs":        resign(t, []byte(w3c), key, der),
		"raw r||s":        resign(t, signed, key, raw),
		"W3C URIs, raw":   resign(t, []byte(w3c), key, raw),
		"SHA-1 reference": resign(t, []byte(strings.Replace(string(signed), uriSM3, uriSHA1, 1)), key, der),
	} {
		t.Run(name, func(t *testing.T) {
			res, err := Verify(doc)
			if err != nil {
				t.Fatal(err)
			}
			if res.Algorithm != SM2SM3 || res.Certificate.Fingerprint != cert.Fingerprint {
				t.Fatalf("got %+v", res)
			}
			// A flipped bit in the raw or DER value must still fail.
			d, _ := parseDocument(doc)
			sigEl, _ := findSignature(d.Root())
			sv := sigEl.SelectElement("SignatureValue")
			b, _ := base64.StdEncoding.DecodeString(sv.Text())
			b[len(b)-3] ^= 1
			sv.SetText(base64.StdEncoding.EncodeToString(b))
			bad, _ := d.WriteToBytes()
			if _, err := Verify(bad); !errors.Is(err, ErrSignatureInvalid) {
				t.Fatalf("tampered signature: %v", err)
			}
		})
	}
}

func selfSigned(t testing.TB, key crypto.Signer) *Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x1691fe9), Subject: pkix.Name{CommonName: "internal test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCertificateDER(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
