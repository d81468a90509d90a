package risk

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"

	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store"
)

// The actions of a rule.
const (
	ActionReject  = "reject"  // 100
	ActionReview  = "review"  // 300, manual review
	ActionInspect = "inspect" // 500
	ActionScore   = "score"   // adds Score to the inventory's risk score
)

// Rule is a risk rule as stored: its current version. It is the stored row
// with the checks of scope and validity.
type Rule store.RiskRule

// RuleInput is what an officer sends to write or change a rule; on change,
// nil fields keep their value.
type RuleInput struct {
	Name       *string    `json:"name"`
	Expr       *string    `json:"expr"`
	Action     *string    `json:"action"`
	Score      *int64     `json:"score"`
	TradeModes *[]string  `json:"tradeModes"`
	Districts  *[]string  `json:"districts"`
	ValidFrom  *time.Time `json:"validFrom"`
	ValidTo    *time.Time `json:"validTo"`
	Author     string     `json:"author"`
	Note       *string    `json:"note"`
}

// compiled is a rule ready to run.
type compiled struct {
	*Rule
	prg cel.Program
}

// compile checks and plans a rule's expression. A syntax or type error names
// its line and column.
func compile(env *cel.Env, r *Rule) (*compiled, error) {
	ast, iss := env.Compile(r.Expr)
	if iss != nil && iss.Err() != nil {
		var msgs []string
		for _, e := range iss.Errors() {
			msgs = append(msgs, fmt.Sprintf("line %d, column %d: %s", e.Location.Line(), e.Location.Column()+1, e.Message))
		}
		return nil, errs.Invalidf("expr", "rule_invalid", "the expression does not compile: %s", strings.Join(msgs, "; "))
	}
	if ast.OutputType() != cel.BoolType {
		return nil, errs.Invalidf("expr", "rule_not_boolean", "the expression gives %s; a rule must give a bool (true: hit)", ast.OutputType())
	}
	// An officer's rule runs on every inventory: refuse one whose worst case
	// (e.g. nested comprehensions over the lines) could stall clearance. The
	// bound is checked once here; a runtime cost limit would double the
	// evaluation time of every rule.
	est, err := env.EstimateCost(ast, sizes{})
	if err != nil {
		return nil, errs.Invalidf("expr", "rule_invalid", "the expression's cost cannot be estimated: %v", err)
	}
	if est.Max > maxRuleCost {
		return nil, errs.Invalidf("expr", "rule_too_costly", "the expression may cost up to %d evaluation steps on an inventory of 99 lines; the limit is %d — avoid nested loops over lists", est.Max, maxRuleCost)
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, errs.Invalidf("expr", "rule_invalid", "the expression cannot be planned: %v", err)
	}
	return &compiled{Rule: r, prg: prg}, nil
}

// maxRuleCost bounds a rule's estimated worst-case cost, in CEL's cost units
// (about one per step, strings by length): a loop over 99 lines is some tens
// of thousands; comparing every line with every other about two million; a
// third nested loop is refused.
const maxRuleCost = 10_000_000

// sizes tells CEL's cost estimate how large the variables can be: lists hold
// at most 99 lines (the spec's limit per document) and strings at most 1,000
// characters, the longest CEB field.
type sizes struct{}

func (sizes) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	switch n.Type().Kind() {
	case types.ListKind, types.MapKind:
		return &cost.SizeEstimate{Min: 0, Max: 99}
	case types.StringKind, types.BytesKind, types.DynKind:
		// Dynamic values are the lines' fields: strings of CEB lengths or numbers.
		return &cost.SizeEstimate{Min: 0, Max: 1000}
	}
	return nil
}

func (sizes) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

// applies tells whether a rule's scope and validity cover an inventory.
func (r *Rule) applies(doc *clearance.Inventory, now time.Time) bool {
	if len(r.TradeModes) > 0 && !slices.Contains(r.TradeModes, doc.TradeMode) {
		return false
	}
	if len(r.Districts) > 0 && !slices.Contains(r.Districts, doc.CustomsCode) {
		return false
	}
	if r.ValidFrom != nil && now.Before(*r.ValidFrom) {
		return false
	}
	return r.ValidTo == nil || now.Before(*r.ValidTo)
}

// evaluate runs the rules that apply. A rule whose evaluation fails (a
// missing map key, an overflow) is not a hit; the failure is not the parcel's fault.
func evaluate(rules []*compiled, act *activation, doc *clearance.Inventory, now time.Time) ([]hit, error) {
	var hits []hit
	for _, r := range rules {
		if !r.applies(doc, now) {
			continue
		}
		out, _, err := r.prg.Eval(act)
		if err != nil {
			continue
		}
		if out == types.True {
			hits = append(hits, hit{ID: r.ID, Version: r.Version, Action: r.Action, Score: r.Score})
		}
	}
	return hits, nil
}

