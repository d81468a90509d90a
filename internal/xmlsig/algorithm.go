package xmlsig

// Algorithm names a CEB signature algorithm (signature method plus digest).
type Algorithm string

// The two algorithms of the CEB profile.
const (
	RSASHA1 Algorithm = "RSA-SHA1"
	SM2SM3  Algorithm = "SM2-SM3"
)
