package crashtest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/store"
)

// checker verifies the invariants of issue 10 against the database and
// the API. Every failed invariant is reported with enough to find it.
type checker struct {
	t  testing.TB
	db *store.DB
}

var guidRE = regexp.MustCompile(`<(?:ceb:)?guid>([^<]+)</(?:ceb:)?guid>`)

// rows runs a query whose rows each describe a violation.
func (c *checker) none(ctx context.Context, what, query string, args ...any) {
	c.t.Helper()
	rows, err := c.db.Query(ctx, query, args...)
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	n := 0
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			c.t.Fatalf("%s: %v", what, err)
		}
		if n < 5 {
			parts := make([]string, len(cols))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts[i] = fmt.Sprintf("%s=%v", cols[i], v)
			}
			c.t.Errorf("invariant broken: %s: %s", what, strings.Join(parts, " "))
		}
		n++
	}
	if err := rows.Err(); err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	if n > 5 {
		c.t.Errorf("invariant broken: %s: %d rows in all", what, n)
	}
}

// steps reports the inventories whose steps (store.DB.Events: kept in
// their rows, not a table of their own) broken finds wrong; released tells
// whether the inventory has a release time.
func (c *checker) steps(ctx context.Context, what string, broken func(released bool, evs []store.Event) bool) {
	c.t.Helper()
	rows, err := c.db.Query(ctx, `SELECT id, released_at IS NOT NULL FROM inventories`)
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	type inv struct {
		id       string
		released bool
	}
	invs, err := store.Collect(rows, func(r store.Scanner) (v inv, err error) { return v, r.Scan(&v.id, &v.released) })
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	n := 0
	for _, v := range invs {
		evs, err := c.db.Events(ctx, v.id)
		if err != nil {
			c.t.Fatalf("%s: %v", what, err)
		}
		if broken(v.released, evs) {
			if n < 5 {
				c.t.Errorf("invariant broken: %s: inventory %s, steps %+v", what, v.id, evs)
			}
			n++
		}
	}
	if n > 5 {
		c.t.Errorf("invariant broken: %s: %d inventories in all", what, n)
	}
}

