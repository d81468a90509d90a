package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/receipt"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/tracing"
)

// China Standard Time, for the dates inside customs numbers.
var cst = time.FixedZone("CST", 8*3600)

// Keys identify the document in its receipt.
func (d *document) Keys() ceb.Keys { return d.keys }

// Feed names the document in the receipts feed.
func (d *document) Feed() (copNo, orderNo string) { return d.keys["copNo"], d.orderNo }

// Locks names the rows a retail document may write besides its own: its
// order's or waybill's (the inventories it wakes), and for an inventory both
// and its copNo.
func (d *document) Locks() []string {
	switch d.kind {
	case clearance.KindOrder, clearance.KindPayment:
		return []string{store.OrderRows(d.k1, d.k2)}
	case clearance.KindInventory:
		inv := d.inventory
		return []string{store.OrderRows(inv.EbpCode, inv.OrderNo), store.WaybillRows(inv.LogisticsCode, inv.LogisticsNo),
			store.HotRow("inventory", inv.AgentCode, inv.CopNo)}
	}
	return []string{store.WaybillRows(d.k1, d.k2)} // a waybill or its status
}

// Apply stores a retail document under appType rules.
func (d *document) Apply(ctx context.Context, tx *store.Tx, env *Env) (Result, error) {
	return env.Service.apply(ctx, tx, env.Sender, d, env.MessageID, env.Now)
}

var errRaced = errors.New("the same message was stored meanwhile")

// store applies the documents and records the message and its receipts in one
// transaction (shared with other messages through the batcher).
func (s *Service) store(ctx context.Context, sender *enterprise.Enterprise, d *ceb.Decoded, inner []byte, docs []Doc, now time.Time) (Answer, error) {
	sealed := s.Vault.Seal(inner)
	returnType, _ := ceb.ReturnFor(d.Type)
	msgID := newID()
	// The same guid from the same sender gets the same answer and changes
	// nothing. Asked on the read pool, off the single writer; a copy stored
	// after this look-up makes InsertMessage below fail (errRaced).
	if status, rec, found, err := s.DB.MessageAnswer(ctx, sender.Code, d.Guid); err != nil {
		return Answer{}, fmt.Errorf("store %s %s: %w", d.Type, d.Guid, err)
	} else if found {
		return Answer{Status: status, Body: []byte(rec)}, nil
	}
	if err := s.prereadEntrustments(ctx, sender, docs, now); err != nil {
		return Answer{}, fmt.Errorf("store %s %s: %w", d.Type, d.Guid, err)
	}
	var wake []string
	var built *receipt.Built
	var wrapped []byte
	err := s.write(ctx, docs, func(tx *store.Tx) error {
		wake, wrapped = wake[:0], nil
		keys := make([]ceb.Keys, len(docs))
		statuses := make([]receipt.Status, len(docs))
		again := make([]bool, len(docs))
		env := &Env{Service: s, Sender: sender, MessageID: msgID, Now: now}
		stored, woken, err := s.storeNew(ctx, tx, env, docs)
		if err != nil {
			return err
		}
		wake = append(wake, woken...)
		for i, doc := range docs {
			o := Accepted()
			if !stored[i] {
				if o, err = doc.Apply(ctx, tx, env); err != nil {
					return err
				}
			}
			keys[i] = doc.Keys()
			statuses[i] = receipt.Status{ReturnStatus: o.Status, ReturnInfo: o.info()}
			again[i] = o.Stored != ""
			wake = append(wake, o.Wake...)
		}
		if built, err = receipt.Build(returnType, keys, statuses, now); err != nil {
			return err
		}
		feed := make([]*store.Receipt, 0, len(docs))
		for i, doc := range docs {
			if again[i] {
				continue
			}
			copNo, orderNo := doc.Feed()
			feed = append(feed, &store.Receipt{EnterpriseCode: sender.Code, MessageType: returnType, CopNo: copNo, OrderNo: orderNo,
				ReturnStatus: statuses[i].ReturnStatus, ReturnInfo: statuses[i].ReturnInfo, Packed: built.PerDoc[i], CreatedAt: now})
		}
		if err := tx.AddReceipts(ctx, feed); err != nil {
			return err
		}
		// The answer is rebuilt from the feed when the guid comes again. Its
		// text is kept instead when the feed does not hold all of it (a
		// document re-sent unchanged adds nothing to the feed) and for an
		// envelope, whose answer carries an id drawn once.
		m := &store.Message{ID: msgID, Sender: sender.Code, Guid: d.Guid, Type: d.Type, ReceivedAt: now, Body: sealed,
			HTTPStatus: 200, ReceiptGuid: built.Guid}
		inFeed := len(feed) > 0 && len(feed) == len(docs)
		if inFeed {
			m.ReceiptCount = len(feed)
		}
		if d.Envelope != nil || !inFeed {
			if wrapped, err = answer(d, built); err != nil {
				return err
			}
			m.Receipt = string(wrapped)
		}
		if inFeed {
			// Written once the receipts are numbered, just before commit.
			tx.InsertAnsweredMessage(m, feed[0])
			return nil
		}
		err = tx.InsertMessage(ctx, m)
		if errs.KindOf(err) == errs.Conflict {
			return errRaced
		}
		return err
	})
	if errors.Is(err, errRaced) || errs.KindOf(err) == errs.Conflict {
		// Another copy of the message was stored first, in this batch or by
		// another writer: the batch was rolled back and this job run again
		// alone, and failed on the message's key; ask once more.
		status, rec, found, lerr := s.DB.MessageAnswer(ctx, sender.Code, d.Guid)
		if lerr != nil || found {
			return Answer{Status: status, Body: []byte(rec)}, lerr
		}
	}
	if err != nil {
		return Answer{}, fmt.Errorf("store %s %s: %w", d.Type, d.Guid, err)
	}
	if len(wake) > 0 && s.Wake != nil {
		tracing.Handoff(ctx, wake) // the engine's judgement joins this message's trace
		s.Wake(wake)
	}
	if wrapped != nil {
		return Answer{Status: 200, Body: wrapped}, nil
	}
	// Written after the commit, off the writer.
	body, err := built.Text()
	if err != nil {
		return Answer{}, fmt.Errorf("answer %s %s: %w", d.Type, d.Guid, err)
	}
	return Answer{Status: 200, Body: body}, nil
}

