package vault

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"sync"
)

// Sealed data is compressed: a sealed message costs the writer its pages.
// Format 1, what Seal writes: a byte 1, then raw DEFLATE primed with
// cebDict1 (level 2, the fastest that uses a dictionary), a third smaller
// than gzip on the platform's one-to-ten-document messages, whose element
// names and signature block are much of what gzip alone must spell out once
// per message. Data sealed before is gzip at the fastest level, starting
// with gzip's magic bytes, or, sealed before compression was added, its XML
// (never a byte 1 or gzip's magic); both open as they were stored.

var gzipMagic = []byte{0x1f, 0x8b}

const (
	format1 = 1
	level1  = 2
)

// Compressors are reused: each holds about a megabyte of tables.
var compressors = sync.Pool{New: func() any {
	w, _ := flate.NewWriterDict(nil, level1, []byte(cebDict1)) // the level is valid
	return w
}}

func compress(plain []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(plain)/4 + 64)
	buf.WriteByte(format1)
	w := compressors.Get().(*flate.Writer)
	defer compressors.Put(w)
	w.Reset(&buf) // keeps the dictionary
	// Writes to a bytes.Buffer do not fail.
	_, _ = w.Write(plain)
	_ = w.Close()
	return buf.Bytes()
}

func decompress(packed []byte) ([]byte, error) {
	var r io.ReadCloser
	switch {
	case len(packed) > 0 && packed[0] == format1:
		r = flate.NewReaderDict(bytes.NewReader(packed[1:]), []byte(cebDict1))
	case bytes.HasPrefix(packed, gzipMagic):
		z, err := gzip.NewReader(bytes.NewReader(packed))
		if err != nil {
			return nil, fmt.Errorf("vault: sealed data: %w", err)
		}
		r = z
	default:
		return packed, nil
	}
	defer r.Close()
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("vault: sealed data: %w", err)
	}
	return plain, nil
}
