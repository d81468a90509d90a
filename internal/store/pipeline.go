package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// On PostgreSQL every statement of a write transaction was one round trip
// between the writer and the server, and the transaction held its hot rows'
// locks for all of them. Most writes' results are not needed by the caller
// (rows inserted into the feed, counters added to, events recorded): those
// are queued in the Tx (later) and sent ahead of the next statement whose
// result is needed, pipelined with it in one round trip (pgx's batch on the
// writer's connection); what is still queued at the end goes with COMMIT.
// BEGIN and the batch's advisory locks are queued too, so that they travel
// with the transaction's first statement.
//
// A queued statement that fails fails the round trip that carried it, with
// its name; the transaction is then aborted on the server, so it is broken
// here too (Tx.broken): what runs next fails, and InTx, the batcher (which
// blames the job that queued it) and Savepoint report the queued
// statement's error and roll back.
//
// On SQLite statements are calls into the process: later runs the statement
// at once, as Exec.

// queued is a statement waiting in a transaction's queue.
type queued struct {
	name  string // what the statement does, for errors
	query string
	args  []any
	job   int // the batch's job that queued it (Tx.job)
	// commit: the statement is COMMIT, which PostgreSQL answers with
	// ROLLBACK for a transaction it could not commit.
	commit bool
	// one: the statement must change exactly one row (a change left for the
	// commit, see commit_rows.go).
	one bool
}

// queuedError is the failure of a queued statement: job is the batch's job
// that queued it, -1 for none (InTx's own work).
type queuedError struct {
	job int
	err error
}

func (e *queuedError) Error() string { return e.err.Error() }
func (e *queuedError) Unwrap() error { return e.err }

// later runs a statement whose result the caller does not need: at once on
// SQLite, queued on PostgreSQL. Its error names it as name, from later
// (SQLite) or from the statement or commit it is sent with.
func (t *Tx) later(ctx context.Context, name, query string, args ...any) error {
	if t.conn == nil {
		if _, err := t.Exec(ctx, query, args...); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	if t.broken != nil {
		return t.broken
	}
	t.db.writer.statements.Add(1)
	t.queue = append(t.queue, queued{name: name, query: query, args: args, job: t.job})
	return nil
}

// flush sends the queued statements and waits for them.
func (t *Tx) flush(ctx context.Context) error {
	_, _, err := t.pipe(ctx, nil, false)
	return err
}

// pipeExec runs a statement after the queued ones, in one round trip, and
// returns its command tag.
func (t *Tx) pipeExec(ctx context.Context, query string, args []any) (pgconn.CommandTag, error) {
	tag, _, err := t.pipe(ctx, &queued{query: query, args: args, job: t.job}, false)
	return tag, err
}

// pipeRows runs a query after the queued statements, in one round trip, and
// returns its rows, read whole.
func (t *Tx) pipeRows(ctx context.Context, query string, args []any) (*bufRows, error) {
	_, rows, err := t.pipe(ctx, &queued{query: query, args: args, job: t.job}, true)
	return rows, err
}

// pipe sends the queue, then last (when not nil), in one round trip, and
// returns last's result: its rows when wantRows, else its command tag. The
// error of last is returned as the server gave it, like that of a statement
// run alone; that of a queued statement is named and breaks the transaction,
// unless the statement is COMMIT or the server's answer was lost: the
// transaction may then have committed, and InTx treats it as a failed commit.
func (t *Tx) pipe(ctx context.Context, last *queued, wantRows bool) (pgconn.CommandTag, *bufRows, error) {
	if t.broken != nil {
		return pgconn.CommandTag{}, nil, t.broken
	}
	q := t.queue
	t.queue = nil
	if last != nil {
		q = append(q, *last)
	}
	if len(q) == 0 {
		return pgconn.CommandTag{}, nil, nil
	}
	t.db.writer.roundTrips.Add(1)
	t.sent++
	tag, rows, failed, err := sendBatch(ctx, t.conn, q, wantRows)
	if err == nil || (last != nil && failed == len(q)-1) {
		return tag, rows, err
	}
	name := "pipelined statements"
	job := t.job
	if failed >= 0 {
		name, job = q[failed].name, q[failed].job
	}
	if failed >= 0 && q[failed].one {
		err = fmt.Errorf("%w: %w", errCommitRowChanged, err)
	}
	err = &queuedError{job: job, err: fmt.Errorf("%s: %w", name, classify(err))}
	var pe *pgconn.PgError
	if !q[len(q)-1].commit || (failed >= 0 && !q[failed].commit && errors.As(err, &pe)) {
		t.broken = err
	}
	return tag, rows, err
}

// errCommitRolledBack: PostgreSQL answered COMMIT with ROLLBACK.
var errCommitRolledBack = errors.New("the server rolled the transaction back")

// sendBatch sends q over conn's pgx connection as one batch and reads the
// results in order, stopping at the first error; failed is its statement's
// index (-1 when no statement's result gave it). The last statement's rows
// are read whole when wantRows, else its command tag is returned.
func sendBatch(ctx context.Context, conn *sql.Conn, q []queued, wantRows bool) (tag pgconn.CommandTag, rows *bufRows, failed int, err error) {
	failed = -1
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("the writer's connection is a %T, not pgx's", dc)
		}
		b := &pgx.Batch{}
		for _, s := range q {
			b.Queue(s.query, s.args...)
		}
		br := c.Conn().SendBatch(ctx, b)
		for i, s := range q {
			var err error
			if wantRows && i == len(q)-1 {
				rows, err = readRows(br, c.Conn().TypeMap())
			} else {
				tag, err = br.Exec()
				if err == nil && s.commit && tag.String() != "COMMIT" {
					err = errCommitRolledBack
				}
				if err == nil && s.one && tag.RowsAffected() != 1 {
					err = fmt.Errorf("%d rows changed, not 1", tag.RowsAffected())
				}
			}
			if err != nil {
				failed = i
				_ = br.Close()
				return err
			}
		}
		return br.Close()
	})
	return tag, rows, failed, err
}

