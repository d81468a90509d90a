// Package csvsafe keeps text written into CSV files from being read as a
// formula by a spreadsheet (CSV injection): a cell that begins with = + - @
// (or a tab or carriage return, which some spreadsheets skip before one) is
// prefixed with an apostrophe, which spreadsheets show as text.
package csvsafe

// Text returns v safe to write as a text cell. Numbers must not go through
// it: a negative quantity is a legitimate "-3".
func Text(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}
