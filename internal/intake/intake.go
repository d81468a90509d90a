// Package intake receives enterprises' CEB messages: it decodes and validates
// them, checks the signature and the sender's right to send each document,
// stores the raw message (sealed) and each document with appType semantics,
// answers the synchronous receipt — written to the receipts feed in the same
// transaction — and wakes the clearance engine for the inventories concerned.
package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/receipt"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/tracing"
	"github.com/cbec-platform/cbec/internal/vault"
	"github.com/cbec-platform/cbec/internal/xmlsig"
	"go.opentelemetry.io/otel/trace"
)

// Signature policies (contract §1).
const (
	SignaturesNone     = "none"
	SignaturesOptional = "optional"
	SignaturesRequired = "required"
)

// Parties finds registered enterprises; nil for an unknown code.
type Parties interface {
	Get(ctx context.Context, code string) (*enterprise.Enterprise, error)
}

// Service receives messages.
type Service struct {
	DB              *store.DB
	Batch           *store.Batcher
	Vault           *vault.Vault
	Parties         Parties
	SignaturePolicy string
	DocumentWait    time.Duration
	// GuaranteeModes are the trade modes whose release debits the guarantee
	// (rules.guarantee_trade_modes): their assureCode must be a party of the inventory.
	GuaranteeModes []string
	Now            func() time.Time
	// Wake is told the inventories that need evaluating after a commit.
	Wake func(ids []string)
	Log  *slog.Logger
	// Delegates lets technical service providers transmit for their clients; nil: nobody may.
	Delegates Delegates
	// StorageOff, when set, switches storage off: a message that passes
	// every check of Submit is answered as if each document were taken (120),
	// nothing is read or written past the checks, the engine is not woken, and
	// StorageOff is handed what would have been stored. Only the benchmark's
	// ceiling harness sets it (internal/ceiling); a server never does.
	StorageOff func(Unstored) error

	handlers map[string]Handler
}

// Doc is one business document of a message, converted and ready to apply.
type Doc interface {
	// Keys identify the document in its receipt (the …Return's element names).
	Keys() ceb.Keys
	// Feed names the document in the enterprise's receipts feed.
	Feed() (copNo, orderNo string)
	// Apply stores the document in the message's transaction and says how it was taken.
	Apply(ctx context.Context, tx *store.Tx, env *Env) (Result, error)
}

// Locker is a Doc that names the hot rows applying it may write
// (store.HotRow). A message whose documents all do is written alongside other
// writers on PostgreSQL (store.Batcher.DoKeys); one with a document that does
// not is written alone.
type Locker interface {
	Locks() []string
}

// Env is what applying a document needs to know.
type Env struct {
	Service   *Service
	Sender    *enterprise.Enterprise
	MessageID string
	Now       time.Time
}

// Result is how one document was taken: its receipt status and reason, and
// the inventories to judge once the transaction commits.
type Result struct {
	Status  string
	Finding clearance.Finding
	Wake    []string
	// Stored, when set, is the returnInfo already given for this document,
	// re-sent unchanged: the receipt repeats it (with Status) and the feed
	// gets nothing new, so that counting receipts counts each decision once.
	Stored string
}

// Again is the answer to a document re-sent unchanged: its stored status and returnInfo.
func Again(status, info string) Result {
	return Result{Status: status, Stored: info}
}

// info is the returnInfo of the result's receipt.
func (r Result) info() string {
	if r.Stored != "" {
		return r.Stored
	}
	return r.Finding.Info()
}

// Accepted is the result of a document taken (120, 1800).
func Accepted(wake ...string) Result {
	return Result{Status: "120", Finding: clearance.Finding{Code: "1800"}, Wake: wake}
}

// Refused is the result of a document refused (100) with a reason code.
func Refused(code, format string, args ...any) Result {
	return Result{Status: "100", Finding: clearance.Finding{Code: code, Detail: fmt.Sprintf(format, args...)}}
}

// Handler converts the documents of a message type and checks the sender's
// right to send each; a Forbidden error refuses the whole message.
type Handler func(ctx context.Context, s *Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]Doc, []ceb.Problem, error)

