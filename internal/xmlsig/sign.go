package xmlsig

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"encoding/asn1"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"github.com/cbec-platform/cbec/internal/errs"
)

const nsCEB = "http://www.chinaport.gov.cn/ceb"

// exportDeclarations are the export messages whose schema puts ds:Signature
// before ceb:ExtendMessage; every other message has it last.
var exportDeclarations = map[string]bool{
	"CEB213Message": true, "CEB215Message": true, "CEB303Message": true,
	"CEB403Message": true, "CEB505Message": true, "CEB507Message": true,
	"CEB509Message": true, "CEB603Message": true, "CEB605Message": true,
	"CEB607Message": true, "CEB701Message": true,
}

// Sign adds an enveloped signature to a CEB message and returns the signed
// message. The algorithm follows the key: an RSA key signs RSA-SHA1, an SM2
// key SM2-SM3. cert must hold key's public key.
//
// The message bytes are kept as they are; the ds:Signature is spliced in as
// the last child of the document element, or before ceb:ExtendMessage in an
// export declaration, as the schemas require. An existing signature is
// replaced.
//
// For SM2, key.Sign receives the canonical SignedInfo itself with
// sm2.DefaultSM2SignerOpts, gmsm's convention for "hash with SM3 and the
// default-user-ID Z value yourself"; *sm2.PrivateKey does this.
func Sign(doc []byte, key crypto.Signer, cert *Certificate) (_ []byte, err error) {
	defer errs.Wrap(&err, "xmlsig.Sign")
	if key == nil || cert == nil {
		return nil, fmt.Errorf("%w: Sign needs a key and a certificate", ErrBadKey)
	}
	alg, err := signingAlgorithm(key, cert)
	if err != nil {
		return nil, err
	}
	hasBOM := bytes.HasPrefix(doc, utf8BOM)
	body := bytes.TrimPrefix(doc, utf8BOM)

	lay, err := scanLayout(body)
	if err != nil {
		return nil, err
	}
	// Drop old signatures with the indentation in front of them, last
	// first so earlier offsets stay valid.
	if old := lay.signatures(); len(old) > 0 {
		trimmed := bytes.Clone(body)
		for i := len(old) - 1; i >= 0; i-- {
			trimmed = append(trimmed[:old[i].wsStart], trimmed[old[i].end:]...)
		}
		body = trimmed
		if lay, err = scanLayout(body); err != nil {
			return nil, err
		}
	}
	at, indent := lay.insertionPoint()

	// Digest and SignedInfo are computed from the message as it will be
	// sent, with placeholders where the values go; the values are base64 so
	// filling them in cannot change the canonical form of anything else.
	tmpl := signatureTemplate{alg: alg, cert: cert}
	withTemplate := splice(body, at, indent, tmpl.render())
	canonSI := tmpl.signedInfoFast(withTemplate)
	if canonSI == nil {
		if canonSI, err = tmpl.signedInfoReference(withTemplate); err != nil {
			return nil, err
		}
	}
	if tmpl.signature, err = signBytes(alg, key, canonSI); err != nil {
		return nil, err
	}

	out := splice(body, at, indent, tmpl.render())
	if hasBOM {
		out = append(bytes.Clone(utf8BOM), out...)
	}
	return out, nil
}

// digestValuePlaceholder is how the empty DigestValue of the template
// reads in canonical SignedInfo; the digest goes in between.
var digestValuePlaceholder = []byte("<ds:DigestValue></ds:DigestValue>")

// signedInfoFast computes the digest of the message with the template
// spliced in and returns the canonical SignedInfo holding it, using the
// fast scanner. It returns nil when the scanner hands the message over to
// the reference path.
func (t *signatureTemplate) signedInfoFast(doc []byte) []byte {
	s := getFastScanner()
	defer s.release()
	if !s.scan(doc) || !s.sigSeen || !s.siSeen {
		return nil
	}
	// The template is ours: its SignedInfo holds exactly one empty
	// DigestValue, and nothing inherited from the message can look like
	// one, since "<" is escaped in attribute values.
	at := bytes.Index(s.si, digestValuePlaceholder)
	if at < 0 || bytes.Contains(s.si[at+1:], digestValuePlaceholder) {
		return nil
	}
	t.digest = digestOf(t.alg, s.content)
	at += len("<ds:DigestValue>")
	b64 := base64.StdEncoding.EncodeToString(t.digest)
	out := make([]byte, 0, len(s.si)+len(b64))
	out = append(out, s.si[:at]...)
	out = append(out, b64...)
	return append(out, s.si[at:]...)
}

