package enterprise

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/ident"
)

// Store persists enterprises and their API keys. Each method is one transaction:
// a failure leaves nothing half-written.
type Store interface {
	CreateEnterprise(ctx context.Context, e *Enterprise, key *APIKey) error
	GetEnterprise(ctx context.Context, code string) (*Enterprise, error)
	ListEnterprises(ctx context.Context, f Filter) ([]*Enterprise, error)
	UpdateEnterprise(ctx context.Context, e *Enterprise) error
	// ReplaceKeys revokes every live key of the enterprise at now and, when key is not nil, adds it.
	ReplaceKeys(ctx context.Context, code string, key *APIKey, now time.Time) error
	// EnterpriseByKeyHash finds the enterprise holding a live key with this hash.
	EnterpriseByKeyHash(ctx context.Context, hash string) (*Enterprise, error)
}

// Filter selects enterprises for a list; pages are keyed by code.
type Filter struct {
	Role        Role
	CreditClass CreditClass
	Status      Status
	After       string // return codes greater than this
	Limit       int
}

// APIKey is the stored form of an enterprise's API key: only its hash.
type APIKey struct {
	Hash      string
	Prefix    string // first characters, to tell keys apart in listings
	CreatedAt time.Time
}

// CertParser turns PEM text into registered certificates; the signature package provides it.
type CertParser func(pem []byte) ([]Certificate, error)

// Service applies the registry's rules on top of a Store.
type Service struct {
	Store      Store
	ParseCerts CertParser
	Now        func() time.Time
	// Cache, when set, serves authentication and is told of every change.
	Cache *Cache
}

// changed tells the cache that an enterprise or its keys changed.
func (s *Service) changed(code string) {
	if s.Cache != nil {
		s.Cache.Invalidate(code)
	}
}

// Input is what an administrator sends to register or update an enterprise.
// On update, nil fields are left unchanged.
type Input struct {
	Code                 string    `json:"code"`
	Name                 *string   `json:"name"`
	USCC                 *string   `json:"uscc"`
	Roles                *[]string `json:"roles"`
	CreditClass          *string   `json:"creditClass"`
	AbnormalList         *bool     `json:"abnormalList"`
	SeriousViolationList *bool     `json:"seriousViolationList"`
	Certificates         *[]string `json:"certificates"`
}

// Create registers an enterprise and returns it with its first API key in clear,
// which is never stored and cannot be shown again.
func (s *Service) Create(ctx context.Context, in Input) (_ *Enterprise, _ string, err error) {
	defer errs.Wrap(&err, "enterprise.Create")
	now := s.Now()
	e := &Enterprise{Code: strings.TrimSpace(in.Code), Status: StatusActive, CreditClass: CreditGeneral,
		Certificates: []Certificate{}, CreatedAt: now, UpdatedAt: now}
	var problems errs.List
	if err := ValidateCode(e.Code); err != nil {
		problems = append(problems, err.(*errs.Error))
	}
	if in.Name == nil {
		problems = append(problems, errs.Invalidf("name", "name_required", "name is required"))
	}
	if in.Roles == nil {
		problems = append(problems, errs.Invalidf("roles", "roles_required", "roles are required (known: %s)", joinRoles(Roles)))
	}
	problems = append(problems, s.apply(e, in)...)
	if err := problems.Err(); err != nil {
		return nil, "", err
	}
	key, stored, err := newKey(now)
	if err != nil {
		return nil, "", err
	}
	if err := s.Store.CreateEnterprise(ctx, e, stored); err != nil {
		return nil, "", fmt.Errorf("register enterprise %s: %w", e.Code, err)
	}
	return e, key, nil
}

// Update changes the fields present in in.
func (s *Service) Update(ctx context.Context, code string, in Input) (_ *Enterprise, err error) {
	defer errs.Wrap(&err, "enterprise.Update(%q)", code)
	e, err := s.Store.GetEnterprise(ctx, code)
	if err != nil {
		return nil, err
	}
	if in.Code != "" && in.Code != code {
		return nil, errs.Invalidf("code", "code_immutable", "the customs code cannot be changed (%q → %q); register a new enterprise instead", code, in.Code)
	}
	if err := errs.List(s.apply(e, in)).Err(); err != nil {
		return nil, err
	}
	e.UpdatedAt = s.Now()
	if err := s.Store.UpdateEnterprise(ctx, e); err != nil {
		return nil, fmt.Errorf("update enterprise %s: %w", code, err)
	}
	s.changed(code)
	return e, nil
}

// Disable stops an enterprise from transacting and revokes its keys.
func (s *Service) Disable(ctx context.Context, code string) (_ *Enterprise, err error) {
	defer errs.Wrap(&err, "enterprise.Disable(%q)", code)
	e, err := s.Store.GetEnterprise(ctx, code)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	e.Status, e.UpdatedAt = StatusDisabled, now
	if err := s.Store.UpdateEnterprise(ctx, e); err != nil {
		return nil, fmt.Errorf("disable enterprise %s: %w", code, err)
	}
	if err := s.Store.ReplaceKeys(ctx, code, nil, now); err != nil {
		return nil, fmt.Errorf("revoke keys of %s: %w", code, err)
	}
	s.changed(code)
	return e, nil
}

// Enable lets a disabled enterprise transact again; it needs a new key (RotateKey).
func (s *Service) Enable(ctx context.Context, code string) (_ *Enterprise, err error) {
	defer errs.Wrap(&err, "enterprise.Enable(%q)", code)
	e, err := s.Store.GetEnterprise(ctx, code)
	if err != nil {
		return nil, err
	}
	e.Status, e.UpdatedAt = StatusActive, s.Now()
	if err := s.Store.UpdateEnterprise(ctx, e); err != nil {
		return nil, fmt.Errorf("enable enterprise %s: %w", code, err)
	}
	s.changed(code)
	return e, nil
}

