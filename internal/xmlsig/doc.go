// Package xmlsig signs and verifies the enveloped XML-DSig signature that
// enterprises put on CEB business messages (CEB621, CEB311, …).
//
// The profile is the one fixed in the project notes (ceb-notes §3.1):
//
//   - enveloped signature, Reference URI="" with the enveloped-signature
//     transform, inclusive C14N 20010315 without comments for both the
//     reference and SignedInfo;
//   - RSA-SHA1 (PKCS#1 v1.5) with a SHA-1 digest, or SM2-SM3 with an SM3
//     digest and the SM3 Z value over the default user ID 1234567812345678;
//   - the signer's X.509 certificate in KeyInfo/X509Data/X509Certificate and
//     its serial number (hex) in KeyInfo/KeyName.
//
// SM2 signatures are written as a DER SEQUENCE{r, s}; a raw 64-byte r‖s is
// accepted on input. The chinaport algorithm URIs are written; the W3C
// namespace spellings of the SM2/SM3 URIs that some senders use are accepted.
//
// Verify proves only that the message was signed by the key of the embedded
// certificate. Deciding whether that certificate belongs to the sending
// enterprise, and whether it is currently valid, is the caller's job: use
// Result.Certificate.Fingerprint against the enterprise registry.
package xmlsig
