package xmlsig_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/xmlsig"
	"github.com/cbec-platform/cbec/internal/xmlsig/xmlsigtest"
)

// A changed certificate byte either breaks the certificate, changes the key
// (signature invalid) or — if it only touches the issuer's signature —
// verifies with a different fingerprint, which the registry check refuses.
func TestVerifyCertificateBytes(t *testing.T) {
	base := readTestdata(t, "ceb621.xml")
	for _, id := range []*xmlsigtest.Identity{rsaID, sm2ID} {
		signed := string(sign(t, base, id))
		certB64 := base64.StdEncoding.EncodeToString(id.Cert.DER)
		for i := 0; i < len(id.Cert.DER); i += 3 {
			der := bytes.Clone(id.Cert.DER)
			der[i] ^= 0x10
			mod := strings.Replace(signed, certB64, base64.StdEncoding.EncodeToString(der), 1)
			res, err := xmlsig.Verify([]byte(mod))
			if err == nil && res.Certificate.Fingerprint == id.Cert.Fingerprint {
				t.Fatalf("%s: certificate byte %d changed, same fingerprint", id.Cert.KeyAlgorithm, i)
			}
			if err != nil && !errors.Is(err, xmlsig.ErrBadCertificate) && !errors.Is(err, xmlsig.ErrSignatureInvalid) {
				t.Fatalf("%s: certificate byte %d: unexpected error %v", id.Cert.KeyAlgorithm, i, err)
			}
		}
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// defaultNamespace rewrites a ceb:-prefixed message to the unprefixed style
// customs receipts use.
func defaultNamespace(doc []byte) []byte {
	s := strings.ReplaceAll(string(doc), "ceb:", "")
	s = strings.Replace(s, "xmlns:ceb=", "xmlns=", 1)
	return []byte(s)
}

func sign(t testing.TB, doc []byte, id *xmlsigtest.Identity) []byte {
	t.Helper()
	out, err := xmlsig.Sign(doc, id.Key, id.Cert)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return out
}

func TestSignVerify(t *testing.T) {
	base := readTestdata(t, "ceb621.xml")
	docs := map[string][]byte{
		"ceb prefix":        base,
		"default namespace": defaultNamespace(base),
		"BOM":               append([]byte{0xEF, 0xBB, 0xBF}, base...),
		"CRLF and comments": []byte(strings.ReplaceAll(strings.Replace(string(base), "<ceb:Inventory>", "<!-- a comment --><ceb:Inventory>", 1), "\n", "\r\n")),
	}
	for _, id := range []*xmlsigtest.Identity{rsaID, sm2ID} {
		wantAlg := xmlsig.RSASHA1
		if id.Cert.KeyAlgorithm == xmlsig.KeySM2 {
			wantAlg = xmlsig.SM2SM3
		}
		for name, doc := range docs {
			t.Run(string(wantAlg)+"/"+name, func(t *testing.T) {
				signed := sign(t, doc, id)
				res, err := xmlsig.Verify(signed)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if res.Algorithm != wantAlg || res.Certificate.Fingerprint != id.Cert.Fingerprint {
					t.Fatalf("got %s %s, want %s %s", res.Algorithm, res.Certificate.Fingerprint, wantAlg, id.Cert.Fingerprint)
				}
				// The message itself, BOM and line ends included, is
				// untouched apart from the inserted signature.
				if !bytes.Equal(stripSignature(signed), doc) {
					t.Errorf("Sign changed the message outside the signature")
				}
			})
		}
	}
}

func TestSignPlacement(t *testing.T) {
	base := readTestdata(t, "ceb621.xml")
	signed := sign(t, base, sm2ID)
	if !regexp.MustCompile(`</ceb:BaseTransfer>\n\t<ds:Signature [^>]*>`).Match(signed) ||
		!regexp.MustCompile(`</ds:Signature>\n</ceb:CEB621Message>\n$`).Match(signed) {
		t.Errorf("import: signature not the indented last child:\n%s", tail(signed))
	}
	if !strings.Contains(string(signed), "<ds:KeyName>"+sm2ID.Cert.SerialHex()+"</ds:KeyName>") {
		t.Errorf("KeyName is not the serial number")
	}

	// Re-signing replaces the signature and keeps the layout.
	again := sign(t, signed, rsaID)
	if n := strings.Count(string(again), "<ds:Signature "); n != 1 {
		t.Fatalf("%d signatures after re-signing", n)
	}
	if !bytes.Equal(stripSignature(again), stripSignature(signed)) {
		t.Errorf("re-signing changed the message:\n%s", tail(again))
	}
	if res, err := xmlsig.Verify(again); err != nil || res.Algorithm != xmlsig.RSASHA1 {
		t.Fatalf("re-signed: %v %v", res, err)
	}

	// Export declarations put the signature before ceb:ExtendMessage.
	export := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<ceb:CEB603Message guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94" version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb">
	<ceb:Inventory><ceb:InventoryHead><ceb:guid>x</ceb:guid></ceb:InventoryHead></ceb:Inventory>
	<ceb:BaseTransfer><ceb:copCode>1101180326</ceb:copCode></ceb:BaseTransfer>
	<ceb:ExtendMessage><ceb:name>n</ceb:name><ceb:version>1</ceb:version><ceb:Message/></ceb:ExtendMessage>
</ceb:CEB603Message>`)
	signedExport := sign(t, export, rsaID)
	if !regexp.MustCompile(`</ceb:BaseTransfer>\n\t<ds:Signature [^>]*>[^$]*</ds:Signature>\n\t<ceb:ExtendMessage>`).Match(signedExport) {
		t.Errorf("export: signature not before ExtendMessage:\n%s", signedExport)
	}
	if _, err := xmlsig.Verify(signedExport); err != nil {
		t.Fatal(err)
	}
	// An import message keeps ExtendMessage before the signature.
	imp := bytes.ReplaceAll(export, []byte("CEB603Message"), []byte("CEB621Message"))
	if s := sign(t, imp, rsaID); !regexp.MustCompile(`</ceb:ExtendMessage>\n\t<ds:Signature `).Match(s) {
		t.Errorf("import with ExtendMessage: signature not last:\n%s", s)
	}
}

func tail(b []byte) string {
	if len(b) > 400 {
		b = b[len(b)-400:]
	}
	return string(b)
}

var sigRE = regexp.MustCompile(`(?s)\s*<ds:Signature .*</ds:Signature>`)

func stripSignature(b []byte) []byte { return sigRE.ReplaceAll(b, nil) }

// Every kind of change to a signed message must be caught, with the error
// kind that tells an operator what happened.
func TestVerifyTampering(t *testing.T) {
	base := readTestdata(t, "ceb621.xml")
	for _, id := range []*xmlsigtest.Identity{rsaID, sm2ID} {
		signed := string(sign(t, base, id))
		digest := regexp.MustCompile(`<ds:DigestValue>([^<]*)<`).FindStringSubmatch(signed)[1]
		sigVal := regexp.MustCompile(`<ds:SignatureValue>([^<]*)<`).FindStringSubmatch(signed)[1]
		certB64 := regexp.MustCompile(`<ds:X509Certificate>([^<]*)<`).FindStringSubmatch(signed)[1]
		other := sm2ID
		if id == sm2ID {
			other = rsaID
		}
		otherCert := base64.StdEncoding.EncodeToString(other.Cert.DER)
		sameKindCert := base64.StdEncoding.EncodeToString(xmlsigtest.NewSM2(t).Cert.DER)
		if id == rsaID {
			sameKindCert = base64.StdEncoding.EncodeToString(rsaID2(t).Cert.DER)
		}
		cases := []struct {
			name, old, new string
			want           error
		}{
			{"element value", "<ceb:orderNo>order2016030811340001<", "<ceb:orderNo>order2016030811340002<", xmlsig.ErrDigestMismatch},
			{"Chinese text", "李小宝", "李小室", xmlsig.ErrDigestMismatch},
			{"root attribute", `version="1.0" xmlns`, `version="1.1" xmlns`, xmlsig.ErrDigestMismatch},
			{"added attribute", `<ceb:InventoryHead>`, `<ceb:InventoryHead a="1">`, xmlsig.ErrDigestMismatch},
			{"added whitespace", "<ceb:appType>1", "<ceb:appType> 1", xmlsig.ErrDigestMismatch},
			{"removed element", "<ceb:note></ceb:note>", "", xmlsig.ErrDigestMismatch},
			{"namespace declaration", `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`, `xmlns:xsi="urn:x"`, xmlsig.ErrSignatureInvalid},
			{"digest value", digest, flipBase64(digest), xmlsig.ErrSignatureInvalid},
			{"signature value", sigVal, flipBase64(sigVal), xmlsig.ErrSignatureInvalid},
			{"signature method", "xmldsig#rsa-sha1", "xmldsig#rsa-sha256", xmlsig.ErrUnsupportedAlgorithm},
			{"certificate of other kind", certB64, otherCert, xmlsig.ErrBadCertificate},
			{"certificate of another key", certB64, sameKindCert, xmlsig.ErrSignatureInvalid},
			{"reference URI", `URI=""`, `URI="#x"`, xmlsig.ErrUnsupportedAlgorithm},
			{"no signature", signed[strings.Index(signed, "\n\t<ds:Signature") : strings.Index(signed, "</ds:Signature>")+15], "", xmlsig.ErrNoSignature},
		}
		for _, tc := range cases {
			t.Run(string(id.Cert.KeyAlgorithm)+"/"+tc.name, func(t *testing.T) {
				if !strings.Contains(signed, tc.old) {
					t.Skipf("%q not in the %s message", tc.old, id.Cert.KeyAlgorithm)
				}
				_, err := xmlsig.Verify([]byte(strings.Replace(signed, tc.old, tc.new, 1)))
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
			})
		}
	}
}

var rsa2 *xmlsigtest.Identity

func rsaID2(t *testing.T) *xmlsigtest.Identity {
	if rsa2 == nil {
		rsa2 = xmlsigtest.NewRSA(t)
	}
	return rsa2
}

// flipBase64 changes one character in the middle of a base64 string,
// keeping it valid base64.
func flipBase64(s string) string {
	i := len(s) / 2
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// Changing any single byte of the signed content must not verify.
func TestVerifyEveryByte(t *testing.T) {
	base := readTestdata(t, "ceb621.xml")
	signed := sign(t, base, rsaID)
	end := bytes.Index(signed, []byte("<ds:Signature"))
	step := 7
	if testing.Short() {
		step = 61
	}
	for i := 0; i < end; i += step {
		b := signed[i]
		if b == ' ' || b == '\t' || b == '\n' || b == '"' || b == '<' || b == '>' || b == '/' || b >= 0x80 {
			continue // markup or UTF-8 continuation: may only break the XML
		}
		mod := bytes.Clone(signed)
		mod[i] ^= 0x01
		if _, err := xmlsig.Verify(mod); err == nil {
			// A change inside the XML declaration is outside the canonical
			// form and legitimately keeps verifying.
			if i < bytes.Index(signed, []byte("?>")) {
				continue
			}
			t.Errorf("byte %d (%q) changed and the message still verifies", i, b)
		}
	}
}

// A ds:Signature below the root (here inside ExtendMessage) is ordinary
// signed content: it neither counts as the message signature nor escapes
// the digest.
func TestNestedSignatureIsContent(t *testing.T) {
	nested := `<ceb:ExtendMessage><ceb:Message><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">inner</ds:Signature></ceb:Message></ceb:ExtendMessage>`
	doc := strings.Replace(string(readTestdata(t, "ceb621.xml")), "</ceb:BaseTransfer>", "</ceb:BaseTransfer>"+nested, 1)
	if _, err := xmlsig.Verify([]byte(doc)); !errors.Is(err, xmlsig.ErrNoSignature) {
		t.Fatalf("unsigned message with a nested signature: %v", err)
	}
	signed := string(sign(t, []byte(doc), sm2ID))
	if strings.Count(signed, "<ds:Signature ") != 2 {
		t.Fatal("the nested signature was touched")
	}
	if _, err := xmlsig.Verify([]byte(signed)); err != nil {
		t.Fatal(err)
	}
	_, err := xmlsig.Verify([]byte(strings.Replace(signed, ">inner<", ">changed<", 1)))
	if !errors.Is(err, xmlsig.ErrDigestMismatch) {
		t.Fatalf("changed nested signature: %v", err)
	}
}

func TestVerifyRejectsBadInput(t *testing.T) {
	signed := string(sign(t, readTestdata(t, "ceb621.xml"), rsaID))
	sigStart := strings.Index(signed, "\n\t<ds:Signature")
	sig := signed[sigStart : strings.Index(signed, "</ds:Signature>")+len("</ds:Signature>")]
	cases := []struct {
		name, doc string
		want      error
	}{
		{"empty", "", xmlsig.ErrMalformed},
		{"not XML", "hello", xmlsig.ErrMalformed},
		{"truncated", signed[:len(signed)/2], xmlsig.ErrMalformed},
		{"DOCTYPE", strings.Replace(signed, "<ceb:CEB621Message", "<!DOCTYPE x [<!ENTITY e \"v\">]><ceb:CEB621Message", 1), xmlsig.ErrMalformed},
		{"duplicate attribute", strings.Replace(signed, `version="1.0" xmlns`, `version="1.0" version="2.0" xmlns`, 1), xmlsig.ErrMalformed},
		{"duplicate namespace declaration", strings.Replace(signed, `xmlns:ceb="http://www.chinaport.gov.cn/ceb"`, `xmlns:ceb="http://www.chinaport.gov.cn/ceb" xmlns:ceb="urn:x"`, 1), xmlsig.ErrMalformed},
		{"empty prefixed namespace", strings.Replace(signed, `<ceb:note>`, `<ceb:note xmlns:q="">`, 1), xmlsig.ErrMalformed},
		{"two signatures", strings.Replace(signed, sig, sig+sig, 1), xmlsig.ErrMalformed},
		{"exclusive C14N", strings.Replace(signed, `REC-xml-c14n-20010315"`, `xml-exc-c14n#"`, 1), xmlsig.ErrUnsupportedAlgorithm},
		{"no enveloped transform", strings.Replace(signed, "xmldsig#enveloped-signature", "xmldsig#base64", 1), xmlsig.ErrUnsupportedAlgorithm},
		{"SHA-256 digest", strings.Replace(signed, "xmldsig#sha1", "xmlenc#sha256", 1), xmlsig.ErrUnsupportedAlgorithm},
		{"bad base64", strings.Replace(signed, "<ds:SignatureValue>", "<ds:SignatureValue>!", 1), xmlsig.ErrMalformed},
		{"no certificate", regexp.MustCompile(`(?s)<ds:X509Data>.*</ds:X509Data>`).ReplaceAllString(signed, ""), xmlsig.ErrBadCertificate},
		{"unbound prefix", strings.Replace(signed, "<ceb:note>", "<x:note>", 1), xmlsig.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := xmlsig.Verify([]byte(tc.doc)); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSignRejects(t *testing.T) {
	doc := readTestdata(t, "ceb621.xml")
	if _, err := xmlsig.Sign(doc, rsaID.Key, sm2ID.Cert); !errors.Is(err, xmlsig.ErrBadCertificate) {
		t.Errorf("mismatched certificate: %v", err)
	}
	if _, err := xmlsig.Sign(doc, nil, nil); !errors.Is(err, xmlsig.ErrBadKey) {
		t.Errorf("nil key: %v", err)
	}
	for _, bad := range []string{"", "<a/>", "<a>", `<!DOCTYPE a><a><b/></a>`} {
		if _, err := xmlsig.Sign([]byte(bad), sm2ID.Key, sm2ID.Cert); !errors.Is(err, xmlsig.ErrMalformed) {
			t.Errorf("Sign(%q): %v", bad, err)
		}
	}
}