// write runs a message's job on the batcher: alongside other writers when
// every document names its hot rows (Locker), alone otherwise.
func (s *Service) write(ctx context.Context, docs []Doc, fn func(*store.Tx) error) error {
	var keys []string
	for _, doc := range docs {
		if d, ok := doc.(*delegated); ok {
			doc = d.Doc // its own row, the transmission record, is no hot row
		}
		l, ok := doc.(Locker)
		if !ok {
			return s.Batch.Do(ctx, fn)
		}
		keys = append(keys, l.Locks()...)
	}
	return s.Batch.DoKeys(ctx, keys, fn)
}

// answer writes a message's receipt, in a DxpMsg envelope when the message came in one.
func answer(d *ceb.Decoded, built *receipt.Built) ([]byte, error) {
	body, err := built.Text()
	if err != nil || d.Envelope == nil {
		return body, err
	}
	return wrap(d, body)
}

// wrap puts a receipt in a DxpMsg addressed back to the sender of the envelope.
func wrap(d *ceb.Decoded, receiptXML []byte) ([]byte, error) {
	m, err := ceb.Decode(receiptXML)
	if err != nil {
		return nil, fmt.Errorf("re-read receipt: %w", err)
	}
	// The platform answers as the node the envelope was addressed to.
	from := "DXPEDCCEB0000002"
	if ids := d.Envelope.TransInfo.ReceiverIds; len(ids) > 0 && ids[0] != "" {
		from = ids[0]
	}
	ti := ceb.TransInfo{CopMsgId: newID(), SenderId: from, ReceiverIds: []string{d.Envelope.TransInfo.SenderId}, MsgType: m.Type}
	return ceb.WrapDxp(m.Message, ti)
}

