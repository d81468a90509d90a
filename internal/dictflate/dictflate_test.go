package dictflate

import (
	"bytes"
	"strings"
	"testing"
)

// Records read back as written, also when codecs are reused; a record of
// another format or a damaged one is an error.
func TestPackUnpack(t *testing.T) {
	c := New(7, `{"orderNo":"","ebpCode":"","lines":[{"gnum":1,"itemName":""}]}`)
	for _, plain := range []string{"", `{"orderNo":"O1","ebpCode":"E1"}`, strings.Repeat(`{"gnum":2,"itemName":"奶粉"}`, 500)} {
		for range 2 {
			packed := c.Pack([]byte(plain))
			if packed[0] != 7 {
				t.Fatalf("format byte %d", packed[0])
			}
			got, err := c.Unpack(packed)
			if err != nil || !bytes.Equal(got, []byte(plain)) {
				t.Fatalf("%d bytes: read %d bytes, %v", len(plain), len(got), err)
			}
		}
	}
	if packed := c.Pack([]byte(`{"orderNo":"O1","ebpCode":"E1","lines":[{"gnum":1,"itemName":"x"}]}`)); len(packed) > 40 {
		t.Errorf("%d bytes: the dictionary is not used", len(packed))
	}
	for _, bad := range [][]byte{nil, {8, 1, 2}, {7, 0xff, 0xfe, 0xfd}} {
		if got, err := c.Unpack(bad); err == nil {
			t.Errorf("%v read as %q", bad, got)
		}
	}
}
