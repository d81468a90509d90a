package store

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"sync"
)

// The JSON of documents and inventories is stored compressed (the data_z
// column, migration 00170): raw DEFLATE behind a one-byte format number.
// Alone, a 1.2 KB order shrinks to about 670 bytes; most of what is left is
// its field names, the same in every row, so format 1 primes the compressor
// with jsonDict1, a sample of the documents' field names and common values,
// and the order comes to about 440 bytes (measured on 200 stored rows of each
// kind: 3.4 KB of JSON per declaration became 1.3 KB).
//
// Level 2 is the fastest that uses a dictionary (BestSpeed ignores one); it
// costs about one and a half times a BestSpeed gzip of the same bytes.
//
// A format's dictionary never changes once rows use it: a better one gets a
// new format number, and unpackJSON keeps reading the old.
const (
	jsonFormat1 = 1
	jsonLevel   = 2
)

// jsonDict1 is format 1's dictionary: a waybill, a payment, an order and an
// inventory with their values emptied or typical. DEFLATE finds near matches
// more cheaply, so the kinds that come most often are last.
const jsonDict1 = `{"guid":"","appType":"1","appTime":"2026","logisticsCode":"","logisticsNo":"","logisticsStatus":"S","orderNo":"","billNo":"","freight":"0.00","insuredFee":"0.00","weight":"1.000","consignee":{"h":"","m":""},"consigneePhone":{"h":"","m":"1**********"},"consigneeAddress":{"h":"","m":"北京市朝阳区***************"}}` +
	`{"guid":"","appType":"1","appTime":"2026","payCode":"","payTransactionId":"","orderNo":"","ebpCode":"","payerIdType":"1","payerName":{"h":"","m":"**"},"payerId":{"h":"","m":"********"},"amountPaid":"0.00","payTime":"2026"}` +
	`{"guid":"","appType":"1","appTime":"2026","orderNo":"","ebpCode":"","ebcCode":"","goodsValue":"0.00","freight":"0.00","discount":"0.00","taxTotal":"0.00","acturalPaid":"0.00","buyerIdType":"1","buyerName":{"h":"","m":"**"},"buyerId":{"h":"","m":"********"},"buyerPhone":{"h":"","m":"1**********"},"payCode":"","payTransactionId":"","consignee":{"h":"","m":""},"consigneePhone":{"h":"","m":""},"consigneeAddress":{"h":"","m":"上海市徐汇区***************"},"lines":[{"gnum":1,"itemNo":"","itemName":"","barCode":"69000","unit":"007","qty":"1","price":"0.00","totalPrice":"0.00","country":"502"}]}` +
	`{"guid":"","appType":"1","appTime":"2026","copNo":"","orderNo":"","ebpCode":"","ebcCode":"","logisticsCode":"","logisticsNo":"","agentCode":"","assureCode":"","tradeMode":"9610","customsCode":"","portCode":"","ieDate":"","buyerIdType":"1","buyerName":{"h":"","m":"**"},"buyerId":{"h":"","m":"********"},"buyerPhone":{"h":"","m":"1**********"},"freight":"0.00","insuredFee":"0.00","lines":[{"gnum":1,"itemNo":"","itemName":"","gcode":"","gname":"","barCode":"69000","country":"","qty":"1","unit":"007","qty1":"1","unit1":"035","price":"0.00","totalPrice":"0.00"},{"gnum":2,"itemNo":"","itemName":"","gcode":"","gname":"","barCode":"69000","country":"","qty":"1","unit":"011","qty1":"1","unit1":"035","price":"0.00","totalPrice":"0.00"}]}`

// Compressors are reused: each holds about a megabyte of tables.
var jsonPackers = sync.Pool{New: func() any {
	w, _ := flate.NewWriterDict(nil, jsonLevel, []byte(jsonDict1)) // the level is valid
	return w
}}

// packJSON compresses a row's JSON in format 1.
func packJSON(plain []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(plain)/2 + 16)
	buf.WriteByte(jsonFormat1)
	w := jsonPackers.Get().(*flate.Writer)
	defer jsonPackers.Put(w)
	w.Reset(&buf) // keeps the dictionary
	// Writes to a bytes.Buffer do not fail.
	_, _ = w.Write(plain)
	_ = w.Close()
	return buf.Bytes()
}

// unpackJSON reads what packJSON wrote.
func unpackJSON(packed []byte) ([]byte, error) {
	if len(packed) == 0 || packed[0] != jsonFormat1 {
		return nil, fmt.Errorf("stored JSON: unknown format %v", packed[:min(len(packed), 1)])
	}
	r := flate.NewReaderDict(bytes.NewReader(packed[1:]), []byte(jsonDict1))
	defer r.Close()
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("stored JSON: %w", err)
	}
	return plain, nil
}

// rowJSON is a row's JSON as stored: in data (rows written before migration
// 00170) or compressed in data_z.
type rowJSON struct {
	text   string
	packed []byte
}

// plain returns the row's JSON.
func (j *rowJSON) plain() ([]byte, error) {
	if j.packed == nil {
		return []byte(j.text), nil
	}
	return unpackJSON(j.packed)
}
