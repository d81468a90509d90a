package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// TraceCode is one released piece's traceability service code with what its
// public lookup shows. The piece's line holds all of it but the code, the
// piece and its state (trace_lines, one row per goods line), so a lookup is
// a read by primary key of each table.
type TraceCode struct {
	Code          string
	InventoryID   string
	Gnum, Piece   int
	EbcCode       string
	ItemNo        string
	GTIN          string
	Batch         string
	ProducedOn    string // YYYY-MM-DD when known
	Name          string
	Brand         string
	OriginCountry string
	HSCode        string
	CustomsCode   string
	PortCode      string
	Inspected     bool
	State         string // released, exited, returned
	ReleasedAt    time.Time
}

// traceCodeColumns are a TraceCode's columns in traceCodeFrom.
const traceCodeColumns = `c.code, l.inventory_id, l.gnum, c.piece, l.ebc_code, l.item_no, l.gtin, l.batch, l.produced_on, l.name,
	l.brand, l.origin_country, l.hs_code, l.customs_code, l.port_code, l.inspected, c.state, l.released_at`

// traceCodeFrom joins each piece (c) to its line (l).
const traceCodeFrom = ` FROM trace_codes c JOIN trace_lines l ON l.id = c.line_id`

func scanTraceCode(row scanner) (*TraceCode, error) {
	var c TraceCode
	var at Time
	err := row.Scan(&c.Code, &c.InventoryID, &c.Gnum, &c.Piece, &c.EbcCode, &c.ItemNo, &c.GTIN, &c.Batch, &c.ProducedOn, &c.Name,
		&c.Brand, &c.OriginCountry, &c.HSCode, &c.CustomsCode, &c.PortCode, &c.Inspected, &c.State, &at)
	if err != nil {
		return nil, classify(err)
	}
	c.ReleasedAt = at.Time
	return &c, nil
}

// traceCodesPerInsert bounds the pieces of one INSERT: five parameters each,
// fewer than writeRowsPerInsert rows of ten (see there why few).
const traceCodesPerInsert = 2 * writeRowsPerInsert

// traceLine is a goods line of an inventory.
type traceLine struct {
	inventoryID string
	gnum        int
}

