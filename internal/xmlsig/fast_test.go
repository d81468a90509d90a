package xmlsig

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"
	"github.com/emmansun/gmsm/sm2"
)

// The fast scanner (fast.go) must agree with the reference implementation
// (etree + c14n.go + parseSignature) wherever it does not hand over to it:
//
//   - when it succeeds, the reference parses the message too, finds the same
//     ds:Signature, and produces byte-identical canonical forms of the
//     content and of SignedInfo, and the same signature fields;
//   - Verify (fast path first) and verifyReference return the same result
//     or the same error text, whatever the input.
//
// The second property is what callers see; the first makes sure the fast
// path is really compared and not just handing everything over.

// checkFast compares the fast path with the reference on doc and reports
// whether the fast scanner took the message.
func checkFast(t testing.TB, doc []byte) bool {
	t.Helper()
	r1, e1 := Verify(doc)
	r2, e2 := verifyReference(doc)
	switch {
	case (e1 == nil) != (e2 == nil):
		t.Fatalf("Verify: %v, reference: %v\n%q", e1, e2, doc)
	case e1 != nil && e1.Error() != e2.Error():
		t.Fatalf("Verify: %v\nreference: %v\n%q", e1, e2, doc)
	case e1 == nil && (r1.Algorithm != r2.Algorithm || r1.Certificate.Fingerprint != r2.Certificate.Fingerprint):
		t.Fatalf("results differ: %+v %+v", r1, r2)
	}

	s := getFastScanner()
	defer s.release()
	if !s.scan(doc) {
		return false
	}
	d, err := parseDocument(doc)
	if err != nil {
		t.Fatalf("fast scanner took a message the reference refuses: %v\n%q", err, doc)
	}
	var sigEl *etree.Element
	if s.sigSeen {
		if sigEl, err = findSignature(d.Root()); err != nil {
			t.Fatalf("fast scanner saw a signature, reference: %v\n%q", err, doc)
		}
	} else if _, err := findSignature(d.Root()); !errors.Is(err, ErrNoSignature) {
		t.Fatalf("fast scanner saw no signature, reference: %v\n%q", err, doc)
	}
	want, err := canonicalDocument(d, sigEl)
	if err != nil {
		t.Fatalf("fast scanner canonicalized a message the reference refuses: %v\n%q", err, doc)
	}
	if !bytes.Equal(want, s.content) {
		t.Fatalf("canonical content differs\nfast: %q\nref:  %q\ndoc:  %q", s.content, want, doc)
	}
	if !s.siSeen {
		return true
	}
	kids := sigEl.ChildElements()
	wantSI, err := canonicalSubtree(kids[0])
	if err != nil {
		t.Fatalf("fast scanner canonicalized a SignedInfo the reference refuses: %v\n%q", err, doc)
	}
	if !bytes.Equal(wantSI, s.si) {
		t.Fatalf("canonical SignedInfo differs\nfast: %q\nref:  %q\ndoc:  %q", s.si, wantSI, doc)
	}
	ps, ok := s.signature()
	if !ok {
		return true
	}
	ref, err := parseSignature(sigEl)
	if err != nil {
		t.Fatalf("fast scanner read a signature the reference refuses: %v\n%q", err, doc)
	}
	if ps.alg != ref.alg || fmt.Sprintf("%T", ps.digest()) != fmt.Sprintf("%T", ref.digest()) ||
		!bytes.Equal(ps.digestValue, ref.digestValue) || !bytes.Equal(ps.signatureValue, ref.signatureValue) ||
		!bytes.Equal(ps.certDER, ref.certDER) {
		t.Fatalf("signature fields differ\nfast: %+v\nref:  %+v", ps, ref)
	}
	return true
}

var (
	fastKeyOnce sync.Once
	fastKey     *sm2.PrivateKey
	fastCert    *Certificate
)

