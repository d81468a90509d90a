package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// The history counters of package risk: per kind (addr, phone, buyer), key
// (a keyed hash) and calendar day, the inventories counted and their value.
// An inventory is counted once: its row keeps when (Inventory.RiskCountedAt).
// risk_first_seen keeps when each e-commerce enterprise was first seen.

// RiskCounter is one counter's increment: one inventory, Fen of value.
type RiskCounter struct {
	Kind, Key string
	Fen       int64
}

// AddRiskCounters adds to the day's counters in one statement (one round trip
// on PostgreSQL); counters without a key are left out.
func (t *Tx) AddRiskCounters(ctx context.Context, day string, cs []RiskCounter) error {
	var rows []string
	args := []any{day}
	for _, c := range cs {
		if c.Key == "" {
			continue
		}
		n := len(args)
		rows = append(rows, fmt.Sprintf("($%d,$%d,$1,1,$%d)", n+1, n+2, n+3))
		args = append(args, c.Kind, c.Key, c.Fen)
	}
	if len(rows) == 0 {
		return nil
	}
	return t.later(ctx, "add risk counters of "+day, `INSERT INTO risk_counters (kind, key, day, n, fen) VALUES `+strings.Join(rows, ",")+`
		ON CONFLICT (kind, key, day) DO UPDATE SET n = risk_counters.n + 1, fen = risk_counters.fen + excluded.fen`, args...)
}

// MarkRiskFirstSeen records when an e-commerce enterprise was first seen; a
// later time leaves the first one. An enterprise this process knows to have
// its row costs no statement.
func (t *Tx) MarkRiskFirstSeen(ctx context.Context, ebcCode string, at time.Time) error {
	if t.db.firstSeen.has(ebcCode) {
		return nil
	}
	if err := t.later(ctx, "mark "+ebcCode+" first seen", `INSERT INTO risk_first_seen (enterprise_code, at) VALUES ($1,$2) ON CONFLICT (enterprise_code) DO NOTHING`,
		ebcCode, at); err != nil {
		return err
	}
	t.learnFirstSeen(ebcCode)
	return nil
}

// learnFirstSeen remembers, once the transaction has committed, that an
// enterprise has its row of risk_first_seen.
func (t *Tx) learnFirstSeen(ebcCode string) {
	t.AfterCommit(func() { t.db.firstSeen.add(ebcCode) })
}

// knownSet is what the process knows to be stored: keys added only once
// their rows are committed, so a key in it always has its row. Nothing
// deletes rows of risk_first_seen; whatever comes to delete them must forget
// their keys here too. Several nodes each learn for themselves: a node that
// does not know a key yet writes a statement that changes nothing.
type knownSet struct {
	mu   sync.RWMutex
	keys map[string]struct{}
}

// knownMax bounds the set: beyond it, the set starts again empty and learns
// again, a statement per key, rather than grow without end.
const knownMax = 1 << 16

func (k *knownSet) has(key string) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	_, ok := k.keys[key]
	return ok
}

func (k *knownSet) add(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil || len(k.keys) >= knownMax {
		k.keys = make(map[string]struct{})
	}
	k.keys[key] = struct{}{}
}

// RiskCountKeys say which counters to read: the keys, and the days as
// YYYY-MM-DD of the counters' calendar (From to Day, both included).
type RiskCountKeys struct {
	Addr, Phone, Buyer, EbcCode string
	Day, From                   string
}

// RiskCounts are the counters read for one inventory.
type RiskCounts struct {
	AddrToday, PhoneToday, PhonePeriod, BuyerPeriodFen int64
	EbcFirstSeen                                       *time.Time // nil: never seen
}

// RiskCounts reads the counters in the transaction. An enterprise seen is
// known once the transaction has committed (the row read may be its own).
func (t *Tx) RiskCounts(ctx context.Context, k RiskCountKeys) (RiskCounts, error) {
	c, err := riskCounts(ctx, t, k)
	if err == nil && c.EbcFirstSeen != nil && !t.db.firstSeen.has(k.EbcCode) {
		t.learnFirstSeen(k.EbcCode)
	}
	return c, err
}

// RiskCounts reads the counters; an enterprise seen is known from then on.
func (db *DB) RiskCounts(ctx context.Context, k RiskCountKeys) (RiskCounts, error) {
	c, err := riskCounts(ctx, db, k)
	if err == nil && c.EbcFirstSeen != nil {
		db.firstSeen.add(k.EbcCode)
	}
	return c, err
}

func riskCounts(ctx context.Context, q rowQuerier, k RiskCountKeys) (RiskCounts, error) {
	var c RiskCounts
	fail := func(err error) (RiskCounts, error) {
		return RiskCounts{}, fmt.Errorf("read risk counters of %s to %s: %w", k.From, k.Day, classify(err))
	}
	if err := q.queryRow(ctx, `SELECT COALESCE(SUM(n),0) FROM risk_counters WHERE kind = 'addr' AND key = $1 AND day = $2`, k.Addr, k.Day).
		Scan(&c.AddrToday); err != nil {
		return fail(err)
	}
	if err := q.queryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN day = $3 THEN n ELSE 0 END),0), COALESCE(SUM(n),0) FROM risk_counters
		WHERE kind = 'phone' AND key = $1 AND day >= $2 AND day <= $3`, k.Phone, k.From, k.Day).Scan(&c.PhoneToday, &c.PhonePeriod); err != nil {
		return fail(err)
	}
	if err := q.queryRow(ctx, `SELECT COALESCE(SUM(fen),0) FROM risk_counters WHERE kind = 'buyer' AND key = $1 AND day >= $2 AND day <= $3`,
		k.Buyer, k.From, k.Day).Scan(&c.BuyerPeriodFen); err != nil {
		return fail(err)
	}
	var first NullTime
	if err := q.queryRow(ctx, `SELECT MIN(at) FROM risk_first_seen WHERE enterprise_code = $1`, k.EbcCode).Scan(&first); err != nil {
		return fail(err)
	}
	c.EbcFirstSeen = first.asRead()
	return c, nil
}
