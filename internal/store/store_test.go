package store_test

import (
	"io/fs"
	"os"
	"slices"
	"testing"

	"github.com/cbec-platform/cbec/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Engines(t, storetest.Run)
}

// Both engines must have the same migration versions, or a deployment moving
// from one to the other would find a different schema.
func TestMigrationFoldersAgree(t *testing.T) {
	list := func(dir string) []string {
		entries, err := fs.ReadDir(os.DirFS("migrations"), dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	lite, pg := list("sqlite"), list("postgres")
	if !slices.Equal(lite, pg) {
		t.Errorf("migration files differ:\nsqlite:   %v\npostgres: %v", lite, pg)
	}
}
