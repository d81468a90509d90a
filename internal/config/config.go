// Package config holds every setting of the platform: server settings and the
// rule parameters of the business rules, each with its default and a one-line
// description. Settings come from defaults, then an optional TOML file, then
// environment variables and flags; Validate names any bad setting.
package config

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/cockroachdb/apd/v3"
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
	// AdminToken comes only from the environment (CBEC_ADMIN_TOKEN), never from a file.
	AdminToken string `toml:"-"`
	// SecretKey protects personal data at rest; only from the environment (CBEC_SECRET_KEY).
	SecretKey string `toml:"-"`
	Rules     Rules  `toml:"rules"`
	// Rate limits, logistics alerts and the service response centre (issue 12).
	RateLimit RateLimit `toml:"rate_limit"`
	Logistics Logistics `toml:"logistics"`
	Support   Support   `toml:"support"`
	// Clock is the time the business rules read (deadlines, releases, bills);
	// nil means the wall clock. Tests set it to move time without sleeping.
	Clock func() time.Time `toml:"-"`
}

// Rules are the parameters of the business rules (docs/rules: rules.md). Every
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

// Default returns the configuration with every default applied.
func Default() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		Data:              "./cbec-data",
		SignaturePolicy:   "required",
		LogLevel:          "info",
		LogFormat:         "text",
		MaxBodyBytes:      10 << 20,
		ShutdownTimeout:   Duration(20 * time.Second),
		SQLiteSynchronous: "NORMAL",
		DBMaxConns:        8,
		Rules: Rules{
			SingleLimit:  "5000.00",
			AnnualLimit:  "26000.00",
			DocumentWait: Duration(24 * time.Hour),
			TaxCut:       "0.7",
			TaxRounding:  "0.01",
			InspectionRates: map[string]string{
				"advanced": "0.005", "certified": "0.02", "general": "0.05",
				"dishonest": "0.80", "seriously_dishonest": "1",
			},
			ReturnApplyDays:  30,
			ReturnArriveDays: 45,
			BillAfterDays:    30,
			BillDueDays:      45,
			TallyDeadline:    Duration(72 * time.Hour),

			GuaranteeTradeModes:   []string{"1210"},
			BlockOverdueGuarantor: true,
			BillingInterval:       Duration(time.Minute),
			Export:                DefaultExport(),
		},
		RateLimit: RateLimit{EnterprisePerSecond: 1000, EnterpriseBurst: 2000, ProviderPerSecond: 2000, ProviderBurst: 4000},
		Logistics: Logistics{StuckAfter: Duration(72 * time.Hour), AlertInterval: Duration(5 * time.Minute)},
		Support:   Support{ResponseSLA: Duration(4 * time.Hour), ResolveSLA: Duration(72 * time.Hour), EscalationInterval: Duration(time.Minute), CertificateWarning: Duration(30 * 24 * time.Hour)},
	}
}

// Param describes one setting for the documentation and `cbec config`.
type Param struct {
	Key, Default, Description string
}

