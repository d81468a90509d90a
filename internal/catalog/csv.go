package catalog

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Problem is one thing wrong with an uploaded CSV file.
type Problem struct {
	Line    int    `json:"line"`             // 1-based line in the file; the header is line 1
	Column  string `json:"column,omitempty"` // header name, empty for whole-row problems
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Column == "" {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return fmt.Sprintf("line %d, column %s: %s", p.Line, p.Column, p.Message)
}

// ProblemsError carries every problem found in a file. Parsers return it
// instead of stopping at the first bad row, so an operator fixes a file in
// one round; when it is returned no rows are returned.
type ProblemsError struct {
	Problems []Problem
}

func (e *ProblemsError) Error() string {
	const shown = 10
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s) in CSV", len(e.Problems))
	for i, p := range e.Problems {
		if i == shown {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-shown)
			break
		}
		b.WriteString("; ")
		b.WriteString(p.String())
	}
	return b.String()
}

// AsProblems returns the problems in err, if err is (or wraps) a
// *ProblemsError.
func AsProblems(err error) ([]Problem, bool) {
	var pe *ProblemsError
	if errors.As(err, &pe) {
		return pe.Problems, true
	}
	return nil, false
}

// problems collects Problems while a file is parsed.
type problems []Problem

func (ps *problems) add(line int, column, format string, args ...any) {
	*ps = append(*ps, Problem{Line: line, Column: column, Message: fmt.Sprintf(format, args...)})
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &ProblemsError{Problems: ps}
}

// schema names a file's columns.
type schema struct {
	required []string
	optional []string
}

// record is one data row with access by column name.
type record struct {
	line   int
	fields []string
	index  map[string]int
	probs  *problems
}

// get returns the trimmed value of column, "" when the column is absent.
func (r record) get(column string) string {
	i, ok := r.index[column]
	if !ok || i >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// bad records a problem with column on this row.
func (r record) bad(column, format string, args ...any) {
	r.probs.add(r.line, column, format, args...)
}

// readCSV reads a whole CSV upload: optional UTF-8 BOM, a header row naming
// columns in any order (case-insensitive; unknown columns ignored), then data
// rows. It calls row for each data row and returns all problems found, from
// the header, the CSV syntax and row itself.
func readCSV(in io.Reader, s schema, row func(record)) error {
	var probs problems
	br := bufio.NewReader(in)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\uFEFF")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // ragged rows are reported per row below
	cr.ReuseRecord = false

	header, err := cr.Read()
	if err == io.EOF {
		probs.add(1, "", "empty file: a header row is required")
		return probs.err()
	}
	if err != nil {
		probs.add(1, "", "header: %s", csvMessage(err))
		return probs.err()
	}
	index, ok := headerIndex(header, s, &probs)
	if !ok {
		return probs.err()
	}
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// After a quoting error the reader's position in the file is not
			// trustworthy; report it and stop rather than invent problems.
			// FieldPos is only defined for a record that was read; the
			// ParseError knows where the bad one started.
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			probs.add(line, "", "CSV syntax: %s; rows after this one were not checked", csvMessage(err))
			break
		}
		line, _ := cr.FieldPos(0)
		if rowProblems(fields, len(header), line, &probs) {
			continue
		}
		row(record{line: line, fields: fields, index: index, probs: &probs})
	}
	return probs.err()
}

// rowProblems reports rows that cannot be read field by field: wrong field
// count or invalid UTF-8. It returns true when the row must be skipped.
func rowProblems(fields []string, want, line int, probs *problems) bool {
	if len(fields) != want {
		probs.add(line, "", "%d fields, the header has %d", len(fields), want)
		return true
	}
	for _, f := range fields {
		if !utf8.ValidString(f) {
			probs.add(line, "", "not valid UTF-8 (save the file as UTF-8)")
			return true
		}
	}
	return false
}

// headerIndex maps known column names to positions and reports missing
// required columns and repeated known columns.
func headerIndex(header []string, s schema, probs *problems) (map[string]int, bool) {
	known := map[string]bool{}
	for _, c := range s.required {
		known[c] = true
	}
	for _, c := range s.optional {
		known[c] = true
	}
	index := map[string]int{}
	ok := true
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if !utf8.ValidString(name) {
			probs.add(1, "", "header is not valid UTF-8 (save the file as UTF-8)")
			return nil, false
		}
		if !known[name] {
			continue // extra columns are allowed and ignored
		}
		if first, dup := index[name]; dup {
			probs.add(1, name, "column appears twice (positions %d and %d)", first+1, i+1)
			ok = false
			continue
		}
		index[name] = i
	}
	for _, c := range s.required {
		if _, found := index[c]; !found {
			probs.add(1, c, "required column missing")
			ok = false
		}
	}
	return index, ok
}

// csvMessage strips encoding/csv's own position prefix, as Problem carries
// the line.
func csvMessage(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// keys detects duplicate keys within one file.
type keys map[string]int

// seen records key at line and reports a duplicate naming both lines. Keys
// of rows with other problems count too: fixing those must not reveal a
// duplicate in the next round. An empty key is already reported elsewhere.
func (k keys) seen(r record, column, key string) {
	if key == "" {
		return
	}
	if first, dup := k[key]; dup {
		r.bad(column, "duplicate key %s: also on line %d", key, first)
		return
	}
	k[key] = r.line
}
