package clearance

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docs/reasons.md carries the table of Reasons; CBEC_UPDATE_DOCS=1 rewrites it.
func TestReasonsDocumented(t *testing.T) {
	var b strings.Builder
	b.WriteString("| code | 中文 | English | meaning and how to fix |\n|---|---|---|---|\n")
	seen := map[string]bool{}
	for _, r := range Reasons {
		if seen[r.Code] {
			t.Errorf("code %s appears twice", r.Code)
		}
		seen[r.Code] = true
		if r.Zh == "" || r.En == "" || r.Meaning == "" {
			t.Errorf("code %s lacks a text", r.Code)
		}
		b.WriteString("| " + r.Code + " | " + r.Zh + " | " + r.En + " | " + r.Meaning + " |\n")
	}
	path := filepath.Join("..", "..", "docs", "reasons.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- reasons:begin -->\n", "<!-- reasons:end -->"
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the reasons markers", path)
	}
	want := string(doc[:i+len(begin)]) + b.String() + string(doc[j:])
	if string(doc) == want {
		return
	}
	if os.Getenv("CBEC_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is out of date with clearance.Reasons; run CBEC_UPDATE_DOCS=1 go test ./internal/clearance", path)
}

func TestFindingInfo(t *testing.T) {
	got := Finding{Code: "1332", Detail: "PaymentHead.amountPaid=561.89, OrderHead.acturalPaid=3197.95"}.Info()
	want := "[Code:1332;Desc:支付单支付金额与订单实付金额不一致 / payment amount differs from the order's actual paid: PaymentHead.amountPaid=561.89, OrderHead.acturalPaid=3197.95]"
	if got != want {
		t.Errorf("Info() = %s\nwant      %s", got, want)
	}
}

// Every reason code written in the code base as a literal — Finding{Code: "…"},
// Refused("…"), find("…"), reject("…") — must be in the table, or receipts
// would carry an unexplained code.
func TestEveryCodeUsedIsInTheTable(t *testing.T) {
	re := regexp.MustCompile(`(?:\bCode:\s*"|\bRefused\("|\bfind\("|\breject\(")(\d{4,6})"`)
	root := filepath.Join("..", "..", "internal")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if _, ok := reasonByCode[m[1]]; !ok {
				t.Errorf("%s uses reason code %s, which is not in clearance.Reasons", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
