// Package risk is the risk side of supervision (rules §5, §9): risk rules
// written by officers as CEL expressions, emergency measures, credit records
// of the departments with their platform-wide effects, and the data
// direct-connect mode of trusted platforms.
//
// Rules and measures are compiled and loaded once into an immutable snapshot
// that the engine check reads without locking; a change swaps the snapshot
// atomically, so it takes effect for the next inventory. Other nodes see a
// change through a generation number in the database, polled every few seconds.
package risk

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cel.dev/cel-go/cel"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/engine"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/store"
)

// Service keeps rules, measures, credit records and direct-connect flags.
type Service struct {
	DB          *store.DB
	Engine      *engine.Engine
	Parties     *enterprise.Cache
	Ref         clearance.Reference
	Rates       map[enterprise.CreditClass]money.Decimal // rules.inspection_rates, for the selection audit
	SingleLimit money.Amount
	AnnualLimit money.Amount
	Now         func() time.Time
	Log         *slog.Logger
	Every       time.Duration // how often other nodes' changes and expiries are looked for; 0: 5 s
	// Exports is the export side of the measures: a lift judges the exports
	// it held again too (nil: none).
	Exports HeldExports

	env     *cel.Env
	envErr  error
	envOnce sync.Once
	snap    atomic.Pointer[snapshot]
	mu      sync.Mutex // one reload at a time
}

// snapshot is what the check reads: the active rules compiled, the active
// measures, the score threshold and the direct-connect flags.
type snapshot struct {
	generation int64
	rules      []*compiled
	measures   []*Measure
	threshold  int64
	direct     map[string]bool
}

// DefaultScoreThreshold is the risk score at which score rules hold an inventory (300).
const DefaultScoreThreshold = 100

func (s *Service) cel() (*cel.Env, error) {
	s.envOnce.Do(func() { s.env, s.envErr = newEnv() })
	return s.env, s.envErr
}

func (s *Service) current() *snapshot {
	if p := s.snap.Load(); p != nil {
		return p
	}
	return &snapshot{threshold: DefaultScoreThreshold}
}

// Reload reads rules, measures and flags and swaps the snapshot.
func (s *Service) Reload(ctx context.Context) (err error) {
	defer errs.Wrap(&err, "risk.Reload")
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reload(ctx)
}

func (s *Service) reload(ctx context.Context) error {
	gen, err := s.DB.RiskGeneration(ctx)
	if err != nil {
		return err
	}
	threshold, set, err := s.DB.RiskScoreThreshold(ctx)
	if err != nil {
		return err
	}
	if !set {
		threshold = DefaultScoreThreshold
	}
	rules, err := s.listRules(ctx, "active")
	if err != nil {
		return err
	}
	env, err := s.cel()
	if err != nil {
		return err
	}
	snap := &snapshot{generation: gen, threshold: threshold, direct: map[string]bool{}}
	for _, r := range rules {
		c, err := compile(env, r)
		if err != nil {
			// Stored rules compiled when they were saved; one that no longer does is skipped, not fatal.
			s.Log.Error("risk rule does not compile; skipped", "rule", r.ID, "version", r.Version, "error", err)
			continue
		}
		snap.rules = append(snap.rules, c)
	}
	if snap.measures, err = s.listMeasures(ctx, "active"); err != nil {
		return err
	}
	codes, err := s.DB.DirectConnectEligible(ctx)
	if err != nil {
		return err
	}
	for _, code := range codes {
		snap.direct[code] = true
	}
	s.snap.Store(snap)
	return nil
}

// Run reloads when another node changed something, and ends credit records
// past their expiry, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	every := s.Every
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("reload risk rules", "error", err)
		}
		if _, err := s.Expire(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("expire credit records", "error", err)
		}
	}
}

// Refresh reloads when the generation in the database differs from the
// snapshot's: another node changed a rule, a measure or a flag.
func (s *Service) Refresh(ctx context.Context) (err error) {
	defer errs.Wrap(&err, "risk.Refresh")
	gen, err := s.DB.RiskGeneration(ctx)
	if err != nil {
		return err
	}
	if gen == s.current().generation {
		return nil
	}
	return s.Reload(ctx)
}

// ActiveRules is the number of rules the check runs.
func (s *Service) ActiveRules() int { return len(s.current().rules) }