// InsertTraceCodes stores codes with as few statements as possible: one for
// their lines (per writeRowsPerInsert lines) and one for the pieces (per
// traceCodesPerInsert), each piece finding its line's id by the line's key.
// A line's facts are those of its first code in codes; a line stored before
// keeps its own. Nothing waits for a result (Tx.later: on PostgreSQL they
// travel with the transaction's next statement), so a code that exists
// already, a (vanishingly rare) collision of random codes, fails the
// transaction with a conflict named by the statement, from the statement or
// commit they are sent with.
func (t *Tx) InsertTraceCodes(ctx context.Context, codes []TraceCode) (err error) {
	defer errs.Wrap(&err, "store.InsertTraceCodes")
	seen := make(map[traceLine]bool)
	var lines []*TraceCode
	for i := range codes {
		c := &codes[i]
		if k := (traceLine{c.InventoryID, c.Gnum}); !seen[k] {
			seen[k] = true
			lines = append(lines, c)
		}
	}
	err = eachInsert("trace_lines", `inventory_id, gnum, ebc_code, item_no, gtin, batch, produced_on, name, brand, origin_country,
		hs_code, customs_code, port_code, inspected, released_at`, len(lines), writeRowsPerInsert, func(i int) []any {
		l := lines[i]
		return []any{l.InventoryID, l.Gnum, l.EbcCode, l.ItemNo, l.GTIN, l.Batch, l.ProducedOn, l.Name, l.Brand,
			l.OriginCountry, l.HSCode, l.CustomsCode, l.PortCode, l.Inspected, l.ReleasedAt}
	}, ` ON CONFLICT (inventory_id, gnum) DO NOTHING`, func(query string, args []any) error {
		return t.later(ctx, "store traceability lines", query, args...)
	})
	if err != nil {
		return err
	}
	for start := 0; start < len(codes); start += traceCodesPerInsert {
		part := codes[start:min(start+traceCodesPerInsert, len(codes))]
		var b strings.Builder
		args := make([]any, 0, 5*len(part))
		b.WriteString("INSERT INTO trace_codes (code, line_id, piece, state) VALUES ")
		for i, c := range part {
			if i > 0 {
				b.WriteByte(',')
			}
			n := len(args)
			fmt.Fprintf(&b, "($%d,(SELECT id FROM trace_lines WHERE inventory_id = $%d AND gnum = $%d),$%d,$%d)", n+1, n+2, n+3, n+4, n+5)
			args = append(args, c.Code, c.InventoryID, c.Gnum, c.Piece, c.State)
		}
		if err := t.later(ctx, "store traceability codes of inventory "+part[0].InventoryID, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// TraceCode reads one code; nil when there is none.
func (db *DB) TraceCode(ctx context.Context, code string) (*TraceCode, error) {
	c, err := scanTraceCode(db.QueryRow(ctx, `SELECT `+traceCodeColumns+traceCodeFrom+` WHERE c.code = $1`, code))
	if errs.KindOf(err) == errs.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read traceability code: %w", err)
	}
	return c, nil
}

// CarriesInventory tells whether enterprise code carries the inventory's
// goods: the carrier its waybill names, or the zone operator whose account
// book holds them. Only they (and the goods' owner) record the pieces' events.
func (db *DB) CarriesInventory(ctx context.Context, inventoryID, code string) (bool, error) {
	var n int
	err := db.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM inventories WHERE id = $1 AND logistics_code = $2)
		+ (SELECT COUNT(*) FROM bonded_holds h JOIN bonded_books b ON b.ems_no = h.ems_no WHERE h.inventory_id = $1 AND b.operator_code = $2)`,
		inventoryID, code).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read carrier of inventory %s: %w", inventoryID, err)
	}
	return n > 0, nil
}

// TraceCodesOfInventory lists an inventory's codes by line and piece.
func (db *DB) TraceCodesOfInventory(ctx context.Context, inventoryID string) ([]TraceCode, error) {
	rows, err := db.Query(ctx, `SELECT `+traceCodeColumns+traceCodeFrom+` WHERE l.inventory_id = $1 ORDER BY l.gnum, c.piece`, inventoryID)
	if err != nil {
		return nil, fmt.Errorf("read codes of inventory %s: %w", inventoryID, err)
	}
	return collect(rows, scanTraceCode)
}

// SetTraceBatch records the batch and production date of one inventory line's
// pieces; it returns how many codes changed.
func (db *DB) SetTraceBatch(ctx context.Context, inventoryID string, gnum int, batch, producedOn string) (_ int64, err error) {
	defer errs.Wrap(&err, "store.SetTraceBatch(%q)", inventoryID)
	var n int64
	err = db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE trace_lines SET batch = $1, produced_on = $2 WHERE inventory_id = $3 AND gnum = $4`,
			batch, producedOn, inventoryID, gnum)
		if err != nil {
			return fmt.Errorf("set batch: %w", err)
		}
		if lines, err := res.RowsAffected(); err != nil || lines == 0 {
			return err
		}
		// The line's pieces are what changed: their lookups show the batch.
		if err := tx.QueryRow(ctx, `SELECT COUNT(*)`+traceCodeFrom+` WHERE l.inventory_id = $1 AND l.gnum = $2`, inventoryID, gnum).Scan(&n); err != nil {
			return fmt.Errorf("count the line's codes: %w", err)
		}
		return nil
	})
	return n, err
}

// TraceEvent is something that happened to a piece after its release.
type TraceEvent struct {
	Code     string    `json:"code"`
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"` // exited, returned, recalled
	Location string    `json:"location"`
	Actor    string    `json:"actor"`
	Ref      string    `json:"ref"`
}

