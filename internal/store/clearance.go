package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/receipt"
)

// Message is an accepted CEB message with the answer it was given.
type Message struct {
	ID         string
	Sender     string
	Guid       string
	Type       string
	ReceivedAt time.Time
	Body       []byte // sealed by the vault
	HTTPStatus int
	// Receipt is the answer's text, or empty when the answer is rebuilt from
	// the sender's feed: its guid ReceiptGuid, its documents' receipts those
	// numbered from ReceiptSeq, ReceiptCount of them.
	Receipt      string
	ReceiptGuid  string
	ReceiptSeq   int64
	ReceiptCount int
}

// MessageAnswer returns the answer given to a message, found false when the sender never sent that guid.
func (db *DB) MessageAnswer(ctx context.Context, sender, guid string) (status int, answer string, found bool, err error) {
	var m Message
	err = db.QueryRow(ctx, `SELECT http_status, receipt, receipt_guid, receipt_seq, receipt_count FROM messages WHERE sender = $1 AND guid = $2`,
		sender, guid).Scan(&m.HTTPStatus, &m.Receipt, &m.ReceiptGuid, &m.ReceiptSeq, &m.ReceiptCount)
	if err == sql.ErrNoRows {
		return 0, "", false, nil
	}
	if err != nil {
		return 0, "", false, fmt.Errorf("read message %s: %w", guid, classify(err))
	}
	if m.Receipt == "" && m.ReceiptCount > 0 {
		if m.Receipt, err = db.rebuildAnswer(ctx, sender, &m); err != nil {
			return 0, "", false, fmt.Errorf("answer of message %s: %w", guid, err)
		}
	}
	return m.HTTPStatus, m.Receipt, true, nil
}

// rebuildAnswer writes a message's answer from its documents' receipts.
func (db *DB) rebuildAnswer(ctx context.Context, sender string, m *Message) (string, error) {
	rows, err := db.Query(ctx, `SELECT message_type, return_status, return_info, fields, created_at FROM receipts
		WHERE enterprise_code = $1 AND seq >= $2 AND seq < $3 ORDER BY seq`, sender, m.ReceiptSeq, m.ReceiptSeq+int64(m.ReceiptCount))
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var typ string
	var at Time
	packed := make([]string, 0, m.ReceiptCount)
	statuses := make([]receipt.Status, 0, m.ReceiptCount)
	for rows.Next() {
		var p string
		var st receipt.Status
		if err := rows.Scan(&typ, &st.ReturnStatus, &st.ReturnInfo, &p, &at); err != nil {
			return "", err
		}
		if st.ReturnInfo, err = readInfo(st.ReturnInfo); err != nil {
			return "", err
		}
		packed, statuses = append(packed, p), append(statuses, st)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(packed) != m.ReceiptCount {
		return "", fmt.Errorf("%d of its %d receipts are in the feed", len(packed), m.ReceiptCount)
	}
	xml, err := receipt.Whole(typ, m.ReceiptGuid, packed, statuses, at.Time)
	return string(xml), err
}

// InsertMessage stores a message; a second message with the same sender and guid is a conflict.
func (t *Tx) InsertMessage(ctx context.Context, m *Message) error {
	_, err := t.Exec(ctx, `INSERT INTO messages (`+messageColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`, m.ID, m.Sender, m.Guid, m.Type, m.ReceivedAt, m.Body, m.HTTPStatus, m.Receipt,
		m.ReceiptGuid, m.ReceiptSeq, m.ReceiptCount)
	if err != nil {
		return fmt.Errorf("store message %s: %w", m.Guid, err)
	}
	return nil
}

// Document is a stored order, payment or waybill.
type Document struct {
	Kind        string
	K1, K2      string
	OrderNo     string
	Sender      string
	AppType     string
	Deleted     bool
	ContentHash string
	Data        []byte // JSON of the clearance document
	MessageID   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Value, when its writer sets it, is what Data is the JSON of (a
	// *clearance.Order, …): kept with the row in the row cache, never stored.
	// Whoever sets Data sets Value with it, or leaves it nil.
	Value any

	packed packedData // Data compressed, when made before the write (SetData)
}

// SetData sets the document's value, its JSON and the JSON's compressed
// form, made before the writer's transaction.
func (d *Document) SetData(j PackedJSON) { d.Value, d.Data = j.value, j.plain; d.packed.set(j) }

// documentColumns: Data is stored compressed in data_z (see packJSON); data
// holds the JSON of rows written before migration 00170 and is empty since.
const documentColumns = `kind, k1, k2, order_no, sender, app_type, deleted, content_hash, data, data_z, message_id, created_at, updated_at`

func scanDocument(row scanner) (*Document, error) {
	var d Document
	var data rowJSON
	var created, updated Time
	if err := row.Scan(&d.Kind, &d.K1, &d.K2, &d.OrderNo, &d.Sender, &d.AppType, &d.Deleted, &d.ContentHash, &data.text, &data.packed, &d.MessageID, &created, &updated); err != nil {
		return nil, classify(err)
	}
	var err error
	if d.Data, _, err = data.plain(d.held()); err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", d.Kind, d.K1, d.K2, err)
	}
	d.CreatedAt, d.UpdatedAt = created.Time, updated.Time
	return &d, nil
}

func (d *Document) args() []any {
	return []any{d.Kind, d.K1, d.K2, d.OrderNo, d.Sender, d.AppType, d.Deleted, d.ContentHash, "", d.packed.of(d.Data, d.held()), d.MessageID, d.CreatedAt, d.UpdatedAt}
}

// held are the values of the document's JSON that its key columns hold.
func (d *Document) held() []heldValue { return heldByDocument(d.Kind, d.K1, d.K2, d.OrderNo) }

// Document reads a document in the transaction, from the row cache when it
// holds the committed row (cachedDocument); nil when there is none.
func (t *Tx) Document(ctx context.Context, kind, k1, k2 string) (*Document, error) {
	if d := t.cachedDocument(kind, k1, k2); d != nil {
		return d, nil
	}
	d, err := scanDocument(t.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents WHERE kind = $1 AND k1 = $2 AND k2 = $3`, kind, k1, k2))
	if errs.KindOf(err) == errs.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %s/%s: %w", kind, k1, k2, err)
	}
	return d, nil
}

