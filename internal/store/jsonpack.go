package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cbec-platform/cbec/internal/dictflate"
	"github.com/klauspost/compress/flate"
)

// The JSON of documents and inventories is stored compressed (the data_z
// column, migration 00170): DEFLATE primed with jsonDict1 (package
// dictflate). Alone, a 1.2 KB order shrinks to about 670 bytes; most of what
// is left is its field names, the same in every row, and with the
// dictionary it comes to about 450 (measured on 200 stored rows of each
// kind: 3.4 KB of JSON per declaration became 1.3 KB).
//
// Format 2, written since, also leaves out the key values the row's own
// columns hold (heldValue): an order's ebpCode and orderNo are its k1 and
// k2. They were stored twice, and being unique to the row, they compressed
// least. A record of format 2 is a byte saying which of the row's held
// values were emptied, then the JSON with them emptied; reading puts the
// columns' values back, so the JSON read is byte for byte the JSON written.
// Rows of format 1 read as they were stored. Both are packed at the fastest
// level: level 6 saved about 220 bytes a declaration more but cost 5 % more
// server CPU a declaration (docs/performance.md).
var (
	jsonCodec  = dictflate.New(1, flate.BestSpeed, jsonDict1)
	jsonCodec2 = dictflate.New(2, flate.BestSpeed, jsonDict1)
)

// jsonDict1 is the dictionary of formats 1 and 2: a waybill, a payment, an
// order and an inventory with their values emptied or typical. DEFLATE finds
// near matches more cheaply, so the kinds that come most often are last. It
// never changes (see dictflate.New).
const jsonDict1 = `{"guid":"","appType":"1","appTime":"2026","logisticsCode":"","logisticsNo":"","logisticsStatus":"S","orderNo":"","billNo":"","freight":"0.00","insuredFee":"0.00","weight":"1.000","consignee":{"h":"","m":""},"consigneePhone":{"h":"","m":"1**********"},"consigneeAddress":{"h":"","m":"北京市朝阳区***************"}}` +
	`{"guid":"","appType":"1","appTime":"2026","payCode":"","payTransactionId":"","orderNo":"","ebpCode":"","payerIdType":"1","payerName":{"h":"","m":"**"},"payerId":{"h":"","m":"********"},"amountPaid":"0.00","payTime":"2026"}` +
	`{"guid":"","appType":"1","appTime":"2026","orderNo":"","ebpCode":"","ebcCode":"","goodsValue":"0.00","freight":"0.00","discount":"0.00","taxTotal":"0.00","acturalPaid":"0.00","buyerIdType":"1","buyerName":{"h":"","m":"**"},"buyerId":{"h":"","m":"********"},"buyerPhone":{"h":"","m":"1**********"},"payCode":"","payTransactionId":"","consignee":{"h":"","m":""},"consigneePhone":{"h":"","m":""},"consigneeAddress":{"h":"","m":"上海市徐汇区***************"},"lines":[{"gnum":1,"itemNo":"","itemName":"","barCode":"69000","unit":"007","qty":"1","price":"0.00","totalPrice":"0.00","country":"502"}]}` +
	`{"guid":"","appType":"1","appTime":"2026","copNo":"","orderNo":"","ebpCode":"","ebcCode":"","logisticsCode":"","logisticsNo":"","agentCode":"","assureCode":"","tradeMode":"9610","customsCode":"","portCode":"","ieDate":"","buyerIdType":"1","buyerName":{"h":"","m":"**"},"buyerId":{"h":"","m":"********"},"buyerPhone":{"h":"","m":"1**********"},"freight":"0.00","insuredFee":"0.00","lines":[{"gnum":1,"itemNo":"","itemName":"","gcode":"","gname":"","barCode":"69000","country":"","qty":"1","unit":"007","qty1":"1","unit1":"035","price":"0.00","totalPrice":"0.00"},{"gnum":2,"itemNo":"","itemName":"","gcode":"","gname":"","barCode":"69000","country":"","qty":"1","unit":"011","qty1":"1","unit1":"035","price":"0.00","totalPrice":"0.00"}]}`

