package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// The newest traceability codes (cbec trace codes) are read through the
// lines' key, newest first, never by sorting every piece, and with no index
// of their own. Their codes here sort in no relation to their release, as
// the random codes issued before December 2026 do, and two inventories share
// each release instant. SQLite plans as it does in production, without
// statistics; PostgreSQL after ANALYZE, as its autovacuum keeps it.
func TestRecentTraceCodesReadTheLinesNewestFirst(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		ctx := context.Background()
		t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
		const inventories = 2000
		var stored []string // in the order stored: each line's two pieces in order
		for batch := range inventories / 100 {
			var codes []store.TraceCode
			for inv := batch * 100; inv < (batch+1)*100; inv++ {
				for gnum := 1; gnum <= 2; gnum++ {
					for piece := 1; piece <= 2; piece++ {
						code := fmt.Sprintf("R%04d%d%d", inv*7919%inventories, gnum, piece)
						codes = append(codes, store.TraceCode{Code: code, InventoryID: fmt.Sprint("inv", inv), Gnum: gnum, Piece: piece,
							EbcCode: "1105910159", ItemNo: "MILK-1", State: "released", ReleasedAt: t0.Add(time.Duration(inv/2) * time.Second)})
					}
				}
			}
			if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertTraceCodes(ctx, codes) }); err != nil {
				t.Fatal(err)
			}
			stored = append(stored, pluckCodes(codes)...)
		}
		var want []string // the lines newest first, a line's pieces in order
		for i := len(stored) - 2; i >= 0; i -= 2 {
			want = append(want, stored[i:i+2]...)
		}
		if db.Engine == store.Postgres {
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, "ANALYZE trace_lines, trace_codes")
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		all := plan(t, db, store.RecentTraceCodesQuery, 25)
		// The lines come first, newest first by their key: SQLite scans the
		// table (rowid order), PostgreSQL its primary key backward.
		first := "SCAN l"
		if db.Engine == store.Postgres {
			first = "Index Scan Backward using trace_lines_pkey on trace_lines l"
		}
		if !strings.Contains(all, first) || strings.Index(all, first) > strings.Index(all, "trace_codes") {
			t.Errorf("the plan does not read the lines first by their key (%q):\n%s", first, all)
		}
		for _, line := range strings.Split(all, "\n") {
			// SQLite's sort is a temporary b-tree; PostgreSQL's a Sort node.
			node := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "->"))
			if strings.Contains(line, "TEMP B-TREE") || strings.HasPrefix(node, "Sort ") && !strings.HasPrefix(node, "Sort Key") {
				t.Errorf("the plan sorts the rows:\n%s", all)
			}
		}
		// PostgreSQL orders a line's pieces itself (its plans do not carry the
		// inner index's order through a join): one line at a time.
		if strings.Contains(all, "Incremental Sort") && !strings.Contains(all, "Presorted Key: l.id\n") {
			t.Errorf("the plan sorts more than a line's pieces at a time:\n%s", all)
		}
		got, err := db.RecentTraceCodes(ctx, 25)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pluckCodes(got), want[:25]) {
			t.Fatalf("recent codes:\n got %v\nwant %v", pluckCodes(got), want[:25])
		}
		if !got[0].ReleasedAt.Equal(t0.Add((inventories/2 - 1) * time.Second)) {
			t.Errorf("newest released at %v", got[0].ReleasedAt)
		}
	})
}

func pluckCodes(codes []store.TraceCode) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c.Code
	}
	return out
}
