package store

import (
	"context"
	"fmt"
	"time"
)

// CreditState reads an enterprise's credit class and market-regulator list
// flags in the transaction; errs NotFound when it is not registered.
func CreditState(ctx context.Context, tx *Tx, code string) (class string, abnormal, serious bool, err error) {
	err = tx.QueryRow(ctx, `SELECT credit_class, abnormal_list, serious_violation_list FROM enterprises WHERE code = $1`, code).
		Scan(&class, &abnormal, &serious)
	return class, abnormal, serious, classify(err)
}

// SetCreditState writes an enterprise's credit class and list flags in the
// transaction (credit records of the departments, package risk).
func SetCreditState(ctx context.Context, tx *Tx, code, class string, abnormal, serious bool, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE enterprises SET credit_class = $2, abnormal_list = $3, serious_violation_list = $4, updated_at = $5 WHERE code = $1`,
		code, class, abnormal, serious, now)
	if err != nil {
		return fmt.Errorf("set credit of %s: %w", code, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("set credit of %s: not registered", code)
	}
	return nil
}