// RotateKey revokes the enterprise's keys and issues a new one, returned in clear once.
func (s *Service) RotateKey(ctx context.Context, code string) (_ string, err error) {
	defer errs.Wrap(&err, "enterprise.RotateKey(%q)", code)
	e, err := s.Store.GetEnterprise(ctx, code)
	if err != nil {
		return "", err
	}
	if !e.Active() {
		return "", errs.New(errs.Conflict, "enterprise_disabled", "code", "enterprise %s is disabled; enable it before issuing a key", code)
	}
	now := s.Now()
	key, stored, err := newKey(now)
	if err != nil {
		return "", err
	}
	if err := s.Store.ReplaceKeys(ctx, code, stored, now); err != nil {
		return "", fmt.Errorf("rotate key of %s: %w", code, err)
	}
	s.changed(code)
	return key, nil
}

// RevokeKeys revokes every key of the enterprise; it cannot call the API until a new key is issued.
func (s *Service) RevokeKeys(ctx context.Context, code string) (err error) {
	defer errs.Wrap(&err, "enterprise.RevokeKeys(%q)", code)
	if _, err := s.Store.GetEnterprise(ctx, code); err != nil {
		return err
	}
	if err := s.Store.ReplaceKeys(ctx, code, nil, s.Now()); err != nil {
		return err
	}
	s.changed(code)
	return nil
}

// Authenticate finds the active enterprise holding the API key.
func (s *Service) Authenticate(ctx context.Context, key string) (*Enterprise, error) {
	return s.AuthenticateHash(ctx, HashKey(key))
}

// AuthenticateHash is Authenticate by the key's hash (HashKey), as a console
// session keeps it: the key must still be live and its enterprise active.
func (s *Service) AuthenticateHash(ctx context.Context, hash string) (_ *Enterprise, err error) {
	defer errs.Wrap(&err, "enterprise.AuthenticateHash")
	var e *Enterprise
	if s.Cache != nil {
		e, err = s.Cache.ByKeyHash(ctx, hash)
	} else if e, err = s.Store.EnterpriseByKeyHash(ctx, hash); errs.KindOf(err) == errs.NotFound {
		e, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, errs.New(errs.Unauthorized, "bad_credentials", "Authorization", "the API key is unknown or revoked")
	}
	if !e.Active() {
		return nil, errs.New(errs.Unauthorized, "enterprise_disabled", "Authorization", "enterprise %s is disabled", e.Code)
	}
	return e, nil
}

// apply validates the fields present in in and copies them onto e, collecting every problem.
func (s *Service) apply(e *Enterprise, in Input) []*errs.Error {
	var problems []*errs.Error
	add := func(err error) {
		if err == nil {
			return
		}
		if ee, ok := errs.As(err); ok {
			problems = append(problems, ee)
			return
		}
		problems = append(problems, errs.Invalidf("", "invalid", "%v", err))
	}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		switch {
		case name == "":
			add(errs.Invalidf("name", "name_required", "name must not be empty"))
		case len([]rune(name)) > 100:
			add(errs.Invalidf("name", "name_length", "name has %d characters; at most 100", len([]rune(name))))
		default:
			e.Name = name
		}
	}
	if in.USCC != nil {
		u := strings.ToUpper(strings.TrimSpace(*in.USCC))
		if u != "" {
			if err := ident.ValidateUSCC(u); err != nil {
				add(errs.Invalidf("uscc", "uscc_invalid", "%v", err))
			}
		}
		e.USCC = u
	}
	if in.Roles != nil {
		roles, err := normalizeRoles(*in.Roles)
		add(err)
		if err == nil {
			e.Roles = roles
		}
	}
	if in.CreditClass != nil {
		c, err := ParseCreditClass(*in.CreditClass)
		add(err)
		if err == nil {
			e.CreditClass = c
		}
	}
	if in.AbnormalList != nil {
		e.AbnormalList = *in.AbnormalList
	}
	if in.SeriousViolationList != nil {
		e.SeriousViolationList = *in.SeriousViolationList
	}
	if in.Certificates != nil {
		certs, err := s.parseCerts(*in.Certificates)
		add(err)
		if err == nil {
			e.Certificates = certs
		}
	}
	return problems
}

func (s *Service) parseCerts(pems []string) ([]Certificate, error) {
	out := []Certificate{}
	seen := map[string]bool{}
	for i, p := range pems {
		certs, err := s.ParseCerts([]byte(p))
		if err != nil {
			return nil, errs.Invalidf(fmt.Sprintf("certificates[%d]", i), "certificate_invalid", "%v", err)
		}
		for _, c := range certs {
			if !seen[c.Fingerprint] {
				seen[c.Fingerprint] = true
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// keyPrefix marks cbec API keys so that a leaked one is easy to recognise in a scan.
const keyPrefix = "cbec_"

func newKey(now time.Time) (string, *APIKey, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("generate API key: %w", err)
	}
	key := keyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return key, &APIKey{Hash: HashKey(key), Prefix: key[:len(keyPrefix)+6], CreatedAt: now}, nil
}

// HashKey is how API keys and the admin token are stored. The keys carry 256 random
// bits, so a fast hash is safe here and keeps per-request authentication cheap.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// NewSecret returns a random token with the cbec prefix, e.g. for the admin token.
func NewSecret() (_ string, err error) {
	defer errs.Wrap(&err, "enterprise.NewSecret")
	key, _, err := newKey(time.Time{})
	return key, err
}
