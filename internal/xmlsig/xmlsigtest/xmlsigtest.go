// Package xmlsigtest makes throw-away signing identities for tests: a fresh
// RSA-2048 or SM2 key with a self-signed certificate, as PEM and as parsed
// values, so other packages' tests can sign CEB messages without fixtures.
//
// Nothing here is for production: keys live in memory only and the
// certificates are self-signed.
package xmlsigtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/cbec-platform/cbec/internal/xmlsig"
)

// Identity is a private key with its self-signed certificate.
type Identity struct {
	Key     crypto.Signer       // *rsa.PrivateKey or *sm2.PrivateKey
	Cert    *xmlsig.Certificate // parsed certificate
	KeyPEM  []byte              // PKCS#8 "PRIVATE KEY"
	CertPEM []byte              // "CERTIFICATE"
}

// Generate makes an identity for alg (xmlsig.RSASHA1 → RSA-2048,
// xmlsig.SM2SM3 → SM2) whose certificate has commonName as subject CN and is
// valid from an hour ago for ten years. RSA-2048 generation takes tens to
// hundreds of milliseconds; reuse an identity across subtests.
func Generate(alg xmlsig.Algorithm, commonName string) (*Identity, error) {
	var key crypto.Signer
	var err error
	switch alg {
	case xmlsig.RSASHA1:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case xmlsig.SM2SM3:
		key, err = sm2.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("xmlsigtest: unknown algorithm %q", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("xmlsigtest: generate %s key: %w", alg, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, fmt.Errorf("xmlsigtest: serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName, Organization: []string{"cbec test"}, Country: []string{"CN"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	// smx509 picks SHA256WithRSA or SM2WithSM3 from the key type.
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("xmlsigtest: create certificate: %w", err)
	}
	cert, err := xmlsig.ParseCertificateDER(der)
	if err != nil {
		return nil, fmt.Errorf("xmlsigtest: parse own certificate: %w", err)
	}
	pkcs8, err := smx509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("xmlsigtest: marshal key: %w", err)
	}
	return &Identity{
		Key:     key,
		Cert:    cert,
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}, nil
}

// NewRSA returns a fresh RSA-2048 identity or fails the test.
func NewRSA(tb testing.TB) *Identity {
	tb.Helper()
	return mustGenerate(tb, xmlsig.RSASHA1)
}

// NewSM2 returns a fresh SM2 identity or fails the test.
func NewSM2(tb testing.TB) *Identity {
	tb.Helper()
	return mustGenerate(tb, xmlsig.SM2SM3)
}

func mustGenerate(tb testing.TB, alg xmlsig.Algorithm) *Identity {
	tb.Helper()
	id, err := Generate(alg, "cbec test "+string(alg))
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// Sign signs a CEB message with the identity or fails the test.
func (id *Identity) Sign(tb testing.TB, doc []byte) []byte {
	tb.Helper()
	out, err := xmlsig.Sign(doc, id.Key, id.Cert)
	if err != nil {
		tb.Fatalf("xmlsigtest: sign: %v", err)
	}
	return out
}
