package store_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cbec-platform/cbec/internal/store"
)

// childFolderEnv makes the test binary, run again as an unprivileged user,
// open a database in the folder it names and print the error.
const childFolderEnv = "CBEC_TEST_OPEN_IN_FOLDER"

// A data folder the server cannot write to is named in the error with what
// is missing, instead of SQLite's "unable to open database file (14)".
func TestUnwritableDataFolderIsNamed(t *testing.T) {
	if dir := os.Getenv(childFolderEnv); dir != "" {
		_, err := store.Open(context.Background(), "", dir, store.Options{})
		os.Stdout.WriteString("error: " + errText(err) + "\n")
		return
	}
	ctx := context.Background()
	// A path under a regular file: no folder can be made there.
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	under := filepath.Join(file, "data")
	_, err := store.Open(ctx, "", under, store.Options{})
	wantNamed(t, errText(err), under, "not a folder")

	// A folder without write permission. Root ignores permissions, so as
	// root the open runs in a copy of this test binary as user nobody.
	locked := filepath.Join(t.TempDir(), "locked")
	if err := os.Mkdir(locked, 0o555); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		_, err := store.Open(ctx, "", locked, store.Options{})
		wantNamed(t, errText(err), locked, "permission")
		return
	}
	wantNamed(t, openAsNobody(t, locked), locked, "permission")
	if entries, _ := os.ReadDir(locked); len(entries) != 0 {
		t.Errorf("the refused open left %d files", len(entries))
	}
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func wantNamed(t *testing.T, msg, folder, problem string) {
	t.Helper()
	if !strings.Contains(msg, folder) || !strings.Contains(msg, problem) || strings.Contains(msg, "(14)") {
		t.Errorf("opening a database in %s: %q; want the folder named and %q", folder, msg, problem)
	}
}

// openAsNobody runs this test's child part as user nobody (65534) from a copy
// of the test binary that user may execute, and returns the error it printed.
func openAsNobody(t *testing.T, folder string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "cbec-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "store.test")
	copyExecutable(t, self, bin)
	for _, d := range []string{dir, filepath.Dir(folder), filepath.Dir(filepath.Dir(folder))} {
		if err := os.Chmod(d, 0o755); err != nil { // searchable by nobody; folder itself stays 0555
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-test.run", "^TestUnwritableDataFolderIsNamed$")
	cmd.Env = append(os.Environ(), childFolderEnv+"="+folder, "HOME="+dir)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the child as nobody: %v\n%s", err, out.String())
	}
	for _, l := range strings.Split(out.String(), "\n") {
		if msg, ok := strings.CutPrefix(l, "error: "); ok {
			return msg
		}
	}
	t.Fatalf("the child printed no error:\n%s", out.String())
	return ""
}

func copyExecutable(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
