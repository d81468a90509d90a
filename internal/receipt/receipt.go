// Package receipt builds the CEB receipts the platform answers and records:
// one receipt message per declaration message with a status per document,
// and a one-document receipt per document for the enterprise's feed.
package receipt

import (
	"fmt"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
)

// Status is one document's answer.
type Status struct {
	ReturnStatus string // e.g. "120", "100", "800"
	ReturnInfo   string // e.g. "[Code:1800;Desc:…]"
}

// Built is a receipt message for several documents, and the same answer cut
// into one receipt per document for the feed.
type Built struct {
	Type   string   // e.g. "CEB622Message"
	Whole  []byte   // the receipt of the whole message
	PerDoc [][]byte // one receipt per document, in document order
}

// Build writes the receipt of returnType for the documents identified by keys,
// each with its own status.
func Build(returnType string, keys []ceb.Keys, statuses []Status, now time.Time) (*Built, error) {
	if len(keys) != len(statuses) || len(keys) == 0 {
		return nil, fmt.Errorf("receipt: %d documents but %d statuses", len(keys), len(statuses))
	}
	whole, err := message(returnType, keys, statuses, now)
	if err != nil {
		return nil, err
	}
	b := &Built{Type: returnType, Whole: whole}
	if len(keys) == 1 {
		b.PerDoc = [][]byte{whole}
		return b, nil
	}
	for i := range keys {
		one, err := message(returnType, keys[i:i+1], statuses[i:i+1], now)
		if err != nil {
			return nil, err
		}
		b.PerDoc = append(b.PerDoc, one)
	}
	return b, nil
}

// One writes a one-document receipt, for statuses that come later.
func One(returnType string, keys ceb.Keys, st Status, now time.Time) ([]byte, error) {
	return message(returnType, []ceb.Keys{keys}, []Status{st}, now)
}

func message(returnType string, keys []ceb.Keys, statuses []Status, now time.Time) ([]byte, error) {
	m, err := ceb.NewReceipt(returnType, keys, ceb.Status{Status: statuses[0].ReturnStatus, Info: statuses[0].ReturnInfo, Time: now})
	if err != nil {
		return nil, fmt.Errorf("receipt %s: %w", returnType, err)
	}
	for i, st := range statuses[1:] {
		if err := setReturn(m, i+1, st); err != nil {
			return nil, err
		}
	}
	// Marshal, not Encode: receipts are built here from validated documents,
	// and the tests check that what Build writes validates; validating every
	// receipt again at run time cost about a tenth of the intake's CPU.
	xml, err := ceb.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("write receipt %s: %w", returnType, err)
	}
	return xml, nil
}

// setReturn gives the i-th Return of a receipt its own status.
func setReturn(m ceb.Message, i int, st Status) error {
	switch r := m.(type) {
	case *ceb.CEB312Message:
		r.OrderReturn[i].ReturnStatus, r.OrderReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB412Message:
		r.PaymentReturn[i].ReturnStatus, r.PaymentReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB512Message:
		r.LogisticsReturn[i].ReturnStatus, r.LogisticsReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB514Message:
		r.LogisticsStatusReturn[i].ReturnStatus, r.LogisticsStatusReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB622Message:
		r.InventoryReturn[i].ReturnStatus, r.InventoryReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB624Message:
		r.InvtCancelReturn[i].ReturnStatus, r.InvtCancelReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB626Message:
		r.InvtRefundReturn[i].ReturnStatus, r.InvtRefundReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB304Message:
		r.OrderReturn[i].ReturnStatus, r.OrderReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB404Message:
		r.ReceiptsReturn[i].ReturnStatus, r.ReceiptsReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB506Message:
		r.LogisticsReturn[i].ReturnStatus, r.LogisticsReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB508Message:
		r.ArrivalReturn[i].ReturnStatus, r.ArrivalReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB510Message:
		r.DepartureReturn[i].ReturnStatus, r.DepartureReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB604Message:
		r.InventoryReturn[i].ReturnStatus, r.InventoryReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB606Message:
		r.InvtCancelReturn[i].ReturnStatus, r.InvtCancelReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB608Message:
		r.WayBillReturn[i].ReturnStatus, r.WayBillReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB214Message:
		r.RefundReturn[i].ReturnStatus, r.RefundReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB216Message:
		r.InvtRefundDetailReturn[i].ReturnStatus, r.InvtRefundDetailReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	case *ceb.CEB702Message:
		r.SummaryReturn[i].ReturnStatus, r.SummaryReturn[i].ReturnInfo = st.ReturnStatus, st.ReturnInfo
	default:
		return fmt.Errorf("receipt: per-document statuses are not supported for %s", m.MessageType())
	}
	return nil
}
