// Package console is the officers' web console (issue 8): officer accounts
// with a department each, sessions, login throttling, the append-only audit
// log, the console pages, and joint inspection at the sorting line (一机两屏).
package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/cbec-platform/cbec/internal/bonded"
	"github.com/cbec-platform/cbec/internal/engine"
	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/risk"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/vault"
)

// Departments an officer may belong to; the department decides what they see and do.
const (
	Customs    = "customs"
	Inspection = "inspection"
	Market     = "market"
	Commerce   = "commerce"
	Admin      = "admin"
)

// Departments lists them in display order.
var Departments = []string{Customs, Inspection, Market, Commerce, Admin}

// Permissions by department.
var permissions = map[string][]string{
	Customs:    {"inventories", "unmask", "review", "joint", "dashboard", "risk"},
	Inspection: {"inventories", "unmask", "joint", "dashboard"},
	Market:     {"inventories", "dashboard"},
	Commerce:   {"inventories", "dashboard"},
	Admin:      {"inventories", "dashboard", "audit", "officers", "lines", "risk"},
}

// Officer is a console user.
type Officer struct {
	ID         string    `json:"id"`
	Username   string    `json:"username"`
	Name       string    `json:"name"`
	Department string    `json:"department"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"createdAt"`
}

// May tells whether the officer's department allows a permission.
func (o *Officer) May(perm string) bool { return slices.Contains(permissions[o.Department], perm) }

// Side is the officer's screen at the sorting line: customs or inspection; empty otherwise.
func (o *Officer) Side() string {
	if o.Department == Customs || o.Department == Inspection {
		return o.Department
	}
	return ""
}

