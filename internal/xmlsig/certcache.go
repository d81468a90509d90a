package xmlsig

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"sync"

	"github.com/emmansun/gmsm/sm2"
)

// Enterprises sign every message with the same certificate, so Verify keeps
// the certificates it parsed, keyed by their DER bytes: parsing one with
// smx509 costs about as much as canonicalizing the message. For an SM2 key
// the Z value of the default user ID (an SM3 over the curve and the key,
// GB/T 32918.2) is kept alongside, so each verification hashes only Z and
// SignedInfo.
//
// The cache is bounded; when full, an arbitrary entry (Go's map order) is
// dropped, which keeps it simple and cannot be steered into unbounded
// growth by a sender cycling through certificates.

const certCacheSize = 256

// defaultSM2UID is the default user ID of GB/T 32918, which the profile
// uses for Z.
var defaultSM2UID = []byte("1234567812345678")

type certEntry struct {
	cert *Certificate
	za   []byte // SM2 only
}

var certCache struct {
	sync.Mutex
	m map[string]*certEntry
}

// cachedCertificate parses der, or returns the entry of an earlier parse.
// The entry is shared: callers must not modify it (see Certificate.clone).
func cachedCertificate(der []byte) (*certEntry, error) {
	certCache.Lock()
	e := certCache.m[string(der)] // no allocation for the lookup key
	certCache.Unlock()
	if e != nil {
		return e, nil
	}
	c, err := ParseCertificateDER(der)
	if err != nil {
		return nil, err
	}
	e = &certEntry{cert: c}
	if pub, ok := c.PublicKey.(*ecdsa.PublicKey); ok && c.KeyAlgorithm == KeySM2 {
		if e.za, err = sm2.CalculateZA(pub, defaultSM2UID); err != nil {
			return nil, fmt.Errorf("%w: SM2 Z value: %v", ErrBadCertificate, err)
		}
	}
	certCache.Lock()
	if certCache.m == nil {
		certCache.m = make(map[string]*certEntry, certCacheSize)
	}
	if len(certCache.m) >= certCacheSize {
		for k := range certCache.m {
			delete(certCache.m, k)
			break
		}
	}
	certCache.m[string(c.DER)] = e
	certCache.Unlock()
	return e, nil
}

// clone returns a copy the caller may keep and change without touching the
// cached certificate. The public key is shared: Go's key types are not
// modified in use.
func (c *Certificate) clone() *Certificate {
	cp := *c
	cp.DER = bytes.Clone(c.DER)
	if c.Serial != nil {
		cp.Serial = new(big.Int).Set(c.Serial)
	}
	return &cp
}
