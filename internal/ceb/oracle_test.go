package ceb

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// xtree is a plain element tree built with encoding/xml, used as an
// independent oracle for the values our tokenizer extracts.
type xtree struct {
	local string
	text  string
	kids  []*xtree
}

func stdlibTree(t *testing.T, data []byte) *xtree {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	var stack []*xtree
	var root *xtree
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &xtree{local: tk.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if root == nil {
		t.Fatal("encoding/xml found no root")
	}
	return root
}

func (x *xtree) named(local string) []*xtree {
	var out []*xtree
	for _, k := range x.kids {
		if k.local == local {
			out = append(out, k)
		}
	}
	return out
}

// compareTree checks every value of n against the oracle tree.
func compareTree(t *testing.T, path string, n node, ts *typeSpec, x *xtree) {
	for i := range ts.fields {
		f := &ts.fields[i]
		els := x.named(f.name)
		switch f.kind {
		case kindLeaf:
			if len(els) == 0 {
				if got := n.get(i); got != "" {
					t.Errorf("%s/%s: we have %q, encoding/xml nothing", path, f.name, got)
				}
				continue
			}
			if got := n.get(i); got != els[0].text {
				t.Errorf("%s/%s: we have %q, encoding/xml %q", path, f.name, got, els[0].text)
			}
		case kindComplex:
			kids := n.kids(i)
			if f.max == 1 && len(els) > 1 {
				els = els[:1] // a repeated single element: the first one counts
			}
			if len(kids) != len(els) {
				t.Errorf("%s/%s: %d elements, encoding/xml %d", path, f.name, len(kids), len(els))
				continue
			}
			for j := range kids {
				compareTree(t, path+"/"+f.name+"["+strconv.Itoa(j+1)+"]", kids[j], f.typ, els[j])
			}
		}
	}
}

// TestValuesMatchStdlib: every value Decode extracts from the official
// samples and our test files equals what encoding/xml reads.
func TestValuesMatchStdlib(t *testing.T) {
	paths := []string{filepath.Join("testdata", "CEB621-one.xml")}
	if dir := sharedDirOrEmpty(); dir != "" {
		m, _ := filepath.Glob(filepath.Join(dir, "spec", "ceb-202205", "samples", "*.xml"))
		paths = append(paths, m...)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			compareTree(t, d.Type, d.Message, d.Message.spec(), stdlibTree(t, data))
		})
	}
}

// TestWrittenValuesMatchStdlib: what we write (values with Chinese text,
// & and <, CR) reads back identically with encoding/xml.
func TestWrittenValuesMatchStdlib(t *testing.T) {
	for _, mt := range MessageTypes() {
		m := fillMessage(mt)
		out, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		compareTree(t, mt, m, m.spec(), stdlibTree(t, out))
	}
}
