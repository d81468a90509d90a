package store

import (
	"encoding/json"
	"fmt"

	"github.com/cbec-platform/cbec/internal/dictflate"
	"github.com/klauspost/compress/flate"
)

// The JSON of documents and inventories is stored compressed (the data_z
// column, migration 00170), format 1 of package dictflate: DEFLATE primed
// with jsonDict1. Alone, a 1.2 KB order shrinks to about 670 bytes; most of
// what is left is its field names, the same in every row, and with the
// dictionary it comes to about 450 (measured on 200 stored rows of each
// kind: 3.4 KB of JSON per declaration became 1.3 KB).
var jsonCodec = dictflate.New(1, flate.BestSpeed, jsonDict1)

// jsonDict1 is format 1's dictionary: a waybill, a payment, an order and an
// inventory with their values emptied or typical. DEFLATE finds near matches
// more cheaply, so the kinds that come most often are last. It never
// changes (see dictflate.New).
const jsonDict1 = `{"guid":"","appType":"1","appTime":"2026","logisticsCode":"","logisticsNo":"","logisticsStatus":"S","orderNo":"","billNo":"","freight":"0.00","insuredFee":"0.00","weight":"1.000","consignee":{"h":"","m":""},"consigneePhone":{"h":"","m":"1**********"},"consigneeAddress":{"h":"","m":"北京市朝阳区***************"}}` +
	`{"guid":"","appType":"1","appTime":"2026","payCode":"","payTransactionId":"","orderNo":"","ebpCode":"","payerIdType":"1","payerName":{"h":"","m":"**"},"payerId":{"h":"","m":"********"},"amountPaid":"0.00","payTime":"2026"}` +
	`{"guid":"","appType":"1","appTime":"2026","orderNo":"","ebpCode":"","ebcCode":"","goodsValue":"0.00","freight":"0.00","discount":"0.00","taxTotal":"0.00","acturalPaid":"0.00","buyerIdType":"1","buyerName":{"h":"","m":"**"},"buyerId":{"h":"","m":"********"},"buyerPhone":{"h":"","m":"1**********"},"payCode":"","payTransactionId":"","consignee":{"h":"","m":""},"consigneePhone":{"h":"","m":""},"consigneeAddress":{"h":"","m":"上海市徐汇区***************"},"lines":[{"gnum":1,"itemNo":"","itemName":"","barCode":"69000","unit":"007","qty":"1","price":"0.00","totalPrice":"0.00","country":"502"}]}` +
	`{"guid":"","appType":"1","appTime":"2026","copNo":"","orderNo":"","ebpCode":"","ebcCode":"","logisticsCode":"","logisticsNo":"","agentCode":"","assureCode":"","tradeMode":"9610","customsCode":"","portCode":"","ieDate":"","buyerIdType":"1","buyerName":{"h":"","m":"**"},"buyerId":{"h":"","m":"********"},"buyerPhone":{"h":"","m":"1**********"},"freight":"0.00","insuredFee":"0.00","lines":[{"gnum":1,"itemNo":"","itemName":"","gcode":"","gname":"","barCode":"69000","country":"","qty":"1","unit":"007","qty1":"1","unit1":"035","price":"0.00","totalPrice":"0.00"},{"gnum":2,"itemNo":"","itemName":"","gcode":"","gname":"","barCode":"69000","country":"","qty":"1","unit":"011","qty1":"1","unit1":"035","price":"0.00","totalPrice":"0.00"}]}`

// packJSON compresses a row's JSON.
func packJSON(plain []byte) []byte { return jsonCodec.Pack(plain) }

// PackedJSON is a document's or an inventory's value with its JSON and the
// JSON's compressed form, made before the writer's transaction (EncodeJSON),
// so that the one writer stores the bytes instead of encoding and
// compressing them, and the engine judges the value instead of decoding the
// JSON (Document.SetData, Inventory.SetData).
type PackedJSON struct {
	value         any
	plain, packed []byte
}

// EncodeJSON encodes value as its row will store it.
func EncodeJSON(value any) (PackedJSON, error) {
	plain, err := json.Marshal(value)
	if err != nil {
		return PackedJSON{}, fmt.Errorf("encode %T: %w", value, err)
	}
	return PackedJSON{value, plain, packJSON(plain)}, nil
}

// packedData is a row's compressed JSON and the JSON it was made of: a write
// stores these bytes if the row's Data is still that JSON, and compresses
// Data anew otherwise.
type packedData struct {
	packed   []byte
	packedOf string
}

// of returns data compressed, from p when p was made of data.
func (p *packedData) of(data []byte) []byte {
	if p.packed == nil || p.packedOf != string(data) {
		p.packed, p.packedOf = packJSON(data), string(data)
	}
	return p.packed
}

// set makes p the compressed form of j.
func (p *packedData) set(j PackedJSON) { p.packed, p.packedOf = j.packed, string(j.plain) }

// rowJSON is a row's JSON as stored: in data (rows written before migration
// 00170) or compressed in data_z.
type rowJSON struct {
	text   string
	packed []byte
}

// plain returns the row's JSON; an error when the compressed form is damaged.
func (j *rowJSON) plain() ([]byte, error) {
	if j.packed == nil {
		return []byte(j.text), nil
	}
	plain, err := jsonCodec.Unpack(j.packed)
	if err != nil {
		return nil, fmt.Errorf("stored JSON: %w", err)
	}
	return plain, nil
}
