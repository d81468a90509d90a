package xmlsig_test

import (
	"testing"

	"cbec/internal/xmlsig"
	"cbec/internal/xmlsig/xmlsigtest"
)

// Benchmarks run on testdata/ceb621.xml, a ~4 KB single-inventory CEB621
// (one head, two lines) as enterprises send them.

func benchVerify(b *testing.B, id *xmlsigtest.Identity) {
	signed := sign(b, readTestdata(b, "ceb621.xml"), id)
	b.SetBytes(int64(len(signed)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := xmlsig.Verify(signed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRSA(b *testing.B) { benchVerify(b, rsaID) }
func BenchmarkVerifySM2(b *testing.B) { benchVerify(b, sm2ID) }

func benchSign(b *testing.B, id *xmlsigtest.Identity) {
	doc := readTestdata(b, "ceb621.xml")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := xmlsig.Sign(doc, id.Key, id.Cert); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignSM2(b *testing.B) { benchSign(b, sm2ID) }
func BenchmarkSignRSA(b *testing.B) { benchSign(b, rsaID) }