// newID makes an identifier: a prefix, the date and 8 random characters.
func newID(prefix string, now time.Time) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + now.In(cst).Format("20060102") + "-" + base32.StdEncoding.EncodeToString(b)
}

// Check is the engine check of risk: emergency measures first, then the rules.
type Check struct{ S *Service }

// Locks names the day's history counters an inventory adds to (engine.Locker).
func (Check) Locks(d *engine.Decision) []string {
	if d.Doc == nil {
		return nil
	}
	var keys []string
	add := func(kind, hash string) {
		if hash != "" { // no counter without a key (addCounters)
			keys = append(keys, store.HotRow("risk", kind, hash))
		}
	}
	add("buyer", d.Doc.BuyerID.Hash)
	if d.Case != nil && d.Case.Order != nil {
		add("addr", d.Case.Order.ConsigneeAddress.Hash)
		add("phone", d.Case.Order.ConsigneePhone.Hash)
	}
	return keys
}

// Check implements engine.Check. It counts the inventory in the history
// counters, evaluates the active rules that apply to it and records every hit.
func (k Check) Check(ctx context.Context, tx *store.Tx, d *engine.Decision) (*engine.Outcome, error) {
	s := k.S
	snap := s.current()
	if d.Doc == nil {
		return nil, nil
	}
	if o, err := s.measureOutcome(ctx, tx, snap, d); o != nil || err != nil {
		return o, err
	}
	sub := &subject{inv: d.Inventory, doc: d.Doc, c: d.Case, now: d.Now, parties: map[string]*enterprise.Enterprise{}}
	if d.Case != nil {
		sub.parties = d.Case.Parties
	}
	if p := sub.parties[d.Doc.EbpCode]; p != nil {
		sub.direct = s.DirectConnect(p)
	}
	if err := count(ctx, tx, sub, len(snap.rules) > 0); err != nil {
		return nil, err
	}
	if len(snap.rules) == 0 {
		return nil, nil
	}
	v, err := s.vars(sub)
	if err != nil {
		return nil, err
	}
	hits, err := evaluate(snap.rules, v.activation(), d.Doc, d.Now)
	if err != nil {
		return nil, err
	}
	for _, h := range hits {
		if err := tx.InsertRiskHit(ctx, d.Inventory.ID, store.RiskHit{Kind: "rule", Ref: h.ID, Version: h.Version, Action: h.Action, Score: h.Score, At: d.Now}); err != nil {
			return nil, fmt.Errorf("risk check of inventory %s: %w", d.Inventory.ID, err)
		}
	}
	return outcome(hits, snap.threshold), nil
}

// hit is a rule that matched.
type hit struct {
	ID      string
	Version int64
	Action  string
	Score   int64
}

// outcome turns the hits into the check's answer: a rejection wins, then a
// manual review, then an inspection; score rules add up and hold (300) at the
// threshold. The receipt names rules by id and version, never their text.
func outcome(hits []hit, threshold int64) *engine.Outcome {
	var reject, review, inspect []string
	var score int64
	var scored []string
	for _, h := range hits {
		ref := fmt.Sprintf("%s v%d", h.ID, h.Version)
		switch h.Action {
		case ActionReject:
			reject = append(reject, ref)
		case ActionReview:
			review = append(review, ref)
		case ActionInspect:
			inspect = append(inspect, ref)
		case ActionScore:
			score += h.Score
			scored = append(scored, fmt.Sprintf("%s +%d", ref, h.Score))
		}
	}
	mk := func(status, code, detail string) *engine.Outcome {
		return &engine.Outcome{Status: status, Finding: clearance.Finding{Code: code, Detail: detail}}
	}
	switch {
	case len(reject) > 0:
		return mk("100", "1500", "risk rules "+strings.Join(reject, ", "))
	case len(review) > 0:
		return mk("300", "2410", "risk rules "+strings.Join(review, ", "))
	case score >= threshold && len(scored) > 0:
		return mk("300", "2412", fmt.Sprintf("risk score %d ≥ %d: %s", score, threshold, strings.Join(scored, ", ")))
	case len(inspect) > 0:
		return mk("500", "2411", "risk rules "+strings.Join(inspect, ", "))
	}
	return nil
}