func (s *Service) apply(ctx context.Context, tx *store.Tx, sender *enterprise.Enterprise, doc *document, msgID string, now time.Time) (Result, error) {
	if doc.sanction != "" {
		return Refused("22004", "%s is under a credit sanction", doc.sanction), nil
	}
	if doc.appType != "1" && doc.appType != "2" && doc.appType != "3" {
		return Refused("1103", "appType=%s", doc.appType), nil
	}
	if doc.kind == clearance.KindInventory {
		return s.applyInventory(ctx, tx, sender, doc, msgID, now)
	}
	return s.applyDocument(ctx, tx, sender, doc, msgID, now)
}

// storeNew stores, several to a statement, the message's orders, payments
// and waybills that are new to the platform, as applyDocument would one by
// one, and wakes the inventories waiting on them with one statement per
// kind. Almost every one is new; one is taken here when it is sent as new
// (appType 1) by a sender under no sanction, its key comes once in the
// message (so that no other document of the message acts on the key before
// it), and for a payment, the order it belongs to names no other payment
// firm (rules §12; the orders are read in one statement). stored tells which
// it stored, answered as accepted. A document whose key was taken goes
// through Apply, which then does not try the insert again; so does one that
// was not taken, and is refused there.
func (s *Service) storeNew(ctx context.Context, tx *store.Tx, env *Env, docs []Doc) (stored []bool, woken []string, err error) {
	stored = make([]bool, len(docs))
	candidates, err := newCandidates(ctx, tx, env.Sender, docs)
	if err != nil || len(candidates) == 0 {
		return stored, nil, err
	}
	rows := make([]*store.Document, len(candidates))
	for j, i := range candidates {
		rows[j] = storedDocument(docs[i].(*document), env.Sender, env.MessageID, env.Now)
	}
	inserted, err := tx.InsertNewDocuments(ctx, rows)
	if err != nil {
		return nil, nil, err
	}
	var orders, waybills []store.WaitKey
	for j, i := range candidates {
		doc := docs[i].(*document)
		if doc.taken = !inserted[j]; doc.taken {
			continue
		}
		stored[i] = true
		if doc.kind == clearance.KindWaybill {
			waybills = append(waybills, store.WaitKey{K1: doc.k1, K2: doc.k2})
		} else {
			orders = append(orders, store.WaitKey{K1: doc.k1, K2: doc.k2}) // an order or its payment
		}
	}
	for _, w := range []struct {
		byOrder bool
		keys    []store.WaitKey
	}{{true, orders}, {false, waybills}} {
		ids, err := tx.MarkWaitingAll(ctx, w.byOrder, w.keys)
		if err != nil {
			return nil, nil, err
		}
		woken = append(woken, ids...)
	}
	return stored, woken, nil
}

// newCandidates are the indexes of the documents storeNew takes.
func newCandidates(ctx context.Context, tx *store.Tx, sender *enterprise.Enterprise, docs []Doc) ([]int, error) {
	keys := make(map[[3]string]int, len(docs))
	for _, d := range docs {
		if doc, ok := d.(*document); ok {
			keys[[3]string{string(doc.kind), doc.k1, doc.k2}]++
		}
	}
	var candidates []int
	var paid []store.WaitKey // the orders of the payment candidates
	for i, d := range docs {
		doc, ok := d.(*document)
		if !ok || (doc.kind != clearance.KindOrder && doc.kind != clearance.KindWaybill && doc.kind != clearance.KindPayment) ||
			doc.appType != "1" || doc.sanction != "" || keys[[3]string{string(doc.kind), doc.k1, doc.k2}] > 1 {
			continue
		}
		candidates = append(candidates, i)
		if doc.kind == clearance.KindPayment {
			paid = append(paid, store.WaitKey{K1: doc.k1, K2: doc.k2})
		}
	}
	if len(paid) == 0 {
		return candidates, nil
	}
	orders, err := tx.Documents(ctx, string(clearance.KindOrder), paid)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(candidates, func(i int) bool {
		doc := docs[i].(*document)
		if doc.kind != clearance.KindPayment {
			return false
		}
		named, err := payCodeOf(orders[store.WaitKey{K1: doc.k1, K2: doc.k2}])
		return err != nil || (named != "" && named != sender.Code) // Apply reads it again, and refuses or fails
	}), nil
}

