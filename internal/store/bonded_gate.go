package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// GateParcel is the live inventory a parcel presented at the gate (卡口) names.
type GateParcel struct {
	InventoryID, Status, InvtNo string
}

// GateExit is a parcel's inventory that left the zone with vehicle check ExitID.
type GateExit struct {
	InventoryID, ExitID string
	At                  time.Time
}

// GateCheck is one vehicle's check at the gate; Parcels is the JSON of the
// verdicts the bonded package writes.
type GateCheck struct {
	ID, OperatorCode, VehicleNo string
	Passed                      bool
	Parcels                     string
	At                          time.Time
}

// GateParcel finds, in the transaction, the newest inventory that is not
// rejected whose waybill number (logistics_no) or inventory number is parcel,
// among those holding stock of a book of zone operator zone ("" for every
// zone); nil when there is none.
func (t *Tx) GateParcel(ctx context.Context, parcel, zone string) (*GateParcel, error) {
	var p GateParcel
	err := t.QueryRow(ctx, `SELECT id, status, invt_no FROM inventories i WHERE (logistics_no = $1 OR invt_no = $1) AND status <> '100'
		AND ($2 = '' OR EXISTS (SELECT 1 FROM bonded_holds h JOIN bonded_books b ON b.ems_no = h.ems_no
			WHERE h.inventory_id = i.id AND b.operator_code = $2))
		ORDER BY created_at DESC LIMIT 1`, parcel, zone).Scan(&p.InventoryID, &p.Status, &p.InvtNo)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find parcel %s at the gate: %w", parcel, classify(err))
	}
	return &p, nil
}

// GateExit reads, in the transaction, the exit of inventory invID; nil when
// it has not left the zone.
func (t *Tx) GateExit(ctx context.Context, invID string) (*GateExit, error) {
	e := GateExit{InventoryID: invID}
	var at Time
	err := t.QueryRow(ctx, `SELECT exit_id, at FROM gate_exits WHERE inventory_id = $1`, invID).Scan(&e.ExitID, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read gate exit of %s: %w", invID, classify(err))
	}
	e.At = at.Time
	return &e, nil
}

// InsertGateExit records that inventory e.InventoryID left the zone; a
// Conflict error when it had left already.
func (t *Tx) InsertGateExit(ctx context.Context, e *GateExit) error {
	if _, err := t.Exec(ctx, `INSERT INTO gate_exits (inventory_id, exit_id, at) VALUES ($1,$2,$3)`, e.InventoryID, e.ExitID, e.At); err != nil {
		return fmt.Errorf("record gate exit of %s: %w", e.InventoryID, err)
	}
	return nil
}

// InsertGateCheck records a vehicle's check.
func (t *Tx) InsertGateCheck(ctx context.Context, c *GateCheck) error {
	if _, err := t.Exec(ctx, `INSERT INTO gate_checks (id, operator_code, vehicle_no, passed, parcels, at) VALUES ($1,$2,$3,$4,$5,$6)`,
		c.ID, c.OperatorCode, c.VehicleNo, c.Passed, c.Parcels, c.At); err != nil {
		return fmt.Errorf("record gate check %s: %w", c.ID, err)
	}
	return nil
}