// AddTraceEvents records one event for several pieces and moves their state
// to state (when not empty), in one transaction.
func (db *DB) AddTraceEvents(ctx context.Context, events []TraceEvent, state string) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.AddTraceEvents(ctx, events, state) })
}

// AddTraceEvents records events in the transaction; see DB.AddTraceEvents.
func (t *Tx) AddTraceEvents(ctx context.Context, events []TraceEvent, state string) error {
	for _, e := range events {
		if _, err := t.Exec(ctx, `INSERT INTO trace_events (code, at, kind, location, actor, ref) VALUES ($1,$2,$3,$4,$5,$6)`,
			e.Code, e.At, e.Kind, e.Location, e.Actor, e.Ref); err != nil {
			return fmt.Errorf("store trace event: %w", err)
		}
		if state != "" {
			if _, err := t.Exec(ctx, `UPDATE trace_codes SET state = $1 WHERE code = $2`, state, e.Code); err != nil {
				return fmt.Errorf("update code state: %w", err)
			}
		}
	}
	return nil
}

// TraceEvents lists a piece's events, oldest first.
func (db *DB) TraceEvents(ctx context.Context, code string) (_ []TraceEvent, err error) {
	defer errs.Wrap(&err, "store.TraceEvents(%q)", code)
	rows, err := db.Query(ctx, `SELECT code, at, kind, location, actor, ref FROM trace_events WHERE code = $1 ORDER BY at`, code)
	if err != nil {
		return nil, fmt.Errorf("read trace events: %w", err)
	}
	defer rows.Close()
	out := []TraceEvent{}
	for rows.Next() {
		var e TraceEvent
		var at Time
		if err := rows.Scan(&e.Code, &at, &e.Kind, &e.Location, &e.Actor, &e.Ref); err != nil {
			return nil, err
		}
		e.At = at.Time
		out = append(out, e)
	}
	return out, rows.Err()
}

// ProductMatch selects pieces of a product: by filing (EbcCode + ItemNo) or
// GTIN, narrowed by batch and production-date range when given.
type ProductMatch struct {
	EbcCode, ItemNo, GTIN, Batch string
	ProducedFrom, ProducedTo     string // YYYY-MM-DD, inclusive
}

// matchWhere selects the trace_lines (l) a ProductMatch ($2 to $7) names.
const matchWhere = `(($2 <> '' AND l.ebc_code = $2 AND l.item_no = $3) OR ($4 <> '' AND l.gtin = $4))
	AND ($5 = '' OR l.batch = $5) AND ($6 = '' OR (l.produced_on <> '' AND l.produced_on >= $6))
	AND ($7 = '' OR (l.produced_on <> '' AND l.produced_on <= $7))`

// ProductHold is a product whose further releases are held.
type ProductHold struct {
	ID, Source                   string // source: recall or lab
	EbcCode, ItemNo, GTIN, Batch string
	Reason                       string
	Active                       bool
	CreatedAt                    time.Time
	LiftedAt                     *time.Time
}

// InsertProductHold stores a hold in the transaction.
func (t *Tx) InsertProductHold(ctx context.Context, h *ProductHold) error {
	_, err := t.Exec(ctx, `INSERT INTO product_holds (id, source, ebc_code, item_no, gtin, batch, reason, active, created_at, lifted_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`, h.ID, h.Source, h.EbcCode, h.ItemNo, h.GTIN, h.Batch, h.Reason, h.Active, h.CreatedAt, h.LiftedAt)
	if err != nil {
		return fmt.Errorf("store product hold: %w", err)
	}
	return nil
}

