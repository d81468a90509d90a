package store

import (
	"context"
	"fmt"
	"github.com/cbec-platform/cbec/internal/errs"
	"time"
)

// CreditState reads an enterprise's credit class and market-regulator list
// flags in the transaction; errs NotFound when it is not registered.
func (t *Tx) CreditState(ctx context.Context, code string) (class string, abnormal, serious bool, err error) {
	err = t.QueryRow(ctx, `SELECT credit_class, abnormal_list, serious_violation_list FROM enterprises WHERE code = $1`, code).
		Scan(&class, &abnormal, &serious)
	if err != nil {
		return "", false, false, fmt.Errorf("credit of %s: %w", code, classify(err))
	}
	return class, abnormal, serious, nil
}

// SetCreditState writes an enterprise's credit class and list flags in the
// transaction (credit records of the departments, package risk).
func (t *Tx) SetCreditState(ctx context.Context, code, class string, abnormal, serious bool, now time.Time) (err error) {
	defer errs.Wrap(&err, "store.SetCreditState(%q)", code)
	res, err := t.Exec(ctx, `UPDATE enterprises SET credit_class = $2, abnormal_list = $3, serious_violation_list = $4, updated_at = $5 WHERE code = $1`,
		code, class, abnormal, serious, now)
	ok, err := changedOne(res, err, "set credit of "+code)
	if err == nil && !ok {
		err = fmt.Errorf("set credit of %s: not registered", code)
	}
	return err
}