// storedDocument is the row that stores doc, sent by sender in message msgID.
func storedDocument(doc *document, sender *enterprise.Enterprise, msgID string, now time.Time) *store.Document {
	d := &store.Document{Kind: string(doc.kind), K1: doc.k1, K2: doc.k2, OrderNo: doc.orderNo, Sender: sender.Code,
		AppType: doc.appType, Deleted: doc.appType == "3", ContentHash: doc.hash, MessageID: msgID, CreatedAt: now, UpdatedAt: now}
	d.SetData(doc.json) // the engine takes its value after the commit instead of decoding Data
	return d
}

// applyDocument stores an order, payment, waybill or waybill status under appType rules.
func (s *Service) applyDocument(ctx context.Context, tx *store.Tx, sender *enterprise.Enterprise, doc *document, msgID string, now time.Time) (Result, error) {
	d := storedDocument(doc, sender, msgID, now)
	var err error
	// The firm the stored order names owns its payment (rules §12): a
	// payment from another firm is refused before anything is written.
	var named string
	if doc.kind == clearance.KindPayment {
		if named, err = orderPayCode(ctx, tx, doc.k1, doc.k2); err != nil {
			return Result{}, err
		}
		if named != "" && named != sender.Code {
			return Refused("1107", "order %s/%s names payment firm %s, not %s", doc.k1, doc.k2, named, sender.Code), nil
		}
	}
	if doc.appType == "1" && !doc.taken && (doc.kind == clearance.KindOrder || doc.kind == clearance.KindWaybill || doc.kind == clearance.KindPayment) {
		// Almost every new order, payment or waybill is new to the platform:
		// insert it without reading first, one statement on the writer
		// instead of two. Waybill statuses are checked against the waybill
		// first (a released parcel), so they take the path below.
		inserted, err := tx.InsertDocument(ctx, d)
		if err != nil || inserted {
			return s.wake(ctx, tx, doc, err)
		}
	}
	existing, err := tx.Document(ctx, string(doc.kind), doc.k1, doc.k2)
	if err != nil {
		return Result{}, err
	}
	live := existing != nil && !existing.Deleted
	owner := ""
	if live {
		owner = existing.Sender
	}
	if named != "" {
		// The firm the order names owns its payment, even when another firm sent one first.
		owner = named
	}
	if live && owner != sender.Code {
		return Refused("1106", "%s %s/%s belongs to enterprise %s", doc.kind, doc.k1, doc.k2, owner), nil
	}
	// A payment another firm sent before the order named the right one is not the owner's to modify.
	live = live && existing.Sender == sender.Code
	switch doc.appType {
	case "1":
		if live {
			if existing.ContentHash == doc.hash {
				return Again("120", clearance.Finding{Code: "1800"}.Info()), nil
			}
			return Refused("1101", "%s %s/%s exists with other content; send appType 2 to modify it", doc.kind, doc.k1, doc.k2), nil
		}
	default:
		if !live {
			return Refused("1102", "%s %s/%s", doc.kind, doc.k1, doc.k2), nil
		}
		if o, locked, err := s.locked(ctx, tx, doc); err != nil || locked {
			return o, err
		}
		if doc.appType == "2" && existing.ContentHash == doc.hash {
			return Accepted(), nil
		}
	}
	if o, refused, err := undeliverable(ctx, tx, doc); err != nil || refused {
		return o, err
	}
	if existing != nil {
		d.CreatedAt = existing.CreatedAt
	}
	return s.wake(ctx, tx, doc, tx.PutDocument(ctx, d))
}

// wake flags the inventories waiting for a document just stored (unless
// storing it failed with err) and names them in the result.
func (s *Service) wake(ctx context.Context, tx *store.Tx, doc *document, err error) (Result, error) {
	if err != nil {
		return Result{}, err
	}
	var wake []string
	switch doc.kind {
	case clearance.KindOrder, clearance.KindPayment:
		wake, err = tx.MarkWaiting(ctx, true, doc.k1, doc.k2)
	case clearance.KindWaybill:
		wake, err = tx.MarkWaiting(ctx, false, doc.k1, doc.k2)
	}
	return Accepted(wake...), err
}

