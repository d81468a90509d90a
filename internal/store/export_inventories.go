package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// ExportInventory is an export inventory (CEB603, package export) as stored.
type ExportInventory struct {
	ID, AgentCode, CopNo, PreNo, InvtNo, EbpCode, OrderNo, EbcCode, OwnerCode string
	LogisticsCode, LogisticsNo, TradeMode, StatisticsFlag                     string
	CustomsCode, PortCode, TrafMode, Country, Currency                        string
	TotalFen                                                                  int64
	Matched                                                                   bool
	Status, ReasonCode, ReasonInfo, Sender                                    string
	Data                                                                      string // JSON of the declared inventory
	DeclaredAt                                                                time.Time
	ReleasedAt, ClosedAt                                                      *time.Time
	Cancelled                                                                 bool
	SumNo                                                                     string // "" until it is in a summary declaration
	UpdatedAt                                                                 time.Time
}

// ExportLine is one goods line of an export inventory.
type ExportLine struct {
	Gnum                                         int
	ItemNo, ItemName, Gcode, Unit, Currency, Qty string
	TotalFen                                     int64
}

const exportInventoryColumns = `id, agent_code, cop_no, pre_no, invt_no, ebp_code, order_no, ebc_code, owner_code, logistics_code, logistics_no,
	trade_mode, statistics_flag, customs_code, port_code, traf_mode, country, currency, total_fen, matched, status, reason_code, reason_info,
	sender, data, declared_at, released_at, closed_at, cancelled, sum_no, updated_at`

func scanExportInventory(row Scanner) (*ExportInventory, error) {
	var v ExportInventory
	var declared, updated Time
	var released, closed NullTime
	if err := row.Scan(&v.ID, &v.AgentCode, &v.CopNo, &v.PreNo, &v.InvtNo, &v.EbpCode, &v.OrderNo, &v.EbcCode, &v.OwnerCode, &v.LogisticsCode,
		&v.LogisticsNo, &v.TradeMode, &v.StatisticsFlag, &v.CustomsCode, &v.PortCode, &v.TrafMode, &v.Country, &v.Currency, &v.TotalFen,
		&v.Matched, &v.Status, &v.ReasonCode, &v.ReasonInfo, &v.Sender, &v.Data, &declared, &released, &closed, &v.Cancelled, &v.SumNo,
		&updated); err != nil {
		return nil, classify(err)
	}
	v.DeclaredAt, v.UpdatedAt = declared.UTC(), updated.UTC()
	v.ReleasedAt, v.ClosedAt = nullTimePtr(released), nullTimePtr(closed)
	return &v, nil
}

// findExportInventory reads the export inventory matching where; nil when
// there is none.
func findExportInventory(ctx context.Context, q rowQuerier, what, where string, args ...any) (*ExportInventory, error) {
	v, err := scanExportInventory(q.queryRow(ctx, `SELECT `+exportInventoryColumns+` FROM export_inventories WHERE `+where, args...))
	if errs.KindOf(err) == errs.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read export inventory %s: %w", what, err)
	}
	return v, nil
}

// ExportInventory reads export inventory id in the transaction; nil when there is none.
func (t *Tx) ExportInventory(ctx context.Context, id string) (*ExportInventory, error) {
	return findExportInventory(ctx, t, id, `id = $1`, id)
}

// WaitingExportInventory reads export inventory id when it is still waiting (120); nil otherwise.
func (t *Tx) WaitingExportInventory(ctx context.Context, id string) (*ExportInventory, error) {
	return findExportInventory(ctx, t, id, `id = $1 AND status = '120'`, id)
}

// ExportInventoryByCopNo reads the export inventory of agentCode's copNo; nil when there is none.
func (t *Tx) ExportInventoryByCopNo(ctx context.Context, agentCode, copNo string) (*ExportInventory, error) {
	return findExportInventory(ctx, t, agentCode+"/"+copNo, `agent_code = $1 AND cop_no = $2`, agentCode, copNo)
}