// heldValue is a value that a row's JSON and one of its columns both hold:
// name is the JSON's field, value the column's.
type heldValue struct{ name, value string }

// heldByDocument are the values of a document's JSON that its key columns
// hold, in a fixed order per kind (the order of the bits of format 2's
// first byte); none for the kinds that have none.
func heldByDocument(kind, k1, k2, orderNo string) []heldValue {
	switch kind {
	case "order", "payment":
		return []heldValue{{"ebpCode", k1}, {"orderNo", k2}}
	case "waybill":
		return []heldValue{{"logisticsCode", k1}, {"logisticsNo", k2}, {"orderNo", orderNo}}
	}
	return nil
}

// heldByInventory are the values of an inventory's JSON that its columns hold.
func heldByInventory(v *Inventory) []heldValue {
	return []heldValue{{"agentCode", v.AgentCode}, {"copNo", v.CopNo}, {"ebpCode", v.EbpCode}, {"orderNo", v.OrderNo},
		{"ebcCode", v.EbcCode}, {"logisticsCode", v.LogisticsCode}, {"logisticsNo", v.LogisticsNo}}
}

// heldNames are the fields that a row of kind holds in columns ("inventory"
// for an inventory's row).
func heldNames(kind string) []string {
	if kind == "inventory" {
		return inventoryHeldNames
	}
	return namesOf(heldByDocument(kind, "", "", ""))
}

// inventoryHeldNames are the fields an inventory's row holds in columns.
var inventoryHeldNames = namesOf(heldByInventory(&Inventory{}))

// namesOf lists the fields of held values.
func namesOf(held []heldValue) []string {
	names := make([]string, len(held))
	for i, h := range held {
		names[i] = h.name
	}
	return names
}

// fieldValue finds the one field called name in a JSON text and returns
// where its string value starts and ends; ok is false when the text does not
// have exactly one such field, or its value is not a string spelled without
// escapes (which a column's value could not be put back as).
func fieldValue(text []byte, name string) (start, end int, ok bool) {
	key := `"` + name + `":"`
	if bytes.Count(text, []byte(`"`+name+`":`)) != 1 {
		return 0, 0, false
	}
	at := bytes.Index(text, []byte(key))
	if at < 0 {
		return 0, 0, false
	}
	start = at + len(key)
	n := bytes.IndexByte(text[start:], '"')
	if n < 0 || bytes.IndexByte(text[start:start+n], '\\') >= 0 {
		return 0, 0, false
	}
	return start, start + n, true
}

// emptyHeld returns plain with the values of the named fields emptied where
// they can be put back (fieldValue) and keep(i, value) agrees, the bits of
// those emptied, and the values emptied ("" for the others).
func emptyHeld(plain []byte, names []string, keep func(i int, value string) bool) (out []byte, mask byte, values []string) {
	out, values = plain, make([]string, len(names))
	for i, name := range names {
		start, end, ok := fieldValue(out, name)
		if !ok || start == end || !keep(i, string(out[start:end])) {
			continue
		}
		values[i] = string(out[start:end])
		out = append(out[:start:start], out[end:]...) // a copy: plain stays as it was
		mask |= 1 << i
	}
	return out, mask, values
}

// packHeld compresses a row's JSON in format 2 with the named fields emptied
// where keep agrees; it returns the values emptied.
func packHeld(plain []byte, names []string, keep func(i int, value string) bool) (packed []byte, values []string) {
	out, mask, values := emptyHeld(plain, names, keep)
	return jsonCodec2.Pack(append([]byte{mask}, out...)), values
}

// packRow compresses a row's JSON in format 2, leaving out the values its
// columns hold.
func packRow(plain []byte, held []heldValue) (packed []byte, values []string) {
	return packHeld(plain, namesOf(held), func(i int, value string) bool { return value == held[i].value })
}

