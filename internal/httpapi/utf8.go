package httpapi

import "unicode/utf8"

// invalidUTF8At is the offset of the first byte that is not valid UTF-8 in
// b, or -1 when b is valid.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}
