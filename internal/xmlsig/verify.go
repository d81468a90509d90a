package xmlsig

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"hash"
	"math/big"
	"strings"

	"github.com/beevik/etree"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
)

// Namespace and algorithm identifiers of the CEB profile.
const (
	nsDSig = "http://www.w3.org/2000/09/xmldsig#"

	uriC14N             = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	uriC14NComments     = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
	uriEnveloped        = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	uriRSASHA1          = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	uriSHA1             = "http://www.w3.org/2000/09/xmldsig#sha1"
	uriSM2SM3           = "http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"
	uriSM3              = "http://www.chinaport.gov.cn/2022/04/xmldsig#sm3"
	uriSM2SM3W3C        = "http://www.w3.org/2000/09/xmldsig#sm2-sm3" // seen in the wild
	uriSM3W3C           = "http://www.w3.org/2000/09/xmldsig#sm3"     // seen in the wild
	sm2RawSignatureSize = 64
)

var signatureMethods = map[string]Algorithm{
	uriRSASHA1:   RSASHA1,
	uriSM2SM3:    SM2SM3,
	uriSM2SM3W3C: SM2SM3,
}

// Digest methods are accepted independently of the signature method: some
// SM2 signers keep a SHA-1 reference digest, and the signature over
// SignedInfo still binds whichever digest was used.
var digestMethods = map[string]func() hash.Hash{
	uriSHA1:   sha1.New,
	uriSM3:    sm3.New,
	uriSM3W3C: sm3.New,
}

// Result says who signed a verified message.
type Result struct {
	Certificate *Certificate // from KeyInfo/X509Data/X509Certificate
	Algorithm   Algorithm
}

// Verify checks the enveloped signature of a CEB message. It returns the
// signing certificate on success. Failures wrap one of ErrMalformed,
// ErrNoSignature, ErrUnsupportedAlgorithm, ErrBadCertificate,
// ErrSignatureInvalid or ErrDigestMismatch.
//
// The ds:Signature must be a child of the document element; its position
// among the children is not checked (that is schema validation's job).
// Verify does not check the certificate's validity period or issuer.
func Verify(doc []byte) (*Result, error) {
	// The fast scanner takes the messages enterprises actually send; for
	// anything else, and to report any error, the reference path decides.
	s := getFastScanner()
	defer s.release()
	if s.scan(doc) {
		if ps, ok := s.signature(); ok {
			entry, err := ps.certificate()
			if err != nil {
				return nil, err
			}
			return ps.check(entry, s.content, s.si)
		}
	}
	return verifyReference(doc)
}

// verifyReference is Verify over the etree tree and the C14N writer of
// c14n.go. It is the reference the fast path is tested against, and it
// produces every error Verify returns for malformed input.
func verifyReference(doc []byte) (*Result, error) {
	d, err := parseDocument(doc)
	if err != nil {
		return nil, err
	}
	sigEl, err := findSignature(d.Root())
	if err != nil {
		return nil, err
	}
	s, err := parseSignature(sigEl)
	if err != nil {
		return nil, err
	}
	entry, err := s.certificate()
	if err != nil {
		return nil, err
	}

	// The whole message is canonicalized first so that a namespace or
	// attribute error anywhere is reported as such, not as a bad signature.
	content, err := canonicalDocument(d, sigEl)
	if err != nil {
		return nil, fmt.Errorf("canonicalize document: %w", err)
	}
	signedInfo, err := canonicalSubtree(s.signedInfo)
	if err != nil {
		return nil, fmt.Errorf("canonicalize SignedInfo: %w", err)
	}
	return s.check(entry, content, signedInfo)
}

// certificate parses (or finds in the cache) the signer's certificate and
// checks its key type against SignatureMethod.
func (s *parsedSignature) certificate() (*certEntry, error) {
	entry, err := cachedCertificate(s.certDER)
	if err != nil {
		return nil, fmt.Errorf("X509Certificate: %w", err)
	}
	if want := keyAlgorithmFor(s.alg); entry.cert.KeyAlgorithm != want {
		return nil, fmt.Errorf("%w: certificate has an %s key but SignatureMethod is %s", ErrBadCertificate, entry.cert.KeyAlgorithm, s.alg)
	}
	return entry, nil
}

// check verifies the signature over the canonical SignedInfo, then the
// digest of the canonical content. The digest is compared only after the
// signature holds, so a forged DigestValue is reported as a signature
// failure.
func (s *parsedSignature) check(entry *certEntry, content, signedInfo []byte) (*Result, error) {
	if err := checkSignature(s.alg, entry.cert.PublicKey, entry.za, signedInfo, s.signatureValue); err != nil {
		return nil, err
	}
	h := s.digest()
	h.Write(content)
	var sum [64]byte
	if subtle.ConstantTimeCompare(h.Sum(sum[:0]), s.digestValue) != 1 {
		return nil, fmt.Errorf("%w: the signed content was changed after signing", ErrDigestMismatch)
	}
	return &Result{Certificate: entry.cert.clone(), Algorithm: s.alg}, nil
}

