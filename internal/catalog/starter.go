package catalog

import (
	"bytes"
	"embed"
	"fmt"
	"io"

	"github.com/cbec-platform/cbec/internal/errs"
)

// starterFS holds the starter tables shipped with the binary, in the same
// CSV formats operators upload, so they go through the same parsers and a
// bad edit fails the tests instead of a deployment.
//
//go:embed data/tariff.csv data/positive_list.csv data/negative_list.csv
var starterFS embed.FS

// Paths of the starter files inside StarterFiles.
const (
	StarterTariffFile       = "data/tariff.csv"
	StarterPositiveListFile = "data/positive_list.csv"
	StarterNegativeListFile = "data/negative_list.csv"
)

// StarterFiles returns the embedded starter CSV files (e.g. for an admin
// command that writes them out as a template).
func StarterFiles() embed.FS { return starterFS }

// Starter is the parsed starter data.
type Starter struct {
	Tariff       []TariffRow
	PositiveList []PositiveListEntry
	NegativeList []NegativeListEntry
}

// LoadStarter parses the embedded starter tables.
func LoadStarter() (_ Starter, err error) {
	defer errs.Wrap(&err, "catalog.LoadStarter")
	var s Starter
	if s.Tariff, err = parseEmbedded(StarterTariffFile, ParseTariffCSV); err != nil {
		return Starter{}, err
	}
	if s.PositiveList, err = parseEmbedded(StarterPositiveListFile, ParsePositiveListCSV); err != nil {
		return Starter{}, err
	}
	if s.NegativeList, err = parseEmbedded(StarterNegativeListFile, ParseNegativeListCSV); err != nil {
		return Starter{}, err
	}
	return s, nil
}

func parseEmbedded[T any](name string, parse func(io.Reader) ([]T, error)) ([]T, error) {
	b, err := starterFS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("starter %s: %w", name, err)
	}
	rows, err := parse(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("starter %s: %w", name, err)
	}
	return rows, nil
}