// signedInfoReference does what signedInfoFast does over the etree tree
// and c14n.go; it reports the errors of messages the scanner does not take.
func (t *signatureTemplate) signedInfoReference(doc []byte) ([]byte, error) {
	parsed, err := parseDocument(doc)
	if err != nil {
		return nil, err
	}
	sigEl, err := findSignature(parsed.Root())
	if err != nil {
		return nil, err
	}
	content, err := canonicalDocument(parsed, sigEl)
	if err != nil {
		return nil, err
	}
	t.digest = digestOf(t.alg, content)
	signedInfo := sigEl.SelectElement("SignedInfo")
	signedInfo.SelectElement("Reference").SelectElement("DigestValue").SetText(base64.StdEncoding.EncodeToString(t.digest))
	return canonicalSubtree(signedInfo)
}

// signingAlgorithm derives the algorithm from the key and checks that the
// certificate belongs to it: signing with the wrong certificate would make
// a message that no receiver can verify.
func signingAlgorithm(key crypto.Signer, cert *Certificate) (Algorithm, error) {
	ka, err := keyAlgorithmOf(key.Public())
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return "", fmt.Errorf("%w: certificate %s (serial %s) is not for this key", ErrBadCertificate, cert.Subject, cert.SerialHex())
	}
	if ka == KeySM2 {
		return SM2SM3, nil
	}
	return RSASHA1, nil
}

func digestOf(alg Algorithm, content []byte) []byte {
	if alg == SM2SM3 {
		sum := sm3.Sum(content)
		return sum[:]
	}
	sum := sha1.Sum(content)
	return sum[:]
}

func signBytes(alg Algorithm, key crypto.Signer, signedInfo []byte) ([]byte, error) {
	if alg == RSASHA1 {
		sum := sha1.Sum(signedInfo)
		sig, err := key.Sign(rand.Reader, sum[:], crypto.SHA1)
		if err != nil {
			return nil, fmt.Errorf("%w: RSA signing: %v", ErrBadKey, err)
		}
		return sig, nil
	}
	sig, err := key.Sign(rand.Reader, signedInfo, sm2.DefaultSM2SignerOpts)
	if err != nil {
		return nil, fmt.Errorf("%w: SM2 signing: %v", ErrBadKey, err)
	}
	// The profile writes DER; convert if a device returned raw r‖s.
	if len(sig) == sm2RawSignatureSize && !isDERSignature(sig) {
		if sig, err = rawToDER(sig); err != nil {
			return nil, fmt.Errorf("%w: SM2 signature encoding: %v", ErrBadKey, err)
		}
	}
	return sig, nil
}

func isDERSignature(sig []byte) bool {
	var s ecSignature
	rest, err := asn1.Unmarshal(sig, &s)
	return err == nil && len(rest) == 0
}

// signatureTemplate renders the ds:Signature element. Empty digest and
// signature render as placeholders of the right alphabet.
type signatureTemplate struct {
	alg       Algorithm
	cert      *Certificate
	digest    []byte
	signature []byte
}

func (t signatureTemplate) render() []byte {
	sigMethod, digMethod := uriRSASHA1, uriSHA1
	if t.alg == SM2SM3 {
		sigMethod, digMethod = uriSM2SM3, uriSM3
	}
	var b strings.Builder
	b.WriteString(`<ds:Signature xmlns:ds="` + nsDSig + `">` + "\n")
	b.WriteString("<ds:SignedInfo>\n")
	b.WriteString(`<ds:CanonicalizationMethod Algorithm="` + uriC14N + `"></ds:CanonicalizationMethod>` + "\n")
	b.WriteString(`<ds:SignatureMethod Algorithm="` + sigMethod + `"></ds:SignatureMethod>` + "\n")
	b.WriteString(`<ds:Reference URI="">` + "\n<ds:Transforms>\n")
	b.WriteString(`<ds:Transform Algorithm="` + uriEnveloped + `"></ds:Transform>` + "\n")
	b.WriteString("</ds:Transforms>\n")
	b.WriteString(`<ds:DigestMethod Algorithm="` + digMethod + `"></ds:DigestMethod>` + "\n")
	b.WriteString("<ds:DigestValue>" + base64.StdEncoding.EncodeToString(t.digest) + "</ds:DigestValue>\n")
	b.WriteString("</ds:Reference>\n</ds:SignedInfo>\n")
	b.WriteString("<ds:SignatureValue>" + base64.StdEncoding.EncodeToString(t.signature) + "</ds:SignatureValue>\n")
	b.WriteString("<ds:KeyInfo>\n<ds:KeyName>" + t.cert.SerialHex() + "</ds:KeyName>\n")
	b.WriteString("<ds:X509Data>\n<ds:X509Certificate>" + base64.StdEncoding.EncodeToString(t.cert.DER) + "</ds:X509Certificate>\n</ds:X509Data>\n")
	b.WriteString("</ds:KeyInfo>\n</ds:Signature>")
	return []byte(b.String())
}

