package ceb

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// xsdCodes are the problem codes that correspond to XSD rules; the other
// codes (code lists, time formats, guid form) are spec rules xmllint does
// not know.
var xsdCodes = map[string]bool{CodeRequired: true, CodeLength: true, CodeDigits: true, CodeFixed: true,
	CodeCount: true, CodeOrder: true, CodeUnknown: true, CodeContent: true, CodeNamespace: true, CodeRoot: true}

// mutate applies one random edit to a message written one element per
// line-less run: it drops, duplicates or swaps an element, or changes a value.
func mutate(r *rand.Rand, doc string) (string, string) {
	type span struct{ start, end int }
	var leaves, all []span
	for i := 0; ; {
		a := strings.Index(doc[i:], "<ceb:")
		if a < 0 {
			break
		}
		a += i
		gt := strings.IndexByte(doc[a:], '>') + a
		name := doc[a+5 : gt]
		closeTag := "</ceb:" + name + ">"
		c := strings.Index(doc[gt:], closeTag)
		if c >= 0 && !strings.Contains(doc[gt:gt+c], "<") {
			leaves = append(leaves, span{a, gt + c + len(closeTag)})
		} else if c >= 0 && !strings.HasSuffix(name, "Message") {
			all = append(all, span{a, gt + c + len(closeTag)})
		}
		i = gt
	}
	if len(leaves) < 2 {
		return doc, "none"
	}
	k := r.IntN(len(leaves) - 1)
	s := leaves[k]
	el := doc[s.start:s.end]
	values := []string{"", "x", strings.Repeat("长", 1001), "1.123456", "abc", "20221301000000", "-1",
		"1e5", "12345678901234567890", "0.00001", "2147483648", "142", "I", "&lt;&amp;"}
	if r.IntN(5) == 0 && len(all) > 0 {
		c := all[r.IntN(len(all))]
		el := doc[c.start:c.end]
		if r.IntN(2) == 0 {
			return doc[:c.start] + doc[c.end:], "drop " + el[:strings.IndexByte(el, '>')+1]
		}
		return doc[:c.end] + el + doc[c.end:], "duplicate " + el[:strings.IndexByte(el, '>')+1]
	}
	switch op := r.IntN(4); op {
	case 0:
		return doc[:s.start] + doc[s.end:], "drop " + el
	case 1:
		return doc[:s.end] + el + doc[s.end:], "duplicate " + el
	case 2:
		n := leaves[k+1]
		if n.start != s.end {
			return doc, "none"
		}
		return doc[:s.start] + doc[n.start:n.end] + el + doc[n.end:], "swap " + el
	default:
		gt := strings.IndexByte(el, '>')
		closeAt := strings.LastIndex(el, "</")
		v := values[r.IntN(len(values))]
		return doc[:s.start] + el[:gt+1] + v + el[closeAt:] + doc[s.end:], fmt.Sprintf("set %s to %q", el[:gt+1], v)
	}
}

// TestAgreesWithXmllint checks on random single mutations of messages we
// write that Decode finds an XSD-level problem exactly when xmllint
// rejects the document.
func TestAgreesWithXmllint(t *testing.T) {
	lint := xmllintPath(t)
	dir := t.TempDir()
	seed := uint64(1)
	if s := os.Getenv("CEB_DIFF_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	r := rand.New(rand.NewPCG(seed, 2))
	types := []string{"CEB311Message", "CEB621Message", "CEB625Message", "CEB711Message", "CEB603Message", "CEB792Message", "CEB816Message"}
	n := 0
	for _, mt := range types {
		xsd := schemaFor(t, mt)
		base, err := Marshal(fillMessage(mt))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			doc, what := mutate(r, string(base))
			if what == "none" {
				continue
			}
			n++
			f := filepath.Join(dir, fmt.Sprintf("m%d.xml", n))
			if err := os.WriteFile(f, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			lintOK := exec.Command(lint, "--noout", "--nonet", "--schema", xsd, f).Run() == nil
			d, err := Decode([]byte(doc))
			oursOK := err == nil
			var found []string
			if d != nil {
				for _, p := range d.Problems {
					if xsdCodes[p.Code] && !(p.Code == CodeRequired && p.Path == "Signature") {
						oursOK = false
						found = append(found, p.String())
					}
				}
			}
			if lintOK != oursOK {
				out, _ := exec.Command(lint, "--noout", "--nonet", "--schema", xsd, f).CombinedOutput()
				t.Errorf("%s, %s: xmllint valid=%v, ours valid=%v\nours: %v\nxmllint: %s", mt, what, lintOK, oursOK, found, out)
			}
		}
	}
	t.Logf("%d mutations compared with xmllint", n)
}
