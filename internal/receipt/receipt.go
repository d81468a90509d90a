// Package receipt builds the CEB receipts the platform answers and records:
// one receipt message per declaration message with a status per document,
// and a one-document receipt per document for the enterprise's feed.
package receipt

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/ceb"
)

// Status is one document's answer.
type Status struct {
	ReturnStatus string // e.g. "120", "100", "800"
	ReturnInfo   string // e.g. "[Code:1800;Desc:…]"
}

// Built is the receipt of a message with several documents, kept as what
// rebuilds it: its guid, one packed receipt per document (see Pack), their
// statuses and the time. The feed stores the packed receipts; Text writes the
// whole receipt, the sender's answer, outside the writer's transaction.
type Built struct {
	Type     string   // e.g. "CEB622Message"
	Guid     string   // the guid of the whole receipt
	PerDoc   []string // one packed receipt per document, in document order
	statuses []Status
	at       time.Time
}

// Build prepares the receipt of returnType for the documents identified by
// keys, each with its own status. A one-document message's feed receipt is
// the whole receipt (same guid); in a larger message each document's receipt
// has its own guid.
func Build(returnType string, keys []ceb.Keys, statuses []Status, now time.Time) (*Built, error) {
	if len(keys) != len(statuses) || len(keys) == 0 {
		return nil, fmt.Errorf("receipt: %d documents but %d statuses", len(keys), len(statuses))
	}
	b := &Built{Type: returnType, Guid: ceb.NewGuid(), PerDoc: make([]string, len(keys)), statuses: statuses, at: now}
	guid := b.Guid
	for i := range keys {
		if len(keys) > 1 {
			guid = ceb.NewGuid()
		}
		var err error
		if b.PerDoc[i], err = Pack(returnType, guid, keys[i]); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Text writes the whole receipt.
func (b *Built) Text() ([]byte, error) {
	return Whole(b.Type, b.Guid, b.PerDoc, b.statuses, b.at)
}

// One writes a one-document receipt, for statuses that come later.
func One(returnType string, keys ceb.Keys, st Status, now time.Time) ([]byte, error) {
	return message(returnType, ceb.NewGuid(), []ceb.Keys{keys}, []Status{st}, now)
}

// sep separates the packed values: a control character, which XML 1.0 text
// cannot hold, so no key value contains it.
const sep = "\x1f"

// Pack reduces a one-document receipt of returnType to its guid and the
// values of its keys that the receipt shows (ceb.ReturnFields), a few dozen
// bytes instead of the text's several hundred; Text rebuilds the text from it
// with the receipt's status and time. A missing document guid is drawn here,
// once, as the text would have had it. Guids are kept short (see shortGuid).
func Pack(returnType, guid string, keys ceb.Keys) (string, error) {
	names, err := ceb.ReturnFields(returnType)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(packValue(guid))
	for _, n := range names {
		v := keys[n]
		if n == "guid" && v == "" {
			// NewReceipt would draw the document's guid anew for each text.
			v = ceb.NewGuid()
		}
		if strings.Contains(v, sep) || strings.HasPrefix(v, shortGuid) {
			return "", fmt.Errorf("receipt %s: %s holds a control character", returnType, n)
		}
		b.WriteString(sep)
		b.WriteString(packValue(v))
	}
	return b.String(), nil
}

// shortGuid starts a packed value that is a guid in the spec's upper-case
// form, kept as its 16 bytes in unpadded URL base64: 23 characters instead of
// 36 for the receipt's own guid and its document's, about 130 bytes a
// declaration. Another control character, so no value sent or packed before
// (every value as its text) starts with it.
const shortGuid = "\x1e"

// packValue is v as a packed receipt keeps it.
func packValue(v string) string {
	if b, ok := ceb.GuidBytes(v); ok {
		return shortGuid + base64.RawURLEncoding.EncodeToString(b[:])
	}
	return v
}

// unpack splits a packed receipt into its guid and key values, as text.
func unpack(packed string) ([]string, error) {
	values := strings.Split(packed, sep)
	for i, v := range values {
		short, ok := strings.CutPrefix(v, shortGuid)
		if !ok {
			continue
		}
		var b [16]byte
		if n, err := base64.RawURLEncoding.Decode(b[:], []byte(short)); err != nil || n != 16 || len(short) != 22 {
			return nil, fmt.Errorf("packed receipt: value %d is not a guid (%q)", i, short)
		}
		values[i] = ceb.GuidText(b)
	}
	return values, nil
}

// NewPacked is Pack with a new guid: a one-document receipt for a status that
// comes later, to be stored in the feed.
func NewPacked(returnType string, keys ceb.Keys) (string, error) {
	return Pack(returnType, ceb.NewGuid(), keys)
}

// Text rebuilds the text of a packed receipt: byte for byte what One or Build
// wrote with the same guid, keys, status and time (to the millisecond).
func Text(returnType, packed string, st Status, at time.Time) ([]byte, error) {
	values, err := unpack(packed)
	if err != nil {
		return nil, err
	}
	return Whole(returnType, values[0], []string{packed}, []Status{st}, at)
}

// Whole rebuilds the receipt of a message from its guid, the packed receipts
// of its documents and their statuses: byte for byte Built.Text.
func Whole(returnType, guid string, packed []string, statuses []Status, at time.Time) ([]byte, error) {
	names, err := ceb.ReturnFields(returnType)
	if err != nil {
		return nil, err
	}
	if len(packed) != len(statuses) || len(packed) == 0 {
		return nil, fmt.Errorf("receipt: %d documents but %d statuses", len(packed), len(statuses))
	}
	keys := make([]ceb.Keys, len(packed))
	for d, p := range packed {
		values, err := unpack(p)
		if err != nil {
			return nil, err
		}
		if len(values) != len(names)+1 {
			return nil, fmt.Errorf("receipt %s: packed form has %d values, want %d", returnType, len(values)-1, len(names))
		}
		keys[d] = make(ceb.Keys, len(names))
		for i, n := range names {
			keys[d][n] = values[i+1]
		}
	}
	return message(returnType, guid, keys, statuses, at)
}

func message(returnType, guid string, keys []ceb.Keys, statuses []Status, now time.Time) ([]byte, error) {
	m, err := ceb.NewReceipt(returnType, keys, ceb.Status{Status: statuses[0].ReturnStatus, Info: statuses[0].ReturnInfo, Time: now, Guid: guid})
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