// Params lists every setting with its default and meaning, in file order.
func Params() []Param {
	d := Default()
	r := d.Rules
	return append([]Param{
		{"addr", d.Addr, "HOST:PORT the server listens on (flag --addr, env CBEC_ADDR)"},
		{"data", d.Data, "folder of the embedded SQLite database (flag --data, env CBEC_DATA)"},
		{"db", "", "postgres://… URL to use PostgreSQL instead of SQLite (flag --db, env CBEC_DB)"},
		{"signature_policy", d.SignaturePolicy, "none | optional | required: how message signatures are checked (env CBEC_SIGNATURE_POLICY)"},
		{"log_level", d.LogLevel, "debug | info | warn | error (env CBEC_LOG_LEVEL)"},
		{"log_format", d.LogFormat, "text | json (env CBEC_LOG_FORMAT)"},
		{"max_body_bytes", fmt.Sprint(d.MaxBodyBytes), "largest accepted request body; larger answers 413"},
		{"shutdown_timeout", d.ShutdownTimeout.String(), "how long a stopping server waits for requests in flight"},
		{"sqlite_synchronous", d.SQLiteSynchronous, "NORMAL survives a killed process; FULL also a power loss (slower)"},
		{"db_max_conns", fmt.Sprint(d.DBMaxConns), "connection pool size (PostgreSQL; SQLite readers)"},
		{"rules.single_limit", r.SingleLimit, "CNY: largest dutiable value of one inventory (rules §4)"},
		{"rules.annual_limit", r.AnnualLimit, "CNY: a buyer's yearly total of released, not returned inventories (rules §4)"},
		{"rules.document_wait", r.DocumentWait.String(), "how long an inventory waits for its order, payment and waybill before rejection (rules §3)"},
		{"rules.tax_cut", r.TaxCut, "share of VAT and consumption tax levied within the limits (rules §6)"},
		{"rules.tax_rounding", r.TaxRounding, "CNY granularity each tax type is rounded half-up to (rules §6)"},
		{"rules.inspection_rates.<class>", "advanced 0.005, certified 0.02, general 0.05, dishonest 0.80, seriously_dishonest 1", "random inspection rate per credit class (rules §9)"},
		{"rules.return_apply_days", fmt.Sprint(r.ReturnApplyDays), "days after release within which a return may be applied for (rules §7)"},
		{"rules.return_arrive_days", fmt.Sprint(r.ReturnArriveDays), "days after release within which returned goods must arrive (rules §7)"},
		{"rules.bill_after_days", fmt.Sprint(r.BillAfterDays), "days after release when an inventory is billed (rules §6)"},
		{"rules.bill_due_days", fmt.Sprint(r.BillDueDays), "day by which a tax bill must be paid (rules §6)"},
		{"rules.tally_deadline", r.TallyDeadline.String(), "time a declaration may follow its tally (rules §8)"},
		{"rules.guarantee_trade_modes", strings.Join(r.GuaranteeTradeModes, ","), "trade modes whose release debits the guarantor's tax guarantee (rules §6)"},
		{"rules.block_overdue_guarantor", fmt.Sprint(r.BlockOverdueGuarantor), "an overdue tax bill holds the guarantor's new releases (rules §6)"},
		{"rules.billing_interval", r.BillingInterval.String(), "how often tax bills are issued, late returns expired and overdue bills flagged"},
		{"rate_limit.enterprise_per_second", fmt.Sprint(d.RateLimit.EnterprisePerSecond), "requests per second one enterprise's API keys may make (0: no limit); over it answers 429"},
		{"rate_limit.enterprise_burst", fmt.Sprint(d.RateLimit.EnterpriseBurst), "requests an enterprise may make at once above its rate"},
		{"rate_limit.provider_per_second", fmt.Sprint(d.RateLimit.ProviderPerSecond), "requests per second of a technical service provider (role provider) (0: no limit)"},
		{"rate_limit.provider_burst", fmt.Sprint(d.RateLimit.ProviderBurst), "requests a provider may make at once above its rate"},
		{"logistics.stuck_after", d.Logistics.StuckAfter.String(), "a manifest or parcel in one stage longer than this raises an alert"},
		{"logistics.alert_interval", d.Logistics.AlertInterval.String(), "how often manifests and parcels are checked for being stuck"},
		{"support.response_sla", d.Support.ResponseSLA.String(), "time to a ticket's first answer (urgent tickets: a quarter)"},
		{"support.resolve_sla", d.Support.ResolveSLA.String(), "time to a ticket's resolution (urgent tickets: a quarter)"},
		{"support.escalation_interval", d.Support.EscalationInterval.String(), "how often overdue tickets are escalated"},
		{"support.message_retention_days", fmt.Sprint(d.Support.MessageRetentionDays), "days raw messages are kept, e.g. 1826 for five years (0: for ever); older ones are deleted daily"},
		{"support.certificate_warning", d.Support.CertificateWarning.String(), "signing certificates expiring within this are logged daily and listed on the operator's status page"},
	}, exportParams(r.Export)...)
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
	bad := func(key, format string, args ...any) {
		problems = append(problems, key+": "+fmt.Sprintf(format, args...))
	}
	if c.Addr == "" || !strings.Contains(c.Addr, ":") {
		bad("addr", "%q is not HOST:PORT", c.Addr)
	}
	if c.DB == "" && c.Data == "" {
		bad("data", "must name a folder when db is empty")
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") && !strings.HasPrefix(c.DB, "sqlite://") {
		bad("db", "want a postgres://… or sqlite://PATH URL")
	}
	oneOf := func(key, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		bad(key, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	oneOf("signature_policy", c.SignaturePolicy, "none", "optional", "required")
	oneOf("log_level", c.LogLevel, "debug", "info", "warn", "error")
	oneOf("log_format", c.LogFormat, "text", "json")
	oneOf("sqlite_synchronous", c.SQLiteSynchronous, "NORMAL", "FULL")
	if c.MaxBodyBytes < 1024 {
		bad("max_body_bytes", "%d is too small (at least 1024)", c.MaxBodyBytes)
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown_timeout", "must be positive")
	}
	if c.DBMaxConns < 1 {
		bad("db_max_conns", "must be at least 1")
	}
	r := c.Rules
	decimal := func(key, v string, min, max string) {
		d, _, err := apd.NewFromString(v)
		if err != nil || d.Form != apd.Finite {
			bad(key, "%q is not a decimal number", v)
			return
		}
		lo, _, _ := apd.NewFromString(min)
		if d.Cmp(lo) < 0 {
			bad(key, "%s is below %s", v, min)
		}
		if max != "" {
			hi, _, _ := apd.NewFromString(max)
			if d.Cmp(hi) > 0 {
				bad(key, "%s is above %s", v, max)
			}
		}
	}
	decimal("rules.single_limit", r.SingleLimit, "0.01", "")
	decimal("rules.annual_limit", r.AnnualLimit, "0.01", "")
	decimal("rules.tax_cut", r.TaxCut, "0", "1")
	decimal("rules.tax_rounding", r.TaxRounding, "0.01", "1")
	for _, class := range []string{"advanced", "certified", "general", "dishonest", "seriously_dishonest"} {
		v, ok := r.InspectionRates[class]
		if !ok {
			bad("rules.inspection_rates."+class, "missing")
			continue
		}
		decimal("rules.inspection_rates."+class, v, "0", "1")
	}
	for class := range r.InspectionRates {
		switch class {
		case "advanced", "certified", "general", "dishonest", "seriously_dishonest":
		default:
			bad("rules.inspection_rates."+class, "unknown credit class")
		}
	}
	if r.DocumentWait <= 0 {
		bad("rules.document_wait", "must be positive")
	}
	if r.TallyDeadline <= 0 {
		bad("rules.tally_deadline", "must be positive")
	}
	if r.BillingInterval < Duration(time.Second) {
		bad("rules.billing_interval", "must be at least 1s")
	}
	for _, m := range r.GuaranteeTradeModes {
		if len(m) != 4 || strings.Trim(m, "0123456789") != "" {
			bad("rules.guarantee_trade_modes", "%q is not a 4-digit trade mode like 1210", m)
		}
	}
	for key, v := range map[string]int{"rules.return_apply_days": r.ReturnApplyDays, "rules.return_arrive_days": r.ReturnArriveDays,
		"rules.bill_after_days": r.BillAfterDays, "rules.bill_due_days": r.BillDueDays} {
		if v < 1 {
			bad(key, "must be at least 1 day")
		}
	}
	if r.ReturnArriveDays < r.ReturnApplyDays {
		bad("rules.return_arrive_days", "%d is shorter than rules.return_apply_days %d", r.ReturnArriveDays, r.ReturnApplyDays)
	}
	problems = append(problems, r.Export.problems()...)
	rl := c.RateLimit
	if rl.EnterprisePerSecond < 0 || rl.EnterprisePerSecond != rl.EnterprisePerSecond {
		bad("rate_limit.enterprise_per_second", "must be 0 (no limit) or positive")
	}
	if rl.ProviderPerSecond < 0 || rl.ProviderPerSecond != rl.ProviderPerSecond {
		bad("rate_limit.provider_per_second", "must be 0 (no limit) or positive")
	}
	if rl.EnterpriseBurst < 1 {
		bad("rate_limit.enterprise_burst", "must be at least 1")
	}
	if rl.ProviderBurst < 1 {
		bad("rate_limit.provider_burst", "must be at least 1")
	}
	for key, v := range map[string]Duration{"logistics.stuck_after": c.Logistics.StuckAfter, "logistics.alert_interval": c.Logistics.AlertInterval,
		"support.response_sla": c.Support.ResponseSLA, "support.resolve_sla": c.Support.ResolveSLA, "support.escalation_interval": c.Support.EscalationInterval} {
		if v < Duration(time.Second) {
			bad(key, "must be at least 1s")
		}
	}
	if c.Support.MessageRetentionDays < 0 {
		bad("support.message_retention_days", "must be 0 (keep for ever) or a number of days")
	}
	if c.Support.CertificateWarning < 0 {
		bad("support.certificate_warning", "must not be negative")
	}
	if c.Support.ResolveSLA < c.Support.ResponseSLA {
		bad("support.resolve_sla", "%s is shorter than support.response_sla %s", c.Support.ResolveSLA, c.Support.ResponseSLA)
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