// database checks what the database must hold. It returns the number of
// acknowledged messages checked.
func (c *checker) database(ctx context.Context, acks []acked) int {
	c.t.Helper()
	// Receipt numbering per enterprise: 1..last_seq, no gap, no duplicate
	// (the primary key forbids duplicates; count = max = counter rules out gaps).
	c.none(ctx, "receipt sequence has a gap or runs past its counter",
		`SELECT r.enterprise_code, COUNT(*) AS n, MIN(r.seq) AS lo, MAX(r.seq) AS hi, MAX(k.last_seq) AS counter
		FROM receipts r LEFT JOIN receipt_counters k ON k.enterprise_code = r.enterprise_code
		GROUP BY r.enterprise_code HAVING COUNT(*) <> MAX(r.seq) OR MIN(r.seq) <> 1 OR MAX(k.last_seq) IS NULL OR MAX(k.last_seq) <> MAX(r.seq)`)
	c.none(ctx, "receipt counter ahead of its receipts",
		`SELECT k.enterprise_code, k.last_seq FROM receipt_counters k
		WHERE k.last_seq <> (SELECT COUNT(*) FROM receipts r WHERE r.enterprise_code = k.enterprise_code)`)
	// No inventory released twice. (A return's arrival is recorded as an
	// event of the released inventory too, with code 2711.)
	c.steps(ctx, "inventory released more than once, or released without a release step (events)", func(released bool, evs []store.Event) bool {
		n := 0
		for _, e := range evs {
			if e.Status == "800" && e.Code != "2711" {
				n++
			}
		}
		return n > 1 || (released && n == 0)
	})
	c.none(ctx, "inventory released more than once (receipts)",
		`SELECT enterprise_code, cop_no, COUNT(*) AS n FROM receipts WHERE message_type = 'CEB622Message' AND return_status = '800'
		GROUP BY enterprise_code, cop_no HAVING COUNT(*) > 1`)
	// Quota: each buyer's used amount is the sum of what is reserved or
	// released and not returned.
	c.none(ctx, "buyer's used quota differs from Σ reserved and released, not returned",
		`SELECT u.buyer_key, u.year, u.used_fen, (SELECT COALESCE(SUM(e.amount_fen), 0) FROM quota_entries e
			WHERE e.buyer_key = u.buyer_key AND e.year = u.year AND e.state IN ('reserved', 'released')) AS entries
		FROM quota_usage u WHERE u.used_fen <> (SELECT COALESCE(SUM(e.amount_fen), 0) FROM quota_entries e
			WHERE e.buyer_key = u.buyer_key AND e.year = u.year AND e.state IN ('reserved', 'released')) OR u.used_fen < 0`)
	c.none(ctx, "released quota entry of an inventory that is not released",
		`SELECT e.inventory_id, e.state, i.status FROM quota_entries e JOIN inventories i ON i.id = e.inventory_id
		WHERE e.state = 'released' AND i.status <> '800'`)
	c.none(ctx, "released inventory whose quota is not counted (nor given back by a whole return)",
		`SELECT i.id FROM inventories i WHERE i.status = '800'
		AND NOT EXISTS (SELECT 1 FROM quota_entries e WHERE e.inventory_id = i.id AND e.state = 'released')
		AND NOT EXISTS (SELECT 1 FROM quota_entries e WHERE e.inventory_id = i.id AND e.state = 'restored'
			AND i.dutiable_fen = (SELECT COALESCE(SUM(r.quota_fen), 0) FROM bonded_returns r WHERE r.inventory_id = i.id AND r.state = 'arrived'))`)
	c.none(ctx, "released quota ≠ dutiable value − returned share",
		`SELECT e.inventory_id, e.amount_fen, i.dutiable_fen, (SELECT COALESCE(SUM(r.quota_fen), 0) FROM bonded_returns r
			WHERE r.inventory_id = i.id AND r.state = 'arrived') AS returned
		FROM quota_entries e JOIN inventories i ON i.id = e.inventory_id WHERE e.state = 'released'
		AND e.amount_fen <> i.dutiable_fen - (SELECT COALESCE(SUM(r.quota_fen), 0) FROM bonded_returns r
			WHERE r.inventory_id = i.id AND r.state = 'arrived')`)
	// Account-book stock = in − out + returned (+ adjustments) ≥ reserved ≥ 0.
	c.none(ctx, "account-book stock ≠ Σ movements, or below what is held",
		`SELECT b.ems_no, b.item_record_no, b.on_hand_milli, b.reserved_milli,
			(SELECT COALESCE(SUM(m.qty_milli), 0) FROM bonded_moves m WHERE m.ems_no = b.ems_no AND m.item_record_no = b.item_record_no) AS moves
		FROM bonded_items b WHERE b.on_hand_milli <> (SELECT COALESCE(SUM(m.qty_milli), 0) FROM bonded_moves m
			WHERE m.ems_no = b.ems_no AND m.item_record_no = b.item_record_no) OR b.reserved_milli < 0 OR b.on_hand_milli < b.reserved_milli`)
	c.none(ctx, "reserved stock ≠ Σ reserved holds",
		`SELECT b.ems_no, b.item_record_no, b.reserved_milli FROM bonded_items b
		WHERE b.reserved_milli <> (SELECT COALESCE(SUM(h.qty_milli), 0) FROM bonded_holds h
			WHERE h.ems_no = b.ems_no AND h.item_record_no = b.item_record_no AND h.state = 'reserved')`)
	// Guarantee balance = lodged − debits + credits ≥ 0.
	c.none(ctx, "guarantee balance ≠ lodged − debits + credits",
		`SELECT a.assure_code, a.balance_fen, a.lodged_fen, a.debited_fen, a.credited_fen FROM guarantee_accounts a
		WHERE a.balance_fen <> a.lodged_fen - a.debited_fen + a.credited_fen OR a.balance_fen < 0
		OR a.lodged_fen <> (SELECT COALESCE(SUM(g.amount_fen), 0) FROM guarantees g WHERE g.assure_code = a.assure_code)
		OR a.debited_fen <> (SELECT COALESCE(SUM(h.amount_fen), 0) FROM guarantee_history h WHERE h.assure_code = a.assure_code AND h.kind = 'debit')
		OR a.credited_fen <> (SELECT COALESCE(SUM(h.amount_fen), 0) FROM guarantee_history h WHERE h.assure_code = a.assure_code AND h.kind = 'credit')`)
	c.none(ctx, "an inventory's guarantee debited more than once",
		`SELECT inventory_id, COUNT(*) AS n FROM guarantee_history WHERE kind = 'debit' AND inventory_id <> '' GROUP BY inventory_id HAVING COUNT(*) > 1`)
	// Each released line billed at most once: one tax line per inventory
	// (primary key), a bill's total is its lines', and a billed line belongs
	// to exactly one bill that exists.
	c.none(ctx, "tax line of an inventory never released",
		`SELECT t.inventory_id FROM tax_lines t JOIN inventories i ON i.id = t.inventory_id WHERE i.released_at IS NULL`)
	c.none(ctx, "bill total ≠ Σ its lines",
		`SELECT b.bill_no, b.total_fen, b.line_count FROM tax_bills b
		WHERE b.total_fen <> (SELECT COALESCE(SUM(t.tax_fen), 0) FROM tax_lines t WHERE t.bill_no = b.bill_no)
		OR b.line_count <> (SELECT COUNT(*) FROM tax_lines t WHERE t.bill_no = b.bill_no)`)
	c.none(ctx, "tax line billed in a bill that does not exist",
		`SELECT t.inventory_id, t.bill_no FROM tax_lines t WHERE t.bill_no <> '' AND NOT EXISTS (SELECT 1 FROM tax_bills b WHERE b.bill_no = t.bill_no)`)

	// Every acknowledged message is stored, and every document in it has
	// its receipt in the sender's feed.
	stored := map[string]bool{}
	rows, err := c.db.Query(ctx, `SELECT sender, guid FROM messages`)
	if err != nil {
		c.t.Fatal(err)
	}
	for rows.Next() {
		var s, g string
		if err := rows.Scan(&s, &g); err != nil {
			c.t.Fatal(err)
		}
		stored[s+"/"+g] = true
	}
	rows.Close()
	// The feed as enterprises read it (texts of packed receipts rebuilt).
	feed := map[string]bool{} // sender/receipt type/document guid
	rows, err = c.db.Query(ctx, `SELECT enterprise_code FROM receipt_counters`)
	if err != nil {
		c.t.Fatal(err)
	}
	var codes []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			c.t.Fatal(err)
		}
		codes = append(codes, e)
	}
	rows.Close()
	for _, e := range codes {
		for after := int64(0); ; {
			page, err := c.db.Receipts(ctx, e, after, 1000)
			if err != nil {
				c.t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, r := range page {
				for _, m := range guidRE.FindAllStringSubmatch(r.XML, -1) {
					feed[e+"/"+r.MessageType+"/"+m[1]] = true
				}
				after = r.Seq
			}
		}
	}
	lost, missing := 0, 0
	for _, a := range acks {
		if !stored[a.Sender+"/"+a.Guid] {
			if lost < 5 {
				c.t.Errorf("invariant broken: %s %s from %s was acknowledged with 200 but is not stored", a.Type, a.Guid, a.Sender)
			}
			lost++
			continue
		}
		for _, g := range a.Docs {
			if !feed[a.Sender+"/"+a.Receipt+"/"+g] {
				if missing < 5 {
					c.t.Errorf("invariant broken: %s %s from %s: no %s for document %s in the feed", a.Type, a.Guid, a.Sender, a.Receipt, g)
				}
				missing++
			}
		}
	}
	if lost+missing > 0 {
		c.t.Errorf("%d acknowledged messages lost, %d documents without their receipt, of %d acknowledged", lost, missing, len(acks))
	}
	return len(acks)
}

