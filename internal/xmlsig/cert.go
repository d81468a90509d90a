package xmlsig

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Key algorithms of a Certificate.
const (
	KeyRSA = "RSA"
	KeySM2 = "SM2"
)

// minRSABits is the smallest RSA modulus accepted. Go's crypto/rsa refuses
// to verify with smaller keys, so rejecting them at parse time turns a
// confusing "signature invalid" into a clear certificate error.
const minRSABits = 1024

// Certificate is a parsed X.509 certificate with an RSA or SM2 public key.
type Certificate struct {
	DER          []byte    // the certificate as it was received
	Fingerprint  string    // SHA-256 of DER, lower-case hex; the registry key
	KeyAlgorithm string    // KeyRSA or KeySM2
	Subject      string    // RFC 2253 form
	Issuer       string    // RFC 2253 form
	Serial       *big.Int  // certificate serial number
	NotBefore    time.Time // validity period; Verify does not check it
	NotAfter     time.Time

	// PublicKey is *rsa.PublicKey, or *ecdsa.PublicKey on the SM2 curve.
	PublicKey crypto.PublicKey
}

// SerialHex is the serial number as written in KeyInfo/KeyName: big-endian
// bytes in lower-case hex, so a serial of 0x1691fe9 reads "01691fe9".
func (c *Certificate) SerialHex() string {
	if c.Serial == nil {
		return ""
	}
	if c.Serial.Sign() == 0 {
		return "00"
	}
	return hex.EncodeToString(c.Serial.Bytes())
}

// ParseCertificateDER parses one DER certificate. Go's crypto/x509 rejects
// SM2 keys and some legacy encodings found in e-port certificates, so the
// gmsm fork of the parser is used for RSA and SM2 alike.
func ParseCertificateDER(der []byte) (*Certificate, error) {
	xc, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCertificate, err)
	}
	c := &Certificate{
		DER:       bytes.Clone(der),
		Subject:   xc.Subject.String(),
		Issuer:    xc.Issuer.String(),
		Serial:    xc.SerialNumber,
		NotBefore: xc.NotBefore,
		NotAfter:  xc.NotAfter,
		PublicKey: xc.PublicKey,
	}
	sum := sha256.Sum256(der)
	c.Fingerprint = hex.EncodeToString(sum[:])
	switch pub := xc.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := pub.N.BitLen(); n < minRSABits {
			return nil, fmt.Errorf("%w: RSA key of %d bits is too small (minimum %d)", ErrBadCertificate, n, minRSABits)
		}
		c.KeyAlgorithm = KeyRSA
	case *ecdsa.PublicKey:
		if !sm2.IsSM2PublicKey(pub) {
			return nil, fmt.Errorf("%w: EC key on curve %s; only SM2 is accepted", ErrBadCertificate, curveName(pub))
		}
		c.KeyAlgorithm = KeySM2
	default:
		return nil, fmt.Errorf("%w: public key type %T; only RSA and SM2 are accepted", ErrBadCertificate, xc.PublicKey)
	}
	return c, nil
}

func curveName(pub *ecdsa.PublicKey) string {
	if pub.Curve == nil || pub.Curve.Params() == nil {
		return "unknown"
	}
	return pub.Curve.Params().Name
}

// ParseCertificatesPEM parses every PEM block of pemBytes; each must be a
// CERTIFICATE with an RSA or SM2 key. Text around the blocks (as printed by
// "openssl x509 -text") is ignored. An error names the bad block by its
// 1-based position.
func ParseCertificatesPEM(pemBytes []byte) ([]*Certificate, error) {
	var certs []*Certificate
	rest := pemBytes
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%w: PEM block %d is %q, want CERTIFICATE", ErrBadCertificate, n, block.Type)
		}
		c, err := ParseCertificateDER(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		certs = append(certs, c)
	}
	// pem.Decode stops silently at a damaged block; say so rather than
	// returning fewer certificates than the file seems to hold.
	if bytes.Contains(rest, []byte("-----BEGIN")) {
		return nil, fmt.Errorf("%w: PEM block %d is damaged (bad base64 or missing END line)", ErrBadCertificate, len(certs)+1)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%w: no PEM CERTIFICATE block found", ErrBadCertificate)
	}
	return certs, nil
}

// ParsePrivateKeyPEM parses the first private key of a PEM file: RSA in
// PKCS#1 ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY"), SM2 in PKCS#8 or
// SEC 1 ("EC PRIVATE KEY", as gmsm writes it). An "EC PARAMETERS" or "SM2
// PARAMETERS" block before the key ("openssl ecparam -genkey") is skipped. Encrypted keys are refused:
// decrypt them first ("openssl pkey -in enc.pem -out key.pem").
//
// The result is *rsa.PrivateKey or *sm2.PrivateKey.
func ParsePrivateKeyPEM(pemBytes []byte) (crypto.Signer, error) {
	rest := pemBytes
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("%w: no PEM private key block found", ErrBadKey)
		}
		if _, encrypted := block.Headers["DEK-Info"]; encrypted || block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, fmt.Errorf("%w: PEM block %d is an encrypted key; decrypt it first", ErrBadKey, n)
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "EC PARAMETERS", "SM2 PARAMETERS":
			continue
		case "RSA PRIVATE KEY":
			key, err = smx509.ParsePKCS1PrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = smx509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = smx509.ParseTypedECPrivateKey(block.Bytes)
		default:
			return nil, fmt.Errorf("%w: PEM block %d is %q, want a private key", ErrBadKey, n, block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: PEM block %d (%s): %v", ErrBadKey, n, block.Type, err)
		}
		signer, err := usableSigner(key)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d (%s): %w", n, block.Type, err)
		}
		return signer, nil
	}
}

// usableSigner accepts the key types Sign can use.
func usableSigner(key any) (crypto.Signer, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if n := k.N.BitLen(); n < minRSABits {
			return nil, fmt.Errorf("%w: RSA key of %d bits is too small (minimum %d)", ErrBadKey, n, minRSABits)
		}
		return k, nil
	case *sm2.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		// Some encoders label an SM2 key as a plain EC key.
		if sm2.IsSM2PublicKey(&k.PublicKey) {
			return new(sm2.PrivateKey).FromECPrivateKey(k)
		}
		return nil, fmt.Errorf("%w: EC key on curve %s; only SM2 is accepted", ErrBadKey, curveName(&k.PublicKey))
	default:
		return nil, fmt.Errorf("%w: key type %T; only RSA and SM2 are accepted", ErrBadKey, key)
	}
}

// keyAlgorithmOf maps a public key to KeyRSA / KeySM2.
func keyAlgorithmOf(pub crypto.PublicKey) (string, error) {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return KeyRSA, nil
	case *ecdsa.PublicKey:
		if sm2.IsSM2PublicKey(p) {
			return KeySM2, nil
		}
		return "", fmt.Errorf("EC key on curve %s", curveName(p))
	}
	return "", fmt.Errorf("unsupported public key type %T", pub)
}
