// Package config holds every setting of the platform: server settings and the
// rule parameters of the business rules. Each is declared once, in the table
// of settings.go, with its default, a one-line description and its check;
// Default, Params and Validate read that table. Settings come from defaults,
// then an optional TOML file, then environment variables and flags; Validate
// names any bad setting.
package config

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the whole configuration.
type Config struct {
	Addr              string   `toml:"addr"`
	Data              string   `toml:"data"`
	DB                string   `toml:"db"`
	SignaturePolicy   string   `toml:"signature_policy"`
	LogLevel          string   `toml:"log_level"`
	LogFormat         string   `toml:"log_format"`
	MaxBodyBytes      int64    `toml:"max_body_bytes"`
	ShutdownTimeout   Duration `toml:"shutdown_timeout"`
	SQLiteSynchronous string   `toml:"sqlite_synchronous"`
	DBMaxConns        int      `toml:"db_max_conns"`
	DBWriters         int      `toml:"db_writers"`
	// LeaderInterval paces the leader of the periodic jobs among several
	// nodes on one PostgreSQL database (internal/app/leader.go).
	LeaderInterval Duration `toml:"leader_interval"`
	// SecureCookies marks the console's session cookies Secure although the
	// request came over plain http: a deployment behind a TLS-terminating proxy.
	SecureCookies bool `toml:"secure_cookies"`
	// OTLPEndpoint receives OpenTelemetry traces over OTLP/HTTP; empty turns tracing off.
	OTLPEndpoint string `toml:"otlp_endpoint"`
	// AdminToken comes only from the environment (CBEC_ADMIN_TOKEN), never from a file.
	AdminToken string `toml:"-"`
	// SecretKey protects personal data at rest; only from the environment (CBEC_SECRET_KEY).
	SecretKey string `toml:"-"`
	Rules     Rules  `toml:"rules"`
	// Rate limits, logistics alerts and the service response centre (issue 12).
	RateLimit RateLimit `toml:"rate_limit"`
	Logistics Logistics `toml:"logistics"`
	Support   Support   `toml:"support"`
	// Webhook: where receipts may be pushed (issue 16).
	Webhook Webhook `toml:"webhook"`
	Console Console `toml:"console"`
	// Clock is the time the business rules read (deadlines, releases, bills);
	// nil means the wall clock. Tests set it to move time without sleeping.
	Clock func() time.Time `toml:"-"`
}

// Rules are the parameters of the business rules (docs/rules.md). Every
// number of the rules is a default here, never a constant in code.
type Rules struct {
	SingleLimit      string            `toml:"single_limit"`
	AnnualLimit      string            `toml:"annual_limit"`
	DocumentWait     Duration          `toml:"document_wait"`
	TaxCut           string            `toml:"tax_cut"`
	TaxRounding      string            `toml:"tax_rounding"`
	InspectionRates  map[string]string `toml:"inspection_rates"`
	ReturnApplyDays  int               `toml:"return_apply_days"`
	ReturnArriveDays int               `toml:"return_arrive_days"`
	BillAfterDays    int               `toml:"bill_after_days"`
	BillDueDays      int               `toml:"bill_due_days"`
	TallyDeadline    Duration          `toml:"tally_deadline"`
	// Bonded import: trade modes whose release debits the tax guarantee, whether an
	// overdue tax bill holds the guarantor's new releases, and how often bills are run.
	GuaranteeTradeModes   []string `toml:"guarantee_trade_modes"`
	BlockOverdueGuarantor bool     `toml:"block_overdue_guarantor"`
	BillingInterval       Duration `toml:"billing_interval"`
	// Export (rules §11), the [rules.export] section: see export.go.
	Export ExportRules `toml:"export"`
}