// Documents reads the documents of kind under keys: those the row cache
// holds as committed from it (cachedDocument), the others in one statement.
// A key with no document is left out of the map.
func (t *Tx) Documents(ctx context.Context, kind string, keys []WaitKey) (map[WaitKey]*Document, error) {
	out := make(map[WaitKey]*Document, len(keys))
	unread := keys[:0:0]
	for _, k := range keys {
		if d := t.cachedDocument(kind, k.K1, k.K2); d != nil {
			out[k] = d
		} else {
			unread = append(unread, k)
		}
	}
	if len(unread) == 0 {
		return out, nil
	}
	query, args := documentsQuery(kind, unread)
	rows, err := t.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read %d documents of kind %s: %w", len(unread), kind, err)
	}
	ds, err := collect(rows, scanDocument)
	if err != nil {
		return nil, fmt.Errorf("read %d documents of kind %s: %w", len(unread), kind, err)
	}
	for _, d := range ds {
		out[WaitKey{d.K1, d.K2}] = &d
	}
	return out, nil
}

// documentsQuery is Documents' statement: kind AND an OR of the keys, the
// obvious form, made SQLite look up the kind alone and read every document
// of it, since it does not carry the kind into each OR term; PostgreSQL did
// (a BitmapOr on the key). Joined to a list of the keys, each engine looks
// each one up by the whole primary key.
func documentsQuery(kind string, keys []WaitKey) (string, []any) {
	rows := make([]string, len(keys))
	args := []any{kind}
	for i, k := range keys {
		rows[i] = fmt.Sprintf("($%d, $%d)", 2*i+2, 2*i+3)
		args = append(args, k.K1, k.K2)
	}
	return `SELECT ` + documentColumns + ` FROM (VALUES ` + strings.Join(rows, ", ") + `) AS v CROSS JOIN documents d
		WHERE d.kind = $1 AND d.k1 = v.column1 AND d.k2 = v.column2`, args
}

// InsertDocument stores a document unless one of its kind and keys exists;
// inserted is false then, and nothing changed.
func (t *Tx) InsertDocument(ctx context.Context, d *Document) (inserted bool, err error) {
	stored, err := t.InsertNewDocuments(ctx, []*Document{d})
	if err != nil {
		return false, err
	}
	return stored[0], nil
}

