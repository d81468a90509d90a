package store

import (
	"context"
	"fmt"
	"time"
)

// BondedTally is a tally (理货) of a zone operator as stored: Items and
// Differences are the JSON the bonded package writes; EntryNo is "" and
// DeclaredAt nil until an entry declares it. Tally numbers are each
// operator's own.
type BondedTally struct {
	TallyNo, EmsNo, OperatorCode, Items string
	Deadline                            time.Time
	EntryNo, Differences                string
	CreatedAt                           time.Time
	DeclaredAt                          *time.Time
}

// BondedTallyFilter selects tallies: of one operator unless Operator is "";
// when OverdueAt is set, only those overdue at that instant (not declared by
// then and past their deadline, or declared after it); with Differences,
// only those whose entry differed from them.
type BondedTallyFilter struct {
	Operator    string
	OverdueAt   time.Time
	Differences bool
}

const bondedTallyColumns = `tally_no, ems_no, operator_code, items, deadline, entry_no, differences, created_at, declared_at`

func scanBondedTally(row Scanner) (*BondedTally, error) {
	var t BondedTally
	var deadline, created Time
	var declared NullTime
	if err := row.Scan(&t.TallyNo, &t.EmsNo, &t.OperatorCode, &t.Items, &deadline, &t.EntryNo, &t.Differences, &created, &declared); err != nil {
		return nil, classify(err)
	}
	t.Deadline, t.CreatedAt = deadline.Time, created.Time
	if declared.Valid {
		t.DeclaredAt = &declared.Time.Time
	}
	return &t, nil
}

// InsertBondedTally stores a tally; a Conflict error when its operator has
// recorded a tally of that number already.
func (t *Tx) InsertBondedTally(ctx context.Context, tl *BondedTally) error {
	_, err := t.Exec(ctx, `INSERT INTO bonded_tallies (`+bondedTallyColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		tl.TallyNo, tl.EmsNo, tl.OperatorCode, tl.Items, tl.Deadline, tl.EntryNo, tl.Differences, tl.CreatedAt, tl.DeclaredAt)
	if err != nil {
		return fmt.Errorf("store tally %s of %s: %w", tl.TallyNo, tl.OperatorCode, err)
	}
	return nil
}

// BondedTally reads operator's tally no in the transaction; a NotFound error
// when there is none.
func (t *Tx) BondedTally(ctx context.Context, operator, no string) (*BondedTally, error) {
	tl, err := scanBondedTally(t.QueryRow(ctx, `SELECT `+bondedTallyColumns+` FROM bonded_tallies WHERE tally_no = $1 AND operator_code = $2`, no, operator))
	if err != nil {
		return nil, fmt.Errorf("read tally %s of %s: %w", no, operator, err)
	}
	return tl, nil
}

// BondedTalliesNumbered lists, by operator, at most two tallies numbered no:
// operator's own, or with operator "" those of every operator, so that the
// caller can tell one from several.
func (db *DB) BondedTalliesNumbered(ctx context.Context, operator, no string) ([]BondedTally, error) {
	rows, err := db.Query(ctx, `SELECT `+bondedTallyColumns+` FROM bonded_tallies WHERE tally_no = $1 AND ($2 = '' OR operator_code = $2)
		ORDER BY operator_code LIMIT 2`, no, operator)
	if err != nil {
		return nil, fmt.Errorf("read tally %s: %w", no, err)
	}
	ts, err := collect(rows, scanBondedTally)
	if err != nil {
		return nil, fmt.Errorf("read tally %s: %w", no, err)
	}
	return ts, nil
}

// BondedTallies lists at most 1000 tallies f selects, newest first.
func (db *DB) BondedTallies(ctx context.Context, f BondedTallyFilter) ([]BondedTally, error) {
	q, args := `SELECT `+bondedTallyColumns+` FROM bonded_tallies WHERE 1 = 1`, []any{}
	if f.Operator != "" {
		args = append(args, f.Operator)
		q += fmt.Sprintf(` AND operator_code = $%d`, len(args))
	}
	if !f.OverdueAt.IsZero() {
		args = append(args, f.OverdueAt)
		q += fmt.Sprintf(` AND ((declared_at IS NULL AND deadline < $%d) OR declared_at > deadline)`, len(args))
	}
	if f.Differences {
		q += ` AND differences <> '[]'`
	}
	rows, err := db.Query(ctx, q+` ORDER BY created_at DESC LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("list tallies: %w", err)
	}
	ts, err := collect(rows, scanBondedTally)
	if err != nil {
		return nil, fmt.Errorf("list tallies: %w", err)
	}
	return ts, nil
}

// DeclareBondedTally records that entry entryNo declared operator's tally no
// at at, with the differences (JSON) between the two.
func (t *Tx) DeclareBondedTally(ctx context.Context, operator, no, entryNo, differences string, at time.Time) error {
	if _, err := t.Exec(ctx, `UPDATE bonded_tallies SET entry_no = $2, differences = $3, declared_at = $4 WHERE tally_no = $1 AND operator_code = $5`,
		no, entryNo, differences, at, operator); err != nil {
		return fmt.Errorf("declare tally %s of %s: %w", no, operator, err)
	}
	return nil
}