// orderPayCode is the payment firm the stored order names ("" when there is no
// order yet, or it names none).
func orderPayCode(ctx context.Context, tx *store.Tx, ebpCode, orderNo string) (string, error) {
	o, err := tx.Document(ctx, string(clearance.KindOrder), ebpCode, orderNo)
	if err != nil {
		return "", err
	}
	return payCodeOf(o)
}

// payCodeOf is the payment firm a stored order names ("" for no order, a
// deleted one, or one that names none).
func payCodeOf(o *store.Document) (string, error) {
	if o == nil || o.Deleted {
		return "", nil
	}
	var order struct {
		PayCode string `json:"payCode"`
	}
	if err := json.Unmarshal(o.Data, &order); err != nil {
		return "", fmt.Errorf("read order %s/%s: %w", o.K1, o.K2, err)
	}
	return order.PayCode, nil
}

// undeliverable refuses a signed-for status (CEB513 S) for a waybill never
// declared, or one whose goods customs has not released: a parcel held for
// review (300), in inspection (500), waiting or rejected has not left
// customs' control, and the manifest would show it delivered.
func undeliverable(ctx context.Context, tx *store.Tx, doc *document) (Result, bool, error) {
	ls, ok := doc.data.(*ceb.LogisticsStatus)
	if !ok || ls.LogisticsStatus != "S" || doc.appType == "3" {
		return Result{}, false, nil
	}
	wb, err := tx.Document(ctx, string(clearance.KindWaybill), doc.k1, doc.k2)
	if err != nil {
		return Result{}, false, err
	}
	if wb == nil || wb.Deleted {
		return Refused("1342", "LogisticsStatus logisticsCode=%s, logisticsNo=%s: no such waybill (CEB511)", doc.k1, doc.k2), true, nil
	}
	inv, err := tx.InventoryForWaybill(ctx, doc.k1, doc.k2)
	if err != nil {
		return Result{}, false, err
	}
	switch {
	case inv == nil:
		return Refused("1343", "waybill %s/%s: no inventory of it is released", doc.k1, doc.k2), true, nil
	case inv.Status != "800":
		return Refused("1343", "waybill %s/%s: inventory %s has status %s, not 800 (released)", doc.k1, doc.k2, inv.CopNo, inv.Status), true, nil
	}
	return Result{}, false, nil
}

// locked refuses a change to a document whose inventory is decided.
func (s *Service) locked(ctx context.Context, tx *store.Tx, doc *document) (Result, bool, error) {
	var inv *store.Inventory
	var err error
	switch doc.kind {
	case clearance.KindOrder, clearance.KindPayment:
		inv, err = tx.InventoryForOrder(ctx, doc.k1, doc.k2)
	case clearance.KindWaybill:
		inv, err = tx.InventoryForWaybill(ctx, doc.k1, doc.k2)
	}
	if err != nil || inv == nil {
		return Result{}, false, err
	}
	return lockedBy(inv)
}

// lockedBy tells whether an inventory's state forbids changes to it and its documents.
func lockedBy(inv *store.Inventory) (Result, bool, error) {
	switch inv.Status {
	case "120", "100":
		return Result{}, false, nil
	case "800", "899":
		return Refused("22007", "inventory copNo=%s (invtNo %s) has status %s", inv.CopNo, inv.InvtNo, inv.Status), true, nil
	}
	return Refused("1105", "inventory copNo=%s has status %s", inv.CopNo, inv.Status), true, nil
}

