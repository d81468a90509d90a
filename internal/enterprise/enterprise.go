// Package enterprise holds the registry of parties on the platform (rules §1):
// their customs codes, roles, credit class, market-regulator list flags,
// signing certificates and API keys.
package enterprise

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// Role is what an enterprise may do on the platform; one enterprise may hold several.
type Role string

// The roles of rules §1.
const (
	RolePlatform  Role = "ebp"       // e-commerce platform
	RoleSeller    Role = "ebc"       // e-commerce enterprise
	RolePayment   Role = "pay"       // payment enterprise
	RoleLogistics Role = "logistics" // logistics enterprise
	RoleAgent     Role = "agent"     // declaring agent
	RoleGuarantor Role = "assure"    // tax guarantor
	RoleArea      Role = "area"      // bonded warehouse / zone operator
	RoleLab       Role = "lab"       // inspection laboratory
	RoleProvider  Role = "provider"  // technical service provider (技术服务商), transmits for authorising clients
)

// Roles lists every role in a stable order.
var Roles = []Role{RolePlatform, RoleSeller, RolePayment, RoleLogistics, RoleAgent, RoleGuarantor, RoleArea, RoleLab, RoleProvider}

// CreditClass is the customs credit class of customs Order 282.
type CreditClass string

// The five credit classes, best first.
const (
	CreditAdvanced           CreditClass = "advanced"            // 高级认证 (AEO)
	CreditCertified          CreditClass = "certified"           // 认证
	CreditGeneral            CreditClass = "general"             // 一般
	CreditDishonest          CreditClass = "dishonest"           // 失信
	CreditSeriouslyDishonest CreditClass = "seriously_dishonest" // 严重失信
)

// CreditClasses lists every credit class, best first.
var CreditClasses = []CreditClass{CreditAdvanced, CreditCertified, CreditGeneral, CreditDishonest, CreditSeriouslyDishonest}

// Status tells whether an enterprise may transact.
type Status string

// Enterprise statuses.
const (
	StatusActive   Status = "active"
	StatusDisabled Status = "disabled"
)

// Enterprise is a registered party.
type Enterprise struct {
	Code        string      `json:"code"`
	Name        string      `json:"name"`
	USCC        string      `json:"uscc,omitempty"`
	Roles       []Role      `json:"roles"`
	CreditClass CreditClass `json:"creditClass"`
	// AbnormalList and SeriousViolationList are the market regulator's lists
	// (经营异常名录, 严重违法失信名单), facts kept apart from the customs credit class.
	AbnormalList         bool          `json:"abnormalList"`
	SeriousViolationList bool          `json:"seriousViolationList"`
	Status               Status        `json:"status"`
	Certificates         []Certificate `json:"certificates"`
	CreatedAt            time.Time     `json:"createdAt"`
	UpdatedAt            time.Time     `json:"updatedAt"`
}

// Certificate is a registered X.509 certificate used to verify the enterprise's message signatures.
type Certificate struct {
	Fingerprint string    `json:"fingerprint"` // SHA-256 of the DER, lower-case hex
	Algorithm   string    `json:"algorithm"`   // RSA or SM2
	Subject     string    `json:"subject"`
	Serial      string    `json:"serial"`
	NotAfter    time.Time `json:"notAfter"`
	PEM         string    `json:"pem"`
}

// HasRole reports whether the enterprise holds role r.
func (e *Enterprise) HasRole(r Role) bool { return slices.Contains(e.Roles, r) }

// Active reports whether the enterprise may transact.
func (e *Enterprise) Active() bool { return e.Status == StatusActive }

var customsCodeRE = regexp.MustCompile(`^[0-9A-Z]{10}$`)

// ValidateCode checks a 10-character customs registration code.
func ValidateCode(code string) error {
	if !customsCodeRE.MatchString(code) {
		return errs.Invalidf("code", "code_format", "customs code %q must be 10 characters of digits and upper-case letters", code)
	}
	return nil
}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if slices.Contains(Roles, r) {
		return r, nil
	}
	return "", errs.Invalidf("roles", "role_unknown", "unknown role %q (known: %s)", s, joinRoles(Roles))
}

// ParseCreditClass checks a credit class name.
func ParseCreditClass(s string) (CreditClass, error) {
	c := CreditClass(s)
	if slices.Contains(CreditClasses, c) {
		return c, nil
	}
	names := make([]string, len(CreditClasses))
	for i, c := range CreditClasses {
		names[i] = string(c)
	}
	return "", errs.Invalidf("creditClass", "credit_class_unknown", "unknown credit class %q (known: %s)", s, strings.Join(names, ", "))
}

func joinRoles(rs []Role) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// normalizeRoles parses, de-duplicates and orders role names.
func normalizeRoles(names []string) ([]Role, error) {
	if len(names) == 0 {
		return nil, errs.Invalidf("roles", "roles_required", "at least one role is required (known: %s)", joinRoles(Roles))
	}
	var out []Role
	for _, n := range names {
		r, err := ParseRole(n)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Role) int { return slices.Index(Roles, a) - slices.Index(Roles, b) })
	return out, nil
}
