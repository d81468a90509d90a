package clearance

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A comment citing "rules §N" or "rule §N.M" points to docs/rules.md: every
// number cited anywhere in the Go code or the docs must be a section ("## N.")
// or an item ("**N.M**") there.
func TestRulesCitationsResolve(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## (\d+)\. |\*\*(\d+\.\d+)\*\*`).FindAllStringSubmatch(string(doc), -1) {
		defined[m[1]+m[2]] = true
	}
	// "rules §6–§8", "rules §5, §9", "rule §3.2": every number after the word.
	citation := regexp.MustCompile(`\brules? §\d+(?:\.\d+)?(?:(?:–|, | and )§\d+(?:\.\d+)?)*`)
	number := regexp.MustCompile(`§(\d+(?:\.\d+)?)`)
	cited := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".md")) || filepath.Base(path) == "rules.md" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, c := range citation.FindAllString(string(b), -1) {
			for _, n := range number.FindAllStringSubmatch(c, -1) {
				cited++
				if !defined[n[1]] {
					t.Errorf("%s cites rules §%s, which docs/rules.md does not have", path, n[1])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cited == 0 || !defined["3"] || !defined["3.2"] {
		t.Errorf("found %d citations and sections %v: the patterns no longer match", cited, defined)
	}
	t.Logf("%d citations of rules §N checked against %d sections and items", cited, len(defined))
}
