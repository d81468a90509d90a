package xmlsig_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/cbec-platform/cbec/internal/xmlsig"
	"github.com/cbec-platform/cbec/internal/xmlsig/xmlsigtest"
)

// Identities are costly to make (RSA-2048); tests share one of each.
var (
	rsaID = mustIdentity(xmlsig.RSASHA1)
	sm2ID = mustIdentity(xmlsig.SM2SM3)
)

func mustIdentity(alg xmlsig.Algorithm) *xmlsigtest.Identity {
	id, err := xmlsigtest.Generate(alg, "test "+string(alg))
	if err != nil {
		panic(err)
	}
	return id
}

func TestParseCertificatesPEM(t *testing.T) {
	bundle := append(append([]byte("leading text from openssl x509 -text\n"), rsaID.CertPEM...), sm2ID.CertPEM...)
	certs, err := xmlsig.ParseCertificatesPEM(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 {
		t.Fatalf("got %d certificates, want 2", len(certs))
	}
	for i, want := range []struct {
		id  *xmlsigtest.Identity
		alg string
	}{{rsaID, xmlsig.KeyRSA}, {sm2ID, xmlsig.KeySM2}} {
		c := certs[i]
		block, _ := pem.Decode(want.id.CertPEM)
		sum := sha256.Sum256(block.Bytes)
		if c.Fingerprint != hex.EncodeToString(sum[:]) {
			t.Errorf("cert %d: fingerprint %s", i, c.Fingerprint)
		}
		if !bytes.Equal(c.DER, block.Bytes) {
			t.Errorf("cert %d: DER differs", i)
		}
		if c.KeyAlgorithm != want.alg {
			t.Errorf("cert %d: key algorithm %q, want %q", i, c.KeyAlgorithm, want.alg)
		}
		if !strings.Contains(c.Subject, "CN=test ") || c.Serial == nil || c.Serial.Sign() <= 0 {
			t.Errorf("cert %d: subject %q serial %v", i, c.Subject, c.Serial)
		}
		if !c.NotBefore.Before(time.Now()) || !c.NotAfter.After(time.Now()) {
			t.Errorf("cert %d: validity %v – %v", i, c.NotBefore, c.NotAfter)
		}
	}
}

// The certificate inside the official CEB621 sample: SHA1-RSA, 1024-bit,
// BMPString names — the kind Go's crypto/x509 has trouble with.
func TestParseCertificatesPEMChinaportSample(t *testing.T) {
	data, err := os.ReadFile("testdata/chinaport-sample-cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	certs, err := xmlsig.ParseCertificatesPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	c := certs[0]
	if c.KeyAlgorithm != xmlsig.KeyRSA || c.SerialHex() != "9927" || !strings.Contains(c.Subject, "13号密钥测试服务器开发区") {
		t.Errorf("got %s serial %s subject %q", c.KeyAlgorithm, c.SerialHex(), c.Subject)
	}
}

func TestParseCertificatesPEMErrors(t *testing.T) {
	good := string(rsaID.CertPEM)
	damaged := strings.Replace(string(sm2ID.CertPEM), "MII", "M*I", 1)
	garbage := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")}))
	p256 := string(p256CertPEM(t))
	cases := []struct {
		name, in, want string
	}{
		{"empty", "", "no PEM CERTIFICATE block"},
		{"no PEM", "hello", "no PEM CERTIFICATE block"},
		{"key block", good + string(rsaID.KeyPEM), `PEM block 2 is "PRIVATE KEY"`},
		{"damaged base64", good + damaged, "PEM block 2 is damaged"},
		{"bad DER", good + good + garbage, "PEM block 3:"},
		{"P-256 key", p256, "only SM2 is accepted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := xmlsig.ParseCertificatesPEM([]byte(tc.in))
			if !errors.Is(err, xmlsig.ErrBadCertificate) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrBadCertificate containing %q", err, tc.want)
			}
		})
	}
}

func p256CertPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "p256"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestParsePrivateKeyPEM(t *testing.T) {
	rsaKey := rsaID.Key.(*rsa.PrivateKey)
	sm2Key := sm2ID.Key.(*sm2.PrivateKey)
	sec1, err := smx509.MarshalSM2PrivateKey(sm2Key)
	if err != nil {
		t.Fatal(err)
	}
	ecParams := "-----BEGIN EC PARAMETERS-----\nBggqgRzPVQGCLQ==\n-----END EC PARAMETERS-----\n"
	cases := []struct {
		name string
		in   []byte
		want any
	}{
		{"RSA PKCS#8", rsaID.KeyPEM, rsaKey},
		{"RSA PKCS#1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), rsaKey},
		{"SM2 PKCS#8", sm2ID.KeyPEM, sm2Key},
		{"SM2 SEC1", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), sm2Key},
		{"SM2 SEC1 after EC PARAMETERS", append([]byte(ecParams), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})...), sm2Key},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := xmlsig.ParsePrivateKeyPEM(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			type equaler interface {
				Equal(x crypto.PrivateKey) bool
			}
			if !got.(equaler).Equal(tc.want) {
				t.Fatalf("parsed key %T differs from the original", got)
			}
		})
	}
}

func TestParsePrivateKeyPEMErrors(t *testing.T) {
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256DER, err := x509.MarshalPKCS8PrivateKey(p256)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, in, want string
	}{
		{"empty", "", "no PEM private key block"},
		{"certificate", string(rsaID.CertPEM), `PEM block 1 is "CERTIFICATE"`},
		{"encrypted PKCS#8", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", "encrypted key"},
		{"legacy encrypted", "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nAAAA\n-----END RSA PRIVATE KEY-----\n", "encrypted key"},
		{"garbage PKCS#8", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})), "PEM block 1 (PRIVATE KEY)"},
		{"P-256", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p256DER})), "only SM2 is accepted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := xmlsig.ParsePrivateKeyPEM([]byte(tc.in))
			if !errors.Is(err, xmlsig.ErrBadKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrBadKey containing %q", err, tc.want)
			}
		})
	}
}
