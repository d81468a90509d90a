package xmlsig_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/xmlsig"
	"github.com/cbec-platform/cbec/internal/xmlsig/xmlsigtest"
)

// Benchmarks run on testdata/ceb621.xml, a ~4 KB single-inventory CEB621
// (one head, two lines) as enterprises send them.
//
// Besides ns/op they report cpu-ns/op, the process CPU time (user+system,
// garbage collection included) per operation: on the shared development
// machine wall-clock time per operation says more about the neighbours
// than about the code.

// cpuTime is the CPU time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs op b.N times and reports cpu-ns/op.
func loop(b *testing.B, op func() error) {
	b.Helper()
	start := cpuTime()
	n := 0
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if n > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
	}
}

func benchVerify(b *testing.B, id *xmlsigtest.Identity) {
	signed := sign(b, readTestdata(b, "ceb621.xml"), id)
	b.SetBytes(int64(len(signed)))
	b.ReportAllocs()
	loop(b, func() error {
		_, err := xmlsig.Verify(signed)
		return err
	})
}

func BenchmarkVerifyRSA(b *testing.B) { benchVerify(b, rsaID) }
func BenchmarkVerifySM2(b *testing.B) { benchVerify(b, sm2ID) }

func benchSign(b *testing.B, id *xmlsigtest.Identity) {
	doc := readTestdata(b, "ceb621.xml")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	loop(b, func() error {
		_, err := xmlsig.Sign(doc, id.Key, id.Cert)
		return err
	})
}

func BenchmarkSignSM2(b *testing.B) { benchSign(b, sm2ID) }
func BenchmarkSignRSA(b *testing.B) { benchSign(b, rsaID) }
