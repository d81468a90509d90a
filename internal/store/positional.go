package store

import (
	"strings"
	"sync"
)

// SQLite's driver binds a numbered parameter ($1) by looking its name up in
// a list of all the statement's parameter names, for every parameter: a
// multi-row insert of 200 values walks that list 200 times (2 % of the
// server's CPU in a default-mix profile, nearly all of it in the one
// writer). An anonymous parameter (?) is bound by its place, without a
// look-up. The queries are written once, with $N, for both engines; on
// SQLite each is rewritten once with ? and the order of its arguments.

// positionalQuery is a query with its $N parameters written as ?, and for
// each ?, in order, the index of its argument ($N is argument N-1).
type positionalQuery struct {
	text string
	args []int
}

// positionalQueries caches the rewriting of each query text.
var positionalQueries sync.Map // string → *positionalQuery

// positionalOf returns the rewriting of query, made once.
func positionalOf(query string) *positionalQuery {
	if p, ok := positionalQueries.Load(query); ok {
		return p.(*positionalQuery)
	}
	p := positional(query)
	positionalQueries.Store(query, p)
	return p
}

// bind returns p's arguments in the order of its ?s, taken from args.
func (p *positionalQuery) bind(args []any) []any {
	if p.args == nil {
		return args
	}
	out := make([]any, len(p.args))
	for i, k := range p.args {
		if k < len(args) {
			out[i] = args[k]
		}
	}
	return out
}

// positional rewrites query's $N parameters as ?, leaving string literals,
// quoted names and comments as they are. A query without $N parameters is
// returned as it is, with nil args (its arguments are bound as given).
func positional(query string) *positionalQuery {
	if !strings.Contains(query, "$") {
		return &positionalQuery{text: query}
	}
	var b strings.Builder
	b.Grow(len(query))
	var args []int
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"' || c == '`': // a literal or a quoted name: to its closing quote
			end := i + 1
			for end < len(query) && query[end] != c {
				end++
			}
			end = min(end+1, len(query))
			b.WriteString(query[i:end])
			i = end
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = len(query) - i
			}
			b.WriteString(query[i : i+end])
			i += end
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			end := strings.Index(query[i+2:], "*/")
			if end < 0 {
				end = len(query) - i - 2
			} else {
				end += 2
			}
			b.WriteString(query[i : i+2+end])
			i += 2 + end
		case c == '$' && i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9':
			n, j := 0, i+1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				n = n*10 + int(query[j]-'0')
				j++
			}
			b.WriteByte('?')
			args = append(args, n-1)
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	if args == nil {
		return &positionalQuery{text: query}
	}
	return &positionalQuery{text: b.String(), args: args}
}
