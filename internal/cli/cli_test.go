package cli

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/config"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// Every command's help documents its flags with their environment variables and defaults.
func TestHelpDocumentsFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"serve", "--help"}, []string{"--addr", "$CBEC_ADDR", "127.0.0.1:8080", "--data", "$CBEC_DATA", "./cbec-data", "--db", "$CBEC_DB", "--signature-policy", "$CBEC_SIGNATURE_POLICY", "$CBEC_CONFIG"}},
		{[]string{"migrate", "--help"}, []string{"--status", "$CBEC_DATA", "$CBEC_DB"}},
		{[]string{"enterprise", "add", "--help"}, []string{"--name", "--uscc", "--role", "--credit-class", "--cert"}},
		{[]string{"enterprise", "list", "--help"}, []string{"--role", "--credit-class", "--json"}},
		{[]string{"version", "--help"}, []string{"Print the version"}},
		{[]string{"bench", "--help"}, []string{"--ceiling", "storage switched off", "--ceiling-slice", "--json"}},
	} {
		code, out, _ := run(t, c.args...)
		if code != 0 {
			t.Errorf("%v: exit %d", c.args, code)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: help lacks %q", c.args, w)
			}
		}
	}
}

func TestEnterpriseCommands(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := run(t, "enterprise", "add", "1105910159", "--name", "测试企业", "--role", "ebp,ebc", "--uscc", "91500000MA5U00000W", "--data", dir)
	if code != 0 || !strings.Contains(out, "API key (shown once): cbec_") {
		t.Fatalf("add: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = run(t, "enterprise", "add", "1105910160", "--name", "x", "--role", "ebc", "--uscc", "91500000MA5U00000X", "--data", dir)
	if code != 1 || !strings.Contains(errOut, "uscc") {
		t.Errorf("bad uscc: exit %d, %s", code, errOut)
	}
	code, out, _ = run(t, "enterprise", "update", "1105910159", "--credit-class", "advanced", "--data", dir)
	if code != 0 || !strings.Contains(out, `"creditClass": "advanced"`) {
		t.Errorf("update: exit %d, %s", code, out)
	}
	code, out, _ = run(t, "enterprise", "list", "--role", "ebp", "--data", dir)
	if code != 0 || !strings.Contains(out, "1105910159") || !strings.Contains(out, "advanced") {
		t.Errorf("list: exit %d, %s", code, out)
	}
	code, out, _ = run(t, "enterprise", "disable", "1105910159", "--data", dir)
	if code != 0 || !strings.Contains(out, "disabled") {
		t.Errorf("disable: exit %d, %s", code, out)
	}
	code, out, _ = run(t, "enterprise", "show", "1105910159", "--data", dir)
	if code != 0 || !strings.Contains(out, `"status": "disabled"`) {
		t.Errorf("show: exit %d, %s", code, out)
	}
	code, out, _ = run(t, "migrate", "--status", "--data", dir)
	if code != 0 || !strings.Contains(out, "schema version") {
		t.Errorf("migrate --status: exit %d, %s", code, out)
	}
}

func TestBadConfigurationIsNamed(t *testing.T) {
	code, _, errOut := run(t, "serve", "--addr", "nowhere", "--data", t.TempDir())
	if code == 0 || !strings.Contains(errOut, "addr:") {
		t.Errorf("exit %d, %s", code, errOut)
	}
}

// The flags that set a configuration setting show its default as the
// configuration declares it.
func TestHelpReadsSettingDefaults(t *testing.T) {
	defaults := map[string]string{}
	for _, p := range config.Params() {
		defaults[p.Key] = p.Default
	}
	_, out, _ := run(t, "serve", "--help")
	out = strings.Join(strings.Fields(out), " ") // help wraps its lines
	for _, key := range []string{"addr", "data", "signature_policy", "log_level", "log_format"} {
		if want := "(default " + defaults[key] + ")"; !strings.Contains(out, want) {
			t.Errorf("serve --help lacks %q for %s", want, key)
		}
	}
	if !strings.Contains(out, "(default: none)") {
		t.Errorf("serve --help does not say db has no default")
	}
}

// The README's table of server settings has a row for every flag of
// `cbec serve --help`, and the --db row names every database URL form the
// flag's help names.
func TestServeFlagsInREADME(t *testing.T) {
	_, help, _ := run(t, "serve", "--help")
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, l := range strings.Split(string(readme), "\n") {
		if m := regexp.MustCompile("^\\| `(--[a-z-]+)` \\|").FindStringSubmatch(l); m != nil {
			rows[m[1]] = l
		}
	}
	for _, flag := range regexp.MustCompile(`(?m)^\s+(?:-\w, )?(--[a-z][a-z-]+)`).FindAllStringSubmatch(help, -1) {
		if flag[1] != "--help" && rows[flag[1]] == "" {
			t.Errorf("README's settings table has no row for %s", flag[1])
		}
	}
	dbHelp := help[strings.Index(help, "--db="):]
	if next := regexp.MustCompile(`\n\s+--`).FindStringIndex(dbHelp); next != nil {
		dbHelp = dbHelp[:next[0]]
	}
	for _, scheme := range regexp.MustCompile(`[a-z]+://`).FindAllString(dbHelp, -1) {
		if !strings.Contains(rows["--db"], scheme) {
			t.Errorf("README's --db row does not name %s URLs", scheme)
		}
	}
	if !strings.Contains(help, "sqlite://") {
		t.Error("serve --help does not say --db takes sqlite://PATH too")
	}
}

// A wrong --signature-policy is refused naming the three policies, and no
// empty one.
func TestSignaturePolicyValues(t *testing.T) {
	code, _, errOut := run(t, "serve", "--signature-policy", "bogus", "--data", t.TempDir())
	if code == 0 || strings.Contains(errOut, `""`) || !strings.Contains(errOut, "none") || !strings.Contains(errOut, "optional") || !strings.Contains(errOut, "required") {
		t.Errorf("serve --signature-policy bogus: %d %q", code, errOut)
	}
	if _, help, _ := run(t, "serve", "--help"); strings.Contains(help, `""`) {
		t.Errorf("serve --help lists an empty value:\n%s", help)
	}
}
