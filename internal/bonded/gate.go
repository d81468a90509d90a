package bonded

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/engine"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// GateCheck is a vehicle's parcel list presented at the gate (卡口).
type GateCheck struct {
	VehicleNo string   `json:"vehicleNo"`
	Parcels   []string `json:"parcels"` // waybill numbers (logisticsNo) or inventory numbers (invtNo)
}

// ParcelVerdict is the gate's answer for one parcel.
type ParcelVerdict struct {
	Parcel string `json:"parcel"`
	Pass   bool   `json:"pass"`
	// Reason when refused: unknown, not_released, held, already_out.
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
	InvtNo string `json:"invtNo,omitempty"`
	Status string `json:"status,omitempty"`
}

// GateResult is the gate's answer for a vehicle: it passes only when every parcel passes.
type GateResult struct {
	ID        string          `json:"id"`
	VehicleNo string          `json:"vehicleNo"`
	Pass      bool            `json:"pass"`
	Parcels   []ParcelVerdict `json:"parcels"`
	At        time.Time       `json:"at"`
}

// Gate checks a vehicle's parcels and, when every one may leave, records
// their exit; a refused vehicle records nothing but the check itself.
func (s *Service) Gate(ctx context.Context, operator string, g GateCheck) (*GateResult, error) {
	var list errs.List
	if g.VehicleNo = strings.TrimSpace(g.VehicleNo); g.VehicleNo == "" || len(g.VehicleNo) > 40 {
		list = append(list, errs.Invalidf("vehicleNo", "vehicle_no_invalid", "vehicleNo must be 1 to 40 characters"))
	}
	if len(g.Parcels) == 0 || len(g.Parcels) > 10000 {
		list = append(list, errs.Invalidf("parcels", "parcels_missing", "list 1 to 10000 parcels"))
	}
	seen := map[string]bool{}
	for i, p := range g.Parcels {
		if strings.TrimSpace(p) == "" {
			list = append(list, errs.Invalidf(fmt.Sprintf("parcels[%d]", i), "parcel_empty", "a parcel number is empty"))
		}
		if seen[p] {
			list = append(list, errs.Invalidf(fmt.Sprintf("parcels[%d]", i), "parcel_repeated", "parcel %s is listed twice", p))
		}
		seen[p] = true
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	res := &GateResult{ID: newID(), VehicleNo: g.VehicleNo, At: now.In(cst)}
	err := s.Batch.Do(ctx, func(tx *store.Tx) error {
		res.Pass, res.Parcels = true, make([]ParcelVerdict, len(g.Parcels))
		var ids []string
		for i, p := range g.Parcels {
			v, id, err := parcel(ctx, tx, p, operator)
			if err != nil {
				return err
			}
			res.Parcels[i] = v
			res.Pass = res.Pass && v.Pass
			ids = append(ids, id)
		}
		if res.Pass {
			for _, id := range ids {
				if _, err := tx.Exec(ctx, `INSERT INTO gate_exits (inventory_id, exit_id, at) VALUES ($1,$2,$3)`, id, res.ID, now); err != nil {
					return err
				}
			}
		}
		pj, _ := json.Marshal(res.Parcels)
		_, err := tx.Exec(ctx, `INSERT INTO gate_checks (id, operator_code, vehicle_no, passed, parcels, at) VALUES ($1,$2,$3,$4,$5,$6)`,
			res.ID, operator, g.VehicleNo, res.Pass, string(pj), now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// parcel judges one parcel: released, not held, not out yet. A zone
// operator sees only the parcels its own account books hold (the
// administrator, operator "admin", every one): another zone's parcel is
// answered as unknown, telling nothing of it and marking nothing.
func parcel(ctx context.Context, tx *store.Tx, p, operator string) (ParcelVerdict, string, error) {
	v := ParcelVerdict{Parcel: p}
	var id, status, invtNo string
	err := tx.QueryRow(ctx, `SELECT id, status, invt_no FROM inventories i WHERE (logistics_no = $1 OR invt_no = $1) AND status <> '100'
		AND ($2 = 'admin' OR EXISTS (SELECT 1 FROM bonded_holds h JOIN bonded_books b ON b.ems_no = h.ems_no
			WHERE h.inventory_id = i.id AND b.operator_code = $2))
		ORDER BY created_at DESC LIMIT 1`, p, operator).Scan(&id, &status, &invtNo)
	if errors.Is(err, sql.ErrNoRows) {
		v.Reason, v.Detail = "unknown", "no live inventory for this parcel"
		return v, "", nil
	}
	if err != nil {
		return v, "", err
	}
	v.InvtNo, v.Status = invtNo, status
	switch {
	case status == "300" || status == "500" || engine.Detained(status):
		v.Reason, v.Detail = "held", "status "+status+": under review, inspection or detention"
		return v, id, nil
	case status != "800":
		v.Reason, v.Detail = "not_released", "status "+status
		return v, id, nil
	}
	var exitID string
	var at store.Time
	err = tx.QueryRow(ctx, `SELECT exit_id, at FROM gate_exits WHERE inventory_id = $1`, id).Scan(&exitID, &at)
	if err == nil {
		v.Reason, v.Detail = "already_out", "left the zone at "+at.Time.In(cst).Format(time.RFC3339)
		return v, id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return v, "", err
	}
	v.Pass = true
	return v, id, nil
}
