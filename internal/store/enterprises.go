package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
)

var _ enterprise.Store = (*DB)(nil)

const enterpriseColumns = `code, name, uscc, roles, credit_class, abnormal_list, serious_violation_list, status, created_at, updated_at`

// CreateEnterprise stores a new enterprise, its certificates and its first key in one transaction.
func (db *DB) CreateEnterprise(ctx context.Context, e *enterprise.Enterprise, key *enterprise.APIKey) error {
	err := db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO enterprises (`+enterpriseColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
			e.Code, e.Name, nullable(e.USCC), joinRoles(e.Roles), string(e.CreditClass), e.AbnormalList, e.SeriousViolationList,
			string(e.Status), e.CreatedAt, e.UpdatedAt)
		if err != nil {
			return duplicateEnterprise(err, e)
		}
		if err := insertCertificates(ctx, tx, e); err != nil {
			return err
		}
		return insertKey(ctx, tx, e.Code, key)
	})
	if err != nil {
		return fmt.Errorf("create enterprise: %w", err)
	}
	return nil
}

// duplicateEnterprise says which unique key a conflicting insert or update hit.
func duplicateEnterprise(err error, e *enterprise.Enterprise) error {
	if errs.KindOf(err) != errs.Conflict {
		return err
	}
	if strings.Contains(err.Error(), "uscc") {
		return &errs.Error{Kind: errs.Conflict, Code: "uscc_taken", Field: "uscc", Message: fmt.Sprintf("unified social credit code %s is already registered to another enterprise", e.USCC), Err: err}
	}
	return &errs.Error{Kind: errs.Conflict, Code: "code_taken", Field: "code", Message: fmt.Sprintf("enterprise %s is already registered", e.Code), Err: err}
}

func insertCertificates(ctx context.Context, tx *Tx, e *enterprise.Enterprise) error {
	for _, c := range e.Certificates {
		_, err := tx.Exec(ctx, `INSERT INTO enterprise_certificates (enterprise_code, fingerprint, algorithm, subject, serial, not_after, pem) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
			e.Code, c.Fingerprint, c.Algorithm, c.Subject, c.Serial, c.NotAfter, c.PEM)
		if err != nil {
			return fmt.Errorf("store certificate %s: %w", c.Fingerprint, err)
		}
	}
	return nil
}

func insertKey(ctx context.Context, tx *Tx, code string, key *enterprise.APIKey) error {
	if key == nil {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO api_keys (key_hash, enterprise_code, prefix, created_at) VALUES ($1,$2,$3,$4)`,
		key.Hash, code, key.Prefix, key.CreatedAt)
	if err != nil {
		return fmt.Errorf("store API key: %w", err)
	}
	return nil
}

// GetEnterprise reads one enterprise with its certificates.
func (db *DB) GetEnterprise(ctx context.Context, code string) (_ *enterprise.Enterprise, err error) {
	defer errs.Wrap(&err, "store.GetEnterprise(%q)", code)
	e, err := scanEnterprise(db.QueryRow(ctx, `SELECT `+enterpriseColumns+` FROM enterprises WHERE code = $1`, code))
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return nil, errs.New(errs.NotFound, "enterprise_not_found", "code", "enterprise %s is not registered", code)
		}
		return nil, fmt.Errorf("read enterprise %s: %w", code, err)
	}
	if err := db.loadCertificates(ctx, []*enterprise.Enterprise{e}); err != nil {
		return nil, err
	}
	return e, nil
}

// ListEnterprises lists enterprises in code order, one page at a time.
func (db *DB) ListEnterprises(ctx context.Context, f enterprise.Filter) (_ []*enterprise.Enterprise, err error) {
	defer errs.Wrap(&err, "store.ListEnterprises")
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	// Unused filters compare with '' so that one statement serves every combination.
	rows, err := db.Query(ctx, `SELECT `+enterpriseColumns+` FROM enterprises
		WHERE code > $1
		  AND ($2 = '' OR roles LIKE '%,' || $2 || ',%')
		  AND ($3 = '' OR credit_class = $3)
		  AND ($4 = '' OR status = $4)
		ORDER BY code LIMIT $5`, f.After, string(f.Role), string(f.CreditClass), string(f.Status), limit)
	if err != nil {
		return nil, fmt.Errorf("list enterprises: %w", err)
	}
	defer rows.Close()
	out := []*enterprise.Enterprise{}
	for rows.Next() {
		e, err := scanEnterprise(rows)
		if err != nil {
			return nil, fmt.Errorf("list enterprises: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list enterprises: %w", err)
	}
	if err := db.loadCertificates(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateEnterprise replaces an enterprise's fields and certificates.
func (db *DB) UpdateEnterprise(ctx context.Context, e *enterprise.Enterprise) error {
	err := db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE enterprises SET name=$2, uscc=$3, roles=$4, credit_class=$5, abnormal_list=$6,
			serious_violation_list=$7, status=$8, updated_at=$9 WHERE code=$1`,
			e.Code, e.Name, nullable(e.USCC), joinRoles(e.Roles), string(e.CreditClass), e.AbnormalList,
			e.SeriousViolationList, string(e.Status), e.UpdatedAt)
		if err != nil {
			return duplicateEnterprise(err, e)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.NotFound, "enterprise_not_found", "code", "enterprise %s is not registered", e.Code)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM enterprise_certificates WHERE enterprise_code = $1`, e.Code); err != nil {
			return err
		}
		return insertCertificates(ctx, tx, e)
	})
	if err != nil {
		return fmt.Errorf("update enterprise: %w", err)
	}
	return nil
}

// ReplaceKeys revokes the enterprise's live keys and adds key when it is not nil.
func (db *DB) ReplaceKeys(ctx context.Context, code string, key *enterprise.APIKey, now time.Time) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = $2 WHERE enterprise_code = $1 AND revoked_at IS NULL`, code, now); err != nil {
			return fmt.Errorf("revoke keys: %w", err)
		}
		return insertKey(ctx, tx, code, key)
	})
}

