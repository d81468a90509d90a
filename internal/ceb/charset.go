package ceb

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// toUTF8 strips a UTF-8 byte-order mark, reads the encoding named in the XML
// declaration and returns the document as a UTF-8 string (a copy, so the
// caller may reuse data). GB18030, GBK and GB2312 are transcoded; anything
// else but UTF-8 is refused.
func toUTF8(data []byte, maxSize int) (string, *Problem) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	enc := declaredEncoding(data)
	switch strings.ToUpper(enc) {
	case "", "UTF-8", "UTF8":
		if !utf8.Valid(data) {
			return "", &Problem{Code: CodeEncoding, Rule: "UTF-8 unless the XML declaration names GB18030/GBK/GB2312",
				Message: "input is not valid UTF-8", Line: bytes.Count(data[:invalidUTF8At(data)], []byte("\n")) + 1}
		}
		return string(data), nil
	case "GB18030", "GBK", "GB2312", "CP936", "X-GBK":
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil || len(out) > 2*maxSize {
			return "", &Problem{Code: CodeEncoding, Value: enc, Rule: "valid " + enc, Message: "input is not valid " + enc}
		}
		if !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
			return "", &Problem{Code: CodeEncoding, Value: enc, Rule: "valid " + enc, Message: "input has bytes that are not valid " + enc}
		}
		return string(out), nil
	}
	return "", &Problem{Code: CodeEncoding, Value: enc, Rule: "UTF-8, GB18030, GBK or GB2312",
		Message: "unsupported encoding " + enc}
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// declaredEncoding returns the encoding pseudo-attribute of a leading XML
// declaration, or "".
func declaredEncoding(data []byte) string {
	if !bytes.HasPrefix(data, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(data, []byte("?>"))
	if end < 0 || end > 200 {
		return ""
	}
	decl := data[:end]
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if len(rest) == 0 || rest[0] != '=' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) < 2 || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	j := bytes.IndexByte(rest[1:], rest[0])
	if j < 0 {
		return ""
	}
	return string(rest[1 : 1+j])
}