// Handle registers the handler of a message type; the receipt type comes from the spec (ceb.ReturnFor).
func (s *Service) Handle(msgType string, h Handler) {
	if s.handlers == nil {
		s.handlers = map[string]Handler{}
	}
	s.handlers[msgType] = h
}

// Answer is what the HTTP layer sends back.
type Answer struct {
	Status int
	Body   []byte // receipt XML
	// Refusal says why a message was refused with a CEB900, for the log: the
	// DXP code and its text, or the problems' codes and paths, never the
	// values (they may be personal data).
	Refusal string
	// Problems are the problems a CEB900 names, with their element paths,
	// for callers that show them next to the fields they built the message from.
	Problems []ceb.Problem
}

// WithoutSignatureRule drops the schema's "ds:Signature is required" from a
// list of problems: whether a message must be signed is the signature
// policy's decision (contract §1), made in checkSignature.
func WithoutSignatureRule(problems []ceb.Problem) []ceb.Problem {
	out := problems[:0:0]
	for _, p := range problems {
		if p.Code == ceb.CodeRequired && p.Path == "Signature" {
			continue
		}
		out = append(out, p)
	}
	return out
}

// Accepts reports whether intake takes messages of the type.
func (s *Service) Accepts(msgType string) bool { return s.handlers[msgType] != nil }

