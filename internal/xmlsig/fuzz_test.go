package xmlsig

import (
	"bytes"
	"os"
	"testing"
)

// FuzzVerify feeds arbitrary bytes to Verify, which sees untrusted input
// from every enterprise: it must return an error or a result, never panic.
// Documents that parse are also canonicalized twice to check the writer is
// idempotent (C14N of a canonical document is itself), a cheap oracle for
// escaping and namespace bugs.
//
// Run: go test -run '^$' -fuzz FuzzVerify -parallel 1 -fuzztime 3m ./internal/xmlsig
func FuzzVerify(f *testing.F) {
	base, err := os.ReadFile("testdata/ceb621.xml")
	if err != nil {
		f.Fatal(err)
	}
	tricky, err := os.ReadFile("testdata/tricky.xml")
	if err != nil {
		f.Fatal(err)
	}
	// Signed RSA and SM2 messages are in testdata/fuzz/FuzzVerify: making
	// keys here would run again in every fuzz worker, and RSA key
	// generation under coverage instrumentation takes minutes.
	f.Add(base)
	f.Add(tricky)
	f.Add([]byte(""))
	f.Add([]byte("<a/>"))
	f.Add([]byte(`<r xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:Signature><ds:SignedInfo/></ds:Signature></r>`))

	f.Fuzz(func(t *testing.T, doc []byte) {
		res, err := Verify(doc)
		if err == nil && (res == nil || res.Certificate == nil) {
			t.Fatal("Verify returned neither an error nor a certificate")
		}
		if n := normalizeAttrWhitespace(doc); !bytes.Equal(normalizeAttrWhitespace(n), n) {
			t.Fatalf("attribute normalization is not idempotent: %q", n)
		}
		d, err := parseDocument(doc)
		if err != nil {
			return
		}
		once, err := canonicalDocument(d, nil)
		if err != nil {
			return
		}
		d2, err := parseDocument(once)
		if err != nil {
			t.Fatalf("canonical form does not parse: %v\n%q", err, once)
		}
		twice, err := canonicalDocument(d2, nil)
		if err != nil {
			t.Fatalf("canonical form does not canonicalize: %v\n%q", err, once)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("C14N is not idempotent:\n%q\n%q", once, twice)
		}
	})
}
