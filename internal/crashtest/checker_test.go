package crashtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/store"
)

// recorder is a testing.TB that keeps what the checker reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.TB.Fatalf(format, args...)
}

// The checker is only worth its campaign if it notices a broken invariant:
// each broken row below must be reported, and a clean database must not.
func TestCheckerNoticesBrokenInvariants(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "", t.TempDir(), store.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{TB: t}
	(&checker{t: rec, db: db}).database(ctx, nil)
	if len(rec.errs) > 0 {
		t.Fatalf("clean database reported: %v", rec.errs)
	}
	breakages := []struct{ want, sql string }{
		{"receipt sequence has a gap", `INSERT INTO receipts (enterprise_code, seq, message_type, cop_no, order_no, return_status, return_info, xml, created_at)
			VALUES ('E1', 2, 'CEB622Message', 'C1', 'O1', '800', '', '', '2026-11-27T00:00:00.000000000Z')`},
		{"used quota differs", `INSERT INTO quota_usage (buyer_key, year, used_fen, name_hash) VALUES ('B1', 2026, 100, 'n')`},
		{"guarantee balance", `INSERT INTO guarantee_accounts (assure_code, balance_fen, lodged_fen, debited_fen, credited_fen, updated_at)
			VALUES ('G1', 100, 0, 0, 0, '2026-11-27T00:00:00.000000000Z')`},
	}
	for _, b := range breakages {
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, b.sql); return err }); err != nil {
			t.Fatalf("%s: %v", b.want, err)
		}
		rec.errs = nil
		(&checker{t: rec, db: db}).database(ctx, []acked{{Sender: "E1", Guid: "G-LOST", Type: "CEB311Message", Receipt: "CEB312Message"}})
		all := strings.Join(rec.errs, "\n")
		if !strings.Contains(all, b.want) {
			t.Errorf("%s: not reported; got:\n%s", b.want, all)
		}
		if !strings.Contains(all, "acknowledged with 200 but is not stored") {
			t.Errorf("a lost acknowledged message was not reported; got:\n%s", all)
		}
	}
}