// readRows reads the next result of br whole: the statements of the batch
// are all sent, and what a write transaction reads is small.
func readRows(br pgx.BatchResults, m *pgtype.Map) (*bufRows, error) {
	rs, err := br.Query()
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := &bufRows{m: m, fields: append([]pgconn.FieldDescription(nil), rs.FieldDescriptions()...), at: -1}
	for rs.Next() {
		raw := rs.RawValues()
		row := make([][]byte, len(raw))
		for i, v := range raw {
			row[i] = bytes.Clone(v) // nil stays nil: NULL
		}
		out.rows = append(out.rows, row)
	}
	rs.Close()
	return out, rs.Err()
}

// bufRows are rows read whole (readRows), scanned as pgx scans them.
type bufRows struct {
	m      *pgtype.Map
	fields []pgconn.FieldDescription
	rows   [][][]byte
	at     int
}

func (r *bufRows) Next() bool {
	if r.at < len(r.rows) {
		r.at++
	}
	return r.at < len(r.rows)
}

func (r *bufRows) Scan(dest ...any) error {
	if r.at < 0 || r.at >= len(r.rows) {
		return errors.New("scan: no row")
	}
	if len(dest) != len(r.fields) {
		return fmt.Errorf("scan: %d destinations for %d columns", len(dest), len(r.fields))
	}
	for i, d := range dest {
		if d == nil {
			continue
		}
		f := r.fields[i]
		if err := r.m.Scan(f.DataTypeOID, f.Format, r.rows[r.at][i], d); err != nil {
			return fmt.Errorf("scan column %s: %w", f.Name, err)
		}
	}
	return nil
}

func (r *bufRows) Close() error { return nil }
func (r *bufRows) Err() error   { return nil }

// bufRow is the first of rows, or err; like *sql.Row, Scan gives
// sql.ErrNoRows when there is no row.
type bufRow struct {
	rows *bufRows
	err  error
}

func (r *bufRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	if !r.rows.Next() {
		return sql.ErrNoRows
	}
	return r.rows.Scan(dest...)
}

// tagResult is a command tag as a sql.Result.
type tagResult pgconn.CommandTag

func (r tagResult) LastInsertId() (int64, error) {
	return 0, errors.New("LastInsertId is not supported by PostgreSQL")
}

func (r tagResult) RowsAffected() (int64, error) { return pgconn.CommandTag(r).RowsAffected(), nil }