// applyInventory stores an inventory list under appType rules; a new or changed one waits for evaluation.
func (s *Service) applyInventory(ctx context.Context, tx *store.Tx, sender *enterprise.Enterprise, doc *document, msgID string, now time.Time) (Result, error) {
	inv := doc.inventory
	var ents Entrustments = tx
	if doc.entrusted != nil {
		ents = doc.entrusted
	}
	if o, refused, err := MayDeclare(ctx, ents, sender, doc.appType, inv.AgentCode, inv.EbcCode, inv.CopNo, now); err != nil || refused {
		return o, err
	}
	// A deletion debits nothing; a declaration or a change names the guarantor to debit.
	if doc.appType != "3" {
		if o, refused := foreignGuarantor(inv, s.GuaranteeModes); refused {
			return o, nil
		}
	}
	// One look-up for both questions a new inventory raises: is its copNo
	// known, and has its order a live inventory already.
	existing, other, err := tx.InventoryAndOrder(ctx, inv.AgentCode, inv.CopNo, inv.EbpCode, inv.OrderNo)
	if err != nil {
		return Result{}, err
	}
	if existing != nil {
		doc.keys["preNo"], doc.keys["invtNo"] = existing.PreNo, existing.InvtNo
	}
	switch doc.appType {
	case "1":
		if existing != nil {
			if existing.ContentHash == doc.hash {
				return Again(existing.Status, existing.ReasonInfo), nil
			}
			return Refused("1101", "inventory copNo=%s exists with other content; send appType 2 to modify it", inv.CopNo), nil
		}
		if other != nil {
			return Refused("1101", "order %s already has inventory copNo=%s (status %s)", inv.OrderNo, other.CopNo, other.Status), nil
		}
		return s.createInventory(ctx, tx, sender, doc, msgID, now)
	case "2":
		if existing == nil {
			return Refused("1102", "inventory copNo=%s", inv.CopNo), nil
		}
		if o, locked, _ := lockedBy(existing); locked {
			return o, nil
		}
		if existing.ContentHash == doc.hash && existing.Status == "120" {
			return Accepted(), nil
		}
		if existing.EbpCode != inv.EbpCode || existing.OrderNo != inv.OrderNo {
			return Refused("1390", "copNo=%s belongs to order %s/%s, not %s/%s", inv.CopNo, existing.EbpCode, existing.OrderNo, inv.EbpCode, inv.OrderNo), nil
		}
		fill(existing, inv, doc, msgID, s.DocumentWait, now)
		existing.Event = &store.Event{At: now, Status: "120", Code: "1800", Info: "modified (appType 2)", Actor: sender.Code}
		if err := tx.UpdateInventory(ctx, existing); err != nil {
			return Result{}, err
		}
		return Accepted(existing.ID), nil
	default: // "3"
		if existing == nil {
			return Refused("1102", "inventory copNo=%s", inv.CopNo), nil
		}
		if o, locked, _ := lockedBy(existing); locked {
			return o, nil
		}
		existing.Status, existing.ReasonCode, existing.Pending, existing.UpdatedAt = "100", "1104", false, now
		existing.ReasonInfo = clearance.Finding{Code: "1104", Detail: "deleted by " + sender.Code}.Info()
		existing.Event = &store.Event{At: now, Status: "100", Code: "1104", Info: "deleted (appType 3)", Actor: sender.Code}
		if err := tx.UpdateInventory(ctx, existing); err != nil {
			return Result{}, err
		}
		return Accepted(), nil
	}
}

// Entrustments answers whether an ebc has entrusted an agent at a time: a
// transaction (*store.Tx), the read pool (*store.DB), or an answer read before.
type Entrustments interface {
	Entrusted(ctx context.Context, ebc, agent string, at time.Time) (bool, error)
}

// entrustment is an answer read before the writer (prereadEntrustments).
type entrustment bool

func (e entrustment) Entrusted(context.Context, string, string, time.Time) (bool, error) {
	return bool(e), nil
}

// prereadEntrustments asks, on the read pool when the message arrives, for
// the entrustment each import inventory needs (rules §12), so that the
// single writer does not: one statement per inventory off it. An
// entrustment given or revoked between this look-up and the write counts
// from the next message, as if it had come a moment later. The inventories of
// one message mostly name the same ebc: each is asked once.
func (s *Service) prereadEntrustments(ctx context.Context, sender *enterprise.Enterprise, docs []Doc, now time.Time) error {
	asked := map[string]entrustment{}
	for _, d := range docs {
		doc, ok := d.(*document)
		if !ok || doc.inventory == nil || doc.appType == "3" || doc.inventory.EbcCode == sender.Code || doc.inventory.AgentCode != sender.Code {
			continue
		}
		ebc := doc.inventory.EbcCode
		answer, known := asked[ebc]
		if !known {
			ok, err := s.DB.Entrusted(ctx, ebc, sender.Code, now)
			if err != nil {
				return err
			}
			answer = entrustment(ok)
			asked[ebc] = answer
		}
		doc.entrusted = answer
	}
	return nil
}

