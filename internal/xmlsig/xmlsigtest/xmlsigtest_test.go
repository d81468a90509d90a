package xmlsigtest_test

import (
	"testing"

	"github.com/cbec-platform/cbec/internal/xmlsig"
	"github.com/cbec-platform/cbec/internal/xmlsig/xmlsigtest"
)

func TestIdentitySigns(t *testing.T) {
	msg := []byte(`<ceb:CEB311Message guid="G" version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb"><ceb:Order/></ceb:CEB311Message>`)
	for _, id := range []*xmlsigtest.Identity{xmlsigtest.NewSM2(t), xmlsigtest.NewRSA(t)} {
		res, err := xmlsig.Verify(id.Sign(t, msg))
		if err != nil {
			t.Fatal(err)
		}
		certs, err := xmlsig.ParseCertificatesPEM(id.CertPEM)
		if err != nil || certs[0].Fingerprint != res.Certificate.Fingerprint {
			t.Fatalf("CertPEM does not match the signing certificate: %v", err)
		}
		if _, err := xmlsig.ParsePrivateKeyPEM(id.KeyPEM); err != nil {
			t.Fatal(err)
		}
	}
}