// PackedJSON is a document's or an inventory's value with its JSON and the
// JSON's compressed form, made before the writer's transaction (EncodeJSON),
// so that the one writer stores the bytes instead of encoding and
// compressing them, and the engine judges the value instead of decoding the
// JSON (Document.SetData, Inventory.SetData).
type PackedJSON struct {
	value         any
	plain, packed []byte
	held          []string // the values packed left out, by their place in heldNames
}

// EncodeJSON encodes value as a row of kind ("order", … "inventory") will
// store it. The values its columns will hold are left out as the JSON has
// them; a write checks them against the row's columns (packedData.of).
func EncodeJSON(kind string, value any) (PackedJSON, error) {
	plain, err := json.Marshal(value)
	if err != nil {
		return PackedJSON{}, fmt.Errorf("encode %T: %w", value, err)
	}
	packed, held := packHeld(plain, heldNames(kind), func(int, string) bool { return true })
	return PackedJSON{value, plain, packed, held}, nil
}

// packedData is a row's compressed JSON, the JSON it was made of and the
// values it left out: a write stores these bytes if the row's Data is still
// that JSON and its columns hold those values, and compresses Data anew
// otherwise.
type packedData struct {
	packed   []byte
	packedOf string
	held     []string
}

// of returns data compressed for a row whose columns hold held, from p when
// p was made of data and left out only values the columns hold.
func (p *packedData) of(data []byte, held []heldValue) []byte {
	if p.packed == nil || p.packedOf != string(data) || !p.heldBy(held) {
		packed, values := packRow(data, held)
		*p = packedData{packed, string(data), values}
	}
	return p.packed
}

// heldBy reports whether every value p left out is the one held says its
// column holds.
func (p *packedData) heldBy(held []heldValue) bool {
	if p.held == nil {
		return true // nothing left out
	}
	if len(p.held) != len(held) {
		return false
	}
	for i, v := range p.held {
		if v != "" && v != held[i].value {
			return false
		}
	}
	return true
}

// set makes p the compressed form of j.
func (p *packedData) set(j PackedJSON) { *p = packedData{j.packed, string(j.plain), j.held} }

// rowJSON is a row's JSON as stored: in data (rows written before migration
// 00170) or compressed in data_z.
type rowJSON struct {
	text   string
	packed []byte
}

// plain returns the row's JSON, with the values it left out put back from
// held, the row's columns, and those values (nil when none was left out);
// an error when the compressed form is damaged or does not fit the columns.
func (j *rowJSON) plain(held []heldValue) ([]byte, []string, error) {
	switch {
	case j.packed == nil:
		return []byte(j.text), nil, nil
	case jsonCodec.Is(j.packed):
		plain, err := jsonCodec.Unpack(j.packed)
		if err != nil {
			return nil, nil, fmt.Errorf("stored JSON: %w", err)
		}
		return plain, nil, nil
	}
	record, err := jsonCodec2.Unpack(j.packed)
	if err != nil {
		return nil, nil, fmt.Errorf("stored JSON: %w", err)
	}
	if len(record) == 0 {
		return nil, nil, fmt.Errorf("stored JSON: an empty record")
	}
	mask, text := record[0], record[1:]
	values := make([]string, len(held))
	for i, h := range held {
		if mask&(1<<i) == 0 {
			continue
		}
		start, end, ok := fieldValue(text, h.name)
		if !ok || start != end || h.value == "" || strings.ContainsAny(h.value, `"\`) {
			return nil, nil, fmt.Errorf("stored JSON: %s cannot be put back from its column (%q)", h.name, h.value)
		}
		text = slices.Insert(text, start, []byte(h.value)...)
		values[i] = h.value
	}
	if mask>>len(held) != 0 {
		return nil, nil, fmt.Errorf("stored JSON: leaves out values of fields the row does not hold (%08b)", mask)
	}
	return text, values, nil
}
