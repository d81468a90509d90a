package refdata

import (
	"context"
	"time"

	"github.com/cbec-platform/cbec/internal/catalog"
)

// Kind names one of the versioned reference tables.
type Kind string

// The versioned tables. Product filings are not versioned: a filing is
// replaced by the next upload of the same item.
const (
	Tariff       Kind = "tariff"
	PositiveList Kind = "positive_list"
	NegativeList Kind = "negative_list"
)

// Kinds lists the versioned tables in a fixed order.
var Kinds = []Kind{Tariff, PositiveList, NegativeList}

// VersionInfo describes one upload of a versioned table.
type VersionInfo struct {
	Kind          Kind      `json:"kind"`
	ID            int64     `json:"version"` // 1, 2, … per table, in upload order
	EffectiveFrom time.Time `json:"effectiveFrom"`
	// Replace marks an upload that is the whole table: from its effective
	// date, rows it does not hold are no longer in force. Without it an
	// upload only replaces the rows with the same key (contract §6).
	Replace    bool      `json:"replace"`
	UploadedBy string    `json:"uploadedBy"` // "admin", "cli", "starter"
	UploadedAt time.Time `json:"uploadedAt"`
	Rows       int       `json:"rows"`
}

// Filing is a stored product filing with the time it was last uploaded.
type Filing struct {
	catalog.Product
	UpdatedAt time.Time
}

// Starter is the data seeded into an empty database.
type Starter struct {
	EffectiveFrom time.Time
	At            time.Time
	Tariff        []catalog.TariffRow
	PositiveList  []catalog.PositiveListEntry
	NegativeList  []catalog.NegativeListEntry
}

// Store keeps reference data. Versions are written once and never changed.
type Store interface {
	// AddTariffVersion and its siblings store a version with its rows in one
	// transaction and set v.ID.
	AddTariffVersion(ctx context.Context, v *VersionInfo, rows []catalog.TariffRow) error
	AddPositiveListVersion(ctx context.Context, v *VersionInfo, rows []catalog.PositiveListEntry) error
	AddNegativeListVersion(ctx context.Context, v *VersionInfo, rows []catalog.NegativeListEntry) error
	// SeedReference stores the starter data as the first version of each
	// empty table, once per database even when several nodes start together;
	// seeded is false when it had been done before.
	SeedReference(ctx context.Context, s Starter) (seeded bool, err error)
	// ReferenceVersions lists a table's versions by id.
	ReferenceVersions(ctx context.Context, kind Kind) ([]VersionInfo, error)
	TariffRows(ctx context.Context, versionID int64) ([]catalog.TariffRow, error)
	PositiveListRows(ctx context.Context, versionID int64) ([]catalog.PositiveListEntry, error)
	NegativeListRows(ctx context.Context, versionID int64) ([]catalog.NegativeListEntry, error)

	// PutProductFilings stores an enterprise's filings in one transaction,
	// replacing those with the same item numbers.
	PutProductFilings(ctx context.Context, ebcCode string, ps []catalog.Product, at time.Time) error
	// ProductFilingsSince calls fn for every filing updated at or after since.
	ProductFilingsSince(ctx context.Context, since time.Time, fn func(Filing) error) error
	// ProductFiling reads one filing; a missing one is an errs.NotFound.
	ProductFiling(ctx context.Context, ebcCode, itemNo string) (Filing, error)
	// ProductFilings lists an enterprise's filings by item number after after.
	ProductFilings(ctx context.Context, ebcCode, after string, limit int) ([]Filing, error)
}