// Service keeps officers, sessions, the audit log and joint inspection.
type Service struct {
	DB     *store.DB
	Engine *engine.Engine
	Vault  *vault.Vault
	Now    func() time.Time
	Log    *slog.Logger
	// SessionTTL is how long a session lasts without logging in again.
	SessionTTL time.Duration
	// MaxFailures failed logins of one username from one client address
	// within FailureWindow make that address wait before its next try:
	// BackoffBase, doubled by each further failure, at most FailureWindow.
	// Other addresses are not held, so nobody can lock an officer out.
	MaxFailures   int
	FailureWindow time.Duration
	BackoffBase   time.Duration
	Hub           *Hub
	// Risk shows the risk rules, measures and credit records; nil hides them.
	Risk *risk.Service
	// Bonded shows account books and returns; nil hides them.
	Bonded *bonded.Service
	// Guard may refuse an officer's transition before the engine is asked
	// (an emergency measure in force); nil lets every transition through.
	Guard func(ctx context.Context, inv *store.Inventory, to string) error
	// XrayImageSource is where the X-ray machines serve scan images (a
	// checked config.XrayImageSource): the screens resolve a scan's imageRef
	// against it and the pages' CSP allows images from it; empty: none.
	XrayImageSource string

	mu       sync.Mutex
	failures map[string]streak
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// argon2id parameters (RFC 9106 second recommended option, lighter memory).
const (
	argonTime    = 2
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// hashSlots bounds the argon2id computations running at once: each takes
// 64 MiB, and a spray of logins must not exhaust the memory.
var hashSlots = make(chan struct{}, 4)

func idKey(pw, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(pw, salt, t, m, p, n)
}

// HashPassword returns an argon2id PHC string.
func HashPassword(pw string) (_ string, err error) {
	defer errs.Wrap(&err, "console.HashPassword")
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := idKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword compares a password with an argon2id PHC string in constant time.
func CheckPassword(pw, phc string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<20 || t > 10 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := idKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// OfficerInput creates an officer.
type OfficerInput struct {
	Username   string `json:"username"`
	Name       string `json:"name"`
	Department string `json:"department"`
	Password   string `json:"password"`
	// Supervisor may reopen the finding of their department's side at the
	// inspection bench.
	Supervisor bool `json:"supervisor"`
}

func (in *OfficerInput) validate() error {
	var l errs.List
	in.Username, in.Name = strings.TrimSpace(in.Username), strings.TrimSpace(in.Name)
	if !validUsername(in.Username) {
		l = append(l, errs.Invalidf("username", "username_invalid", "username must be 3–32 characters of a–z, 0–9, '.', '_' or '-'"))
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 50 {
		l = append(l, errs.Invalidf("name", "name_invalid", "name is required, at most 50 characters"))
	}
	if !slices.Contains(Departments, in.Department) {
		l = append(l, errs.Invalidf("department", "department_unknown", "department %q is not one of %s", in.Department, strings.Join(Departments, ", ")))
	}
	if n := utf8.RuneCountInString(in.Password); n < 12 || n > 128 {
		l = append(l, errs.Invalidf("password", "password_length", "password must have 12 to 128 characters"))
	}
	return l.Err()
}

func validUsername(u string) bool {
	if len(u) < 3 || len(u) > 32 {
		return false
	}
	for _, c := range u {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func newID(prefix string) string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// AddOfficer creates an officer; by is the officer creating it (nil from the command line).
func (s *Service) AddOfficer(ctx context.Context, in OfficerInput, by *Officer) (_ *Officer, err error) {
	defer errs.Wrap(&err, "console.AddOfficer")
	if err := in.validate(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	o := &Officer{ID: newID("off_"), Username: in.Username, Name: in.Name, Department: in.Department, CreatedAt: now}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		taken, err := tx.OfficerUsernameTaken(ctx, in.Username)
		if err != nil {
			return err
		}
		if taken {
			return errs.New(errs.Conflict, "username_taken", "username", "an officer named %q exists already", in.Username)
		}
		if err := tx.InsertOfficer(ctx, (*store.Officer)(o), hash, in.Supervisor); err != nil {
			return err
		}
		actor := by
		if actor == nil {
			actor = &Officer{ID: "cli", Username: "cli", Department: Admin}
		}
		after := o.Username + " " + o.Department
		if in.Supervisor {
			after += " supervisor"
		}
		return s.audit(ctx, tx, actor, "officer.add", o.ID, "", after)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Officers lists every officer.
func (s *Service) Officers(ctx context.Context) (_ []*Officer, err error) {
	defer errs.Wrap(&err, "console.Officers")
	stored, err := s.DB.Officers(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Officer
	for i := range stored {
		out = append(out, (*Officer)(&stored[i]))
	}
	return out, nil
}

// dummyHash makes a login for an unknown username cost as much as a wrong password.
var dummyHash, _ = HashPassword("not a password of anyone")

// Login checks a username and password from a client address (its key for
// limits) and opens a session; it returns the session token for the cookie.
// Failures are counted per username and address: after MaxFailures the
// address backs off (LockWait), while the officer signs in from elsewhere.
func (s *Service) Login(ctx context.Context, username, password, addr string) (_ *Officer, _ string, err error) {
	defer errs.Wrap(&err, "console.Login")
	username = strings.TrimSpace(username)
	key := username + "\x00" + addr
	now := s.now()
	if wait := s.locked(key, now); wait > 0 {
		return nil, "", errs.New(errs.RateLimited, "login_locked", "username",
			"too many failed logins for this username from this address; try again in %d s", int(wait.Seconds()+0.999))
	}
	so, hash, err := s.DB.OfficerByUsername(ctx, username)
	if err != nil && errs.KindOf(err) != errs.NotFound {
		return nil, "", err
	}
	if so == nil {
		CheckPassword(password, dummyHash)
		s.fail(key, now)
		return nil, "", errs.New(errs.Unauthorized, "login_failed", "password", "unknown username or wrong password")
	}
	o := (*Officer)(so)
	if !CheckPassword(password, hash) || o.Disabled {
		s.fail(key, now)
		_ = s.DB.InTx(ctx, func(tx *store.Tx) error { return s.audit(ctx, tx, o, "login.failed", o.ID, "", "") })
		return nil, "", errs.New(errs.Unauthorized, "login_failed", "password", "unknown username or wrong password")
	}
	s.mu.Lock()
	delete(s.failures, key)
	s.mu.Unlock()
	token := newID("")
	token += newID("")
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.StartOfficerSession(ctx, tokenHash(token), o.ID, now, now.Add(s.SessionTTL)); err != nil {
			return err
		}
		return s.audit(ctx, tx, o, "login", o.ID, "", "")
	})
	if err != nil {
		return nil, "", err
	}
	return o, token, nil
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// LockWait is how long a username's sign-in from addr must wait, 0 when it may try now.
func (s *Service) LockWait(username, addr string) time.Duration {
	return s.locked(strings.TrimSpace(username)+"\x00"+addr, s.now())
}

// streak is a run of failed sign-ins of one username from one address, each
// less than FailureWindow after the one before.
type streak struct {
	n    int
	last time.Time
}

// locked is the back-off of a username and address: nothing before
// MaxFailures failures in a streak, then BackoffBase after the last failure,
// doubling with each further one, at most FailureWindow.
func (s *Service) locked(key string, now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.current(key, now)
	if f.n < s.MaxFailures {
		return 0
	}
	wait := s.BackoffBase
	if wait <= 0 {
		wait = 30 * time.Second
	}
	for i := s.MaxFailures; i < f.n && wait < s.FailureWindow; i++ {
		wait *= 2
	}
	return max(0, f.last.Add(min(wait, s.FailureWindow)).Sub(now))
}

// current is key's streak, forgotten once FailureWindow passed without a failure.
func (s *Service) current(key string, now time.Time) streak {
	f := s.failures[key]
	if f.n > 0 && now.Sub(f.last) > s.FailureWindow {
		delete(s.failures, key)
		return streak{}
	}
	return f
}

func (s *Service) fail(key string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures == nil {
		s.failures = map[string]streak{}
	}
	if len(s.failures) > 100000 { // bounded under a spray of random usernames
		clear(s.failures)
	}
	f := s.current(key, now)
	s.failures[key] = streak{n: f.n + 1, last: now}
}

// Session returns the officer of a session token, or an Unauthorized error.
func (s *Service) Session(ctx context.Context, token string) (_ *Officer, err error) {
	defer errs.Wrap(&err, "console.Session")
	if token == "" {
		return nil, errs.New(errs.Unauthorized, "session_missing", "cookie", "log in first")
	}
	so, expires, err := s.DB.OfficerSession(ctx, tokenHash(token))
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.New(errs.Unauthorized, "session_unknown", "cookie", "the session ended; log in again")
	}
	if err != nil {
		return nil, err
	}
	if so.Disabled || !expires.After(s.now()) {
		return nil, errs.New(errs.Unauthorized, "session_expired", "cookie", "the session ended; log in again")
	}
	return (*Officer)(so), nil
}

// Logout ends a session and, at once, the live screens it opened.
func (s *Service) Logout(ctx context.Context, o *Officer, token string) (err error) {
	defer errs.Wrap(&err, "console.Logout")
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteOfficerSession(ctx, tokenHash(token)); err != nil {
			return err
		}
		return s.audit(ctx, tx, o, "logout", o.ID, "", "")
	})
	if err != nil {
		return err
	}
	if s.Hub != nil {
		s.Hub.EndSession(tokenHash(token))
	}
	return nil
}
