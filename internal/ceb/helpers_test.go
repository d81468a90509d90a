package ceb

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// sharedDir locates the read-only reference folder: $CBEC_SHARED, or
// ../shared beside the module root. Tests needing it skip when absent.
func sharedDir(t testing.TB) string {
	t.Helper()
	if s := os.Getenv("CBEC_SHARED"); s != "" {
		return s
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Skipf("shared folder not found: %v", err)
	}
	for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			s := filepath.Join(filepath.Dir(d), "shared")
			if _, err := os.Stat(filepath.Join(s, "spec", "ceb-202205")); err != nil {
				t.Skipf("shared spec folder %s absent (set CBEC_SHARED): skipping", s)
			}
			return s
		}
	}
	t.Skip("module root not found; set CBEC_SHARED to run tests using the official samples")
	return ""
}

func specDir(t testing.TB) string { return filepath.Join(sharedDir(t), "spec", "ceb-202205") }

func samplePaths(t testing.TB) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(specDir(t), "samples", "*.xml"))
	if err != nil || len(m) == 0 {
		t.Skip("no official samples found")
	}
	return m
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(specDir(t), "samples", name))
	if err != nil {
		t.Skipf("sample %s absent: %v", name, err)
	}
	return b
}

// xmllintPath returns the xmllint binary or skips.
func xmllintPath(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install -y libxml2-utils): skipping schema validation")
	}
	return p
}