// apply validates an input onto a rule; problems name their field.
func (s *Service) apply(r *Rule, in RuleInput) error {
	var problems errs.List
	if in.Name != nil {
		r.Name = strings.TrimSpace(*in.Name)
	}
	if r.Name == "" {
		problems = append(problems, errs.Invalidf("name", "name_required", "name is required"))
	}
	if in.Expr != nil {
		r.Expr = strings.TrimSpace(*in.Expr)
	}
	if in.Action != nil {
		r.Action = strings.TrimSpace(*in.Action)
	}
	if in.Score != nil {
		r.Score = *in.Score
	}
	if in.TradeModes != nil {
		r.TradeModes = clean(*in.TradeModes)
	}
	if in.Districts != nil {
		r.Districts = clean(*in.Districts)
	}
	if in.ValidFrom != nil {
		r.ValidFrom = in.ValidFrom
	}
	if in.ValidTo != nil {
		r.ValidTo = in.ValidTo
	}
	if in.Note != nil {
		r.Note = strings.TrimSpace(*in.Note)
	}
	r.Author = strings.TrimSpace(in.Author)
	if r.Author == "" {
		problems = append(problems, errs.Invalidf("author", "author_required", "author is required: the officer writing the rule"))
	}
	switch r.Action {
	case ActionReject, ActionReview, ActionInspect:
		r.Score = 0
	case ActionScore:
		if r.Score <= 0 {
			problems = append(problems, errs.Invalidf("score", "score_invalid", "a score rule needs a positive score, not %d", r.Score))
		}
	default:
		problems = append(problems, errs.Invalidf("action", "action_unknown", "action %q is not one of reject, review, inspect, score", r.Action))
	}
	for _, m := range r.TradeModes {
		if len(m) != 4 {
			problems = append(problems, errs.Invalidf("tradeModes", "trade_mode_invalid", "trade mode %q is not 4 digits (e.g. 9610, 1210)", m))
		}
	}
	if r.ValidFrom != nil && r.ValidTo != nil && !r.ValidTo.After(*r.ValidFrom) {
		problems = append(problems, errs.Invalidf("validTo", "validity_invalid", "validTo %s is not after validFrom %s", r.ValidTo.Format(time.RFC3339), r.ValidFrom.Format(time.RFC3339)))
	}
	if r.Expr == "" {
		problems = append(problems, errs.Invalidf("expr", "expr_required", "expr is required: a CEL expression giving true for a hit"))
	} else {
		env, err := s.cel()
		if err != nil {
			return err
		}
		if _, err := compile(env, r); err != nil {
			problems = append(problems, err.(*errs.Error))
		}
	}
	return problems.Err()
}

