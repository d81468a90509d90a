package store

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// Rows that nearly every bonded or guaranteed release changes, an item's
// stock and a guarantor's balance, are few: a popular item is in a large
// share of the parcels. Locked from the start of the transaction that
// changes them (an advisory lock named by HotRow), such a row is held for
// all of its batch's round trips, and every batch that names it waits for
// that whole batch: with the database a millisecond away, the writers then
// run one after the other (docs/performance.md).
//
// On PostgreSQL a keyed batch therefore reads these rows without locking
// them, decides on what it read, and leaves its changes to them for the
// end: at commit they are sent in the order of their rows' keys, each
// required to change exactly one row, ahead of the feed's numbers and
// COMMIT, so that the rows are held for about one round trip. The rows'
// CHECK constraints (stock on hand ≥ reserved ≥ 0, a balance ≥ 0) are the
// guard: when another writer took what was read meanwhile, a change fails,
// the batch is undone, and the job whose change failed runs again with its
// rows locked from the start and changed at once (Batcher.write), which
// decides on what the rows hold then. Rows named by CommitRow are locked by
// an advisory lock only in such a rerun.
//
// Inside the transaction a read of such a row adds what the transaction has
// already left for the end (pending), so that two jobs of one batch do not
// both take the last of a stock.
//
// SQLite's one writer holds no row for another: there every change is made
// at once.

// commitRowKind marks a key built by CommitRow.
const commitRowKind = "\x01"

// CommitRow names, for DoKeys and DoFirst, a row that a keyed batch changes
// at commit (see above): locked from the start of a transaction only when
// the batch runs again after one of its changes failed.
func CommitRow(kind string, parts ...string) string {
	return commitRowKind + HotRow(kind, parts...)
}

// splitCommitRows separates the keys named by CommitRow from the others.
func splitCommitRows(keys []string) (hot, atCommit []string) {
	for _, k := range keys {
		if strings.HasPrefix(k, commitRowKind) {
			atCommit = append(atCommit, k)
		} else {
			hot = append(hot, k)
		}
	}
	return hot, atCommit
}

// commitWrite is a change of a row left for the commit: q changes the row
// named key (CommitRow's form), and delta is what it adds to the quantity
// that reads of the row check (the stock available, a balance).
type commitWrite struct {
	key   string
	delta int64
	q     queued
}

// errCommitRowChanged: a change left for the commit did not change exactly
// one row, or broke the row's CHECK. What it read has changed since.
var errCommitRowChanged = errors.New("a row changed at commit no longer holds what was read")

// defersRows tells whether changes of the rows named by CommitRow wait for
// the commit in this transaction.
func (t *Tx) defersRows() bool { return t.conn != nil && t.deferRows }

// atCommit leaves a change of the row named key for the commit (see above).
func (t *Tx) atCommit(key string, delta int64, name, query string, args ...any) error {
	if t.broken != nil {
		return t.broken
	}
	t.db.writer.statements.Add(1)
	t.commitWrites = append(t.commitWrites, commitWrite{key: key, delta: delta,
		q: queued{name: name, query: query, args: args, job: t.job, one: true}})
	return nil
}

// pending is what the changes of the row named key left for the commit add
// to the quantity its reads check.
func (t *Tx) pending(key string) int64 {
	var sum int64
	for _, w := range t.commitWrites {
		if w.key == key {
			sum += w.delta
		}
	}
	return sum
}

// writeCommitRows queues the changes left for the commit, in the order of
// their rows' keys (each row's own changes in the order they were made), so
// that writers changing the same rows lock them in the same order. Unless
// the feed's numbering sends them with its first statement, they are sent
// now: their results must be known before COMMIT.
func (t *Tx) writeCommitRows(ctx context.Context) error {
	if len(t.commitWrites) == 0 {
		return nil
	}
	ws := t.commitWrites
	t.commitWrites = nil
	slices.SortStableFunc(ws, func(a, b commitWrite) int { return strings.Compare(a.key, b.key) })
	for _, w := range ws {
		t.queue = append(t.queue, w.q)
	}
	if len(t.feed) > 0 {
		return nil
	}
	return t.flush(ctx)
}

// PendingStock is what this transaction has left for the commit on the
// stock available of item of book emsNo (reserved, given back, moved):
// a read of the item adds it to see the stock as the transaction will
// leave it. Zero where changes are made at once.
func (t *Tx) PendingStock(emsNo, item string) int64 { return t.pending(BondedItemRow(emsNo, item)) }
