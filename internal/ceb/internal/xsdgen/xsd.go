package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
)

// xnode is a generic XSD element tree. The schemas are small (a few hundred
// KiB), so a plain DOM read with encoding/xml is fine at generation time.
type xnode struct {
	Local    string
	Attrs    map[string]string
	Children []*xnode
}

func (n *xnode) attr(name string) string { return n.Attrs[name] }

// kids returns the children with the given XSD local name.
func (n *xnode) kids(local string) []*xnode {
	var out []*xnode
	for _, c := range n.Children {
		if c.Local == local {
			out = append(out, c)
		}
	}
	return out
}

func (n *xnode) kid(local string) *xnode {
	for _, c := range n.Children {
		if c.Local == local {
			return c
		}
	}
	return nil
}

func readXSD(path string) (*xnode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open schema: %w", err)
	}
	defer f.Close()
	d := xml.NewDecoder(f)
	var stack []*xnode
	var root *xnode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read schema %s: %w", path, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xnode{Local: t.Name.Local, Attrs: map[string]string{}}
			for _, a := range t.Attr {
				n.Attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Attrs["_text"] += string(t)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if root == nil {
		return nil, fmt.Errorf("schema %s: no root element", path)
	}
	return root, nil
}

// globals indexes the top-level xs:element declarations by name.
func globals(schema *xnode) map[string]*xnode {
	m := map[string]*xnode{}
	for _, el := range schema.kids("element") {
		m[el.attr("name")] = el
	}
	return m
}

func stripPrefix(qname string) string {
	if i := strings.IndexByte(qname, ':'); i >= 0 {
		return qname[i+1:]
	}
	return qname
}