// ExportInventoryByInvtNo reads the export inventory numbered invtNo; nil when there is none.
func (t *Tx) ExportInventoryByInvtNo(ctx context.Context, invtNo string) (*ExportInventory, error) {
	return findExportInventory(ctx, t, invtNo, `invt_no = $1`, invtNo)
}

// ExportInventoryByNumber reads an export inventory by invtNo or copNo (of
// any agent); nil when there is none.
func (t *Tx) ExportInventoryByNumber(ctx context.Context, number string) (*ExportInventory, error) {
	return findExportInventory(ctx, t, number, `invt_no = $1 OR cop_no = $1`, number)
}

// LatestExportInventory reads the newest export inventory numbered number
// (invtNo, or copNo of any agent); nil when there is none.
func (db *DB) LatestExportInventory(ctx context.Context, number string) (*ExportInventory, error) {
	return findExportInventory(ctx, db, number, `invt_no = $1 OR cop_no = $1 ORDER BY declared_at DESC LIMIT 1`, number)
}

// MatchedExportInventory reads the export inventory of a waybill that is
// matched and waiting for its arrival (120); nil when there is none.
func (t *Tx) MatchedExportInventory(ctx context.Context, logisticsCode, logisticsNo string) (*ExportInventory, error) {
	return findExportInventory(ctx, t, logisticsCode+"/"+logisticsNo,
		`logistics_code = $1 AND logistics_no = $2 AND status = '120' AND matched = $3`, logisticsCode, logisticsNo, true)
}

// LiveExportInventoryOfWaybill reads the export inventory of a waybill that
// is neither cancelled nor rejected (100); nil when there is none.
func (t *Tx) LiveExportInventoryOfWaybill(ctx context.Context, logisticsCode, logisticsNo string) (*ExportInventory, error) {
	return findExportInventory(ctx, t, logisticsCode+"/"+logisticsNo,
		`logistics_code = $1 AND logistics_no = $2 AND cancelled = $3 AND status <> '100'`, logisticsCode, logisticsNo, false)
}

// InsertExportInventory stores an export inventory with its lines (gnum as given).
func (t *Tx) InsertExportInventory(ctx context.Context, v *ExportInventory, lines []ExportLine) error {
	if _, err := t.Exec(ctx, `INSERT INTO export_inventories (`+exportInventoryColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$31)`,
		v.ID, v.AgentCode, v.CopNo, v.PreNo, v.InvtNo, v.EbpCode, v.OrderNo, v.EbcCode, v.OwnerCode, v.LogisticsCode, v.LogisticsNo,
		v.TradeMode, v.StatisticsFlag, v.CustomsCode, v.PortCode, v.TrafMode, v.Country, v.Currency, v.TotalFen, v.Matched, v.Status,
		v.ReasonCode, v.ReasonInfo, v.Sender, v.Data, v.DeclaredAt, v.ReleasedAt, v.ClosedAt, v.Cancelled, v.SumNo, v.UpdatedAt); err != nil {
		return fmt.Errorf("store export inventory %s/%s: %w", v.AgentCode, v.CopNo, err)
	}
	for _, l := range lines {
		if _, err := t.Exec(ctx, `INSERT INTO export_lines (inventory_id, gnum, item_no, item_name, gcode, unit, currency, qty, total_fen)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, v.ID, l.Gnum, l.ItemNo, l.ItemName, l.Gcode, l.Unit, l.Currency, l.Qty, l.TotalFen); err != nil {
			return fmt.Errorf("store line %d of export inventory %s/%s: %w", l.Gnum, v.AgentCode, v.CopNo, err)
		}
	}
	return nil
}