func fastIdentity(t testing.TB) (*sm2.PrivateKey, *Certificate) {
	fastKeyOnce.Do(func() { fastKey, fastCert = newSM2Cert(t) })
	return fastKey, fastCert
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fuzzCorpus returns the inputs stored for FuzzVerify.
func fuzzCorpus(t testing.TB) [][]byte {
	files, err := filepath.Glob("testdata/fuzz/FuzzVerify/*")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, f := range files {
		lines := strings.Split(string(readFile(t, f)), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
			continue
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, []byte(s))
	}
	return out
}

// fastSeeds are real messages, signed, in the variants the existing tests
// use: prefixed and default namespace, BOM, CRLF line ends, the C14N edge
// cases of tricky.xml.
func fastSeeds(t testing.TB) [][]byte {
	key, cert := fastIdentity(t)
	var seeds [][]byte
	for _, name := range []string{"ceb621.xml", "tricky.xml"} {
		base := readFile(t, "testdata/"+name)
		variants := [][]byte{
			base,
			[]byte(strings.Replace(strings.ReplaceAll(string(base), "ceb:", ""), "xmlns:ceb=", "xmlns=", 1)),
			append(bytes.Clone(utf8BOM), base...),
			bytes.ReplaceAll(base, []byte("\n"), []byte("\r\n")),
		}
		for _, v := range variants {
			seeds = append(seeds, v)
			signed, err := Sign(v, key, cert)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			seeds = append(seeds, signed)
		}
	}
	return append(seeds, fuzzCorpus(t)...)
}

func TestFastMatchesReference(t *testing.T) {
	taken := 0
	seeds := fastSeeds(t)
	for _, doc := range seeds {
		if checkFast(t, doc) {
			taken++
		}
	}
	// The signed real messages must go the fast way, or it is not fast.
	key, cert := fastIdentity(t)
	for _, name := range []string{"ceb621.xml", "tricky.xml"} {
		signed, err := Sign(readFile(t, "testdata/"+name), key, cert)
		if err != nil {
			t.Fatal(err)
		}
		s := getFastScanner()
		if !s.scan(signed) {
			t.Errorf("%s: the fast scanner hands a signed message over", name)
		} else if _, ok := s.signature(); !ok {
			t.Errorf("%s: the fast scanner does not read its signature", name)
		}
		s.release()
	}

	rng := rand.New(rand.NewPCG(1, 2))
	n := 3000
	if testing.Short() {
		n = 300
	}
	sigDoc, signTaken := 0, 0
	for i := 0; i < n; i++ {
		doc := genDoc(rng, cert)
		if checkFast(t, doc) {
			taken++
			sigDoc++
		}
		if checkSignFast(t, doc, cert) {
			signTaken++
		}
		if rng.IntN(3) == 0 {
			if signed, err := Sign(doc, key, cert); err == nil {
				checkFast(t, signed)
				if _, err := Verify(signed); err != nil {
					t.Fatalf("a message Sign signed does not verify: %v\n%q", err, signed)
				}
				doc = signed
			}
		}
		for m := 0; m < 3; m++ {
			if checkFast(t, mutate(rng, doc)) {
				taken++
			}
		}
		if i < 100 {
			checkFast(t, mutate(rng, seeds[rng.IntN(len(seeds))]))
		}
	}
	if sigDoc < n/4 {
		t.Errorf("only %d of %d generated messages took the fast path; the generator or scanner is off", sigDoc, n)
	}
	for _, doc := range seeds {
		checkSignFast(t, doc, cert)
	}
	if signTaken < n/20 {
		t.Errorf("Sign took the fast path on only %d of %d generated messages", signTaken, n)
	}
	t.Logf("fast path taken on %d inputs; by Sign on %d", taken, signTaken)
}

// FuzzFastC14N checks the fast path against the reference on arbitrary
// input.
//
// Run: go test -run '^$' -fuzz FuzzFastC14N -parallel 1 -fuzztime 3m ./internal/xmlsig
func FuzzFastC14N(f *testing.F) {
	for _, s := range fastSeeds(f) {
		f.Add(s)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	_, cert := fastIdentity(f)
	for i := 0; i < 30; i++ {
		f.Add(genDoc(rng, cert))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkFast(t, doc)
		checkSignFast(t, doc, cert)
	})
}

// genDoc writes a random message from the constructs C14N treats
// specially, usually with a ds:Signature child of the root.
func genDoc(rng *rand.Rand, cert *Certificate) []byte {
	g := &gen{rng: rng, cert: cert}
	return g.doc()
}

type gen struct {
	rng  *rand.Rand
	cert *Certificate
	b    strings.Builder
}

func (g *gen) pick(s ...string) string { return s[g.rng.IntN(len(s))] }
func (g *gen) chance(n int) bool       { return g.rng.IntN(n) == 0 }

var (
	genURIs     = []string{"urn:a", "urn:b", "urn:z", nsCEB, nsDSig, "http://e.x/?a=1&amp;b=&lt;2&gt;", "urn:t&#9;ab", "", nsXML}
	genPrefixes = []string{"", "a", "b", "ceb", "ds", "z", "xml"}
	genValues   = []string{"1", "", "x y", "tab\tnl\ncr\r\ncrlf", "&#9;&#10;&#13;", "&quot;&lt;&gt;&amp;&apos;", "'", "李", "a]]>b", "&#x10FFFF;&#65;", "&#xD800;", "&foo;", "&#0;", ">", "\r"}
	genTexts    = []string{"text", " ", "\n\t", "&amp; &lt; &gt; \" '", "&#13;", "\r\n", "\r", "]]>", "]]&gt;", "李小宝", "&#x20AC;", "a&#x9;b", "x>y", "&bogus;", "&#xFFFE;", "\x01"}
)

func (g *gen) doc() []byte {
	if g.chance(8) {
		g.b.Write(utf8BOM)
	}
	switch g.rng.IntN(6) {
	case 0:
	case 1:
		g.b.WriteString(`<?xml version="1.0"?>`)
	case 2:
		g.b.WriteString(`<?xml version="1.0" encoding="` + g.pick("UTF-8", "utf-8", "GBK", "Utf-8") + `"?>`)
	case 3:
		g.b.WriteString(`<?xml version='1.0' encoding='UTF-8' standalone='yes'?>`)
	default:
		g.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	}
	g.b.WriteString(g.pick("\n", "", "\r\n", "\n\n"))
	if g.chance(4) {
		g.b.WriteString(g.pick("<!-- c -->\n", "<?pi before?>\n", "<?pi?>", "<!---->"))
	}
	g.element(0, true)
	if g.chance(4) {
		g.b.WriteString(g.pick("\n<!-- after -->", "\n<?pi after ?>", "\n", "<?p x?>\n"))
	}
	return []byte(g.b.String())
}

func (g *gen) decls(n int) {
	for i := 0; i < n; i++ {
		p := g.pick(genPrefixes...)
		u := g.pick(genURIs...)
		if p == "xml" {
			u = nsXML
		}
		if g.chance(3) && p != "" {
			// the usual bindings
			u = map[string]string{"ceb": nsCEB, "ds": nsDSig}[p]
			if u == "" {
				u = "urn:" + p
			}
		}
		if p == "" {
			g.b.WriteString(` xmlns="` + u + `"`)
		} else {
			g.b.WriteString(` xmlns:` + p + `="` + u + `"`)
		}
	}
}

func (g *gen) attrs(n int) {
	for i := 0; i < n; i++ {
		name := g.pick("a", "b", "z", "a:x", "b:x", "b:y", "z:a", "xml:lang", "xml:space", "ceb:k", "Algorithm", "URI", "ds:Algorithm", "x.y-1", "a:b.c")
		q := g.pick(`"`, `'`)
		v := g.pick(genValues...)
		if strings.Contains(v, q) {
			v = strings.ReplaceAll(v, q, "")
		}
		g.b.WriteString(g.pick(" ", "\n\t", "  ") + name + g.pick("=", " = ") + q + v + q)
	}
}

func (g *gen) name(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}

func (g *gen) element(depth int, root bool) {
	prefix := g.pick("", "ceb", "a", "ceb", "ds")
	if !root && g.chance(2) {
		prefix = ""
	}
	name := g.name(prefix, g.pick("R", "Inventory", "Item", "x", "Signature", "i-1.x", "_u"))
	g.b.WriteString("<" + name)
	if root {
		g.b.WriteString(` xmlns:ceb="` + nsCEB + `"`)
		if prefix == "a" || g.chance(2) {
			g.b.WriteString(` xmlns:a="urn:a"`)
		}
		if prefix == "ds" {
			g.b.WriteString(` xmlns:ds="` + nsDSig + `"`)
		}
	}
	if g.chance(3) {
		g.decls(1 + g.rng.IntN(2))
	}
	if g.chance(2) {
		g.attrs(1 + g.rng.IntN(3))
	}
	if !root && g.chance(5) {
		g.b.WriteString("/>")
		return
	}
	g.b.WriteString(">")
	kids := g.rng.IntN(4)
	sigAt := -1
	if root && !g.chance(6) {
		sigAt = g.rng.IntN(kids + 1)
	}
	for i := 0; i <= kids; i++ {
		if i == sigAt {
			g.b.WriteString(g.pick("\n\t", "", "\r\n"))
			g.signature()
			if g.chance(10) {
				g.signature()
			}
		}
		if i == kids {
			break
		}
		switch g.rng.IntN(7) {
		case 0, 1:
			if depth < 4 {
				g.element(depth+1, false)
			}
		case 2:
			g.b.WriteString(g.pick(genTexts...))
		case 3:
			g.b.WriteString("<![CDATA[" + g.pick("<&>", "", "]]", "\r\nx", "a]b") + "]]>")
		case 4:
			g.b.WriteString(g.pick("<!-- c -->", "<!-- a -- b -->", "<!---->", "<?pi data?>", "<?pi?>", "<?xml x?>"))
		default:
			g.b.WriteString(g.pick("\n\t", "\r\n\t", " "))
		}
	}
	if g.chance(50) {
		name = "wrong"
	}
	g.b.WriteString("</" + name + g.pick(">", " >", "\n>"))
}

func (g *gen) signature() {
	p := g.pick("ds", "ds", "ds", "", "s")
	n := func(local string) string { return g.name(p, local) }
	nl := func() string { return g.pick("\n", "", "\r\n", "\n<!-- c -->") }
	g.b.WriteString("<" + n("Signature"))
	switch p {
	case "":
		g.b.WriteString(` xmlns="` + nsDSig + `"`)
	default:
		g.b.WriteString(` xmlns:` + p + `="` + g.pick(nsDSig, nsDSig, nsDSig, "urn:other") + `"`)
	}
	if g.chance(4) {
		g.b.WriteString(g.pick(` xml:lang="en"`, ` xml:space="preserve"`, ` xmlns:q="urn:q"`, ` Id="s1"`, ` xmlns:ceb="urn:not-ceb"`))
	}
	g.b.WriteString(">" + nl() + "<" + n("SignedInfo"))
	if g.chance(5) {
		g.b.WriteString(g.pick(` xml:lang="zh"`, ` xmlns=""`, ` xmlns:a="urn:a"`, ` Id="si"`))
	}
	g.b.WriteString(">" + nl())
	g.b.WriteString("<" + n("CanonicalizationMethod") + ` Algorithm="` + g.pick(uriC14N, uriC14N, uriC14N, uriC14NComments) + `"></` + n("CanonicalizationMethod") + ">" + nl())
	g.b.WriteString("<" + n("SignatureMethod") + ` Algorithm="` + g.pick(uriSM2SM3, uriRSASHA1, uriSM2SM3W3C, "urn:x") + `"/>` + nl())
	g.b.WriteString("<" + n("Reference") + g.pick(` URI=""`, ` URI=""`, ` URI="#x"`, ``, ` Id="r" URI=''`) + ">" + nl())
	g.b.WriteString("<" + n("Transforms") + ">")
	g.b.WriteString("<" + n("Transform") + ` Algorithm="` + g.pick(uriEnveloped, uriEnveloped, uriC14N) + `"/>`)
	if g.chance(4) {
		g.b.WriteString("<" + n("Transform") + ` Algorithm="` + g.pick(uriC14N, uriEnveloped, "urn:t") + `"/>`)
	}
	g.b.WriteString("</" + n("Transforms") + ">" + nl())
	g.b.WriteString("<" + n("DigestMethod") + ` Algorithm="` + g.pick(uriSM3, uriSHA1, uriSM3W3C, "urn:d") + `"/>` + nl())
	g.b.WriteString("<" + n("DigestValue") + ">" + g.pick("AAAAAAAAAAAAAAAAAAAAAAAAAAA=", " q83vEjRWeJq83vEjRWeJq83vEjQ= ", "", "!!", "AAAA\r\nAAAA") + "</" + n("DigestValue") + ">" + nl())
	g.b.WriteString("</" + n("Reference") + ">" + nl() + "</" + n("SignedInfo") + ">" + nl())
	g.b.WriteString("<" + n("SignatureValue") + ">" + g.pick("MEUCIQ==", "AAAA", "", "&#65;AAA") + "</" + n("SignatureValue") + ">" + nl())
	if !g.chance(8) {
		cert := base64.StdEncoding.EncodeToString(g.cert.DER)
		if g.chance(3) {
			cert = cert[:40] + "\n" + cert[40:]
		}
		g.b.WriteString("<" + n("KeyInfo") + "><" + n("KeyName") + ">01</" + n("KeyName") + "><" + n("X509Data") + "><" + n("X509Certificate") + ">" + cert + "</" + n("X509Certificate") + "></" + n("X509Data") + "></" + n("KeyInfo") + ">" + nl())
	}
	g.b.WriteString("</" + n("Signature") + ">")
}

var mutations = []string{"<", ">", "&", "&amp;", "]]>", "\r", "\r\n", "\t", "\x00", "<!--", "-->", "--", "<![CDATA[", "\"", "'",
	` xmlns:q=""`, ` xmlns=""`, ` xmlns:xml="` + nsXML + `"`, ` xml:lang="x"`, ` a="1"`, ` a:x="2"`, "\xEF\xBF\xBE", "\xff", "<?xml?>", "<!DOCTYPE r>", "/", "=", " ", ":", "é", "&#xD;", "<a>", "</a>", "<x/>"}

// mutate makes a small random change: a byte dropped, a token inserted, a
// range duplicated or cut.
func mutate(rng *rand.Rand, doc []byte) []byte {
	out := bytes.Clone(doc)
	for n := 1 + rng.IntN(2); n > 0; n-- {
		if len(out) == 0 {
			return []byte(mutations[rng.IntN(len(mutations))])
		}
		at := rng.IntN(len(out))
		switch rng.IntN(4) {
		case 0:
			out = append(out[:at], out[at+1:]...)
		case 1:
			m := mutations[rng.IntN(len(mutations))]
			out = append(out[:at], append([]byte(m), out[at:]...)...)
		case 2:
			end := min(len(out), at+1+rng.IntN(40))
			out = append(out[:end], append(bytes.Clone(out[at:end]), out[end:]...)...)
		default:
			end := min(len(out), at+1+rng.IntN(20))
			out = append(out[:at], out[end:]...)
		}
	}
	return out
}

// BenchmarkFastC14N times what Verify does before the public-key
// operation, on a signed testdata/ceb621.xml: the fast scanner (both
// canonical forms and the signature fields), against the reference parse
// and canonicalization.
func BenchmarkFastC14N(b *testing.B) {
	key, cert := fastIdentity(b)
	signed, err := Sign(readFile(b, "testdata/ceb621.xml"), key, cert)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(signed)))
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			s := getFastScanner()
			if !s.scan(signed) {
				b.Fatal("not taken")
			}
			if _, ok := s.signature(); !ok {
				b.Fatal("signature not read")
			}
			s.release()
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.SetBytes(int64(len(signed)))
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			d, err := parseDocument(signed)
			if err != nil {
				b.Fatal(err)
			}
			sigEl, err := findSignature(d.Root())
			if err != nil {
				b.Fatal(err)
			}
			ps, err := parseSignature(sigEl)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := canonicalDocument(d, sigEl); err != nil {
				b.Fatal(err)
			}
			if _, err := canonicalSubtree(ps.signedInfo); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestPlainChars(t *testing.T) {
	slow := func(b []byte) bool {
		for _, r := range string(b) {
			if r == utf8.RuneError || r == 0xFFFE || r == 0xFFFF || r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
				return false
			}
		}
		return utf8.Valid(b)
	}
	base := []byte("<a b=\"c\">\tline\r\n李小宝 € x</a>\n")
	for _, bad := range []string{"\x00", "\x1f", "\x0b", "\xEF\xBF\xBE", "\xEF\xBF\xBF", "\xff", "\xEF\xBF", "\xED\xA0\x80"} {
		for at := 0; at <= len(base); at++ {
			doc := append(append(bytes.Clone(base[:at]), bad...), base[at:]...)
			if got, want := plainChars(doc), slow(doc); got != want {
				t.Fatalf("plainChars(%q) = %v, want %v", doc, got, want)
			}
		}
	}
	if !plainChars(base) {
		t.Fatal("plain text refused")
	}
}

