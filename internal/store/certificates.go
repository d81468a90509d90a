package store

import (
	"context"
	"github.com/cbec-platform/cbec/internal/errs"
	"time"
)

// CertificateExpiry is a registered signing certificate close to its end.
type CertificateExpiry struct {
	EnterpriseCode string    `json:"enterpriseCode"`
	Fingerprint    string    `json:"fingerprint"`
	NotAfter       time.Time `json:"notAfter"`
}

// CertificatesExpiringBefore lists the registered signing certificates whose
// validity ends before t, soonest first.
func (db *DB) CertificatesExpiringBefore(ctx context.Context, t time.Time) (_ []CertificateExpiry, err error) {
	defer errs.Wrap(&err, "store.CertificatesExpiringBefore")
	rows, err := db.Query(ctx, `SELECT enterprise_code, fingerprint, not_after FROM enterprise_certificates WHERE not_after < $1 ORDER BY not_after`, t)
	if err != nil {
		return nil, err
	}
	return Collect(rows, func(r Scanner) (CertificateExpiry, error) {
		var c CertificateExpiry
		var na Time
		err := r.Scan(&c.EnterpriseCode, &c.Fingerprint, &na)
		c.NotAfter = na.UTC()
		return c, err
	})
}
