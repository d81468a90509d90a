package bonded

import (
	"context"
	"encoding/json"
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
func (s *Service) Gate(ctx context.Context, operator string, g GateCheck) (_ *GateResult, err error) {
	defer errs.Wrap(&err, "bonded.Gate(%q, %d parcels)", operator, len(g.Parcels))
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
	err = s.Batch.Do(ctx, func(tx *store.Tx) error {
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
				if err := tx.InsertGateExit(ctx, &store.GateExit{InventoryID: id, ExitID: res.ID, At: now}); err != nil {
					return err
				}
			}
		}
		pj, err := json.Marshal(res.Parcels)
		if err != nil {
			return fmt.Errorf("encode parcels of gate check %s: %w", res.ID, err)
		}
		return tx.InsertGateCheck(ctx, &store.GateCheck{ID: res.ID, OperatorCode: operator, VehicleNo: g.VehicleNo, Passed: res.Pass,
			Parcels: string(pj), At: now})
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
	zone := operator
	if operator == "admin" {
		zone = "" // every zone
	}
	found, err := tx.GateParcel(ctx, p, zone)
	if err != nil {
		return v, "", err
	}
	if found == nil {
		v.Reason, v.Detail = "unknown", "no live inventory for this parcel"
		return v, "", nil
	}
	id, status := found.InventoryID, found.Status
	v.InvtNo, v.Status = found.InvtNo, status
	switch {
	case status == "300" || status == "500" || engine.Detained(status):
		v.Reason, v.Detail = "held", "status "+status+": under review, inspection or detention"
		return v, id, nil
	case status != "800":
		v.Reason, v.Detail = "not_released", "status "+status
		return v, id, nil
	}
	out, err := tx.GateExit(ctx, id)
	if err != nil {
		return v, "", err
	}
	if out != nil {
		v.Reason, v.Detail = "already_out", "left the zone at "+out.At.In(cst).Format(time.RFC3339)
		return v, id, nil
	}
	v.Pass = true
	return v, id, nil
}