// DeleteExportInventory removes export inventory id with its lines.
func (t *Tx) DeleteExportInventory(ctx context.Context, id string) error {
	if _, err := t.Exec(ctx, `DELETE FROM export_lines WHERE inventory_id = $1`, id); err != nil {
		return fmt.Errorf("delete lines of export inventory %s: %w", id, err)
	}
	if _, err := t.Exec(ctx, `DELETE FROM export_inventories WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete export inventory %s: %w", id, err)
	}
	return nil
}

// ExportJudgement is the outcome recorded on an export inventory.
type ExportJudgement struct {
	Status, ReasonCode, ReasonInfo string
	Matched                        bool
}

// JudgeExportInventory records j on export inventory id at at; release also
// records at as its release time.
func (t *Tx) JudgeExportInventory(ctx context.Context, id string, j ExportJudgement, at time.Time, release bool) error {
	q := `UPDATE export_inventories SET status = $2, reason_code = $3, reason_info = $4, matched = $5, updated_at = $6 WHERE id = $1`
	if release {
		q = `UPDATE export_inventories SET status = $2, reason_code = $3, reason_info = $4, matched = $5, updated_at = $6, released_at = $6 WHERE id = $1`
	}
	if _, err := t.Exec(ctx, q, id, j.Status, j.ReasonCode, j.ReasonInfo, j.Matched, at); err != nil {
		return fmt.Errorf("record status %s of export inventory %s: %w", j.Status, id, err)
	}
	return nil
}

// CancelExportInventory closes export inventory id as cancelled (899) at at.
func (t *Tx) CancelExportInventory(ctx context.Context, id, reasonCode, reasonInfo string, at time.Time) error {
	if _, err := t.Exec(ctx, `UPDATE export_inventories SET status = '899', reason_code = $2, reason_info = $3, cancelled = $4, closed_at = $5, updated_at = $5 WHERE id = $1`,
		id, reasonCode, reasonInfo, true, at); err != nil {
		return fmt.Errorf("cancel export inventory %s: %w", id, err)
	}
	return nil
}

// CloseExportInventory closes export inventory id (899) as departed at closedAt, recorded at at.
func (t *Tx) CloseExportInventory(ctx context.Context, id, reasonCode, reasonInfo string, closedAt, at time.Time) error {
	if _, err := t.Exec(ctx, `UPDATE export_inventories SET status = '899', reason_code = $2, reason_info = $3, closed_at = $4, updated_at = $5 WHERE id = $1`,
		id, reasonCode, reasonInfo, closedAt, at); err != nil {
		return fmt.Errorf("close export inventory %s: %w", id, err)
	}
	return nil
}

// ExportReleasedForOrder reports whether an export inventory of the order is
// released or closed (800, 899).
func (t *Tx) ExportReleasedForOrder(ctx context.Context, ebpCode, orderNo string) (bool, error) {
	var n int
	if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM export_inventories WHERE ebp_code = $1 AND order_no = $2 AND status IN ('800', '899')`,
		ebpCode, orderNo).Scan(&n); err != nil {
		return false, fmt.Errorf("released export inventories of order %s/%s: %w", ebpCode, orderNo, err)
	}
	return n > 0, nil
}

// ExportReleasedForWaybill reports whether an export inventory of the
// waybill is released or closed (800, 899).
func (t *Tx) ExportReleasedForWaybill(ctx context.Context, logisticsCode, logisticsNo string) (bool, error) {
	var n int
	if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM export_inventories WHERE logistics_code = $1 AND logistics_no = $2 AND status IN ('800', '899')`,
		logisticsCode, logisticsNo).Scan(&n); err != nil {
		return false, fmt.Errorf("released export inventories of waybill %s/%s: %w", logisticsCode, logisticsNo, err)
	}
	return n > 0, nil
}

// WaitingExportInventoriesOfOrder lists the ids of the order's export inventories still waiting (120).
func (t *Tx) WaitingExportInventoriesOfOrder(ctx context.Context, ebpCode, orderNo string) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT id FROM export_inventories WHERE status = '120' AND ebp_code = $1 AND order_no = $2`, ebpCode, orderNo)
	ids, err := textList(rows, err)
	if err != nil {
		return nil, fmt.Errorf("waiting export inventories of order %s/%s: %w", ebpCode, orderNo, err)
	}
	return ids, nil
}