func clean(list []string) []string {
	out := []string{}
	for _, v := range list {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// CreateRule stores a new rule as a draft: it runs only once enabled.
func (s *Service) CreateRule(ctx context.Context, in RuleInput) (_ *Rule, err error) {
	defer errs.Wrap(&err, "risk.CreateRule")
	now := s.Now()
	r := &Rule{ID: newID("R", now), Version: 1, State: "draft", TradeModes: []string{}, Districts: []string{}, CreatedAt: now, UpdatedAt: now}
	if err := s.apply(r, in); err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertRiskRule(ctx, (*store.RiskRule)(r)); err != nil {
			return err
		}
		return s.version(ctx, tx, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// version records a rule's new version and marks the change for other nodes.
func (s *Service) version(ctx context.Context, tx *store.Tx, r *Rule) error {
	if err := tx.InsertRiskRuleVersion(ctx, (*store.RiskRule)(r)); err != nil {
		return err
	}
	return tx.BumpRiskGeneration(ctx)
}

// UpdateRule changes a rule (a new version); an active rule's change takes
// effect for the next inventory.
func (s *Service) UpdateRule(ctx context.Context, id string, in RuleInput) (_ *Rule, err error) {
	defer errs.Wrap(&err, "risk.UpdateRule(%s)", id)
	return s.change(ctx, id, func(r *Rule) error { return s.apply(r, in) })
}

// SetRuleState enables (active) or disables a rule.
func (s *Service) SetRuleState(ctx context.Context, id, state, author string) (_ *Rule, err error) {
	defer errs.Wrap(&err, "risk.SetRuleState(%s, %s)", id, state)
	return s.change(ctx, id, func(r *Rule) error {
		if strings.TrimSpace(author) == "" {
			return errs.Invalidf("author", "author_required", "author is required: the officer changing the rule")
		}
		r.State, r.Author = state, strings.TrimSpace(author)
		return nil
	})
}

func (s *Service) change(ctx context.Context, id string, fn func(*Rule) error) (*Rule, error) {
	var out *Rule
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		stored, err := tx.RiskRule(ctx, id)
		if err != nil {
			return notFound(err, "rule", id)
		}
		r := (*Rule)(stored)
		if err := fn(r); err != nil {
			return err
		}
		r.Version++
		r.UpdatedAt = s.Now()
		ok, err := tx.UpdateRiskRule(ctx, stored)
		if err != nil {
			return err
		}
		if !ok {
			return errs.New(errs.Conflict, "rule_changed", "id", "rule %s changed meanwhile; read it again", id)
		}
		out = r
		return s.version(ctx, tx, r)
	})
	if err != nil {
		return nil, err
	}
	return out, s.Reload(ctx)
}

// notFound turns the store's NotFound into the caller's: no such what.
func notFound(err error, what, id string) error {
	if errs.KindOf(err) == errs.NotFound {
		return errs.New(errs.NotFound, what+"_not_found", "id", "no %s %s", what, id)
	}
	return err
}

// Rule reads a rule.
func (s *Service) Rule(ctx context.Context, id string) (_ *Rule, err error) {
	defer errs.Wrap(&err, "risk.Rule(%s)", id)
	r, err := s.DB.RiskRule(ctx, id)
	if err != nil {
		return nil, notFound(err, "rule", id)
	}
	return (*Rule)(r), nil
}

// Rules lists the rules, of one state when state is not empty.
func (s *Service) Rules(ctx context.Context, state string) (_ []*Rule, err error) {
	defer errs.Wrap(&err, "risk.Rules(%s)", state)
	return s.listRules(ctx, state)
}

func (s *Service) listRules(ctx context.Context, state string) ([]*Rule, error) {
	list, err := s.DB.RiskRules(ctx, state)
	if err != nil {
		return nil, err
	}
	return asRules(list), nil
}

// asRules gives stored rules their checks.
func asRules(list []*store.RiskRule) []*Rule {
	out := make([]*Rule, len(list))
	for i, r := range list {
		out[i] = (*Rule)(r)
	}
	return out
}

// RuleVersions is a rule's history, oldest first.
func (s *Service) RuleVersions(ctx context.Context, id string) (_ []*Rule, err error) {
	defer errs.Wrap(&err, "risk.RuleVersions(%s)", id)
	if _, err := s.Rule(ctx, id); err != nil {
		return nil, err
	}
	list, err := s.DB.RiskRuleVersions(ctx, id)
	if err != nil {
		return nil, err
	}
	return asRules(list), nil
}

// DryRunHit is a stored inventory a rule would have hit.
type DryRunHit struct {
	CopNo     string    `json:"copNo"`
	AgentCode string    `json:"agentCode"`
	OrderNo   string    `json:"orderNo"`
	Status    string    `json:"status"`
	Declared  time.Time `json:"declaredAt"`
}

// DryRun is the result of trying a rule on past inventories.
type DryRun struct {
	RuleID    string      `json:"ruleId"`
	Version   int64       `json:"version"`
	Days      int         `json:"days"`
	Evaluated int         `json:"evaluated"`
	Hits      int         `json:"hits"`
	Errors    int         `json:"errors"` // evaluations that failed (e.g. a missing map key): not hits
	Sample    []DryRunHit `json:"sample"` // the first 100 hits, newest first
}

// dryRunMax bounds the inventories a dry-run reads.
const dryRunMax = 20000

// DryRun evaluates a rule (any state) against the inventories declared in the
// last days, as each stood: its documents, its parties as they are now, and
// the history counters of its own day. Nothing is written.
func (s *Service) DryRun(ctx context.Context, id string, days int) (_ *DryRun, err error) {
	defer errs.Wrap(&err, "risk.DryRun(%s, %d)", id, days)
	if days < 1 || days > 365 {
		return nil, errs.Invalidf("days", "days_invalid", "days must be 1 to 365, not %d", days)
	}
	r, err := s.Rule(ctx, id)
	if err != nil {
		return nil, err
	}
	env, err := s.cel()
	if err != nil {
		return nil, err
	}
	c, err := compile(env, r)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	ids, err := s.DB.InventoryIDsSince(ctx, now.AddDate(0, 0, -days), dryRunMax)
	if err != nil {
		return nil, err
	}
	out := &DryRun{RuleID: r.ID, Version: r.Version, Days: days, Sample: []DryRunHit{}}
	for _, invID := range ids {
		sub, err := s.subjectOf(ctx, invID)
		if err != nil {
			return nil, err
		}
		if !r.applies(sub.doc, sub.now) {
			continue
		}
		out.Evaluated++
		v, err := s.vars(sub)
		if err != nil {
			out.Errors++
			continue
		}
		val, _, err := c.prg.Eval(v.activation())
		if err != nil {
			out.Errors++
			continue
		}
		if val == types.True {
			out.Hits++
			if len(out.Sample) < 100 {
				out.Sample = append(out.Sample, DryRunHit{CopNo: sub.inv.CopNo, AgentCode: sub.inv.AgentCode, OrderNo: sub.inv.OrderNo,
					Status: sub.inv.Status, Declared: sub.inv.CreatedAt})
			}
		}
	}
	return out, nil
}

// subjectOf reads a stored inventory with its documents, parties and counters, as of its declaration.
func (s *Service) subjectOf(ctx context.Context, id string) (*subject, error) {
	inv, err := s.DB.Inventory(ctx, id)
	if err != nil {
		return nil, err
	}
	doc := new(clearance.Inventory)
	if err := json.Unmarshal(inv.Data, doc); err != nil {
		return nil, fmt.Errorf("decode inventory %s: %w", id, err)
	}
	c := &clearance.Case{Inventory: doc, Parties: map[string]*enterprise.Enterprise{}}
	od, pd, wd, err := s.DB.DocumentsFor(ctx, inv.EbpCode, inv.OrderNo, inv.LogisticsCode, inv.LogisticsNo)
	if err != nil {
		return nil, err
	}
	if c.Order, err = decodeDoc[clearance.Order](od); err != nil {
		return nil, fmt.Errorf("order of inventory %s: %w", id, err)
	}
	if c.Payment, err = decodeDoc[clearance.Payment](pd); err != nil {
		return nil, fmt.Errorf("payment of inventory %s: %w", id, err)
	}
	if c.Waybill, err = decodeDoc[clearance.Waybill](wd); err != nil {
		return nil, fmt.Errorf("waybill of inventory %s: %w", id, err)
	}
	for _, code := range []string{doc.EbpCode, doc.EbcCode, doc.LogisticsCode, doc.AgentCode, doc.AssureCode} {
		if code == "" {
			continue
		}
		// An unregistered party (nil) is left out, as the engine does; a
		// registry that does not answer fails the dry-run rather than evaluate
		// the rule as if nobody were registered.
		p, err := s.Parties.Get(ctx, code)
		if err != nil {
			return nil, fmt.Errorf("parties of inventory %s: %w", id, err)
		}
		if p != nil {
			c.Parties[code] = p
		}
	}
	sub := &subject{inv: inv, doc: doc, c: c, parties: c.Parties, now: inv.CreatedAt}
	if p := c.Parties[doc.EbpCode]; p != nil {
		sub.direct = s.DirectConnect(p)
	}
	counts, err := s.DB.RiskCounts(ctx, countKeys(sub))
	if err != nil {
		return nil, err
	}
	sub.setCounters(counts)
	return sub, nil
}

func decodeDoc[T any](d *store.Document) (*T, error) {
	if d == nil {
		return nil, nil
	}
	v := new(T)
	if err := json.Unmarshal(d.Data, v); err != nil {
		return nil, err
	}
	return v, nil
}

// Variables describes the variables a rule may use, for the API and docs.
func Variables() []map[string]string {
	out := make([]map[string]string, len(variables))
	for i, v := range variables {
		out[i] = map[string]string{"name": v.name, "type": v.typ.String(), "meaning": v.meaning}
	}
	return out
}

// SetScoreThreshold changes the score at which score rules hold an inventory.
func (s *Service) SetScoreThreshold(ctx context.Context, threshold int64) (err error) {
	defer errs.Wrap(&err, "risk.SetScoreThreshold(%d)", threshold)
	if threshold < 1 {
		return errs.Invalidf("scoreThreshold", "threshold_invalid", "scoreThreshold must be at least 1, not %d", threshold)
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetRiskScoreThreshold(ctx, threshold); err != nil {
			return err
		}
		return tx.BumpRiskGeneration(ctx)
	})
	if err != nil {
		return err
	}
	return s.Reload(ctx)
}

// ScoreThreshold is the score threshold in force.
func (s *Service) ScoreThreshold() int64 { return s.current().threshold }