// docGuids lists the head guids of the documents in a message.
func docGuids(m ceb.Message) []string {
	var out []string
	for _, k := range ceb.DocumentKeys(m) {
		out = append(out, k["guid"])
	}
	return out
}

// feedAPI pages through each enterprise's feed over HTTP and checks the
// sequence numbers run 1, 2, 3, … with nothing skipped or repeated.
func feedAPI(ctx context.Context, t testing.TB, base string, keys map[string]string) int {
	t.Helper()
	total := 0
	for code, key := range keys {
		after, want := int64(0), int64(1)
		for {
			st, body, err := get(ctx, fmt.Sprintf("%s/api/v1/receipts?after=%d&limit=500", base, after), key)
			if err != nil || st != 200 {
				t.Fatalf("feed of %s after %d: HTTP %d %v %.200s", code, after, st, err, body)
			}
			var page struct {
				Receipts []struct{ Seq int64 } `json:"receipts"`
				Next     int64                 `json:"next"`
			}
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Receipts {
				if r.Seq != want {
					t.Errorf("invariant broken: feed of %s: seq %d where %d was due", code, r.Seq, want)
				}
				want = r.Seq + 1
				total++
			}
			if len(page.Receipts) == 0 {
				break
			}
			after = page.Next
		}
	}
	return total
}