// checkSignFast compares the canonical SignedInfo (and so the digest) Sign
// computes on the fast path with the reference, for doc with the signature
// template spliced in as Sign does. It reports whether the fast path took
// the message.
func checkSignFast(t testing.TB, doc []byte, cert *Certificate) bool {
	t.Helper()
	body := bytes.TrimPrefix(doc, utf8BOM)
	lay, err := scanLayoutReference(body)
	if fastLay := scanLayoutFast(body); fastLay != nil {
		if err != nil {
			t.Fatalf("fast layout of a message encoding/xml refuses: %v\n%q", err, body)
		}
		if fmt.Sprint(*fastLay) != fmt.Sprint(*lay) {
			t.Fatalf("layouts differ\nfast: %+v\nref:  %+v", *fastLay, *lay)
		}
	}
	if err != nil || len(lay.signatures()) > 0 {
		return false
	}
	at, indent := lay.insertionPoint()
	fast := signatureTemplate{alg: SM2SM3, cert: cert}
	withTemplate := splice(body, at, indent, fast.render())
	ref := fast
	gotSI := fast.signedInfoFast(withTemplate)
	wantSI, err := ref.signedInfoReference(withTemplate)
	if gotSI == nil {
		return false
	}
	if err != nil {
		t.Fatalf("fast Sign path took a message the reference refuses: %v\n%q", err, withTemplate)
	}
	if !bytes.Equal(gotSI, wantSI) || !bytes.Equal(fast.digest, ref.digest) {
		t.Fatalf("Sign: canonical SignedInfo differs\nfast: %q\nref:  %q", gotSI, wantSI)
	}
	return true
}

