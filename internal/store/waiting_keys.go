package store

import (
	"context"
	"fmt"
	"sync"
)

// waitingKeys is, on SQLite, what the process knows of the orders and
// waybills that inventories in status 120 name: how many such inventories
// name each key. MarkWaiting runs its UPDATE only for a key counted here, so
// a document stored before its inventory (the usual order: order, payment,
// waybill, then the inventory) costs the single writer no statement.
//
// It can only be kept on SQLite, where one process owns the data folder
// (SQLite has one node: it always leads, see Leader) and every inventory is
// written through InsertInventory or UpdateInventory of this *DB. Nothing
// enforces that ownership (there is no lock file); the commands that open the
// folder beside a running server (enterprise, tariff, list, product, officer,
// line, export, trace) write no inventories. On PostgreSQL other nodes write
// inventories too, so MarkWaiting always asks the database.
//
// A count rises at once, in the transaction that makes an inventory wait on
// a key (the next transaction, which may begin before this one's
// after-commit work has run, must see it), and is taken back if that write
// is rolled back. It falls only once the transaction that moved the
// inventory out of 120, or off the key, has committed (Tx.AfterCommit). So
// a key is counted at least as long as a stored inventory in 120 names it;
// a key counted a little longer only costs a statement that matches nothing.
//
// Memory: one entry per order key and per waybill key of the inventories in
// status 120 (waiting for documents, or woken and pending): entries fall to
// zero and go when their inventories are decided.
type waitingKeys struct {
	mu     sync.Mutex
	counts map[waitKey]int
}

// waitKey is an order (ebp_code, order_no) or a waybill (logistics_code,
// logistics_no), as MarkWaiting names them.
type waitKey struct {
	byOrder bool
	k1, k2  string
}

// keysOf returns the keys an inventory with this status and keys waits on:
// none unless it is in status 120.
func keysOf(status, ebpCode, orderNo, logisticsCode, logisticsNo string) []waitKey {
	if status != "120" {
		return nil
	}
	return []waitKey{{true, ebpCode, orderNo}, {false, logisticsCode, logisticsNo}}
}

func (w *waitingKeys) has(k waitKey) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.counts[k] > 0
}

// add counts keys once more each.
func (w *waitingKeys) add(keys []waitKey) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range keys {
		w.counts[k]++
	}
}

// remove counts keys once less each, forgetting those no inventory names any more.
func (w *waitingKeys) remove(keys []waitKey) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range keys {
		if w.counts[k] <= 1 {
			delete(w.counts, k)
		} else {
			w.counts[k]--
		}
	}
}

// loadWaitingKeys counts, on SQLite, the keys of the inventories in status
// 120 (the partial index inventories_waiting finds them) and from then on
// keeps the count; Migrate calls it, once the table is there. It reads in a
// write transaction, so no other write runs between the reading and the
// count taking over, and does nothing when the count is already kept.
func (db *DB) loadWaitingKeys(ctx context.Context) error {
	if db.Engine != SQLite || db.waiting.Load() != nil {
		return nil
	}
	return db.InTx(ctx, func(t *Tx) error {
		rows, err := t.Query(ctx, `SELECT ebp_code, order_no, logistics_code, logistics_no FROM inventories WHERE status = '120'`)
		if err != nil {
			return fmt.Errorf("read the keys of waiting inventories: %w", err)
		}
		defer rows.Close()
		w := &waitingKeys{counts: map[waitKey]int{}}
		for rows.Next() {
			var ebp, order, lcode, lno string
			if err := rows.Scan(&ebp, &order, &lcode, &lno); err != nil {
				return fmt.Errorf("read the keys of waiting inventories: %w", err)
			}
			w.add(keysOf("120", ebp, order, lcode, lno))
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read the keys of waiting inventories: %w", err)
		}
		db.waiting.Store(w)
		return nil
	})
}

// noteWaiting tells the count that an inventory's row, which waited on the
// keys before (as read or last written), now waits on the keys after.
func (t *Tx) noteWaiting(before, after []waitKey) {
	w := t.db.waiting.Load()
	if w == nil {
		return
	}
	if added := missingFrom(after, before); len(added) > 0 {
		w.add(added)
		t.onRollbackDo(func() { w.remove(added) })
	}
	if gone := missingFrom(before, after); len(gone) > 0 {
		t.AfterCommit(func() { w.remove(gone) })
	}
}

// missingFrom returns the keys of a that are not in b.
func missingFrom(a, b []waitKey) []waitKey {
	var out []waitKey
next:
	for _, k := range a {
		for _, o := range b {
			if k == o {
				continue next
			}
		}
		out = append(out, k)
	}
	return out
}