func keyAlgorithmFor(alg Algorithm) string {
	if alg == SM2SM3 {
		return KeySM2
	}
	return KeyRSA
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// parseDocument parses a message, refusing what a CEB message never has
// and what could make another parser see different content: a DOCTYPE
// (entities, default attributes) and duplicate attributes.
func parseDocument(doc []byte) (*etree.Document, error) {
	d := etree.NewDocument()
	// Keep duplicate attributes so the canonicalizer can refuse them
	// instead of etree silently keeping one.
	d.ReadSettings.PreserveDuplicateAttrs = true
	if err := d.ReadFromBytes(normalizeAttrWhitespace(bytes.TrimPrefix(doc, utf8BOM))); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	for _, tok := range d.Child {
		if _, ok := tok.(*etree.Directive); ok {
			return nil, fmt.Errorf("%w: DOCTYPE or other markup declaration is not allowed", ErrMalformed)
		}
	}
	if d.Root() == nil {
		return nil, fmt.Errorf("%w: no document element", ErrMalformed)
	}
	return d, nil
}

// isDS reports whether el is the XML-DSig element named local.
func isDS(el *etree.Element, local string) bool {
	return el.Tag == local && el.NamespaceURI() == nsDSig
}

// findSignature returns the ds:Signature child of root. A Signature deeper
// in the tree is ordinary signed content, never the message signature.
func findSignature(root *etree.Element) (*etree.Element, error) {
	var found *etree.Element
	for _, el := range root.ChildElements() {
		if isDS(el, "Signature") {
			if found != nil {
				return nil, fmt.Errorf("%w: more than one ds:Signature under <%s>", ErrMalformed, root.FullTag())
			}
			found = el
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%w: <%s> has no ds:Signature child", ErrNoSignature, root.FullTag())
	}
	return found, nil
}

type parsedSignature struct {
	signedInfo     *etree.Element
	alg            Algorithm
	digest         func() hash.Hash
	digestValue    []byte
	signatureValue []byte
	certDER        []byte
}

// parseSignature reads the parts of ds:Signature the profile uses, in the
// order XML-DSig prescribes, and refuses anything outside the profile.
func parseSignature(sig *etree.Element) (*parsedSignature, error) {
	kids := sig.ChildElements()
	if len(kids) < 2 || !isDS(kids[0], "SignedInfo") || !isDS(kids[1], "SignatureValue") {
		return nil, fmt.Errorf("%w: ds:Signature must start with ds:SignedInfo and ds:SignatureValue", ErrMalformed)
	}
	s := &parsedSignature{signedInfo: kids[0]}

	si := kids[0].ChildElements()
	if len(si) < 3 || !isDS(si[0], "CanonicalizationMethod") || !isDS(si[1], "SignatureMethod") {
		return nil, fmt.Errorf("%w: ds:SignedInfo must hold CanonicalizationMethod, SignatureMethod and Reference", ErrMalformed)
	}
	if len(si) != 3 || !isDS(si[2], "Reference") {
		return nil, fmt.Errorf("%w: ds:SignedInfo must hold exactly one ds:Reference", ErrMalformed)
	}
	if m := algorithmAttr(si[0]); m != uriC14N {
		return nil, fmt.Errorf("%w: CanonicalizationMethod %q (want %s)", ErrUnsupportedAlgorithm, m, uriC14N)
	}
	m := algorithmAttr(si[1])
	alg, ok := signatureMethods[m]
	if !ok {
		return nil, fmt.Errorf("%w: SignatureMethod %q", ErrUnsupportedAlgorithm, m)
	}
	s.alg = alg
	if err := s.parseReference(si[2]); err != nil {
		return nil, err
	}

	var err error
	if s.signatureValue, err = decodeBase64(kids[1]); err != nil {
		return nil, fmt.Errorf("%w: SignatureValue: %v", ErrMalformed, err)
	}
	if s.certDER, err = findCertificate(kids[2:]); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *parsedSignature) parseReference(ref *etree.Element) error {
	uri := ref.SelectAttr("URI")
	if uri == nil || uri.Value != "" {
		return fmt.Errorf("%w: Reference must have URI=\"\" (the whole message)", ErrUnsupportedAlgorithm)
	}
	kids := ref.ChildElements()
	if len(kids) != 3 || !isDS(kids[0], "Transforms") || !isDS(kids[1], "DigestMethod") || !isDS(kids[2], "DigestValue") {
		return fmt.Errorf("%w: ds:Reference must hold Transforms, DigestMethod and DigestValue", ErrMalformed)
	}
	// The enveloped-signature transform is required. An explicit inclusive
	// C14N transform, which some toolkits add, changes nothing: a URI=""
	// reference already excludes comments.
	enveloped := false
	for _, t := range kids[0].ChildElements() {
		if !isDS(t, "Transform") {
			return fmt.Errorf("%w: unexpected <%s> in ds:Transforms", ErrMalformed, t.FullTag())
		}
		switch a := algorithmAttr(t); a {
		case uriEnveloped:
			enveloped = true
		case uriC14N, uriC14NComments:
		default:
			return fmt.Errorf("%w: Transform %q", ErrUnsupportedAlgorithm, a)
		}
	}
	if !enveloped {
		return fmt.Errorf("%w: the enveloped-signature transform is missing", ErrUnsupportedAlgorithm)
	}
	dm := algorithmAttr(kids[1])
	if s.digest = digestMethods[dm]; s.digest == nil {
		return fmt.Errorf("%w: DigestMethod %q", ErrUnsupportedAlgorithm, dm)
	}
	var err error
	if s.digestValue, err = decodeBase64(kids[2]); err != nil {
		return fmt.Errorf("%w: DigestValue: %v", ErrMalformed, err)
	}
	return nil
}

// findCertificate returns the first X509Certificate of KeyInfo. Further
// certificates (a chain) are ignored; the first is the signer's.
func findCertificate(rest []*etree.Element) ([]byte, error) {
	for _, ki := range rest {
		if !isDS(ki, "KeyInfo") {
			continue
		}
		for _, xd := range ki.ChildElements() {
			if !isDS(xd, "X509Data") {
				continue
			}
			for _, c := range xd.ChildElements() {
				if isDS(c, "X509Certificate") {
					der, err := decodeBase64(c)
					if err != nil {
						return nil, fmt.Errorf("%w: X509Certificate: %v", ErrBadCertificate, err)
					}
					return der, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("%w: no KeyInfo/X509Data/X509Certificate", ErrBadCertificate)
}

func algorithmAttr(el *etree.Element) string {
	return el.SelectAttrValue("Algorithm", "")
}

// decodeBase64 decodes element text as XML Schema base64Binary, which may
// be broken into lines.
func decodeBase64(el *etree.Element) ([]byte, error) {
	text := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, el.Text())
	if text == "" {
		return nil, fmt.Errorf("empty")
	}
	return base64.StdEncoding.DecodeString(text)
}

// checkSignature verifies sig over the canonical SignedInfo. za is the SM2
// Z value of pub for the default user ID, computed here when nil.
func checkSignature(alg Algorithm, pub crypto.PublicKey, za, signedInfo, sig []byte) error {
	switch alg {
	case RSASHA1:
		rsaPub, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("%w: %T is not an RSA key", ErrBadCertificate, pub)
		}
		sum := sha1.Sum(signedInfo)
		if err := rsa.VerifyPKCS1v15(rsaPub, crypto.SHA1, sum[:], sig); err != nil {
			return fmt.Errorf("%w: RSA-SHA1: %v", ErrSignatureInvalid, err)
		}
		return nil
	case SM2SM3:
		// DER SEQUENCE{r,s} is what we write; a raw 64-byte r‖s is what some
		// devices write. A 64-byte value could in principle be read either
		// way, so each plausible reading is tried.
		ecPub, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("%w: %T is not an SM2 key", ErrBadCertificate, pub)
		}
		if za == nil {
			var err error
			if za, err = sm2.CalculateZA(ecPub, defaultSM2UID); err != nil {
				return fmt.Errorf("%w: SM2 Z value: %v", ErrBadCertificate, err)
			}
		}
		// SM3(Z ‖ SignedInfo), what VerifyASN1WithSM2 computes, with Z
		// from the certificate cache instead of recomputed every time.
		h := sm3.New()
		h.Write(za)
		h.Write(signedInfo)
		var sum [sm3.Size]byte
		e := h.Sum(sum[:0])
		if sm2.VerifyASN1(ecPub, e, sig) {
			return nil
		}
		if len(sig) == sm2RawSignatureSize {
			if der, err := rawToDER(sig); err == nil && sm2.VerifyASN1(ecPub, e, der) {
				return nil
			}
		}
		return fmt.Errorf("%w: SM2-SM3 signature does not match the certificate key", ErrSignatureInvalid)
	}
	return fmt.Errorf("%w: %s", ErrUnsupportedAlgorithm, alg)
}

type ecSignature struct{ R, S *big.Int }

// rawToDER converts a 64-byte r‖s SM2 signature to DER SEQUENCE{r,s}.
func rawToDER(raw []byte) ([]byte, error) {
	half := len(raw) / 2
	return asn1.Marshal(ecSignature{
		R: new(big.Int).SetBytes(raw[:half]),
		S: new(big.Int).SetBytes(raw[half:]),
	})
}
