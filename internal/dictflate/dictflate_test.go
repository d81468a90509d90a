package dictflate

import (
	"bytes"
	"strings"
	"testing"

	"github.com/klauspost/compress/flate"
)

// Records read back as written, also when codecs are reused; a record of
// another format or a damaged one is an error.
func TestPackUnpack(t *testing.T) {
	c := New(7, flate.BestSpeed, `{"orderNo":"","ebpCode":"","lines":[{"gnum":1,"itemName":""}]}`)
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

// A format's records read alike whatever level wrote them, so a codec's
// level changes without a new format; a higher level writes fewer bytes.
func TestLevelsShareTheFormat(t *testing.T) {
	const dict = `<ceb:InventoryList><ceb:gnum></ceb:gnum><ceb:itemName></ceb:itemName></ceb:InventoryList>`
	fast, small := New(3, flate.BestSpeed, dict), New(3, 6, dict)
	var plain strings.Builder
	for i := range 60 {
		plain.WriteString("<ceb:InventoryList><ceb:gnum>" + strings.Repeat("1", i%7+1) + "</ceb:gnum><ceb:itemName>婴儿配方奶粉 " +
			strings.Repeat("段", i%5) + "</ceb:itemName></ceb:InventoryList>")
	}
	byFast, bySmall := fast.Pack([]byte(plain.String())), small.Pack([]byte(plain.String()))
	for _, c := range []*Codec{fast, small} {
		for _, packed := range [][]byte{byFast, bySmall} {
			if got, err := c.Unpack(packed); err != nil || string(got) != plain.String() {
				t.Errorf("level %d read a record of %d bytes as %d bytes, %v", c.level, len(packed), len(got), err)
			}
		}
	}
	if len(bySmall) >= len(byFast) {
		t.Errorf("level 6 wrote %d bytes, level 1 %d", len(bySmall), len(byFast))
	}
}
