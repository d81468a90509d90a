package store

import (
	"slices"
	"testing"
)

func TestPositionalRewritesNumberedParameters(t *testing.T) {
	for _, c := range []struct {
		in, text string
		args     []int
	}{
		{"SELECT 1", "SELECT 1", nil},
		{"SELECT a FROM t WHERE b = $1 AND c = $2", "SELECT a FROM t WHERE b = ? AND c = ?", []int{0, 1}},
		// reused and out of order, as an UPDATE's WHERE reuses the version
		{"UPDATE t SET v=$2+1, w=$1 WHERE v=$2", "UPDATE t SET v=?+1, w=? WHERE v=?", []int{1, 0, 1}},
		{"INSERT INTO t VALUES ($1,$2),($3,$4) ON CONFLICT DO NOTHING", "INSERT INTO t VALUES (?,?),(?,?) ON CONFLICT DO NOTHING", []int{0, 1, 2, 3}},
		{"SELECT x FROM t WHERE a = $12", "SELECT x FROM t WHERE a = ?", []int{11}},
		// a dollar in a literal, a quoted name or a comment is no parameter
		{`SELECT '$1', "$2", json_extract(d, '$.a') FROM t -- $3` + "\nWHERE a = $1 /* $9 */", `SELECT '$1', "$2", json_extract(d, '$.a') FROM t -- $3` + "\nWHERE a = ? /* $9 */", []int{0}},
		{"SELECT 'it''s $1' WHERE a = $1", "SELECT 'it''s $1' WHERE a = ?", []int{0}},
		{"SELECT '$unterminated", "SELECT '$unterminated", nil},
	} {
		p := positional(c.in)
		if p.text != c.text || !slices.Equal(p.args, c.args) {
			t.Errorf("positional(%q) = %q %v, want %q %v", c.in, p.text, p.args, c.text, c.args)
		}
	}
	p := positional("UPDATE t SET v=$2+1, w=$1 WHERE v=$2")
	if got := p.bind([]any{"a", 7}); !slices.Equal(got, []any{7, "a", 7}) {
		t.Errorf("bind: %v", got)
	}
	if q := positionalOf("SELECT $1"); positionalOf("SELECT $1") != q {
		t.Error("a query is rewritten once")
	}
}