// WaitingExportInventoriesOfWaybill lists the ids of the waybill's export inventories still waiting (120).
func (t *Tx) WaitingExportInventoriesOfWaybill(ctx context.Context, logisticsCode, logisticsNo string) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT id FROM export_inventories WHERE status = '120' AND logistics_code = $1 AND logistics_no = $2`,
		logisticsCode, logisticsNo)
	ids, err := textList(rows, err)
	if err != nil {
		return nil, fmt.Errorf("waiting export inventories of waybill %s/%s: %w", logisticsCode, logisticsNo, err)
	}
	return ids, nil
}

// StaleExportInventories lists the ids of up to limit export inventories
// waiting (120) since before before, longest waiting first.
func (db *DB) StaleExportInventories(ctx context.Context, before time.Time, limit int) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT id FROM export_inventories WHERE status = '120' AND updated_at < $1 ORDER BY updated_at LIMIT $2`, before, limit)
	ids, err := textList(rows, err)
	if err != nil {
		return nil, fmt.Errorf("export inventories waiting since %s: %w", before.Format(time.RFC3339), err)
	}
	return ids, nil
}

// HeldExportInventories lists the export inventories held by an emergency
// measure (300, reason 2420), whichever measure.
func (t *Tx) HeldExportInventories(ctx context.Context) ([]ExportInventory, error) {
	rows, err := t.Query(ctx, `SELECT `+exportInventoryColumns+` FROM export_inventories WHERE status = '300' AND reason_code = '2420'`)
	if err != nil {
		return nil, fmt.Errorf("held export inventories: %w", err)
	}
	list, err := collect(rows, scanExportInventory)
	if err != nil {
		return nil, fmt.Errorf("held export inventories: %w", err)
	}
	return list, nil
}

// textList reads the rows of a one-column text query (ids, stored JSON).
func textList(rows Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

// ExportForexRow is a released, uncancelled export inventory with the
// receipt of payment (CEB403) of its order, if any.
type ExportForexRow struct {
	EbcCode           string
	ReleasedAt        time.Time
	Country, Currency string
	TotalFen          int64
	Data              string // JSON of the declared inventory
	ReceiptFen        int64  // 0 without a receipt
	ReceiptCurrency   string // "" without a receipt
}

// ExportForexRows lists the released, uncancelled export inventories (all
// consignors, or ebcCode's) with their receipts of payment, in the order
// they were released.
func (db *DB) ExportForexRows(ctx context.Context, ebcCode string) ([]ExportForexRow, error) {
	q := `SELECT i.ebc_code, i.released_at, i.country, i.currency, i.total_fen, i.data, COALESCE(r.amount_fen, 0), COALESCE(r.currency, '')
		FROM export_inventories i LEFT JOIN export_docs r ON r.kind = 'receipt' AND r.k1 = i.ebp_code AND r.k2 = i.order_no
		WHERE i.released_at IS NOT NULL AND i.cancelled = $1`
	args := []any{false}
	if ebcCode != "" {
		q, args = q+` AND i.ebc_code = $2`, append(args, ebcCode)
	}
	rows, err := db.Query(ctx, q+` ORDER BY i.released_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("forex of exports of %q: %w", ebcCode, err)
	}
	list, err := Collect(rows, func(r Scanner) (ExportForexRow, error) {
		var v ExportForexRow
		var at Time
		err := r.Scan(&v.EbcCode, &at, &v.Country, &v.Currency, &v.TotalFen, &v.Data, &v.ReceiptFen, &v.ReceiptCurrency)
		v.ReleasedAt = at.UTC()
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("forex of exports of %q: %w", ebcCode, err)
	}
	return list, nil
}
