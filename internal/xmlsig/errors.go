package xmlsig

import "errors"

// Error kinds returned (wrapped, with detail) by Verify and Sign. Test them
// with errors.Is.
var (
	// ErrMalformed: the input is not well-formed XML, has a DOCTYPE, or the
	// ds:Signature element does not have the structure XML-DSig requires.
	ErrMalformed = errors.New("xmlsig: malformed document")
	// ErrNoSignature: the root element has no ds:Signature child.
	ErrNoSignature = errors.New("xmlsig: no signature")
	// ErrUnsupportedAlgorithm: a canonicalization, signature, digest or
	// transform algorithm, or a Reference URI, outside the CEB profile.
	ErrUnsupportedAlgorithm = errors.New("xmlsig: unsupported algorithm")
	// ErrDigestMismatch: the signed content was changed after signing.
	ErrDigestMismatch = errors.New("xmlsig: digest mismatch")
	// ErrSignatureInvalid: SignatureValue does not verify against SignedInfo
	// with the embedded certificate's key.
	ErrSignatureInvalid = errors.New("xmlsig: signature invalid")
	// ErrBadCertificate: the certificate is missing, cannot be parsed, has a
	// key type other than RSA or SM2, or does not fit the key or algorithm.
	ErrBadCertificate = errors.New("xmlsig: bad certificate")
	// ErrBadKey: a private key that cannot be parsed or used.
	ErrBadKey = errors.New("xmlsig: bad private key")
)
