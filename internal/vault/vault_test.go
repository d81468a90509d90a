package vault

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/cbec-platform/cbec/internal/dictflate"
	"github.com/klauspost/compress/flate"
)

func TestSealOpen(t *testing.T) {
	v, err := Load("", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("<CEB621Message>张三 110101199003074514</CEB621Message>")
	sealed := v.Seal(msg)
	if bytes.Contains(sealed, []byte("110101199003074514")) {
		t.Fatal("sealed data holds the ID number in clear")
	}
	got, err := v.Open(sealed)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("open: %q, %v", got, err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := v.Open(sealed); err == nil {
		t.Error("altered data opened")
	}
}

func TestKeyFileIsKeptAndReused(t *testing.T) {
	dir := t.TempDir()
	a, err := Load("", dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", info, err)
	}
	b, err := Load("", dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash("id", "x") != b.Hash("id", "x") {
		t.Error("second load derived different keys")
	}
	if _, err := b.Open(a.Seal([]byte("m"))); err != nil {
		t.Error(err)
	}
}

func TestHashSeparatesKindsAndKeys(t *testing.T) {
	s1, _ := NewSecret()
	s2, _ := NewSecret()
	a, _ := Load(s1, "")
	b, _ := Load(s2, "")
	if a.Hash("name", "张三") == a.Hash("phone", "张三") {
		t.Error("kinds share hashes")
	}
	if a.Hash("name", "张三") == b.Hash("name", "张三") {
		t.Error("different secrets give the same hash")
	}
	if a.Hash("name", "") != "" {
		t.Error("empty value must hash to empty")
	}
	if _, err := Load("not base64!", ""); err == nil {
		t.Error("bad CBEC_SECRET_KEY accepted")
	}
}

// A message is stored compressed, and what was sealed before compression
// (the XML itself under the seal) still opens.
func TestSealCompressesAndOpensOlderSeals(t *testing.T) {
	v, err := Load("", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	msg := bytes.Repeat([]byte("<InventoryList><gnum>1</gnum><itemName>奶粉</itemName><qty>2</qty></InventoryList>\n"), 100)
	sealed := v.Seal(msg)
	if len(sealed)*5 > len(msg) {
		t.Errorf("sealed %d bytes of %d: not compressed", len(sealed), len(msg))
	}
	if got, err := v.Open(sealed); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("open: %d bytes, %v", len(got), err)
	}
	// As Seal sealed before it compressed, and when it compressed with gzip.
	nonce := make([]byte, v.aead.NonceSize())
	old := v.aead.Seal(nonce, nonce, msg, nil)
	if got, err := v.Open(old); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("open an uncompressed seal: %d bytes, %v", len(got), err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write(msg)
	_ = w.Close()
	old = v.aead.Seal(nonce, nonce, gz.Bytes(), nil)
	if got, err := v.Open(old); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("open a gzip seal: %d bytes, %v", len(got), err)
	}
	// As Seal sealed at dictflate's fastest level.
	old = v.aead.Seal(nonce, nonce, dictflate.New(1, flate.BestSpeed, cebDict1).Pack(msg), nil)
	if got, err := v.Open(old); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("open a seal of level 1: %d bytes, %v", len(got), err)
	}
	// A damaged format-1 body is an error, not a short message.
	old = v.aead.Seal(nonce, nonce, []byte{1, 0xff, 0xfe, 0xfd}, nil)
	if got, err := v.Open(old); err == nil {
		t.Fatalf("a damaged seal opened: %q", got)
	}
}

// Sealing runs for every message before it reaches the writer.
func BenchmarkSeal(b *testing.B) {
	v, err := Load("", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	msg := bytes.Repeat([]byte("<ceb:InventoryList><ceb:gnum>1</ceb:gnum><ceb:itemName>婴儿配方奶粉</ceb:itemName><ceb:qty>2</ceb:qty></ceb:InventoryList>\n"), 40)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		v.Seal(msg)
	}
}