// BenchmarkSM2Check times the SM2 part of Verify alone (Z cached): SM3 over
// Z and the canonical SignedInfo, and the verification.
func BenchmarkSM2Check(b *testing.B) {
	key, cert := fastIdentity(b)
	signed, err := Sign(readFile(b, "testdata/ceb621.xml"), key, cert)
	if err != nil {
		b.Fatal(err)
	}
	s := getFastScanner()
	if !s.scan(signed) {
		b.Fatal("not taken")
	}
	ps, ok := s.signature()
	if !ok {
		b.Fatal("signature not read")
	}
	entry, err := ps.certificate()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if err := checkSignature(ps.alg, entry.cert.PublicKey, entry.za, s.si, ps.signatureValue); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPU reports the process CPU time per operation of the loop that
// follows: call as defer reportCPU(b)().
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// TestVerifyConcurrent runs Verify from several goroutines over messages
// signed with different certificates, for the race detector: the scanner
// pool and the certificate cache are shared.
func TestVerifyConcurrent(t *testing.T) {
	base := readFile(t, "testdata/ceb621.xml")
	var docs [][]byte
	var fps []string
	for i := 0; i < 3; i++ {
		key, cert := newSM2Cert(t)
		signed, err := Sign(base, key, cert)
		if err != nil {
			t.Fatal(err)
		}
		docs, fps = append(docs, signed), append(fps, cert.Fingerprint)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				k := (g + i) % len(docs)
				res, err := Verify(docs[k])
				if err != nil || res.Certificate.Fingerprint != fps[k] {
					errs <- fmt.Errorf("message %d: %v", k, err)
					return
				}
				res.Certificate.DER[0] ^= 0xff // the caller's copy, not the cache's
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestFastHostile checks that messages built to make the scanner work hard
// are handed over or refused quickly, never slowly.
func TestFastHostile(t *testing.T) {
	many := func(n int, f func(i int) string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(f(i))
		}
		return b.String()
	}
	sig := func(attrs string) string {
		return `<r xmlns:ds="` + nsDSig + `"><ds:Signature` + attrs + `><ds:SignedInfo xml:lang="x"/></ds:Signature></r>`
	}
	for name, doc := range map[string]string{
		"xml attributes on Signature": sig(many(50000, func(int) string { return ` xml:a="1"` })),
		"distinct xml attributes":     sig(many(50000, func(i int) string { return fmt.Sprintf(` xml:a%d="1"`, i) })),
		"declarations":                sig(many(50000, func(i int) string { return fmt.Sprintf(` xmlns:p%d="urn:%d"`, i, i) })),
		"deep":                        `<r>` + strings.Repeat("<a>", 100000) + strings.Repeat("</a>", 100000) + `</r>`,
		"nested declarations":         `<r>` + many(5000, func(i int) string { return fmt.Sprintf(`<a xmlns:p%d="urn:x">`, i) }) + strings.Repeat("</a>", 5000) + `</r>`,
	} {
		start := time.Now()
		s := getFastScanner()
		s.scan([]byte(doc))
		s.release()
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: the scanner took %v", name, d)
		}
	}
}

// TestCertificateCacheBounded fills the certificate cache beyond its size:
// it stays bounded and every lookup still returns the right certificate.
func TestCertificateCacheBounded(t *testing.T) {
	var certs []*Certificate
	for range certCacheSize + 20 {
		_, cert := newSM2Cert(t)
		certs = append(certs, cert)
	}
	for round := 0; round < 2; round++ {
		for _, c := range certs {
			e, err := cachedCertificate(c.DER)
			if err != nil {
				t.Fatal(err)
			}
			if e.cert.Fingerprint != c.Fingerprint || len(e.za) != 32 {
				t.Fatalf("cache returned %s for %s", e.cert.Fingerprint, c.Fingerprint)
			}
		}
	}
	certCache.Lock()
	n := len(certCache.m)
	certCache.Unlock()
	if n > certCacheSize {
		t.Fatalf("cache holds %d entries, bound %d", n, certCacheSize)
	}
}