// EnterpriseByKeyHash finds the enterprise of a live API key.
func (db *DB) EnterpriseByKeyHash(ctx context.Context, hash string) (*enterprise.Enterprise, error) {
	var code string
	err := db.QueryRow(ctx, `SELECT enterprise_code FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, hash).Scan(&code)
	if err != nil {
		return nil, classify(err)
	}
	return db.GetEnterprise(ctx, code)
}

type scanner = Scanner

func scanEnterprise(row scanner) (*enterprise.Enterprise, error) {
	var (
		e                 enterprise.Enterprise
		uscc              sql.NullString
		roles, credit, st string
		created, updated  Time
	)
	err := row.Scan(&e.Code, &e.Name, &uscc, &roles, &credit, &e.AbnormalList, &e.SeriousViolationList, &st, &created, &updated)
	if err != nil {
		return nil, classify(err)
	}
	e.USCC = uscc.String
	e.CreditClass = enterprise.CreditClass(credit)
	e.Status = enterprise.Status(st)
	e.CreatedAt, e.UpdatedAt = created.Time, updated.Time
	for _, r := range strings.Split(strings.Trim(roles, ","), ",") {
		if r != "" {
			e.Roles = append(e.Roles, enterprise.Role(r))
		}
	}
	e.Certificates = []enterprise.Certificate{}
	return &e, nil
}

func (db *DB) loadCertificates(ctx context.Context, list []*enterprise.Enterprise) error {
	for _, e := range list {
		rows, err := db.Query(ctx, `SELECT fingerprint, algorithm, subject, serial, not_after, pem FROM enterprise_certificates
			WHERE enterprise_code = $1 ORDER BY fingerprint`, e.Code)
		if err != nil {
			return fmt.Errorf("read certificates of %s: %w", e.Code, err)
		}
		for rows.Next() {
			var c enterprise.Certificate
			var notAfter Time
			if err := rows.Scan(&c.Fingerprint, &c.Algorithm, &c.Subject, &c.Serial, &notAfter, &c.PEM); err != nil {
				rows.Close()
				return fmt.Errorf("read certificates of %s: %w", e.Code, err)
			}
			c.NotAfter = notAfter.Time
			e.Certificates = append(e.Certificates, c)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("read certificates of %s: %w", e.Code, err)
		}
	}
	return nil
}

func joinRoles(roles []enterprise.Role) string {
	var b strings.Builder
	b.WriteByte(',')
	for _, r := range roles {
		b.WriteString(string(r))
		b.WriteByte(',')
	}
	return b.String()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Setting reads a named setting; found is false when it was never written.
func (db *DB) Setting(ctx context.Context, name string) (value string, found bool, err error) {
	err = db.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&value)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read setting %s: %w", name, classify(err))
	}
	return value, true, nil
}

// ClaimSetting writes a named setting unless it already has a value, and
// returns the value it has then: the first of several nodes starting
// together decides, the others read what it wrote.
func (db *DB) ClaimSetting(ctx context.Context, name, value string, now time.Time) (_ string, err error) {
	defer errs.Wrap(&err, "store.ClaimSetting")
	var stored string
	err = db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1,$2,$3) ON CONFLICT (name) DO NOTHING`,
			name, value, now); err != nil {
			return fmt.Errorf("claim setting %s: %w", name, err)
		}
		if err := tx.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&stored); err != nil {
			return fmt.Errorf("read setting %s: %w", name, err)
		}
		return nil
	})
	return stored, err
}

// ClaimRun records now as the last run of the periodic job name, kept as a
// setting, if its last recorded run is at least every before now or there is
// none, and reports whether it did. The check and the write are one
// statement: of nodes claiming together (two that both believe they lead)
// one wins, and a node that restarts finds the run recorded. The setting's
// updated_at is the time compared (a timestamp on PostgreSQL, fixed-width
// UTC text on SQLite: both compare in time order); its value repeats it for
// whoever reads the table.
func (db *DB) ClaimRun(ctx context.Context, name string, now time.Time, every time.Duration) (claimed bool, err error) {
	defer errs.Wrap(&err, "store.ClaimRun(%s)", name)
	err = db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1,$2,$3)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
			WHERE settings.updated_at <= $4`, name, now.UTC().Format(time.RFC3339Nano), now, now.Add(-every))
		if err != nil {
			return fmt.Errorf("claim run: %w", err)
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	return claimed, err
}

// RetryRun makes the periodic job name due again at retryAt, when the run
// this node claimed at claimedAt failed: its recorded last run moves back to
// a period before retryAt, so that a failed run is tried again soon rather
// than a whole period later. A claim another node has made since is left as
// it is.
func (db *DB) RetryRun(ctx context.Context, name string, claimedAt, retryAt time.Time, every time.Duration) (err error) {
	defer errs.Wrap(&err, "store.RetryRun(%s)", name)
	due := retryAt.Add(-every)
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE settings SET value = $3, updated_at = $4 WHERE name = $1 AND updated_at = $2`,
			name, claimedAt, due.UTC().Format(time.RFC3339Nano), due)
		if err != nil {
			return fmt.Errorf("move the last run back: %w", err)
		}
		return nil
	})
}

// PutSetting writes a named setting.
func (db *DB) PutSetting(ctx context.Context, name, value string, now time.Time) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1,$2,$3)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, name, value, now)
		if err != nil {
			return fmt.Errorf("write setting %s: %w", name, err)
		}
		return nil
	})
}
