package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/webhook"
)

// snippetRE finds the code blocks of docs/webhooks.md marked with the file
// name they are run as.
var snippetRE = regexp.MustCompile("(?s)<!-- snippet: ([^ ]+) -->\n```[a-z]+\n(.*?)\n```")

// The Java and Python snippets of docs/webhooks.md, taken from the page
// itself so that the docs and the test cannot drift, accept the server's
// signature of a delivery and refuse a changed body, another secret and
// malformed headers.
func TestWebhookSnippetsInDocs(t *testing.T) {
	doc, err := os.ReadFile("../docs/webhooks.md")
	if err != nil {
		t.Fatal(err)
	}
	snippets := map[string]string{}
	for _, m := range snippetRE.FindAllSubmatch(doc, -1) {
		snippets[string(m[1])] = string(m[2])
	}
	runners := map[string][]string{"VerifyWebhook.java": {"java"}, "verify_webhook.py": {"python3"}}
	if len(snippets) != len(runners) {
		t.Fatalf("docs/webhooks.md has snippets %v, want one per runner %v", keys(snippets), keys(runners))
	}

	secret := "5f0c1e2d3a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3"
	body, err := json.Marshal(webhook.Payload{Enterprise: "330766K00Q", Next: 5, Receipts: []store.Receipt{{
		Seq: 5, MessageType: "CEB622Message", CopNo: "COP1", OrderNo: "ORD1", ReturnStatus: "800",
		ReturnInfo: "[Code:2600;Desc:放行 / released]", XML: "<ceb:CEB622Message/>", CreatedAt: time.Now()}}})
	if err != nil {
		t.Fatal(err)
	}
	sig := webhook.Sign(secret, body)
	changed := bytes.Replace(body, []byte(`"800"`), []byte(`"100"`), 1)
	cases := []struct {
		name, secret, sig string
		body              []byte
		valid             bool
	}{
		{"signed by the server", secret, sig, body, true},
		{"upper-case hex", secret, "sha256=" + strings.ToUpper(strings.TrimPrefix(sig, "sha256=")), body, true},
		{"body changed", secret, sig, changed, false},
		{"another secret", "another-secret", sig, body, false},
		{"no sha256= prefix", secret, strings.TrimPrefix(sig, "sha256="), body, false},
		{"not hex", secret, "sha256=not-hex", body, false},
	}
	for file, runner := range runners {
		t.Run(file, func(t *testing.T) {
			path, err := exec.LookPath(runner[0])
			if err != nil {
				t.Skipf("%s is not installed: the %s snippet of docs/webhooks.md is not run", runner[0], file)
			}
			src := filepath.Join(t.TempDir(), file)
			if err := os.WriteFile(src, []byte(snippets[file]), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, tc := range cases {
				cmd := exec.Command(path, append(runner[1:], src, tc.sig)...)
				cmd.Env = append(os.Environ(), "CBEC_WEBHOOK_SECRET="+tc.secret)
				cmd.Stdin = bytes.NewReader(tc.body)
				out, err := cmd.CombinedOutput()
				var exit *exec.ExitError
				if err != nil && !errors.As(err, &exit) {
					t.Fatalf("%s: run %s: %v", tc.name, file, err)
				}
				want := map[bool]string{true: "valid", false: "invalid"}[tc.valid]
				if got := strings.TrimSpace(string(out)); got != want || (err == nil) != tc.valid {
					t.Errorf("%s: %s said %q (%v), want %q", tc.name, file, got, err, want)
				}
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
