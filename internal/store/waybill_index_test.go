package store_test

import (
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// The inventories' one waybill index (migration 00221) serves the look-ups
// by firm and number and those by number alone (SQLite's plans; PostgreSQL
// plans by the table's statistics).
func TestWaybillLookupsUseTheIndex(t *testing.T) {
	db := storetest.OpenSQLite(t)
	for _, q := range []string{
		`SELECT id FROM inventories WHERE logistics_code = 'L' AND logistics_no = 'N' AND status <> '100' ORDER BY created_at DESC LIMIT 1`,
		`SELECT id FROM inventories WHERE logistics_no = 'N' ORDER BY created_at DESC LIMIT 1`,
		`SELECT id, status, invt_no FROM inventories i WHERE (logistics_no = 'N' OR invt_no = 'N') AND status <> '100'`,
	} {
		if p := plan(t, db, q); !strings.Contains(p, "USING INDEX inventories_waybill") || strings.Contains(p, "SCAN ") {
			t.Errorf("%s\nplan: %s", q, p)
		}
	}
}
