package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedUpToDate regenerates the code from the official XSDs and
// compares it with the committed zz_generated.go.
func TestGeneratedUpToDate(t *testing.T) {
	dir := defaultXSDDir()
	if _, err := os.Stat(filepath.Join(dir, "ceb-import-202205.xsd")); err != nil {
		t.Skipf("official XSDs not found in %s (set CBEC_SHARED): skipping", dir)
	}
	got, err := generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "zz_generated.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("zz_generated.go is stale: run go generate ./internal/ceb")
	}
}

// TestNaming checks the names other packages rely on.
func TestNaming(t *testing.T) {
	dir := defaultXSDDir()
	if _, err := os.Stat(filepath.Join(dir, "ceb-import-202205.xsd")); err != nil {
		t.Skipf("official XSDs not found in %s: skipping", dir)
	}
	src, err := generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, decl := range []string{"type CEB621Message struct", "type InventoryHead struct", "type ExportInventoryHead struct",
		"type BaseTransfer struct", "type Tax818 struct", "type SummaryResultList struct", "\tOrderNo "} {
		if !bytes.Contains(src, []byte(decl)) {
			t.Errorf("generated code lacks %q", decl)
		}
	}
}
