package cli

import (
	"strings"
	"testing"
)

func TestOfficerAndLineCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CBEC_OFFICER_PASSWORD", "correct-horse-battery")
	if code, out, errb := run(t, "officer", "add", "li.wei", "--name", "李伟", "--department", "customs", "--data", dir); code != 0 || !strings.Contains(out, "li.wei") {
		t.Fatalf("officer add: %d %s %s", code, out, errb)
	}
	if code, _, errb := run(t, "officer", "add", "li.wei", "--name", "李伟", "--department", "customs", "--data", dir); code != 1 || !strings.Contains(errb, "exists already") {
		t.Errorf("duplicate: %d %s", code, errb)
	}
	if code, _, errb := run(t, "officer", "add", "Bad Name", "--name", "x", "--department", "police", "--data", dir); code != 1 || !strings.Contains(errb, "username") || !strings.Contains(errb, "department") {
		t.Errorf("bad input: %d %s", code, errb)
	}
	if code, out, _ := run(t, "officer", "list", "--data", dir); code != 0 || !strings.Contains(out, "customs") {
		t.Errorf("officer list: %d %s", code, out)
	}
	code, out, errb := run(t, "line", "add", "1号线", "--warehouse", "保税仓A", "--data", dir)
	if code != 0 || !strings.Contains(out, "scanner token (shown once): cbec_") {
		t.Fatalf("line add: %d %s %s", code, out, errb)
	}
	if code, _, errb := run(t, "line", "simulate", "--server", "http://127.0.0.1:1", "--line", "x", "--data", dir); code != 1 || !strings.Contains(errb, "--token") {
		t.Errorf("simulate without token: %d %s", code, errb)
	}
	if code, _, errb := run(t, "line", "simulate", "--server", "http://127.0.0.1:1", "--data", dir); code != 1 || !strings.Contains(errb, "cbec demo") {
		t.Errorf("simulate with no inventories: %d %s", code, errb)
	}
}
