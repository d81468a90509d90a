package xmlsig

import "bytes"

// normalizeAttrWhitespace applies XML attribute-value normalization to
// literal whitespace, which encoding/xml (under etree) leaves undone: a
// tab, newline or carriage return typed inside an attribute value becomes
// a space (CR LF becomes one space), while the same characters written as
// character references (&#9; &#10; &#13;) are kept. Conforming verifiers
// such as xmlsec canonicalize the normalized value, so we must too. The
// input is returned unchanged (not copied) when there is nothing to do, which
// is the common case.
//
// The scan only has to know whether it is inside a quoted attribute value
// of a start tag, so it skips comments, CDATA sections, processing
// instructions and end tags. It gives up at a DOCTYPE, which the parser
// refuses anyway.
func normalizeAttrWhitespace(doc []byte) []byte {
	if !bytes.ContainsAny(doc, "\t\n\r") {
		return doc
	}
	var out []byte // nil until the first change
	last := 0      // doc[last:] is not yet copied to out
	i := 0
	for i < len(doc) {
		lt := bytes.IndexByte(doc[i:], '<')
		if lt < 0 {
			break
		}
		i += lt
		rest := doc[i:]
		var skipTo string
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			skipTo = "-->"
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			skipTo = "]]>"
		case bytes.HasPrefix(rest, []byte("<?")):
			skipTo = "?>"
		case bytes.HasPrefix(rest, []byte("<!")):
			return doc // a DOCTYPE: refused by the parser
		case bytes.HasPrefix(rest, []byte("</")):
			skipTo = ">"
		}
		if skipTo != "" {
			end := bytes.Index(rest, []byte(skipTo))
			if end < 0 {
				return doc // unterminated: refused by the parser
			}
			i += end + len(skipTo)
			continue
		}
		// A start tag: walk to its '>' outside quotes.
		var quote byte
		j := i + 1
		for ; j < len(doc); j++ {
			c := doc[j]
			if quote == 0 {
				if c == '"' || c == '\'' {
					quote = c
				} else if c == '>' {
					break
				}
				continue
			}
			switch c {
			case quote:
				quote = 0
			case '\t', '\n', '\r':
				out = append(out, doc[last:j]...)
				out = append(out, ' ')
				last = j + 1
				if c == '\r' && j+1 < len(doc) && doc[j+1] == '\n' {
					j++ // CR LF is one line end, so one space
					last = j + 1
				}
			}
		}
		i = j + 1
	}
	if out == nil {
		return doc
	}
	return append(out, doc[last:]...)
}
