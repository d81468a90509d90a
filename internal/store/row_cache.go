package store

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// rowCache keeps, on SQLite, the inventories and the orders, payments and
// waybills this process has just written for the engine to judge, as
// written, with the value their JSON was made from (Inventory.Value,
// Document.Value): the engine takes them (InventoryToJudge,
// DocumentsToJudge) instead of reading back, unpacking and decoding rows
// intake wrote a moment before.
//
// A reader never gets a value older than the committed row:
//   - every statement that writes a cached row notes it where the SQL is
//     (Tx.cacheRow): its entry goes at once, before the commit, and the write
//     owns the key's slot under a new generation;
//   - the value is put in the slot only after the commit, and only if the
//     slot still belongs to that write: a later write of the row, even in the
//     same transaction or one that began after this one committed but before
//     its after-commit work ran, has taken the slot over;
//   - a rollback (of the transaction or of a savepoint) empties the slots
//     its writes own, and nothing of it is ever filled.
//
// It can only be kept where one process writes the rows: on SQLite, which
// one process owns (see waitingKeys for that ownership). On PostgreSQL other
// nodes write the same rows, and a document replaced by another node would
// not drop this node's entry; the engine's stale check (ErrStale) would not
// catch it either when the inventory was read after that node's wake-up had
// bumped its version. So there is none on PostgreSQL (db.rows is nil).
//
// Memory: an entry is taken out when read; entries never read (an order
// whose inventory never comes) go oldest first beyond rowCacheLimit.
type rowCache struct {
	mu    sync.Mutex
	gen   uint64
	slots map[rowKey]*rowSlot
	// filled lists the keys of filled slots, oldest first, for eviction.
	filled *list.List
	limit  int
}

// rowKey names a cached row: an inventory by id (kind "inventory", k2 ""),
// a document by its kind and keys.
type rowKey struct{ kind, k1, k2 string }

const inventoryKind = "inventory"

// rowSlot is one key's slot: owned by the write of generation gen, and
// holding that write's row (an *Inventory or a *Document) once it committed.
type rowSlot struct {
	gen  uint64
	row  any
	elem *list.Element // in filled; nil until filled
}

// rowCacheLimit bounds the filled entries: a few thousand declarations
// waiting for the engine, some 3 KB each.
const rowCacheLimit = 8192

func newRowCache(limit int) *rowCache {
	return &rowCache{slots: map[rowKey]*rowSlot{}, filled: list.New(), limit: limit}
}

// claim drops k's entry and gives its slot to a new write, whose generation it returns.
func (c *rowCache) claim(k rowKey) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.slots[k]; s != nil && s.elem != nil {
		c.filled.Remove(s.elem)
	}
	c.gen++
	c.slots[k] = &rowSlot{gen: c.gen}
	return c.gen
}

// settle ends the write gen of k: its row becomes the entry if the slot is
// still that write's, or, with row nil, the slot is let go.
func (c *rowCache) settle(k rowKey, gen uint64, row any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.slots[k]
	if s == nil || s.gen != gen || s.elem != nil {
		return // written again since (or already settled)
	}
	if row == nil {
		delete(c.slots, k)
		return
	}
	s.row, s.elem = row, c.filled.PushBack(k)
	for c.filled.Len() > c.limit {
		oldest := c.filled.Remove(c.filled.Front()).(rowKey)
		delete(c.slots, oldest)
	}
}

// take returns and removes the entries of keys, all of them or, when one
// is missing or there is no cache (PostgreSQL), none (nil).
func (c *rowCache) take(keys ...rowKey) []any {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if s := c.slots[k]; s == nil || s.elem == nil {
			return nil
		}
	}
	rows := make([]any, len(keys))
	for i, k := range keys {
		s := c.slots[k]
		c.filled.Remove(s.elem)
		delete(c.slots, k)
		rows[i] = s.row
	}
	return rows
}

// peek returns the entry of k, leaving it for take: the committed row, when
// no write has claimed its slot since (nil otherwise, or with no cache).
func (c *rowCache) peek(k rowKey) any {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.slots[k]; s != nil && s.elem != nil {
		return s.row
	}
	return nil
}