// InsertNewDocuments stores documents new to the platform, several to a
// statement, and tells which it stored: one whose key is taken is left as it
// was and reported false, for the caller to treat as a document that exists.
// The documents' keys must differ.
//
// Almost every document is new, so a statement's count of rows stored says
// which: all of them. Only a statement that stored fewer reads its keys back
// (storedAmong). RETURNING the keys instead cost SQLite's single writer about
// 35 µs a declaration: the returned rows are kept aside until the statement
// ends, then scanned into strings.
func (t *Tx) InsertNewDocuments(ctx context.Context, ds []*Document) (stored []bool, err error) {
	stored = make([]bool, len(ds))
	next := 0
	err = eachInsert("documents", documentColumns, len(ds), writeRowsPerInsert, func(i int) []any { return ds[i].args() },
		` ON CONFLICT (kind, k1, k2) DO NOTHING`, func(query string, args []any) error {
			first := next
			part := ds[first : first+len(args)/documentWidth]
			next += len(part)
			res, err := t.Exec(ctx, query, args...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if int(n) == len(part) {
				for i := range part {
					stored[first+i] = true
				}
				return nil
			}
			return t.storedAmong(ctx, part, stored[first:first+len(part)])
		})
	if err != nil {
		if len(ds) == 1 {
			return nil, fmt.Errorf("store %s %s/%s: %w", ds[0].Kind, ds[0].K1, ds[0].K2, err)
		}
		return nil, fmt.Errorf("store %d documents: %w", len(ds), err)
	}
	for i, d := range ds {
		if stored[i] {
			t.cacheDocument(d)
		}
	}
	return stored, nil
}

// documentWidth is the number of documentColumns: the values of a row.
var documentWidth = len(strings.Split(documentColumns, ","))

// storedAmong tells which of ds a statement that skipped some of them as
// taken stored: those whose row now holds their message and content. A
// document whose key was taken before was stored by another message, as a
// message's documents are stored once (its id is new to each message).
func (t *Tx) storedAmong(ctx context.Context, ds []*Document, stored []bool) error {
	byKind := map[string][]WaitKey{}
	for _, d := range ds {
		byKind[d.Kind] = append(byKind[d.Kind], WaitKey{d.K1, d.K2})
	}
	now := map[string]map[WaitKey]*Document{}
	for kind, keys := range byKind {
		rows, err := t.Documents(ctx, kind, keys)
		if err != nil {
			return fmt.Errorf("read back which documents were stored: %w", err)
		}
		now[kind] = rows
	}
	for i, d := range ds {
		row := now[d.Kind][WaitKey{d.K1, d.K2}]
		stored[i] = row != nil && row.MessageID == d.MessageID && row.ContentHash == d.ContentHash
	}
	return nil
}

// PutDocument inserts or replaces a document.
func (t *Tx) PutDocument(ctx context.Context, d *Document) error {
	err := t.later(ctx, fmt.Sprintf("store %s %s/%s", d.Kind, d.K1, d.K2), `INSERT INTO documents (`+documentColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)
		ON CONFLICT (kind, k1, k2) DO UPDATE SET order_no = excluded.order_no, sender = excluded.sender,
		app_type = excluded.app_type, deleted = excluded.deleted, content_hash = excluded.content_hash,
		data = excluded.data, data_z = excluded.data_z, message_id = excluded.message_id, updated_at = excluded.updated_at`, d.args()...)
	if err != nil {
		return err
	}
	t.cacheDocument(d)
	return nil
}

// DocumentsFor reads the live (not deleted) order, payment and waybill of one inventory.
func (db *DB) DocumentsFor(ctx context.Context, ebpCode, orderNo, logisticsCode, logisticsNo string) (order, payment, waybill *Document, err error) {
	rows, err := db.Query(ctx, `SELECT `+documentColumns+` FROM documents
		WHERE NOT deleted AND ((kind IN ('order', 'payment') AND k1 = $1 AND k2 = $2) OR (kind = 'waybill' AND k1 = $3 AND k2 = $4))`,
		ebpCode, orderNo, logisticsCode, logisticsNo)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read documents of order %s: %w", orderNo, err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("read documents of order %s: %w", orderNo, err)
		}
		switch d.Kind {
		case "order":
			order = d
		case "payment":
			payment = d
		case "waybill":
			waybill = d
		}
	}
	return order, payment, waybill, rows.Err()
}

// Inventory is a stored inventory list with its clearance state.
type Inventory struct {
	ID                                       string
	AgentCode, CopNo                         string
	EbpCode, OrderNo, EbcCode                string
	LogisticsCode, LogisticsNo               string
	TradeMode, Sender                        string
	PreNo, InvtNo                            string
	Status, ReasonCode, ReasonInfo           string
	BuyerKey                                 string
	DutiableFen, DutyFen, CTFen, VATFen, Tax int64
	Regime                                   string
	Pending                                  bool
	WaitUntil                                time.Time
	Seed, AppType, ContentHash               string
	Data                                     []byte
	MessageID                                string
	Version                                  int64
	CreatedAt, UpdatedAt                     time.Time
	ReleasedAt                               *time.Time
	// RiskCountedAt is when package risk added the inventory to its history
	// counters; nil until then. It is written with the decision's own
	// update of the row, so that a second judgement (a rejected inventory
	// changed by its declarer) does not count the inventory again.
	RiskCountedAt *time.Time

	// Event, when set, is the step of its life this write records: Insert-
	// and UpdateInventory append it to the row's history and clear it.
	Event *Event
	// Value, when its writer sets it, is what Data is the JSON of (a
	// *clearance.Inventory): kept with the row in the row cache, never
	// stored. Whoever sets Data sets Value with it, or leaves it nil.
	Value any

	// packed is Data as read, last written or set (SetData) compressed: a
	// write that leaves Data as it was (a decision) stores these bytes again
	// instead of compressing anew.
	packed packedData
	// stored are the stored row's status and indexed columns, as read or
	// last written: the keys a write takes off the count of waitingKeys,
	// and whether an update may leave the indexed columns out
	// (UpdateInventory).
	stored storedKeys
}

// storedKeys are an inventory's status and the values of the columns its
// full indexes hold beyond its keys (inventories_order, inventories_waybill
// and the bonded look-up by invt_no).
type storedKeys struct {
	known  bool // false for an inventory neither read nor written
	status string
	indexed
}

type indexed struct{ ebpCode, orderNo, logisticsCode, logisticsNo, invtNo string }

// keys are v's status and indexed columns as it stands in memory.
func (v *Inventory) keys() storedKeys {
	return storedKeys{true, v.Status, indexed{v.EbpCode, v.OrderNo, v.LogisticsCode, v.LogisticsNo, v.InvtNo}}
}

// waitKeys are the keys an inventory with k waits on.
func (k storedKeys) waitKeys() []waitKey {
	return keysOf(k.status, k.ebpCode, k.orderNo, k.logisticsCode, k.logisticsNo)
}

const inventoryColumns = `id, agent_code, cop_no, ebp_code, order_no, ebc_code, logistics_code, logistics_no, trade_mode, sender,
	pre_no, invt_no, status, reason_code, reason_info, buyer_key, dutiable_fen, duty_fen, ct_fen, vat_fen, tax_fen, regime,
	pending, wait_until, seed, app_type, content_hash, data, data_z, message_id, version, created_at, updated_at, released_at, risk_counted_at`

func scanInventory(row scanner) (*Inventory, error) {
	var v Inventory
	var data rowJSON
	var wait, created, updated Time
	var released, counted NullTime
	err := row.Scan(&v.ID, &v.AgentCode, &v.CopNo, &v.EbpCode, &v.OrderNo, &v.EbcCode, &v.LogisticsCode, &v.LogisticsNo,
		&v.TradeMode, &v.Sender, &v.PreNo, &v.InvtNo, &v.Status, &v.ReasonCode, &v.ReasonInfo, &v.BuyerKey,
		&v.DutiableFen, &v.DutyFen, &v.CTFen, &v.VATFen, &v.Tax, &v.Regime, &v.Pending, &wait, &v.Seed, &v.AppType,
		&v.ContentHash, &data.text, &data.packed, &v.MessageID, &v.Version, &created, &updated, &released, &counted)
	if err != nil {
		return nil, classify(err)
	}
	var held []string
	if v.Data, held, err = data.plain(heldByInventory(&v)); err != nil {
		return nil, fmt.Errorf("inventory %s: %w", v.ID, err)
	}
	if data.packed != nil {
		v.packed = packedData{data.packed, string(v.Data), held}
	}
	v.WaitUntil, v.CreatedAt, v.UpdatedAt = wait.Time, created.Time, updated.Time
	v.stored = v.keys()
	if released.Valid {
		t := released.Time.Time
		v.ReleasedAt = &t
	}
	v.RiskCountedAt = counted.asRead()
	return &v, nil
}

// SetData sets the inventory's value, its JSON and the JSON's compressed
// form, made before the writer's transaction.
func (v *Inventory) SetData(j PackedJSON) { v.Value, v.Data = j.value, j.plain; v.packed.set(j) }

func (v *Inventory) args() []any {
	return []any{v.ID, v.AgentCode, v.CopNo, v.EbpCode, v.OrderNo, v.EbcCode, v.LogisticsCode, v.LogisticsNo, v.TradeMode, v.Sender,
		v.PreNo, v.InvtNo, v.Status, v.ReasonCode, v.ReasonInfo, v.BuyerKey, v.DutiableFen, v.DutyFen, v.CTFen, v.VATFen, v.Tax, v.Regime,
		v.Pending, v.WaitUntil, v.Seed, v.AppType, v.ContentHash, "", v.packed.of(v.Data, heldByInventory(v)), v.MessageID, v.Version, v.CreatedAt, v.UpdatedAt, v.ReleasedAt,
		v.RiskCountedAt}
}

// rowQuerier is what reads one row: a transaction or the read pool.
type rowQuerier interface {
	queryRow(ctx context.Context, query string, args ...any) Scanner
}

// findInventory reads the inventory matching where; nil when there is none.
func findInventory(ctx context.Context, q rowQuerier, what, where string, args ...any) (*Inventory, error) {
	v, err := scanInventory(q.queryRow(ctx, `SELECT `+inventoryColumns+` FROM inventories WHERE `+where, args...))
	if errs.KindOf(err) == errs.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read inventory %s: %w", what, err)
	}
	return v, nil
}

// mustFind is findInventory where absence is an error of the caller's input.
func mustFind(v *Inventory, err error, field, format string, args ...any) (*Inventory, error) {
	if err == nil && v == nil {
		return nil, errs.New(errs.NotFound, "inventory_not_found", field, format, args...)
	}
	return v, err
}

// liveByOrder and liveByWaybill pick the newest inventory that is not rejected.
const (
	liveByOrder   = `ebp_code = $1 AND order_no = $2 AND status <> '100' ORDER BY created_at DESC LIMIT 1`
	liveByWaybill = `logistics_code = $1 AND logistics_no = $2 AND status <> '100' ORDER BY created_at DESC LIMIT 1`
)

// InventoryForOrder returns the live inventory (not rejected) of an order in the transaction; nil when none.
func (t *Tx) InventoryForOrder(ctx context.Context, ebpCode, orderNo string) (*Inventory, error) {
	return findInventory(ctx, t, "of order "+orderNo, liveByOrder, ebpCode, orderNo)
}

// InventoryForWaybill returns the live inventory (not rejected) of a waybill in the transaction; nil when none.
func (t *Tx) InventoryForWaybill(ctx context.Context, logisticsCode, logisticsNo string) (*Inventory, error) {
	return findInventory(ctx, t, "of waybill "+logisticsNo, liveByWaybill, logisticsCode, logisticsNo)
}

// InventoryAndOrder reads, in one statement, the inventory of a declarer's
// copNo and the live inventory (not rejected, the newest) of an order: what a
// new inventory is checked against. Either is nil when there is none; both
// may be the same inventory.
func (t *Tx) InventoryAndOrder(ctx context.Context, agentCode, copNo, ebpCode, orderNo string) (byCopNo, ofOrder *Inventory, err error) {
	rows, err := t.Query(ctx, `SELECT `+inventoryColumns+` FROM inventories
		WHERE (agent_code = $1 AND cop_no = $2) OR (ebp_code = $3 AND order_no = $4 AND status <> '100') ORDER BY created_at DESC`,
		agentCode, copNo, ebpCode, orderNo)
	if err != nil {
		return nil, nil, fmt.Errorf("read inventory %s/%s: %w", agentCode, copNo, err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanInventory(rows)
		if err != nil {
			return nil, nil, fmt.Errorf("read inventory %s/%s: %w", agentCode, copNo, err)
		}
		if v.AgentCode == agentCode && v.CopNo == copNo {
			byCopNo = v
		}
		if ofOrder == nil && v.EbpCode == ebpCode && v.OrderNo == orderNo && v.Status != "100" {
			ofOrder = v
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read inventory %s/%s: %w", agentCode, copNo, err)
	}
	return byCopNo, ofOrder, nil
}

// InventoryByID reads an inventory in the transaction.
func (t *Tx) InventoryByID(ctx context.Context, id string) (*Inventory, error) {
	v, err := findInventory(ctx, t, id, `id = $1`, id)
	return mustFind(v, err, "id", "no inventory %s", id)
}

// Inventory reads one inventory by id.
func (db *DB) Inventory(ctx context.Context, id string) (*Inventory, error) {
	v, err := findInventory(ctx, db, id, `id = $1`, id)
	return mustFind(v, err, "id", "no inventory %s", id)
}

// InventoryByCopNo reads an inventory by its declarer and copNo.
func (db *DB) InventoryByCopNo(ctx context.Context, agentCode, copNo string) (*Inventory, error) {
	v, err := findInventory(ctx, db, agentCode+"/"+copNo, `agent_code = $1 AND cop_no = $2`, agentCode, copNo)
	return mustFind(v, err, "copNo", "no inventory %s of %s", copNo, agentCode)
}

// InsertInventory stores a new inventory.
func (t *Tx) InsertInventory(ctx context.Context, v *Inventory) error {
	err := t.later(ctx, "store inventory "+v.CopNo, `INSERT INTO inventories (`+inventoryColumns+`, events) VALUES
		($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$31,$32,$33,$34,$35,$36)`,
		append(v.args(), eventText(v.Event, v.CreatedAt))...)
	if err != nil {
		return err
	}
	v.Event = nil
	v.stored = v.keys()
	t.noteWaiting(nil, v.stored.waitKeys())
	t.cacheInventory(v)
	return nil
}

// ErrStale reports that an inventory changed since it was read; the caller reads it again.
var ErrStale = &errs.Error{Kind: errs.Conflict, Code: "stale", Message: "the inventory changed meanwhile"}

// InventoryVersions returns the stored version of each of the inventories
// ids, in one statement; an id with no row is left out. Read in a writer's
// transaction after its hot rows are locked, it tells which inventories
// changed since they were read, before anything is written for them.
func (t *Tx) InventoryVersions(ctx context.Context, ids []string) (map[string]int64, error) {
	out := make(map[string]int64, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i], args[i] = fmt.Sprintf("$%d", i+1), id
	}
	rows, err := t.Query(ctx, `SELECT id, version FROM inventories WHERE id IN (`+strings.Join(marks, ",")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read versions of %d inventories: %w", len(ids), err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, fmt.Errorf("read versions of %d inventories: %w", len(ids), err)
		}
		out[id] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read versions of %d inventories: %w", len(ids), err)
	}
	return out, nil
}

// UpdateInventory writes v if its version is still the stored one, and
// bumps v.Version; ErrStale when another writer got there first.
func (t *Tx) UpdateInventory(ctx context.Context, v *Inventory) error {
	u := &updateInventoryAll
	if v.stored.known && v.stored.indexed == v.keys().indexed {
		u = &updateInventoryKept
	}
	all := append(v.args(), eventText(v.Event, v.CreatedAt))
	a := make([]any, len(u.args))
	for i, k := range u.args {
		a[i] = all[k]
	}
	res, err := t.Exec(ctx, u.query, a...)
	if err != nil {
		return fmt.Errorf("update inventory %s: %w", v.CopNo, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrStale
	}
	v.Version++
	v.Event = nil
	// The version matched, so the row was as v was read or last written:
	// stored is what it waited on until now.
	t.noteWaiting(v.stored.waitKeys(), v.keys().waitKeys())
	v.stored = v.keys()
	t.cacheInventory(v)
	return nil
}

// An UPDATE that names an indexed column makes SQLite delete and insert that
// index's entry even when the value stays the same: a decision, which
// changes none of them, would rewrite three entries in indexes keyed by
// order and waybill numbers, spread over indexes that outgrow the cache. So
// there are two: one that sets every column, for a write that changed a
// key (a modification, appType 2), and one that leaves the indexed columns
// alone.
var (
	updateInventoryAll  = inventoryUpdate(true)
	updateInventoryKept = inventoryUpdate(false)
)

// updateStatement is an UPDATE and the positions, among an inventory's
// args() followed by its event's text, of the values it binds in order.
type updateStatement struct {
	query string
	args  []int
}

// inventoryUpdate builds the UPDATE of an inventory row: every column but
// its keys and created_at, the version checked and bumped, the event
// appended; with setKeys false, also without the indexed columns.
func inventoryUpdate(setKeys bool) updateStatement {
	cols := strings.Split(strings.Join(strings.Fields(inventoryColumns), ""), ",")
	pos := func(name string) int { return slices.Index(cols, name) }
	var u updateStatement
	param := func(k int) string {
		u.args = append(u.args, k)
		return fmt.Sprintf("$%d", len(u.args))
	}
	var set []string
	for i, c := range cols {
		switch c {
		case "id", "agent_code", "cop_no", "created_at", "version":
			continue
		case "ebp_code", "order_no", "logistics_code", "logistics_no", "invt_no":
			if !setKeys {
				continue
			}
		}
		set = append(set, c+"="+param(i))
	}
	version := param(pos("version"))
	set = append(set, "version="+version+"+1", "events=events || "+param(len(cols)))
	u.query = "UPDATE inventories SET " + strings.Join(set, ", ") + " WHERE id=" + param(pos("id")) +
		" AND agent_code=" + param(pos("agent_code")) + " AND cop_no=" + param(pos("cop_no")) + " AND version=" + version
	return u
}

// AddEvent records one step of an inventory's life, appended to its row's
// history (a write of the row itself records its step with it: Inventory.Event).
func (t *Tx) AddEvent(ctx context.Context, inventoryID string, at time.Time, status, code, info, actor string) error {
	line := eventText(&Event{At: at, Status: status, Code: code, Info: info, Actor: actor}, time.Time{}) // the row's created_at is not at hand
	if err := t.later(ctx, "record event of "+inventoryID, `UPDATE inventories SET events = events || $2 WHERE id = $1`, inventoryID, line); err != nil {
		return err
	}
	t.cacheRow(rowKey{inventoryKind, inventoryID, ""}, nil) // no cached field changed, but the row was written
	return nil
}

// Event is one step of an inventory's life.
type Event struct {
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	Code   string    `json:"code"`
	Info   string    `json:"info"`
	Actor  string    `json:"actor"`
}

// storedEvent is an event as its inventory's row keeps it: one JSON line in
// the events column (migration 00171), short names because every inventory
// repeats them. Its time is a number of microseconds after the row's
// created_at where the line is written with the row (about 50 bytes an
// inventory less than the time spelled out, which a line added on its own,
// AddEvent, and the lines written before keep: a string).
type storedEvent struct {
	At     json.RawMessage `json:"t"`
	Status string          `json:"s"`
	Code   string          `json:"c"`
	Info   string          `json:"i"`
	Actor  string          `json:"a"`
}

// eventText is the line appended to the events column for e, its time
// counted from created when created is not zero; "" for no event.
func eventText(e *Event, created time.Time) string {
	if e == nil {
		return ""
	}
	var at []byte
	if after := e.At.UnixMicro() - created.UnixMicro(); !created.IsZero() && after >= 0 {
		at = strconv.AppendInt(nil, after, 10)
	} else {
		at = strconv.AppendQuote(nil, e.At.UTC().Format(sqliteTime))
	}
	// Strings and a number only: Marshal cannot fail.
	b, _ := json.Marshal(storedEvent{At: at, Status: e.Status, Code: e.Code, Info: e.Info, Actor: e.Actor})
	return string(b) + "\n"
}

// parseEvents reads the events column of a row created at created.
func parseEvents(text string, created time.Time) ([]Event, error) {
	var out []Event
	for line := range strings.Lines(text) {
		var se storedEvent
		if err := json.Unmarshal([]byte(line), &se); err != nil {
			return nil, fmt.Errorf("stored event %q: %w", line, err)
		}
		at, err := se.at(created)
		if err != nil {
			return nil, fmt.Errorf("stored event %q: %w", line, err)
		}
		out = append(out, Event{At: at, Status: se.Status, Code: se.Code, Info: se.Info, Actor: se.Actor})
	}
	return out, nil
}

// at is the event's time: spelled out, or counted from created.
func (se *storedEvent) at(created time.Time) (time.Time, error) {
	var spelled string
	if err := json.Unmarshal(se.At, &spelled); err == nil {
		return time.Parse(time.RFC3339Nano, spelled)
	}
	var after int64
	if err := json.Unmarshal(se.At, &after); err != nil {
		return time.Time{}, fmt.Errorf("time %s: neither a time nor microseconds", se.At)
	}
	return time.UnixMicro(created.UnixMicro() + after).UTC(), nil
}

// Events lists an inventory's steps, oldest first: those recorded as rows of
// inventory_events (before migration 00171), then those in its row.
func (db *DB) Events(ctx context.Context, inventoryID string) ([]Event, error) {
	rows, err := db.Query(ctx, `SELECT at, status, code, info, actor FROM inventory_events WHERE inventory_id = $1 ORDER BY at`, inventoryID)
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", inventoryID, err)
	}
	out, err := collect(rows, func(r scanner) (*Event, error) {
		var e Event
		var at Time
		err := r.Scan(&at, &e.Status, &e.Code, &e.Info, &e.Actor)
		e.At = at.Time
		return &e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", inventoryID, err)
	}
	var text string
	var created Time
	err = db.QueryRow(ctx, `SELECT events, created_at FROM inventories WHERE id = $1`, inventoryID).Scan(&text, &created)
	if err != nil && err != sql.ErrNoRows {
		return nil, fmt.Errorf("read events of %s: %w", inventoryID, err)
	}
	inline, err := parseEvents(text, created.Time)
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", inventoryID, err)
	}
	if len(out) == 0 {
		return inline, nil
	}
	return append(out, inline...), nil
}

// WaitKey is the key of an order (ebpCode, orderNo) or a waybill
// (logisticsCode, logisticsNo) that inventories may wait on.
type WaitKey struct{ K1, K2 string }

// MarkWaiting flags the inventories waiting (status 120) on an order or a
// waybill for another evaluation, and returns their ids. It bumps their
// version, so that a judgement made before this document arrived cannot be
// written over the flag and lose the wake-up.
func (t *Tx) MarkWaiting(ctx context.Context, byOrder bool, k1, k2 string) ([]string, error) {
	return t.MarkWaitingAll(ctx, byOrder, []WaitKey{{k1, k2}})
}

// MarkWaitingAll is MarkWaiting for several orders or several waybills, in
// one statement.
//
// On SQLite it runs no statement for a key on which no inventory in status
// 120 waits (waitingKeys): the document usually comes before its inventory.
func (t *Tx) MarkWaitingAll(ctx context.Context, byOrder bool, keys []WaitKey) ([]string, error) {
	if w := t.db.waiting.Load(); w != nil {
		keys = slices.DeleteFunc(slices.Clone(keys), func(k WaitKey) bool { return !w.has(waitKey{byOrder, k.K1, k.K2}) })
	}
	if len(keys) == 0 {
		return nil, nil
	}
	c1, c2 := "ebp_code", "order_no"
	if !byOrder {
		c1, c2 = "logistics_code", "logistics_no"
	}
	conds := make([]string, len(keys))
	args := make([]any, 0, 2*len(keys))
	for i, k := range keys {
		conds[i] = fmt.Sprintf("(%s = $%d AND %s = $%d)", c1, 2*i+1, c2, 2*i+2)
		args = append(args, k.K1, k.K2)
	}
	rows, err := t.Query(ctx, `UPDATE inventories SET pending = TRUE, version = version + 1 WHERE (`+strings.Join(conds, " OR ")+`) AND status = '120' RETURNING id`, args...)
	if err != nil {
		which := keys[0].K1 + "/" + keys[0].K2
		if len(keys) > 1 {
			which += fmt.Sprintf(" and %d more", len(keys)-1)
		}
		return nil, fmt.Errorf("wake inventories of %s: %w", which, err)
	}
	ids, err := scanIDs(rows)
	for _, id := range ids {
		t.cacheRow(rowKey{inventoryKind, id, ""}, nil) // their version and pending flag changed
	}
	return ids, err
}

// PendingInventories returns up to limit inventories waiting for
// evaluation that were last written before before, oldest first.
func (db *DB) PendingInventories(ctx context.Context, before time.Time, limit int) ([]string, error) {
	return db.ids(ctx, `SELECT id FROM inventories WHERE pending AND updated_at < $1 ORDER BY updated_at LIMIT $2`, before, limit)
}

// OverdueInventories returns up to limit inventories still waiting for documents at now.
func (db *DB) OverdueInventories(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return db.ids(ctx, `SELECT id FROM inventories WHERE status = '120' AND wait_until < $1 ORDER BY wait_until LIMIT $2`, now, limit)
}

// InventoryIDsSince lists up to limit inventories declared at or after since, newest first.
func (db *DB) InventoryIDsSince(ctx context.Context, since time.Time, limit int) ([]string, error) {
	ids, err := db.ids(ctx, `SELECT id FROM inventories WHERE created_at >= $1 ORDER BY created_at DESC LIMIT $2`, since, limit)
	if err != nil {
		return nil, fmt.Errorf("inventories since %s: %w", since.Format(time.RFC3339), err)
	}
	return ids, nil
}

// WaitingInventoryIDs lists, in the transaction, the inventories waiting (status 120).
func (t *Tx) WaitingInventoryIDs(ctx context.Context) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT id FROM inventories WHERE status = '120'`)
	if err != nil {
		return nil, fmt.Errorf("inventories waiting: %w", err)
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("inventories waiting: %w", err)
	}
	return ids, nil
}

func (db *DB) ids(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

// scanIDs reads a one-column list of ids and closes the rows.
func scanIDs(rows Rows) ([]string, error) {
	return collect(rows, func(r scanner) (*string, error) {
		var id string
		return &id, r.Scan(&id)
	})
}

// NextSerial returns the next inventory serial number (for preNo and invtNo).
// The numbers must be unique, not consecutive (the CEB formats fix their
// width, nothing their sequence; docs/performance.md), so they come in blocks
// of serialBlock that a node hands out in memory: one statement per block, not
// one per inventory. On PostgreSQL a block is drawn from the
// inventory_serials sequence, which no transaction holds (a counter row would
// make every writer of every node wait for the one holding it until its
// commit). On SQLite, with one writer, it is drawn from the counter row in the
// writer's transaction; should that transaction (or the savepoint it was drawn
// in) be rolled back, the row goes back and so does the block (discard), so
// no number is given twice. Numbers of a rolled-back transaction or of a
// stopped node's unused block are skipped.
func (t *Tx) NextSerial(ctx context.Context) (int64, error) {
	if t.db.Engine == Postgres {
		return t.db.serials.next(func() (int64, error) {
			var end int64
			err := t.QueryRow(ctx, `SELECT nextval('inventory_serials')`).Scan(&end)
			return end, err
		})
	}
	return t.db.serials.next(func() (int64, error) {
		var end int64
		err := t.QueryRow(ctx, `UPDATE counters SET value = value + $1 WHERE name = 'inventory_serial' RETURNING value`, serialBlock).Scan(&end)
		if err == nil {
			// The row goes back with a rollback, and so must the block.
			t.drewSerials = true
			t.onRollbackDo(t.db.serials.discard)
		}
		return end, err
	})
}

// serialBlock is how many serials a node takes at a time: the sequence's
// INCREMENT BY on PostgreSQL (migration 00180), the counter's step on SQLite.
const serialBlock = 64

// serials is a node's current block of inventory serials.
type serials struct {
	mu        sync.Mutex
	last, end int64 // last handed out, last of the block
}

// next hands out a serial, drawing a new block's last number with draw when
// the block is used up. The lock is held while drawing: one draw per block.
func (s *serials) next(draw func() (int64, error)) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == s.end {
		end, err := draw()
		if err != nil {
			return 0, fmt.Errorf("next inventory serial block: %w", classify(err))
		}
		s.last, s.end = end-serialBlock, end
	}
	s.last++
	return s.last, nil
}

// discard drops the rest of the block, whose draw was rolled back (SQLite).
func (s *serials) discard() {
	s.mu.Lock()
	s.last = s.end
	s.mu.Unlock()
}

// Receipt is one receipt in an enterprise's feed.
type Receipt struct {
	Seq            int64     `json:"seq"`
	EnterpriseCode string    `json:"-"`
	MessageType    string    `json:"messageType"`
	CopNo          string    `json:"copNo"`
	OrderNo        string    `json:"orderNo"`
	ReturnStatus   string    `json:"returnStatus"`
	ReturnInfo     string    `json:"returnInfo"`
	XML            string    `json:"xml"`
	CreatedAt      time.Time `json:"createdAt"`
	// Packed, when set instead of XML, is the receipt in receipt.Pack's form:
	// stored so, and its text rebuilt on reading (receipt.Text).
	Packed string `json:"-"`
}

// AddReceipt puts a receipt in the outbox, in the transaction of the change it
// reports (numbered at commit, as AddReceipts).
func (t *Tx) AddReceipt(ctx context.Context, r *Receipt) error {
	return t.AddReceipts(ctx, []*Receipt{r})
}

// AddReceipts puts receipts of one enterprise in the outbox. They are
// numbered and written just before the transaction commits (numberFeed), so
// their Seq is set only then: see InsertAnsweredMessage for a row that
// points at them.
func (t *Tx) AddReceipts(ctx context.Context, rs []*Receipt) error {
	if len(rs) == 0 {
		return nil
	}
	code := rs[0].EnterpriseCode
	for _, r := range rs {
		if r.EnterpriseCode != code {
			return fmt.Errorf("store receipts: mixed enterprises %s and %s", code, r.EnterpriseCode)
		}
		if (r.XML == "") == (r.Packed == "") {
			return fmt.Errorf("store receipt %s of %s: give the text or the packed form, one of them", r.MessageType, r.CopNo)
		}
	}
	t.feed = append(t.feed, rs...)
	return nil
}

// InsertAnsweredMessage stores a message whose answer is rebuilt from its
// receipts in the feed, first the first of them (added with AddReceipts in
// this transaction): the row is written once they are numbered, before
// commit; a second message with the same sender and guid then fails the
// transaction with a conflict.
func (t *Tx) InsertAnsweredMessage(m *Message, first *Receipt) {
	t.answered = append(t.answered, answeredMessage{m, first})
}

// answeredMessage is a message row waiting for its first receipt's number.
type answeredMessage struct {
	m     *Message
	first *Receipt
}

// numberFeed numbers the transaction's receipts from their enterprises'
// counters, writes them, then the message rows that point at them. It runs
// last, just before commit, so that a counter's row, which stepping it locks
// until commit (PostgreSQL), is held for the commit and little else: writers
// of one enterprise's feed take their numbers in commit order, without gaps,
// and every receipt is visible before the next number is given. The counters
// are stepped in the order of their enterprise codes: a transaction waiting
// for one holds only counters before it, so two such never deadlock.
func (t *Tx) numberFeed(ctx context.Context) error {
	if len(t.feed) > 0 {
		if err := t.numberReceipts(ctx, t.feed); err != nil {
			return err
		}
		t.feed = t.feed[:0]
	}
	as := t.answered
	for _, a := range as {
		a.m.ReceiptSeq = a.first.Seq
	}
	// A guid stored meanwhile fails the insert, and the transaction: the
	// batcher then writes each job alone, and the copy's job gets its
	// conflict (as from InsertMessage).
	err := insertRows(ctx, t, "messages", messageColumns, len(as), writeRowsPerInsert, func(i int) []any {
		m := as[i].m
		return []any{m.ID, m.Sender, m.Guid, m.Type, m.ReceivedAt, m.Body, m.HTTPStatus, m.Receipt, m.ReceiptGuid, m.ReceiptSeq, m.ReceiptCount}
	}, "")
	if err != nil {
		return fmt.Errorf("store the messages answered: %w", err)
	}
	t.answered = t.answered[:0]
	return nil
}

// messageColumns are the columns of a message row.
const messageColumns = "id, sender, guid, msg_type, received_at, body, http_status, receipt, receipt_guid, receipt_seq, receipt_count"

// numberReceipts numbers the transaction's receipts, each enterprise's from
// one step of its counter, and writes them. The counters are stepped in one
// statement (for every writeRowsPerInsert enterprises), which takes their
// rows in the order of their codes, and the receipts are written together:
// two statements a transaction, not two an enterprise.
func (t *Tx) numberReceipts(ctx context.Context, feed []*Receipt) error {
	byCode := map[string][]*Receipt{}
	for _, r := range feed {
		byCode[r.EnterpriseCode] = append(byCode[r.EnterpriseCode], r)
	}
	codes := slices.Sorted(maps.Keys(byCode))
	last := make(map[string]int64, len(codes))
	err := eachInsert("receipt_counters", "enterprise_code, last_seq", len(codes), writeRowsPerInsert, func(i int) []any {
		return []any{codes[i], int64(len(byCode[codes[i]]))}
	}, ` ON CONFLICT (enterprise_code) DO UPDATE SET last_seq = receipt_counters.last_seq + excluded.last_seq
		RETURNING enterprise_code, last_seq`, func(query string, args []any) error {
		return t.stepCounters(ctx, query, args, last)
	})
	if err != nil {
		return fmt.Errorf("number the receipts of %s: %w", strings.Join(codes, ", "), err)
	}
	ordered := make([]*Receipt, 0, len(feed))
	for _, code := range codes {
		rs := byCode[code]
		seq, ok := last[code]
		if !ok {
			return fmt.Errorf("number the receipts of %s: its counter gave no number", code)
		}
		for i, r := range rs {
			r.Seq = seq - int64(len(rs)-1-i)
		}
		ordered = append(ordered, rs...)
	}
	infos := make([]string, len(ordered))
	for i, r := range ordered {
		if infos[i], err = storedInfo(r.ReturnInfo); err != nil {
			return fmt.Errorf("store receipt %s of %s: %w", r.MessageType, r.EnterpriseCode, err)
		}
	}
	err = insertRows(ctx, t, "receipts", "enterprise_code, seq, message_type, cop_no, order_no, return_status, return_info, xml, fields, created_at",
		len(ordered), writeRowsPerInsert, func(i int) []any {
			r := ordered[i]
			return []any{r.EnterpriseCode, r.Seq, r.MessageType, r.CopNo, r.OrderNo, r.ReturnStatus, infos[i], r.XML, r.Packed, r.CreatedAt}
		}, "")
	if err != nil {
		return fmt.Errorf("store the receipts of %s: %w", strings.Join(codes, ", "), err)
	}
	return nil
}

// stepCounters runs a step of receipt counters and notes each one's last number in last.
func (t *Tx) stepCounters(ctx context.Context, query string, args []any, last map[string]int64) error {
	rows, err := t.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	type counter struct {
		code string
		seq  int64
	}
	stepped, err := Collect(rows, func(r Scanner) (c counter, err error) { return c, r.Scan(&c.code, &c.seq) })
	if err != nil {
		return classify(err)
	}
	for _, c := range stepped {
		last[c.code] = c.seq
	}
	return nil
}

// writeRowsPerInsert bounds the rows of one multi-row insert on the write
// path. The SQLite driver looks up each parameter's name in a list as long
// as the statement's parameters, so binding costs the square of their
// number: 100 rows of 10 parameters spent more time binding than inserting.
const writeRowsPerInsert = 16

// Receipts lists an enterprise's receipts after seq, oldest first, each with its text.
func (db *DB) Receipts(ctx context.Context, enterpriseCode string, after int64, limit int) ([]Receipt, error) {
	rows, err := db.Query(ctx, `SELECT seq, message_type, cop_no, order_no, return_status, return_info, xml, fields, created_at
		FROM receipts WHERE enterprise_code = $1 AND seq > $2 ORDER BY seq LIMIT $3`, enterpriseCode, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read receipts of %s: %w", enterpriseCode, err)
	}
	defer rows.Close()
	out := []Receipt{}
	for rows.Next() {
		var r Receipt
		var at Time
		if err := rows.Scan(&r.Seq, &r.MessageType, &r.CopNo, &r.OrderNo, &r.ReturnStatus, &r.ReturnInfo, &r.XML, &r.Packed, &at); err != nil {
			return nil, fmt.Errorf("read receipts of %s: %w", enterpriseCode, err)
		}
		r.EnterpriseCode, r.CreatedAt = enterpriseCode, at.Time
		if r.ReturnInfo, err = readInfo(r.ReturnInfo); err != nil {
			return nil, fmt.Errorf("read receipt %d of %s: %w", r.Seq, enterpriseCode, err)
		}
		if r.Packed != "" {
			xml, err := receipt.Text(r.MessageType, r.Packed, receipt.Status{ReturnStatus: r.ReturnStatus, ReturnInfo: r.ReturnInfo}, r.CreatedAt)
			if err != nil {
				return nil, fmt.Errorf("read receipt %d of %s: %w", r.Seq, enterpriseCode, err)
			}
			r.XML = string(xml)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
