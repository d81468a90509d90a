// Package dictflate compresses small records with a preset dictionary: raw
// DEFLATE (RFC 1951) behind a one-byte format number. The platform's stored
// records (a document's JSON, a sealed CEB message) are short and alike, so
// most of what a compressor alone must spell out once per record (field and
// element names, namespaces) is in the dictionary instead.
//
// Records are written by klauspost/compress, which, unlike the standard
// library, uses a dictionary without clearing half a megabyte of tables per
// record (about a quarter of the time for a 1 KB record), and read by the
// standard library: the format is plain DEFLATE either way, so a codec's
// level can change without a new format number.
package dictflate

import (
	"bytes"
	stdflate "compress/flate"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// Codec packs and unpacks records of one format.
type Codec struct {
	format  byte
	level   int
	dict    []byte
	writers sync.Pool // of *flate.Writer primed with dict
	readers sync.Pool // of io.ReadCloser (flate.Resetter)
}

// New returns the codec of format, whose records are primed with dict and
// written at level (flate.BestSpeed to flate.BestCompression). A format's
// dictionary never changes once records use it: a better one gets a new
// format number.
func New(format byte, level int, dict string) *Codec {
	return &Codec{format: format, level: level, dict: []byte(dict)}
}

// Is reports whether packed is a record of this codec's format.
func (c *Codec) Is(packed []byte) bool { return len(packed) > 0 && packed[0] == c.format }

// Pack compresses plain.
func (c *Codec) Pack(plain []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(plain)/2 + 16)
	buf.WriteByte(c.format)
	w, _ := c.writers.Get().(*flate.Writer)
	if w == nil {
		var err error
		if w, err = flate.NewWriterDict(&buf, c.level, c.dict); err != nil {
			panic("dictflate: " + err.Error()) // a level out of range: a programming error
		}
	} else {
		w.Reset(&buf) // keeps the dictionary
	}
	defer c.writers.Put(w)
	// Writes to a bytes.Buffer do not fail.
	_, _ = w.Write(plain)
	_ = w.Close()
	return buf.Bytes()
}

// Unpack reads what Pack wrote; an error when packed is not such a record
// or is damaged.
func (c *Codec) Unpack(packed []byte) ([]byte, error) {
	if !c.Is(packed) {
		return nil, fmt.Errorf("not a record of format %d", c.format)
	}
	src := bytes.NewReader(packed[1:])
	r, _ := c.readers.Get().(io.ReadCloser)
	if r == nil {
		r = stdflate.NewReaderDict(src, c.dict)
	} else if err := r.(stdflate.Resetter).Reset(src, c.dict); err != nil {
		return nil, err
	}
	defer c.readers.Put(r)
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("format %d record: %w", c.format, err)
	}
	return plain, nil
}