// Types lists the message types intake takes, sorted.
func (s *Service) Types() []string {
	out := make([]string, 0, len(s.handlers))
	for t := range s.handlers {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// mustSign are the types whose signature the spec makes mandatory.
var mustSign = map[string]bool{"CEB621Message": true, "CEB623Message": true, "CEB625Message": true, "CEB711Message": true}

// Submit handles one message from sender. Problems of the message itself give
// a 400 answer with a CEB900 receipt; a document the sender may not send gives
// a Forbidden error; otherwise the answer is 200 with the receipt, one Return
// per document.
func (s *Service) Submit(ctx context.Context, sender *enterprise.Enterprise, body []byte) (ans Answer, err error) {
	defer errs.Wrap(&err, "intake.Submit(%s)", sender.Code)
	ctx, span := tracing.Start(ctx, "intake.Submit")
	defer func() { tracing.EndSubmit(span, ans.Status, err) }()
	now := s.Now()
	p, refused, err := s.prepare(ctx, span, sender, body, now)
	if err != nil {
		return Answer{}, err
	}
	if refused != nil {
		return reject900(refused)
	}
	if s.StorageOff != nil {
		return s.unstored(p, now)
	}
	return s.store(ctx, p.actor, p.decoded, p.inner, p.docs, now)
}

// Unstored is a message that passed every check while storage is switched
// off (Service.StorageOff): the documents and the receipt they were answered with.
type Unstored struct {
	Sender  string // the acting enterprise, whose feed the receipts belong to
	Docs    []Doc
	Receipt *receipt.Built // one packed receipt per document, each 120
	At      time.Time
}

// Taken is the status of a document taken: what the receipt of a new
// document says (Accepted).
var Taken = receipt.Status{ReturnStatus: "120", ReturnInfo: clearance.Finding{Code: "1800"}.Info()}

// unstored answers a checked message as if each document were taken, and
// hands it to StorageOff instead of the database.
func (s *Service) unstored(p *prepared, now time.Time) (Answer, error) {
	returnType, _ := ceb.ReturnFor(p.decoded.Type)
	keys := make([]ceb.Keys, len(p.docs))
	statuses := make([]receipt.Status, len(p.docs))
	for i, doc := range p.docs {
		keys[i], statuses[i] = doc.Keys(), Taken
	}
	built, err := receipt.Build(returnType, keys, statuses, now)
	if err != nil {
		return Answer{}, err
	}
	if err := s.StorageOff(Unstored{Sender: p.actor.Code, Docs: p.docs, Receipt: built, At: now}); err != nil {
		return Answer{}, err
	}
	body, err := answer(p.decoded, built)
	if err != nil {
		return Answer{}, fmt.Errorf("answer %s %s: %w", p.decoded.Type, p.decoded.Guid, err)
	}
	return Answer{Status: 200, Body: body}, nil
}

// Check runs every check Submit runs — decoding, the schema, the signature
// policy, the handler's conversion and the sender's right to send each
// document — and stores nothing. It answers the problems that would refuse
// the message with a CEB900 (with the DXP code and text when the refusal is
// not a list of problems), or a Forbidden error. Imports use it to find every
// bad row of a file before anything of the file is stored.
func (s *Service) Check(ctx context.Context, sender *enterprise.Enterprise, body []byte) (_ *Refusal, err error) {
	defer errs.Wrap(&err, "intake.Check(%s)", sender.Code)
	_, refused, err := s.prepare(ctx, tracing.Off(), sender, body, s.Now())
	return refused, err
}

// Refusal is why a message would be answered with a CEB900: the problems of
// the message, or a DXP code and its text.
type Refusal struct {
	Problems   []ceb.Problem
	Code, Desc string
	body       []byte
	msgType    string
	now        time.Time
}

// prepared is a message that passed every check, ready to store.
type prepared struct {
	decoded *ceb.Decoded
	inner   []byte
	docs    []Doc
	actor   *enterprise.Enterprise
}

// prepare runs the checks of a message; a message refused with a CEB900 comes
// back as a Refusal. span is Submit's, which records the message type once it
// is known (Check, which stores nothing, passes a span that records nothing).
func (s *Service) prepare(ctx context.Context, span trace.Span, sender *enterprise.Enterprise, body []byte, now time.Time) (*prepared, *Refusal, error) {
	refuse := func(msgType string, problems []ceb.Problem, code, desc string) (*prepared, *Refusal, error) {
		return nil, &Refusal{Problems: problems, Code: code, Desc: desc, body: body, msgType: msgType, now: now}, nil
	}
	d, err := ceb.Decode(body)
	if err != nil {
		var problems []ceb.Problem
		if ve, ok := err.(*ceb.ValidationError); ok {
			problems = ve.Problems
		} else {
			problems = []ceb.Problem{{Code: ceb.CodeSyntax, Message: err.Error(), Severity: ceb.Error}}
		}
		return refuse("", problems, "", "")
	}
	if problems := WithoutSignatureRule(d.Errors()); len(problems) > 0 {
		return refuse(d.Type, problems, "", "")
	}
	tracing.SetMessage(span, d.Type, sender.Code)
	handler, ok := s.handlers[d.Type]
	if !ok {
		return refuse(d.Type, nil, "0002", fmt.Sprintf("%s is not accepted here; accepted: %s", d.Type, strings.Join(s.Types(), ", ")))
	}
	inner := body
	if d.Envelope != nil {
		inner = d.Envelope.Data
	}
	if code, desc := s.checkSignature(sender, d, inner); code != "" {
		return refuse(d.Type, nil, code, desc)
	}
	docs, actor, problems, err := s.convert(ctx, handler, sender, d, now)
	if err != nil {
		return nil, nil, err
	}
	if len(problems) > 0 {
		return refuse(d.Type, problems, "", "")
	}
	return &prepared{decoded: d, inner: inner, docs: docs, actor: actor}, nil, nil
}

// checkSignature applies the signature policy; it returns a DXP error code and
// text when the message must be refused.
func (s *Service) checkSignature(sender *enterprise.Enterprise, d *ceb.Decoded, inner []byte) (string, string) {
	if s.SignaturePolicy == SignaturesNone {
		return "", ""
	}
	if !d.Signed {
		if s.SignaturePolicy == SignaturesRequired && mustSign[d.Type] {
			return "1001", d.Type + " must carry a ds:Signature (signature policy: required)"
		}
		return "", ""
	}
	res, err := xmlsig.Verify(inner)
	if err != nil {
		return "1004", "signature verification failed: " + err.Error()
	}
	if !slices.ContainsFunc(sender.Certificates, func(c enterprise.Certificate) bool { return c.Fingerprint == res.Certificate.Fingerprint }) {
		return "1001", fmt.Sprintf("the signing certificate (SHA-256 %s) is not registered for enterprise %s", res.Certificate.Fingerprint, sender.Code)
	}
	return "", ""
}

// reject900 answers 400 with a CEB900 receipt naming the problems.
func reject900(r *Refusal) (Answer, error) {
	st := ceb.Status{Time: r.now}
	if r.Code != "" {
		st.Code, st.Desc = r.Code, r.Desc
	}
	m := ceb.NewCEB900("", r.msgType, r.body, r.Problems, st)
	xml, err := ceb.Encode(m)
	if err != nil {
		return Answer{}, fmt.Errorf("write CEB900: %w", err)
	}
	return Answer{Status: 400, Body: xml, Refusal: refusal(r.Code, r.Desc, r.Problems), Problems: r.Problems}, nil
}

// refusal names a CEB900's reason without the values of the fields at fault.
func refusal(code, desc string, problems []ceb.Problem) string {
	if code != "" {
		return code + " " + desc
	}
	var b strings.Builder
	for i, p := range problems {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(problems)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(strings.TrimSpace(p.Code + " " + p.Path))
		if p.Line > 0 {
			fmt.Fprintf(&b, " (line %d)", p.Line)
		}
	}
	return b.String()
}

// document is one business document of a message, converted.
type document struct {
	kind    clearance.Kind
	appType string
	k1, k2  string // the stored key
	orderNo string
	data    any // *clearance.Order, …
	hash    string
	// json is data as its row stores it, encoded and compressed before the
	// writer's transaction, which then only writes the bytes.
	json      store.PackedJSON
	keys      ceb.Keys // for the receipt
	inventory *clearance.Inventory
	sanction  string // a code of the document is sanctioned: the document is refused
	// taken: storeNew found its key taken, so applyDocument does not try
	// to insert it as new again.
	taken bool
	// entrusted is the entrustment an inventory needs, read before the
	// writer (prereadEntrustments); nil when not read.
	entrusted Entrustments
}

// retailDocuments converts the documents of retail import messages (311, 411,
// 511, 513, 621) and checks the sender's right to send each.
func retailDocuments(ctx context.Context, s *Service, sender *enterprise.Enterprise, d *ceb.Decoded, now time.Time) ([]Doc, []ceb.Problem, error) {
	pr := clearance.Protector{V: s.Vault}
	keys := ceb.DocumentKeys(d.Message)
	var docs []*document
	var problems []ceb.Problem
	add := func(doc *document, ps []ceb.Problem) {
		problems = append(problems, ps...)
		docs = append(docs, doc)
	}
	switch m := d.Message.(type) {
	case *ceb.CEB311Message:
		for i := range m.Order {
			o, ps := clearance.FromOrder(pr, &m.Order[i], i)
			add(&document{kind: clearance.KindOrder, appType: o.AppType, k1: o.EbpCode, k2: o.OrderNo, orderNo: o.OrderNo, data: &o}, ps)
			if err := MayAct(sender, fmt.Sprintf("Order[%d]/OrderHead/ebpCode", i+1), []enterprise.Role{enterprise.RolePlatform, enterprise.RoleSeller}, o.EbpCode, o.EbcCode); err != nil {
				return nil, nil, err
			}
		}
	case *ceb.CEB411Message:
		for i := range m.Payment {
			p, ps := clearance.FromPayment(pr, &m.Payment[i], i)
			add(&document{kind: clearance.KindPayment, appType: p.AppType, k1: p.EbpCode, k2: p.OrderNo, orderNo: p.OrderNo, data: &p}, ps)
			if err := MayAct(sender, fmt.Sprintf("Payment[%d]/PaymentHead/payCode", i+1), []enterprise.Role{enterprise.RolePayment}, p.PayCode); err != nil {
				return nil, nil, err
			}
		}
	case *ceb.CEB511Message:
		for i := range m.Logistics {
			w, ps := clearance.FromWaybill(pr, &m.Logistics[i], i)
			add(&document{kind: clearance.KindWaybill, appType: w.AppType, k1: w.LogisticsCode, k2: w.LogisticsNo, orderNo: w.OrderNo, data: &w}, ps)
			if err := MayAct(sender, fmt.Sprintf("Logistics[%d]/LogisticsHead/logisticsCode", i+1), []enterprise.Role{enterprise.RoleLogistics}, w.LogisticsCode); err != nil {
				return nil, nil, err
			}
		}
	case *ceb.CEB513Message:
		for i := range m.LogisticsStatus {
			ls := &m.LogisticsStatus[i]
			add(&document{kind: "logistics_status", appType: ls.AppType, k1: ls.LogisticsCode, k2: ls.LogisticsNo, data: ls}, nil)
			if err := MayAct(sender, fmt.Sprintf("LogisticsStatus[%d]/logisticsCode", i+1), []enterprise.Role{enterprise.RoleLogistics}, ls.LogisticsCode); err != nil {
				return nil, nil, err
			}
		}
	case *ceb.CEB621Message:
		for i := range m.Inventory {
			inv, ps := clearance.FromInventory(pr, &m.Inventory[i], i, now)
			add(&document{kind: clearance.KindInventory, appType: inv.AppType, k1: inv.AgentCode, k2: inv.CopNo, orderNo: inv.OrderNo, data: &inv, inventory: &inv}, ps)
			if err := MayAct(sender, fmt.Sprintf("Inventory[%d]/InventoryHead/agentCode", i+1), []enterprise.Role{enterprise.RoleAgent, enterprise.RoleSeller}, inv.AgentCode, inv.EbcCode); err != nil {
				return nil, nil, err
			}
		}
	}
	out := make([]Doc, len(docs))
	for i, doc := range docs {
		doc.keys = keys[i]
		hash, err := ContentHash(doc.data)
		if err != nil {
			return nil, nil, err
		}
		doc.hash = hash
		if doc.json, err = store.EncodeJSON(string(doc.kind), doc.data); err != nil {
			return nil, nil, err
		}
		if code, err := s.sanctioned(ctx, doc); err != nil {
			return nil, nil, err
		} else if code != "" {
			doc.sanction = code
		}
		out[i] = doc
	}
	return out, problems, nil
}

// RegisterRetail registers the retail import messages: orders, payments,
// waybills, waybill statuses and inventory lists.
func (s *Service) RegisterRetail() {
	for _, t := range []string{"CEB311Message", "CEB411Message", "CEB511Message", "CEB513Message", "CEB621Message"} {
		s.Handle(t, retailDocuments)
	}
}

// ContentHash identifies a document's content without its declaration head
// (guid, appType, appTime), so that "the same document resubmitted unchanged"
// is recognised whatever message carries it.
func ContentHash(data any) (string, error) {
	switch v := data.(type) {
	case *clearance.Order:
		c := *v
		c.Head = clearance.Head{}
		data = c
	case *clearance.Payment:
		c := *v
		c.Head = clearance.Head{}
		data = c
	case *clearance.Waybill:
		c := *v
		c.Head = clearance.Head{}
		data = c
	case *clearance.Inventory:
		c := *v
		c.Head = clearance.Head{}
		data = c
	}
	b, err := json.Marshal(data)
	if err != nil {
		return "", fmt.Errorf("encode document: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16]), nil
}

// MayAct checks that the sender is one of the codes and holds one of the roles (rules §1).
func MayAct(sender *enterprise.Enterprise, field string, roles []enterprise.Role, codes ...string) error {
	if !slices.Contains(codes, sender.Code) {
		return errs.New(errs.Forbidden, "not_your_document", field,
			"enterprise %s may not send this document: it names %v", sender.Code, codes)
	}
	if !slices.ContainsFunc(roles, sender.HasRole) {
		return errs.New(errs.Forbidden, "role_missing", field, "enterprise %s does not hold the role %s this document needs", sender.Code, roles[0])
	}
	return nil
}

// sanctioned returns the code of a sanctioned enterprise the document names (rules §9), if any.
func (s *Service) sanctioned(ctx context.Context, doc *document) (string, error) {
	var codes []string
	switch v := doc.data.(type) {
	case *clearance.Order:
		codes = []string{v.EbpCode, v.EbcCode}
	case *clearance.Payment:
		codes = []string{v.PayCode, v.EbpCode}
	case *clearance.Waybill:
		codes = []string{v.LogisticsCode}
	case *clearance.Inventory:
		codes = []string{v.AgentCode, v.EbcCode, v.EbpCode, v.LogisticsCode}
	}
	for _, c := range codes {
		e, err := s.Parties.Get(ctx, c)
		if err != nil {
			return "", err
		}
		if e != nil && clearance.Sanctioned(e) {
			return c, nil
		}
	}
	return "", nil
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }
