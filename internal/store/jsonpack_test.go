package store

import (
	"bytes"
	"testing"
)

// A row's JSON leaves out what its columns hold, and only that: each case
// reads back as written, and the record holds the values it should keep.
func TestHeldValuesStoredOnce(t *testing.T) {
	held := []heldValue{{"ebpCode", "EBP0000001"}, {"orderNo", "O-1"}}
	for _, c := range []struct {
		name, json string
		mask       byte   // the values left out
		kept       string // a value the record must still hold
	}{
		{"both held", `{"orderNo":"O-1","ebpCode":"EBP0000001","lines":[{"gnum":1}]}`, 0b11, ""},
		{"a value that is not the column's", `{"orderNo":"O-2","ebpCode":"EBP0000001"}`, 0b01, "O-2"},
		{"a field named twice", `{"orderNo":"O-1","lines":[{"orderNo":"O-1"}],"ebpCode":"EBP0000001"}`, 0b01, `"orderNo":"O-1"`},
		{"a value with an escape", `{"orderNo":"O\u003c1","ebpCode":"EBP0000001"}`, 0b01, `O\u003c1`},
		{"an empty value", `{"orderNo":"","ebpCode":"EBP0000001"}`, 0b01, ""},
		{"no such field", `{"ebpCode":"EBP0000001"}`, 0b01, ""},
		{"a number", `{"orderNo":1,"ebpCode":"EBP0000001"}`, 0b01, `"orderNo":1`},
		{"text around a value", `{"ebpCode":"EBP0000001","note":"\"orderNo\":\"O-1\"","orderNo":"O-1"}`, 0b11, `\"orderNo\":\"O-1\"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			packed, _ := packRow([]byte(c.json), held)
			record, err := jsonCodec2.Unpack(packed)
			if err != nil {
				t.Fatal(err)
			}
			if record[0] != c.mask {
				t.Errorf("left out %02b, want %02b (record %s)", record[0], c.mask, record[1:])
			}
			if c.kept != "" && !bytes.Contains(record, []byte(c.kept)) {
				t.Errorf("record %s lost %s", record[1:], c.kept)
			}
			got, _, err := (&rowJSON{packed: packed}).plain(held)
			if err != nil || string(got) != c.json {
				t.Errorf("read %s (%v), want %s", got, err, c.json)
			}
		})
	}
}

// A record that leaves out a value its row's column cannot give back is an
// error, not other JSON.
func TestHeldValueMissingIsAnError(t *testing.T) {
	packed, _ := packRow([]byte(`{"orderNo":"O-1"}`), []heldValue{{"orderNo", "O-1"}})
	for _, held := range [][]heldValue{nil, {{"orderNo", ""}}, {{"orderNo", `O"1`}}} {
		if got, _, err := (&rowJSON{packed: packed}).plain(held); err == nil {
			t.Errorf("columns %v: read %s, %v; want an error", held, got, err)
		}
	}
}

// Rows written in format 1 read as they were stored.
func TestFormatOneReadsAsStored(t *testing.T) {
	text := `{"orderNo":"O-1","ebpCode":"EBP0000001"}`
	got, values, err := (&rowJSON{packed: jsonCodec.Pack([]byte(text))}).plain([]heldValue{{"orderNo", "O-9"}})
	if err != nil || string(got) != text || values != nil {
		t.Errorf("read %s %v %v", got, values, err)
	}
}