// MayDeclare applies rules §12 to an inventory (import or export): it is
// sent, modified or deleted only by its declaring agent (the owner of copNo
// under agentCode), which holds the agent role and, to declare or modify, is
// the ebc itself or entrusted by it at now. It returns the refusal, if any.
func MayDeclare(ctx context.Context, ents Entrustments, sender *enterprise.Enterprise, appType, agentCode, ebcCode, copNo string, now time.Time) (_ Result, _ bool, err error) {
	defer errs.Wrap(&err, "intake.MayDeclare(%s, %s)", agentCode, copNo)
	if sender.Code != agentCode {
		if appType == "1" {
			return Refused("1108", "inventory copNo=%s names agentCode %s: only that agent may declare it", copNo, agentCode), true, nil
		}
		return Refused("1106", "inventory copNo=%s of agentCode %s is not %s's", copNo, agentCode, sender.Code), true, nil
	}
	if !sender.HasRole(enterprise.RoleAgent) {
		return Refused("1108", "enterprise %s does not hold the agent role", sender.Code), true, nil
	}
	if appType == "3" || ebcCode == sender.Code {
		return Result{}, false, nil
	}
	ok, err := ents.Entrusted(ctx, ebcCode, sender.Code, now)
	if err != nil || ok {
		return Result{}, false, err
	}
	return Refused("1108", "ebcCode %s has no entrustment of agent %s in force", ebcCode, sender.Code), true, nil
}

func (s *Service) createInventory(ctx context.Context, tx *store.Tx, sender *enterprise.Enterprise, doc *document, msgID string, now time.Time) (Result, error) {
	inv := doc.inventory
	serial, err := tx.NextSerial(ctx)
	if err != nil {
		return Result{}, err
	}
	id := newID()
	day := now.In(cst)
	customs := inv.CustomsCode
	if len(customs) != 4 {
		customs = "0000"
	}
	v := &store.Inventory{
		ID: id, AgentCode: inv.AgentCode, CopNo: inv.CopNo,
		PreNo:  fmt.Sprintf("B%s%09d", day.Format("20060102"), serial%1_000_000_000),
		InvtNo: fmt.Sprintf("%s%sI%09d", customs, day.Format("2006"), serial%1_000_000_000),
		Seed:   s.Vault.Hash("inspection", id), CreatedAt: now,
	}
	fill(v, inv, doc, msgID, s.DocumentWait, now)
	v.Event = &store.Event{At: now, Status: "120", Code: "1800", Info: "declared", Actor: sender.Code}
	if err := tx.InsertInventory(ctx, v); err != nil {
		return Result{}, err
	}
	doc.keys["preNo"], doc.keys["invtNo"] = v.PreNo, v.InvtNo
	return Accepted(id), nil
}

// fill copies a declared inventory onto its stored row and sets it waiting for evaluation.
func fill(v *store.Inventory, inv *clearance.Inventory, doc *document, msgID string, wait time.Duration, now time.Time) {
	v.EbpCode, v.OrderNo, v.EbcCode = inv.EbpCode, inv.OrderNo, inv.EbcCode
	v.LogisticsCode, v.LogisticsNo, v.TradeMode, v.Sender = inv.LogisticsCode, inv.LogisticsNo, inv.TradeMode, inv.AgentCode
	v.Status, v.ReasonCode, v.ReasonInfo = "120", "1800", clearance.Finding{Code: "1800"}.Info()
	v.BuyerKey, v.Pending, v.WaitUntil = inv.BuyerID.Hash, true, now.Add(wait)
	v.AppType, v.ContentHash, v.MessageID, v.UpdatedAt = doc.appType, doc.hash, msgID, now
	v.DutiableFen, v.DutyFen, v.CTFen, v.VATFen, v.Tax, v.Regime = 0, 0, 0, 0, 0, ""
	v.SetData(doc.json) // the engine takes its value after the commit instead of decoding Data
}