// LiftProductHold ends a hold in the transaction; not found when it is not active.
func (t *Tx) LiftProductHold(ctx context.Context, id string, at time.Time) error {
	res, err := t.Exec(ctx, `UPDATE product_holds SET active = $1, lifted_at = $2 WHERE id = $3 AND active`, false, at, id)
	if err != nil {
		return fmt.Errorf("lift hold %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.NotFound, "hold_not_found", "id", "no active product hold %s", id)
	}
	return nil
}

// ProductHolds lists holds, the active ones only when active is true.
func (db *DB) ProductHolds(ctx context.Context, active bool) (_ []ProductHold, err error) {
	defer errs.Wrap(&err, "store.ProductHolds")
	q := `SELECT id, source, ebc_code, item_no, gtin, batch, reason, active, created_at, lifted_at FROM product_holds`
	if active {
		q += ` WHERE active`
	}
	rows, err := db.Query(ctx, q+` ORDER BY created_at DESC`)
	if err != nil {
		return nil, fmt.Errorf("read product holds: %w", err)
	}
	defer rows.Close()
	out := []ProductHold{}
	for rows.Next() {
		var h ProductHold
		var at Time
		var lifted NullTime
		if err := rows.Scan(&h.ID, &h.Source, &h.EbcCode, &h.ItemNo, &h.GTIN, &h.Batch, &h.Reason, &h.Active, &at, &lifted); err != nil {
			return nil, err
		}
		h.CreatedAt = at.Time
		if lifted.Valid {
			l := lifted.Time.Time
			h.LiftedAt = &l
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Recall is a product recall with its public notice.
type Recall struct {
	ID, Title, Reason, Advice, RiskLevel string
	Match                                ProductMatch
	ProductName                          string
	Status                               string // active, closed
	Pieces                               int
	HoldID                               string
	CreatedBy                            string
	CreatedAt                            time.Time
	ClosedAt                             *time.Time
}

const recallColumns = `id, title, reason, advice, risk_level, ebc_code, item_no, gtin, batch, produced_from, produced_to, product_name,
	status, pieces, hold_id, created_by, created_at, closed_at`

func scanRecall(row scanner) (*Recall, error) {
	var r Recall
	var at Time
	var closed NullTime
	m := &r.Match
	err := row.Scan(&r.ID, &r.Title, &r.Reason, &r.Advice, &r.RiskLevel, &m.EbcCode, &m.ItemNo, &m.GTIN, &m.Batch, &m.ProducedFrom,
		&m.ProducedTo, &r.ProductName, &r.Status, &r.Pieces, &r.HoldID, &r.CreatedBy, &at, &closed)
	if err != nil {
		return nil, classify(err)
	}
	r.CreatedAt = at.Time
	if closed.Valid {
		c := closed.Time.Time
		r.ClosedAt = &c
	}
	return &r, nil
}

// InsertRecall stores a recall and links every released piece it matches; it
// returns the number of pieces.
func (t *Tx) InsertRecall(ctx context.Context, r *Recall) (_ int, err error) {
	defer errs.Wrap(&err, "store.InsertRecall")
	m := r.Match
	res, err := t.Exec(ctx, `INSERT INTO recall_pieces (recall_id, code) SELECT $1, c.code`+traceCodeFrom+` WHERE `+matchWhere,
		r.ID, m.EbcCode, m.ItemNo, m.GTIN, m.Batch, m.ProducedFrom, m.ProducedTo)
	if err != nil {
		return 0, fmt.Errorf("link recalled pieces: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	r.Pieces = int(n)
	_, err = t.Exec(ctx, `INSERT INTO recalls (`+recallColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`,
		r.ID, r.Title, r.Reason, r.Advice, r.RiskLevel, m.EbcCode, m.ItemNo, m.GTIN, m.Batch, m.ProducedFrom, m.ProducedTo, r.ProductName,
		r.Status, r.Pieces, r.HoldID, r.CreatedBy, r.CreatedAt, r.ClosedAt)
	if err != nil {
		return 0, fmt.Errorf("store recall: %w", err)
	}
	return r.Pieces, nil
}

// RecalledInventory is an inventory that holds recalled pieces.
type RecalledInventory struct {
	InventoryID, CopNo, OrderNo, EbpCode, EbcCode, AgentCode string
	Pieces                                                   int
}

// RecalledInventories lists the inventories (and so the orders) a recall reached, in the transaction.
func (t *Tx) RecalledInventories(ctx context.Context, recallID string) (_ []RecalledInventory, err error) {
	defer errs.Wrap(&err, "store.RecalledInventories(%q)", recallID)
	rows, err := t.Query(ctx, `SELECT i.id, i.cop_no, i.order_no, i.ebp_code, i.ebc_code, i.agent_code, COUNT(*)
		FROM recall_pieces p JOIN trace_codes c ON c.code = p.code JOIN trace_lines l ON l.id = c.line_id
		JOIN inventories i ON i.id = l.inventory_id
		WHERE p.recall_id = $1 GROUP BY i.id, i.cop_no, i.order_no, i.ebp_code, i.ebc_code, i.agent_code ORDER BY i.cop_no`, recallID)
	if err != nil {
		return nil, fmt.Errorf("read recalled inventories: %w", err)
	}
	defer rows.Close()
	var out []RecalledInventory
	for rows.Next() {
		var r RecalledInventory
		if err := rows.Scan(&r.InventoryID, &r.CopNo, &r.OrderNo, &r.EbpCode, &r.EbcCode, &r.AgentCode, &r.Pieces); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Recall reads one recall.
func (db *DB) Recall(ctx context.Context, id string) (_ *Recall, err error) {
	defer errs.Wrap(&err, "store.Recall(%q)", id)
	r, err := scanRecall(db.QueryRow(ctx, `SELECT `+recallColumns+` FROM recalls WHERE id = $1`, id))
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.New(errs.NotFound, "recall_not_found", "id", "no recall %s", id)
	}
	return r, err
}

// Recalls lists recalls, newest first; status filters when not empty.
func (db *DB) Recalls(ctx context.Context, status string, limit int) ([]Recall, error) {
	rows, err := db.Query(ctx, `SELECT `+recallColumns+` FROM recalls WHERE ($1 = '' OR status = $1) ORDER BY created_at DESC LIMIT $2`, status, limit)
	if err != nil {
		return nil, fmt.Errorf("read recalls: %w", err)
	}
	return collect(rows, scanRecall)
}

// RecallsOfCode lists the recalls that reached a piece.
func (db *DB) RecallsOfCode(ctx context.Context, code string) ([]Recall, error) {
	rows, err := db.Query(ctx, `SELECT `+prefixed("r.", recallColumns)+` FROM recalls r JOIN recall_pieces p ON p.recall_id = r.id
		WHERE p.code = $1 ORDER BY r.created_at DESC`, code)
	if err != nil {
		return nil, fmt.Errorf("read recalls of a code: %w", err)
	}
	return collect(rows, scanRecall)
}

func prefixed(p, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// RecalledPiece is one recalled piece with its order.
type RecalledPiece struct {
	Code, State, CopNo, OrderNo, EbcCode string
	Gnum, Piece                          int
}

// RecallPieces lists a recall's pieces with their orders, after code, in code order.
func (db *DB) RecallPieces(ctx context.Context, recallID, after string, limit int) (_ []RecalledPiece, err error) {
	defer errs.Wrap(&err, "store.RecallPieces(%q)", recallID)
	rows, err := db.Query(ctx, `SELECT c.code, c.state, i.cop_no, i.order_no, l.ebc_code, l.gnum, c.piece
		FROM recall_pieces p JOIN trace_codes c ON c.code = p.code JOIN trace_lines l ON l.id = c.line_id
		JOIN inventories i ON i.id = l.inventory_id
		WHERE p.recall_id = $1 AND p.code > $2 ORDER BY p.code LIMIT $3`, recallID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read recalled pieces: %w", err)
	}
	defer rows.Close()
	out := []RecalledPiece{}
	for rows.Next() {
		var p RecalledPiece
		if err := rows.Scan(&p.Code, &p.State, &p.CopNo, &p.OrderNo, &p.EbcCode, &p.Gnum, &p.Piece); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// RecallReturned counts a recall's pieces that came back.
func (db *DB) RecallReturned(ctx context.Context, recallID string) (int, error) {
	var n int
	err := db.QueryRow(ctx, `SELECT COUNT(*) FROM recall_pieces p JOIN trace_codes c ON c.code = p.code
		WHERE p.recall_id = $1 AND c.state = 'returned'`, recallID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count returned pieces: %w", classify(err))
	}
	return n, nil
}

// CloseRecall marks a recall closed in the transaction.
func (t *Tx) CloseRecall(ctx context.Context, id string, at time.Time) error {
	res, err := t.Exec(ctx, `UPDATE recalls SET status = 'closed', closed_at = $1 WHERE id = $2 AND status = 'active'`, at, id)
	if err != nil {
		return fmt.Errorf("close recall %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.NotFound, "recall_not_found", "id", "no active recall %s", id)
	}
	return nil
}

// RecallByID reads a recall in the transaction.
func (t *Tx) RecallByID(ctx context.Context, id string) (_ *Recall, err error) {
	defer errs.Wrap(&err, "store.RecallByID(%q)", id)
	r, err := scanRecall(t.QueryRow(ctx, `SELECT `+recallColumns+` FROM recalls WHERE id = $1`, id))
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.New(errs.NotFound, "recall_not_found", "id", "no recall %s", id)
	}
	return r, err
}

// Notice is a published risk warning (kind warning) or policy notice (kind policy).
type Notice struct {
	ID, Kind, Title, Body    string
	Product, EbcCode, ItemNo string
	GTIN, RiskLevel, Advice  string
	Source                   string // who or what raised it: an officer, a lab application id
	PublishedAt              time.Time
	WithdrawnAt              *time.Time
}

const noticeColumns = `id, kind, title, body, product, ebc_code, item_no, gtin, risk_level, advice, source, published_at, withdrawn_at`

// InsertNotice publishes a notice in the transaction.
func (t *Tx) InsertNotice(ctx context.Context, n *Notice) error {
	_, err := t.Exec(ctx, `INSERT INTO notices (`+noticeColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
		n.ID, n.Kind, n.Title, n.Body, n.Product, n.EbcCode, n.ItemNo, n.GTIN, n.RiskLevel, n.Advice, n.Source, n.PublishedAt, n.WithdrawnAt)
	if err != nil {
		return fmt.Errorf("store notice: %w", err)
	}
	return nil
}

// WithdrawNotice takes a notice off the public pages.
func (db *DB) WithdrawNotice(ctx context.Context, id string, at time.Time) error {
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE notices SET withdrawn_at = $1 WHERE id = $2 AND withdrawn_at IS NULL`, at, id)
		if err != nil {
			return fmt.Errorf("withdraw notice %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.NotFound, "notice_not_found", "id", "no published notice %s", id)
		}
		return nil
	})
}

// Notices lists the published notices of a kind, newest first.
func (db *DB) Notices(ctx context.Context, kind string, limit int) (_ []Notice, err error) {
	defer errs.Wrap(&err, "store.Notices(%q)", kind)
	rows, err := db.Query(ctx, `SELECT `+noticeColumns+` FROM notices WHERE kind = $1 AND withdrawn_at IS NULL
		ORDER BY published_at DESC LIMIT $2`, kind, limit)
	if err != nil {
		return nil, fmt.Errorf("read notices: %w", err)
	}
	defer rows.Close()
	out := []Notice{}
	for rows.Next() {
		var n Notice
		var at Time
		var w NullTime
		if err := rows.Scan(&n.ID, &n.Kind, &n.Title, &n.Body, &n.Product, &n.EbcCode, &n.ItemNo, &n.GTIN, &n.RiskLevel, &n.Advice,
			&n.Source, &at, &w); err != nil {
			return nil, err
		}
		n.PublishedAt = at.Time
		out = append(out, n)
	}
	return out, rows.Err()
}

// LabApplication is an enterprise's application for testing a product.
type LabApplication struct {
	ID, Applicant, LabCode       string
	EbcCode, ItemNo, GTIN, Batch string
	ProductName, Sample          string
	Items                        []string
	Status                       string // applied, accepted, refused, passed, failed
	Note                         string
	WarningID, HoldID            string
	CreatedAt, UpdatedAt         time.Time
	Results                      []LabResult
}

// LabResult is a lab's result for one test item.
type LabResult struct {
	Item       string    `json:"item"`
	Passed     bool      `json:"passed"`
	Value      string    `json:"value"`
	Standard   string    `json:"standard"`
	Method     string    `json:"method"`
	RecordedAt time.Time `json:"recordedAt"`
}

const labColumns = `id, applicant, lab_code, ebc_code, item_no, gtin, batch, product_name, sample, items, status, note,
	warning_id, hold_id, created_at, updated_at`

func scanLab(row scanner) (*LabApplication, error) {
	var a LabApplication
	var items string
	var created, updated Time
	err := row.Scan(&a.ID, &a.Applicant, &a.LabCode, &a.EbcCode, &a.ItemNo, &a.GTIN, &a.Batch, &a.ProductName, &a.Sample, &items,
		&a.Status, &a.Note, &a.WarningID, &a.HoldID, &created, &updated)
	if err != nil {
		return nil, classify(err)
	}
	a.CreatedAt, a.UpdatedAt = created.Time, updated.Time
	a.Items = strings.Split(items, "\n")
	return &a, nil
}

// InsertLabApplication stores a new application.
func (db *DB) InsertLabApplication(ctx context.Context, a *LabApplication) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO lab_applications (`+labColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`,
			a.ID, a.Applicant, a.LabCode, a.EbcCode, a.ItemNo, a.GTIN, a.Batch, a.ProductName, a.Sample, strings.Join(a.Items, "\n"),
			a.Status, a.Note, a.WarningID, a.HoldID, a.CreatedAt, a.UpdatedAt)
		if err != nil {
			return fmt.Errorf("store lab application: %w", err)
		}
		return nil
	})
}

// LabApplication reads an application in the transaction, with its results.
func (t *Tx) LabApplication(ctx context.Context, id string) (_ *LabApplication, err error) {
	defer errs.Wrap(&err, "store.LabApplication(%q)", id)
	a, err := scanLab(t.QueryRow(ctx, `SELECT `+labColumns+` FROM lab_applications WHERE id = $1`, id))
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.New(errs.NotFound, "lab_application_not_found", "id", "no lab application %s", id)
	}
	if err != nil {
		return nil, err
	}
	rows, err := t.Query(ctx, `SELECT item, passed, value, standard, method, recorded_at FROM lab_results WHERE application_id = $1 ORDER BY item`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	a.Results, err = scanLabResults(rows)
	return a, err
}

func scanLabResults(rows Rows) ([]LabResult, error) {
	out := []LabResult{}
	for rows.Next() {
		var r LabResult
		var at Time
		if err := rows.Scan(&r.Item, &r.Passed, &r.Value, &r.Standard, &r.Method, &at); err != nil {
			return nil, err
		}
		r.RecordedAt = at.Time
		out = append(out, r)
	}
	return out, rows.Err()
}

// LabApplication reads an application with its results.
func (db *DB) LabApplication(ctx context.Context, id string) (_ *LabApplication, err error) {
	defer errs.Wrap(&err, "store.LabApplication(%q)", id)
	var a *LabApplication
	err = db.InTx(ctx, func(tx *Tx) error {
		var err error
		a, err = tx.LabApplication(ctx, id)
		return err
	})
	return a, err
}

// UpdateLabApplication writes an application's status, note, warning and hold.
func (t *Tx) UpdateLabApplication(ctx context.Context, a *LabApplication) error {
	_, err := t.Exec(ctx, `UPDATE lab_applications SET status = $1, note = $2, warning_id = $3, hold_id = $4, updated_at = $5 WHERE id = $6`,
		a.Status, a.Note, a.WarningID, a.HoldID, a.UpdatedAt, a.ID)
	if err != nil {
		return fmt.Errorf("update lab application %s: %w", a.ID, err)
	}
	return nil
}

// PutLabResult records (or corrects) the result of one test item.
func (t *Tx) PutLabResult(ctx context.Context, appID string, r LabResult) error {
	_, err := t.Exec(ctx, `INSERT INTO lab_results (application_id, item, passed, value, standard, method, recorded_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (application_id, item) DO UPDATE SET passed = excluded.passed,
		value = excluded.value, standard = excluded.standard, method = excluded.method, recorded_at = excluded.recorded_at`,
		appID, r.Item, r.Passed, r.Value, r.Standard, r.Method, r.RecordedAt)
	if err != nil {
		return fmt.Errorf("store lab result: %w", err)
	}
	return nil
}

// LabApplications lists the applications an enterprise made (or, as a lab,
// received), newest first; ebcCode and itemNo select one product's instead.
func (db *DB) LabApplications(ctx context.Context, party, ebcCode, itemNo string, limit int) (_ []LabApplication, err error) {
	defer errs.Wrap(&err, "store.LabApplications(%q)", party)
	rows, err := db.Query(ctx, `SELECT `+labColumns+` FROM lab_applications
		WHERE ($1 = '' OR applicant = $1 OR lab_code = $1) AND ($2 = '' OR (ebc_code = $2 AND item_no = $3))
		ORDER BY created_at DESC LIMIT $4`, party, ebcCode, itemNo, limit)
	if err != nil {
		return nil, fmt.Errorf("read lab applications: %w", err)
	}
	defer rows.Close()
	out := []LabApplication{}
	for rows.Next() {
		a, err := scanLab(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for i := range out {
		rs, err := db.Query(ctx, `SELECT item, passed, value, standard, method, recorded_at FROM lab_results WHERE application_id = $1 ORDER BY item`, out[i].ID)
		if err != nil {
			return nil, err
		}
		out[i].Results, err = scanLabResults(rs)
		rs.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// recentTraceCodes reads the lines newest first by their key, which a
// release draws as it stores them (SQLite's rowid, PostgreSQL's identity),
// and each line's pieces in order through trace_codes_line, so that it stops
// after limit codes instead of sorting them all. An index of release times
// would give the same order at 130 bytes a declaration, for an operator's
// command. The CROSS JOIN makes SQLite keep that order of the tables (its
// planner, without statistics, would scan the pieces and sort); PostgreSQL
// reads it as the inner join it is.
const recentTraceCodes = `SELECT ` + traceCodeColumns + ` FROM trace_lines l CROSS JOIN trace_codes c WHERE c.line_id = l.id
	ORDER BY l.id DESC, c.piece LIMIT $1`

// RecentTraceCodes lists the most recently released codes: the lines newest
// first, in the order releases stored them (on PostgreSQL, writers releasing
// at the same moment may store in the other order), a line's pieces in
// order.
func (db *DB) RecentTraceCodes(ctx context.Context, limit int) ([]TraceCode, error) {
	rows, err := db.Query(ctx, recentTraceCodes, limit)
	if err != nil {
		return nil, fmt.Errorf("read recent codes: %w", err)
	}
	return collect(rows, scanTraceCode)
}