// cacheRow is called by every statement that writes an inventory or a
// document, for the row it writes: its entry is dropped at once, and row
// (nil when it is not to be cached) becomes the entry after the commit
// unless the row is written again meanwhile.
func (t *Tx) cacheRow(k rowKey, row any) {
	c := t.db.rows
	if c == nil {
		return
	}
	gen := c.claim(k)
	t.onRollbackDo(func() { c.settle(k, gen, nil) })
	t.AfterCommit(func() { c.settle(k, gen, row) })
}

// cacheInventory notes a write of v: kept when it waits to be judged and its
// writer gave the value of its JSON.
func (t *Tx) cacheInventory(v *Inventory) {
	if t.db.rows == nil {
		return
	}
	var row any
	if v.Pending && v.Value != nil {
		cp := *v
		cp.WaitUntil, cp.CreatedAt, cp.UpdatedAt = asStored(v.WaitUntil), asStored(v.CreatedAt), asStored(v.UpdatedAt)
		cp.ReleasedAt, cp.RiskCountedAt = storedPtr(v.ReleasedAt), storedPtr(v.RiskCountedAt)
		row = &cp
	}
	t.cacheRow(rowKey{inventoryKind, v.ID, ""}, row)
}

// judgedKinds are the documents the engine reads with an inventory (DocumentsFor).
var judgedKinds = map[string]bool{"order": true, "payment": true, "waybill": true}

// cacheDocument notes a write of d: kept when it is live, of a kind the
// engine reads, and its writer gave the value of its JSON.
func (t *Tx) cacheDocument(d *Document) {
	if t.db.rows == nil {
		return
	}
	var row any
	if d.Value != nil && !d.Deleted && judgedKinds[d.Kind] {
		cp := *d
		cp.CreatedAt, cp.UpdatedAt = asStored(d.CreatedAt), asStored(d.UpdatedAt)
		row = &cp
	}
	t.cacheRow(rowKey{d.Kind, d.K1, d.K2}, row)
}

// cachedDocument is a document's committed row, from the cache when it
// holds it (nil otherwise). The writer's reads of documents (a payment's
// order, to see which firm it names) then cost no statement, unpacking or
// decoding for the documents just written. A filled slot is the row as
// committed: a write since, in this transaction too, would have emptied it.
// The row is given as a read returns it, without the Value the engine takes,
// so that a caller that replaces Data cannot leave the two apart. Its Data is
// the cached entry's own bytes, as the engine's take gives them: read them,
// never change them in place (intake's readers only decode them).
func (t *Tx) cachedDocument(kind, k1, k2 string) *Document {
	d, ok := t.db.rows.peek(rowKey{kind, k1, k2}).(*Document)
	if !ok {
		return nil
	}
	return &Document{Kind: d.Kind, K1: d.K1, K2: d.K2, OrderNo: d.OrderNo, Sender: d.Sender, AppType: d.AppType, Deleted: d.Deleted,
		ContentHash: d.ContentHash, Data: d.Data, MessageID: d.MessageID, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// asStored is t as a read of the row returns it (SQLite: UTC, whole microseconds).
func asStored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func storedPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	s := asStored(*t)
	return &s
}

// InventoryToJudge is Inventory for the engine: the row as this process
// wrote it, taken from the cache (rowCache) while it is the stored row, or
// else read. Its Value, when set, is its Data decoded.
func (db *DB) InventoryToJudge(ctx context.Context, id string) (*Inventory, error) {
	if rows := db.rows.take(rowKey{inventoryKind, id, ""}); rows != nil {
		return rows[0].(*Inventory), nil
	}
	return db.Inventory(ctx, id)
}

// DocumentsToJudge is DocumentsFor for the engine: the three documents as
// this process wrote them, taken from the cache (rowCache) when it holds all
// three, or else read. The Value of each, when set, is its Data decoded.
func (db *DB) DocumentsToJudge(ctx context.Context, ebpCode, orderNo, logisticsCode, logisticsNo string) (order, payment, waybill *Document, err error) {
	rows := db.rows.take(rowKey{"order", ebpCode, orderNo}, rowKey{"payment", ebpCode, orderNo}, rowKey{"waybill", logisticsCode, logisticsNo})
	if rows != nil {
		return rows[0].(*Document), rows[1].(*Document), rows[2].(*Document), nil
	}
	return db.DocumentsFor(ctx, ebpCode, orderNo, logisticsCode, logisticsNo)
}