// splice returns body with indent+sig inserted at offset at.
func splice(body []byte, at int, indent, sig []byte) []byte {
	out := make([]byte, 0, len(body)+len(indent)+len(sig))
	out = append(out, body[:at]...)
	out = append(out, indent...)
	out = append(out, sig...)
	return append(out, body[at:]...)
}

// childSpan locates one child element of the document element in the raw
// bytes: [start, end) is the element, [wsStart, start) the whitespace
// before it.
type childSpan struct {
	name                xml.Name
	wsStart, start, end int
}

type layout struct {
	body        []byte
	root        xml.Name
	children    []childSpan
	rootEnd     int // offset of the root's end tag
	rootEndWSAt int // start of the whitespace before it
}

// scanLayout finds the byte offsets of the document element's children, so
// Sign can add or remove a signature without reserializing the message.
// The fast scanner does it when it takes the message; encoding/xml
// otherwise, which also reports the errors.
func scanLayout(body []byte) (*layout, error) {
	if lay := scanLayoutFast(body); lay != nil {
		return lay, nil
	}
	return scanLayoutReference(body)
}

// scanLayoutFast is scanLayout on the fast scanner; nil when it hands over.
// Several ds:Signature children, which Sign removes, make it hand over.
func scanLayoutFast(body []byte) *layout {
	s := getFastScanner()
	defer s.release()
	lay := &layout{body: body}
	s.reset(body)
	s.lay = lay
	if !s.scanFrom() || s.layRootEmpty {
		return nil
	}
	// encoding/xml keeps literal tabs and line ends in a namespace name,
	// the scanner normalizes them to spaces; a namespace name with a space
	// is left to encoding/xml so that both report the same names.
	names := []xml.Name{lay.root}
	for _, c := range lay.children {
		names = append(names, c.name)
	}
	for _, n := range names {
		if strings.IndexByte(n.Space, ' ') >= 0 {
			return nil
		}
	}
	return lay
}

// scanLayoutReference is scanLayout over encoding/xml.
func scanLayoutReference(body []byte) (*layout, error) {
	lay := &layout{body: body}
	dec := xml.NewDecoder(bytes.NewReader(body))
	depth := 0
	var cur childSpan
	for {
		start := int(dec.InputOffset())
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch depth {
			case 1:
				lay.root = t.Name
			case 2:
				cur = childSpan{name: t.Name, start: start, wsStart: wsBefore(body, start)}
			}
		case xml.EndElement:
			switch depth {
			case 1:
				if !bytes.HasPrefix(body[start:], []byte("</")) {
					return nil, fmt.Errorf("%w: empty document element <%s/>; nothing to sign", ErrMalformed, t.Name.Local)
				}
				lay.rootEnd, lay.rootEndWSAt = start, wsBefore(body, start)
			case 2:
				cur.end = int(dec.InputOffset())
				lay.children = append(lay.children, cur)
			}
			depth--
		case xml.Directive:
			return nil, fmt.Errorf("%w: DOCTYPE or other markup declaration is not allowed", ErrMalformed)
		}
	}
	if lay.root.Local == "" {
		return nil, fmt.Errorf("%w: no document element", ErrMalformed)
	}
	return lay, nil
}

func wsBefore(body []byte, at int) int {
	for at > 0 {
		switch body[at-1] {
		case ' ', '\t', '\r', '\n':
			at--
			continue
		}
		break
	}
	return at
}

func (l *layout) signatures() []childSpan {
	var out []childSpan
	for _, c := range l.children {
		if c.name.Space == nsDSig && c.name.Local == "Signature" {
			out = append(out, c)
		}
	}
	return out
}

// insertionPoint returns where the signature goes and the indentation to
// put in front of it, copied from the neighbouring child element.
func (l *layout) insertionPoint() (int, []byte) {
	indent := []byte("\n")
	if n := len(l.children); n > 0 {
		last := l.children[n-1]
		if ws := l.body[last.wsStart:last.start]; len(ws) > 0 {
			indent = ws
		}
	}
	if l.root.Space == nsCEB && exportDeclarations[l.root.Local] {
		for _, c := range l.children {
			if c.name.Space == nsCEB && c.name.Local == "ExtendMessage" {
				return c.wsStart, l.body[c.wsStart:c.start]
			}
		}
	}
	return l.rootEndWSAt, indent
}
