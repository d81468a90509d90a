package vault

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sync"
)

// Sealed data is gzip, at the fastest level: a sealed message costs the
// writer its pages, and a CEB message of 2–20 KB shrinks to a fifth or
// less. Data sealed before compression was added starts with its XML, never
// with gzip's magic bytes, and opens as it was stored.

var gzipMagic = []byte{0x1f, 0x8b}

// Compressors are reused: each holds about a megabyte of tables.
var compressors = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // the level is valid
	return w
}}

func compress(plain []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(plain)/3 + 64)
	w := compressors.Get().(*gzip.Writer)
	defer compressors.Put(w)
	w.Reset(&buf)
	// Writes to a bytes.Buffer do not fail.
	_, _ = w.Write(plain)
	_ = w.Close()
	return buf.Bytes()
}

func decompress(packed []byte) ([]byte, error) {
	if !bytes.HasPrefix(packed, gzipMagic) {
		return packed, nil
	}
	r, err := gzip.NewReader(bytes.NewReader(packed))
	if err != nil {
		return nil, fmt.Errorf("vault: sealed data: %w", err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("vault: sealed data: %w", err)
	}
	return plain, nil
}