// RateLimit bounds each enterprise's and each technical service provider's
// requests (token bucket: a sustained rate and a burst); 0 turns a limit off.
type RateLimit struct {
	EnterprisePerSecond float64 `toml:"enterprise_per_second"`
	EnterpriseBurst     int     `toml:"enterprise_burst"`
	ProviderPerSecond   float64 `toml:"provider_per_second"`
	ProviderBurst       int     `toml:"provider_burst"`
	// The public quota query, per client address and per ID number (API and
	// page together), and failed bearer tokens per client address (issue 16):
	// token buckets of a rate per minute and a burst.
	QuotaAddressPerMinute float64 `toml:"quota_address_per_minute"`
	QuotaAddressBurst     int     `toml:"quota_address_burst"`
	QuotaIDPerMinute      float64 `toml:"quota_id_per_minute"`
	QuotaIDBurst          int     `toml:"quota_id_burst"`
	FailedAuthPerMinute   float64 `toml:"failed_auth_per_minute"`
	FailedAuthBurst       int     `toml:"failed_auth_burst"`
}

// Webhook limits where the platform's outbound requests may go. Endpoints on
// loopback, link-local, private, shared, multicast or unspecified addresses
// are refused unless Allow lists them: CIDRs (10.1.2.0/24), single addresses
// or host names of receivers on the deployment's private network.
type Webhook struct {
	Allow []string `toml:"allow"`
}

// Logistics sets when a manifest or parcel counts as stuck and how often that is checked.
type Logistics struct {
	StuckAfter    Duration `toml:"stuck_after"`
	AlertInterval Duration `toml:"alert_interval"`
}

// Support sets the SLA timers of the service response centre's tickets.
type Support struct {
	ResponseSLA        Duration `toml:"response_sla"`
	ResolveSLA         Duration `toml:"resolve_sla"`
	EscalationInterval Duration `toml:"escalation_interval"`
	// MessageRetentionDays: raw messages older than this are deleted daily (0 keeps them for ever).
	MessageRetentionDays int `toml:"message_retention_days"`
	// CertificateWarning: a signing certificate expiring within this is warned about daily and on the status page.
	CertificateWarning Duration `toml:"certificate_warning"`
}

// Console sets the officers' console.
type Console struct {
	// XrayImageBase is where the sorting lines' X-ray machines serve their
	// images (http or https, often a machine on the local network); a scan's
	// imageRef is resolved against it, and the console's pages allow images
	// from exactly this source. Empty: images only from the console itself.
	XrayImageBase string `toml:"xray_image_base"`
}

// Default returns the configuration with every default applied.
func Default() Config {
	var c Config
	for _, s := range settings {
		s.reset(&c)
	}
	return c
}

// Param describes one setting for the documentation and `cbec config`.
type Param struct {
	Key, Default, Description string
}

// Params lists every setting with its default and meaning, in file order.
func Params() []Param {
	d := Default()
	out := make([]Param, len(settings))
	for i, s := range settings {
		out[i] = Param{Key: s.key, Default: s.show(&d), Description: s.desc}
	}
	return out
}

// LoadFile overlays the TOML file at path on c. Unknown keys are errors, so a
// misspelt setting is not silently ignored.
func (c *Config) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config file: %w", err)
	}
	md, err := toml.Decode(string(b), c)
	if err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		return fmt.Errorf("config file %s: unknown setting %s", path, strings.Join(keys, ", "))
	}
	return nil
}

// Validate checks every setting and names each bad one.
func (c *Config) Validate() error {
	var problems []string
	for _, s := range settings {
		s.check(c, report{key: strings.TrimSuffix(s.key, perClass), out: &problems})
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("invalid configuration:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// Duration is a time.Duration written as "24h", "90s" in the file.
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 24h or 90s", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d Duration) String() string { return time.Duration(d).String() }

// XrayImageSource checks an X-ray image base URL and returns it as a
// Content-Security-Policy source (empty for an empty base): an absolute http
// or https URL with a host, no credentials, query or fragment, and nothing
// that would end or split a CSP directive.
func XrayImageSource(base string) (string, error) {
	if base == "" {
		return "", nil
	}
	u, err := url.Parse(base)
	switch {
	case err != nil:
		return "", fmt.Errorf("%q is not a URL: %v", base, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%q must start with http:// or https://", base)
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "", fmt.Errorf("%q must be scheme://host[:port]/path/ with no user, query or fragment", base)
	case strings.ContainsAny(u.EscapedPath(), ";,'\" \t"):
		return "", fmt.Errorf("%q has a character a Content-Security-Policy source cannot hold (; , ' \")", base)
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath(), nil
}
