package config

import (
	"fmt"
	"maps"
	"math"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
)

// settings declares every setting once, in the order `cbec config` lists
// them: its key in the file, its meaning, where it lives in Config, its
// default and its check. A new setting is a field in Config and one entry
// here (TestEverySettingDeclaredOnce ties the two together).
var settings = []setting{
	entry("addr", "HOST:PORT the server listens on (flag --addr, env CBEC_ADDR)",
		func(c *Config) *string { return &c.Addr }, "127.0.0.1:8080",
		func(v string, _ *Config, r report) {
			if v == "" || !strings.Contains(v, ":") {
				r.bad("%q is not HOST:PORT", v)
			}
		}),
	entry("data", "folder of the embedded SQLite database (flag --data, env CBEC_DATA)",
		func(c *Config) *string { return &c.Data }, "./cbec-data",
		func(v string, c *Config, r report) {
			if c.DB == "" && v == "" {
				r.bad("must name a folder when db is empty")
			}
		}),
	entry("db", "postgres://… URL to use PostgreSQL instead of SQLite, or sqlite://PATH for a SQLite file elsewhere than the data folder (flag --db, env CBEC_DB)",
		func(c *Config) *string { return &c.DB }, "",
		func(v string, _ *Config, r report) {
			if v != "" && !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") && !strings.HasPrefix(v, "sqlite://") {
				r.bad("want a postgres://… or sqlite://PATH URL")
			}
		}),
	entry("signature_policy", "none | optional | required: how message signatures are checked (env CBEC_SIGNATURE_POLICY)",
		func(c *Config) *string { return &c.SignaturePolicy }, "required", oneOf("none", "optional", "required")),
	entry("log_level", "debug | info | warn | error (env CBEC_LOG_LEVEL)",
		func(c *Config) *string { return &c.LogLevel }, "info", oneOf("debug", "info", "warn", "error")),
	entry("log_format", "text | json (env CBEC_LOG_FORMAT)",
		func(c *Config) *string { return &c.LogFormat }, "text", oneOf("text", "json")),
	entry("max_body_bytes", "largest accepted request body; larger answers 413",
		func(c *Config) *int64 { return &c.MaxBodyBytes }, 10<<20,
		func(v int64, _ *Config, r report) {
			if v < 1024 {
				r.bad("%d is too small (at least 1024)", v)
			}
		}),
	entry("shutdown_timeout", "how long a stopping server waits for requests in flight",
		func(c *Config) *Duration { return &c.ShutdownTimeout }, Duration(20*time.Second), positive),
	entry("sqlite_synchronous", "NORMAL survives a killed process; FULL also a power loss (slower)",
		func(c *Config) *string { return &c.SQLiteSynchronous }, "NORMAL", oneOf("NORMAL", "FULL")),
	entry("db_max_conns", "connection pool size (PostgreSQL; SQLite readers)",
		func(c *Config) *int { return &c.DBMaxConns }, 8, atLeast(1, "must be at least 1")),
	entry("db_writers", "PostgreSQL: how many transactions of messages and decisions a node writes at once, each on a connection of the pool (below db_max_conns); raise it when the database is a network hop away and the writers wait for round trips (docs/performance.md); SQLite always has one writer",
		func(c *Config) *int { return &c.DBWriters }, 2,
		func(v int, c *Config, r report) {
			if v < 1 || v >= c.DBMaxConns {
				r.bad("must be at least 1 and below db_max_conns (%d), which also serves reads", c.DBMaxConns)
			}
		}),
	entry("leader_interval", "several nodes on one PostgreSQL database: how often a node tries to take over the periodic jobs (billing, sweeps, summaries, alerts), and how often the node running them checks it still holds them",
		func(c *Config) *Duration { return &c.LeaderInterval }, Duration(2*time.Second), positive),
	entry("otlp_endpoint", "http://HOST:4318 of an OpenTelemetry collector to send traces to over OTLP/HTTP; empty: tracing off (flag --otlp-endpoint, env CBEC_OTLP_ENDPOINT)",
		func(c *Config) *string { return &c.OTLPEndpoint }, "",
		func(v string, _ *Config, r report) {
			if v == "" {
				return
			}
			if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				r.bad("%q is not an http:// or https:// URL", v)
			}
		}),
	entry("secure_cookies", "mark the enterprise console's session cookie Secure even over http (set it behind a TLS-terminating proxy); over TLS it always is",
		func(c *Config) *bool { return &c.SecureCookies }, false, nil),

	entry("rules.single_limit", "CNY: largest dutiable value of one inventory (rules §4)",
		func(c *Config) *string { return &c.Rules.SingleLimit }, "5000.00", decimal("0.01", "")),
	entry("rules.annual_limit", "CNY: a buyer's yearly total of released, not returned inventories (rules §4)",
		func(c *Config) *string { return &c.Rules.AnnualLimit }, "26000.00", decimal("0.01", "")),
	entry("rules.document_wait", "how long an inventory waits for its order, payment and waybill before rejection (rules §3)",
		func(c *Config) *Duration { return &c.Rules.DocumentWait }, Duration(24*time.Hour), positive),
	entry("rules.tax_cut", "share of VAT and consumption tax levied within the limits (rules §6)",
		func(c *Config) *string { return &c.Rules.TaxCut }, "0.7", decimal("0", "1")),
	entry("rules.tax_rounding", "CNY granularity each tax type is rounded half-up to (rules §6)",
		func(c *Config) *string { return &c.Rules.TaxRounding }, "0.01", decimal("0.01", "1")),
	entry("rules.inspection_rates"+perClass, "random inspection rate per credit class; the abnormal operations list draws at the dishonest rate (rules §9)",
		func(c *Config) *map[string]string { return &c.Rules.InspectionRates }, map[string]string{
			"advanced": "0.005", "certified": "0.02", "general": "0.05",
			"dishonest": "0.80", "seriously_dishonest": "1",
		}, inspectionRates),
	entry("rules.return_apply_days", "days after release within which a return may be applied for (rules §7)",
		func(c *Config) *int { return &c.Rules.ReturnApplyDays }, 30, atLeast(1, "must be at least 1 day")),
	entry("rules.return_arrive_days", "days after release within which returned goods must arrive (rules §7)",
		func(c *Config) *int { return &c.Rules.ReturnArriveDays }, 45,
		func(v int, c *Config, r report) {
			atLeast(1, "must be at least 1 day")(v, c, r)
			if v < c.Rules.ReturnApplyDays {
				r.bad("%d is shorter than rules.return_apply_days %d", v, c.Rules.ReturnApplyDays)
			}
		}),
	entry("rules.bill_after_days", "days after release when an inventory is billed (rules §6)",
		func(c *Config) *int { return &c.Rules.BillAfterDays }, 30, atLeast(1, "must be at least 1 day")),
	entry("rules.bill_due_days", "day by which a tax bill must be paid (rules §6)",
		func(c *Config) *int { return &c.Rules.BillDueDays }, 45, atLeast(1, "must be at least 1 day")),
	entry("rules.tally_deadline", "time a declaration may follow its tally (rules §8)",
		func(c *Config) *Duration { return &c.Rules.TallyDeadline }, Duration(72*time.Hour), positive),
	entry("rules.guarantee_trade_modes", "trade modes whose release debits the guarantor's tax guarantee (rules §6)",
		func(c *Config) *[]string { return &c.Rules.GuaranteeTradeModes }, []string{"1210"},
		each(func(m string) bool { return len(m) == 4 && digits(m) }, "%q is not a 4-digit trade mode like 1210")),
	entry("rules.block_overdue_guarantor", "an overdue tax bill holds the guarantor's new releases (rules §6)",
		func(c *Config) *bool { return &c.Rules.BlockOverdueGuarantor }, true, nil),
	entry("rules.billing_interval", "how often tax bills are issued, late returns expired and overdue bills flagged",
		func(c *Config) *Duration { return &c.Rules.BillingInterval }, Duration(time.Minute), aSecondOrMore),

	entry("rate_limit.enterprise_per_second", "requests per second one enterprise's API keys may make (0: no limit); over it answers 429",
		func(c *Config) *float64 { return &c.RateLimit.EnterprisePerSecond }, 1000, rate),
	entry("rate_limit.enterprise_burst", "requests an enterprise may make at once above its rate",
		func(c *Config) *int { return &c.RateLimit.EnterpriseBurst }, 2000, atLeast(1, "must be at least 1")),
	entry("rate_limit.provider_per_second", "requests per second of a technical service provider (role provider) (0: no limit)",
		func(c *Config) *float64 { return &c.RateLimit.ProviderPerSecond }, 2000, rate),
	entry("rate_limit.provider_burst", "requests a provider may make at once above its rate",
		func(c *Config) *int { return &c.RateLimit.ProviderBurst }, 4000, atLeast(1, "must be at least 1")),
	entry("rate_limit.quota_address_per_minute", "quota queries (API and public page together) per minute from one client address (0: no limit); over it answers 429",
		func(c *Config) *float64 { return &c.RateLimit.QuotaAddressPerMinute }, 10, rate),
	entry("rate_limit.quota_address_burst", "quota queries one address may make at once above its rate",
		func(c *Config) *int { return &c.RateLimit.QuotaAddressBurst }, 30, burstOf(func(c *Config) float64 { return c.RateLimit.QuotaAddressPerMinute })),
	entry("rate_limit.quota_id_per_minute", "quota queries per minute for one ID number, from anywhere (0: no limit); 0.1 is six an hour",
		func(c *Config) *float64 { return &c.RateLimit.QuotaIDPerMinute }, 0.1, rate),
	entry("rate_limit.quota_id_burst", "quota queries for one ID number at once above its rate",
		func(c *Config) *int { return &c.RateLimit.QuotaIDBurst }, 6, burstOf(func(c *Config) float64 { return c.RateLimit.QuotaIDPerMinute })),
	entry("rate_limit.failed_auth_per_minute", "failed bearer tokens per minute from one client address (0: no limit); over it every token from there answers 429",
		func(c *Config) *float64 { return &c.RateLimit.FailedAuthPerMinute }, 2, rate),
	entry("rate_limit.failed_auth_burst", "failed bearer tokens one address may send at once above its rate",
		func(c *Config) *int { return &c.RateLimit.FailedAuthBurst }, 20, burstOf(func(c *Config) float64 { return c.RateLimit.FailedAuthPerMinute })),

	entry("console.xray_image_base", "http(s) URL the X-ray machines serve scan images under, e.g. http://10.1.2.3:8081/images/; the console allows images from exactly there (empty: from the console only)",
		func(c *Config) *string { return &c.Console.XrayImageBase }, "",
		func(v string, _ *Config, r report) {
			if _, err := XrayImageSource(v); err != nil {
				r.bad("%v", err)
			}
		}),
	entry("webhook.allow", "CIDRs, addresses or host names webhooks may reach although loopback, private or link-local (default: none), e.g. [\"10.20.0.0/16\", \"erp.internal\"]",
		func(c *Config) *[]string { return &c.Webhook.Allow }, nil,
		each(validAllowEntry, "%q is not a CIDR (10.0.0.0/8), an IP address or a host name")),

	entry("logistics.stuck_after", "a manifest or parcel in one stage longer than this raises an alert",
		func(c *Config) *Duration { return &c.Logistics.StuckAfter }, Duration(72*time.Hour), aSecondOrMore),
	entry("logistics.alert_interval", "how often manifests and parcels are checked for being stuck",
		func(c *Config) *Duration { return &c.Logistics.AlertInterval }, Duration(5*time.Minute), aSecondOrMore),

	entry("support.response_sla", "time to a ticket's first answer (urgent tickets: a quarter)",
		func(c *Config) *Duration { return &c.Support.ResponseSLA }, Duration(4*time.Hour), aSecondOrMore),
	entry("support.resolve_sla", "time to a ticket's resolution (urgent tickets: a quarter)",
		func(c *Config) *Duration { return &c.Support.ResolveSLA }, Duration(72*time.Hour),
		func(v Duration, c *Config, r report) {
			aSecondOrMore(v, c, r)
			if v < c.Support.ResponseSLA {
				r.bad("%s is shorter than support.response_sla %s", v, c.Support.ResponseSLA)
			}
		}),
	entry("support.escalation_interval", "how often overdue tickets are escalated",
		func(c *Config) *Duration { return &c.Support.EscalationInterval }, Duration(time.Minute), aSecondOrMore),
	entry("support.message_retention_days", "days raw messages are kept, e.g. 1826 for five years (0: for ever); older ones are deleted daily",
		func(c *Config) *int { return &c.Support.MessageRetentionDays }, 0, atLeast(0, "must be 0 (keep for ever) or a number of days")),
	entry("support.certificate_warning", "signing certificates expiring within this are logged daily and listed on the operator's status page",
		func(c *Config) *Duration { return &c.Support.CertificateWarning }, Duration(30*24*time.Hour), notNegative),

	entry("rules.export.summary_day", "day of the next month by which a month's released B lists are summarized (December: the last working day) (rules §11)",
		func(c *Config) *int { return &c.Rules.Export.SummaryDay }, 10,
		func(v int, _ *Config, r report) {
			if v < 1 || v > 28 {
				r.bad("%d is not a day from 1 to 28", v)
			}
		}),
	entry("rules.export.summary_lead", "how long before that deadline the summary job merges the month by itself",
		func(c *Config) *Duration { return &c.Rules.Export.SummaryLead }, Duration(72*time.Hour), notNegative),
	entry("rules.export.summary_interval", "how often the summary job looks for months to merge",
		func(c *Config) *Duration { return &c.Rules.Export.SummaryInterval }, Duration(time.Hour), aSecondOrMore),
	entry("rules.export.forex_overdue_days", "days after release when an export without a receipt of payment is overdue (rules §11)",
		func(c *Config) *int { return &c.Rules.Export.ForexOverdueDays }, 180, atLeast(1, "must be at least 1 day")),
	entry("rules.export.return_months", "months after release within which an export return is tax exempt (rules §11)",
		func(c *Config) *int { return &c.Rules.Export.ReturnMonths }, 6, atLeast(1, "must be at least 1 month")),
	entry("rules.export.return_policy_from", "first release date of exports whose returns are exempt",
		func(c *Config) *string { return &c.Rules.Export.ReturnPolicyFrom }, "2026-01-01", date("2026-01-01")),
	entry("rules.export.return_policy_until", "last release date of exports whose returns are exempt",
		func(c *Config) *string { return &c.Rules.Export.ReturnPolicyUntil }, "2027-12-31",
		func(v string, c *Config, r report) {
			date("2027-12-31")(v, c, r)
			from, err1 := time.Parse(time.DateOnly, c.Rules.Export.ReturnPolicyFrom)
			until, err2 := time.Parse(time.DateOnly, v)
			if err1 == nil && err2 == nil && until.Before(from) {
				r.bad("%s is before return_policy_from %s", v, c.Rules.Export.ReturnPolicyFrom)
			}
		}),
	// Chapters 1–4, 7–12 and 15–22: animal, vegetable and prepared foods and drinks.
	entry("rules.export.food_hs", "HS prefixes of food, excluded from the return exemption",
		func(c *Config) *[]string { return &c.Rules.Export.FoodHS },
		[]string{"01", "02", "03", "04", "07", "08", "09", "10", "11", "12", "15", "16", "17", "18", "19", "20", "21", "22"}, hsPrefixes),
	// Narcotics and psychotropic substances, arms and ammunition, ivory, cultural relics over 100 years old.
	entry("rules.export.prohibited_hs", "HS prefixes whose export is prohibited (refused with 1406)",
		func(c *Config) *[]string { return &c.Rules.Export.ProhibitedHS }, []string{"1211903", "2939", "93", "0507100", "9706"}, hsPrefixes),
	entry("rules.export.simplified_limit", "CNY: largest 9710/9810 list that may be declared simplified (statisticsFlag A)",
		func(c *Config) *string { return &c.Rules.Export.SimplifiedLimit }, "5000.00",
		func(v string, _ *Config, r report) {
			if v == "" || strings.Trim(v, "0123456789.") != "" || strings.Count(v, ".") > 1 {
				r.bad("%q is not an amount like 5000.00", v)
			}
		}),
}

// perClass ends the key of a setting that has one value per credit class.
const perClass = ".<class>"

// creditClasses are the keys of rules.inspection_rates, in the order shown.
var creditClasses = []string{"advanced", "certified", "general", "dishonest", "seriously_dishonest"}

// setting is one entry of the table, its type erased so the table can hold
// settings of every type; entry builds it from typed parts.
type setting struct {
	key, desc string
	reset     func(*Config)         // puts the default in place
	show      func(*Config) string  // the value as `cbec config` shows it
	check     func(*Config, report) // reports what is wrong with the value
	field     func(*Config) any     // a pointer to the field (for the tests)
}

// check names what is wrong with a setting's value v; c is the whole
// configuration, for the settings checked against another one.
type check[T any] func(v T, c *Config, r report)

func entry[T any](key, desc string, field func(*Config) *T, def T, ok check[T]) setting {
	return setting{
		key:   key,
		desc:  desc,
		reset: func(c *Config) { *field(c) = clone(def) },
		show:  func(c *Config) string { return show(*field(c)) },
		check: func(c *Config, r report) {
			if ok != nil {
				ok(*field(c), c, r)
			}
		},
		field: func(c *Config) any { return field(c) },
	}
}

// clone copies a default that is a map or a slice, so that changing one
// configuration never changes the defaults of the next.
func clone[T any](v T) T {
	switch x := any(v).(type) {
	case []string:
		return any(slices.Clone(x)).(T)
	case map[string]string:
		return any(maps.Clone(x)).(T)
	}
	return v
}

func show(v any) string {
	switch x := v.(type) {
	case []string:
		return strings.Join(x, ",")
	case map[string]string:
		parts := make([]string, 0, len(x))
		for _, class := range creditClasses {
			parts = append(parts, class+" "+x[class])
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// report collects the problems of one setting, each prefixed by its key.
type report struct {
	key string
	out *[]string
}

func (r report) bad(format string, args ...any) {
	*r.out = append(*r.out, r.key+": "+fmt.Sprintf(format, args...))
}

// sub reports on one part of a setting, e.g. one credit class.
func (r report) sub(name string) report { return report{key: r.key + "." + name, out: r.out} }

func oneOf(allowed ...string) check[string] {
	return func(v string, _ *Config, r report) {
		if !slices.Contains(allowed, v) {
			r.bad("%q is not one of %s", v, strings.Join(allowed, ", "))
		}
	}
}

func atLeast(min int, msg string) check[int] {
	return func(v int, _ *Config, r report) {
		if v < min {
			r.bad("%s", msg)
		}
	}
}

func positive(v Duration, _ *Config, r report) {
	if v <= 0 {
		r.bad("must be positive")
	}
}

func aSecondOrMore(v Duration, _ *Config, r report) {
	if v < Duration(time.Second) {
		r.bad("must be at least 1s")
	}
}

func notNegative(v Duration, _ *Config, r report) {
	if v < 0 {
		r.bad("must not be negative")
	}
}

func rate(v float64, _ *Config, r report) {
	if v < 0 || math.IsNaN(v) {
		r.bad("must be 0 (no limit) or positive")
	}
}

// burstOf checks a burst, which matters only to a limit that is on.
func burstOf(rate func(*Config) float64) check[int] {
	return func(v int, c *Config, r report) {
		if rate(c) > 0 && v < 1 {
			r.bad("must be at least 1")
		}
	}
}

func date(example string) check[string] {
	return func(v string, _ *Config, r report) {
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			r.bad("%q is not a date like %s", v, example)
		}
	}
}

// decimal accepts a decimal number from min up to max ("" for no maximum).
func decimal(min, max string) check[string] {
	return func(v string, _ *Config, r report) {
		d, _, err := apd.NewFromString(v)
		if err != nil || d.Form != apd.Finite {
			r.bad("%q is not a decimal number", v)
			return
		}
		lo, _, _ := apd.NewFromString(min)
		if d.Cmp(lo) < 0 {
			r.bad("%s is below %s", v, min)
		}
		if max != "" {
			hi, _, _ := apd.NewFromString(max)
			if d.Cmp(hi) > 0 {
				r.bad("%s is above %s", v, max)
			}
		}
	}
}

func inspectionRates(rates map[string]string, c *Config, r report) {
	for _, class := range creditClasses {
		v, ok := rates[class]
		if !ok {
			r.sub(class).bad("missing")
			continue
		}
		decimal("0", "1")(v, c, r.sub(class))
	}
	for class := range rates {
		if !slices.Contains(creditClasses, class) {
			r.sub(class).bad("unknown credit class")
		}
	}
}

func each(ok func(string) bool, format string) check[[]string] {
	return func(list []string, _ *Config, r report) {
		for _, v := range list {
			if !ok(v) {
				r.bad(format, v)
			}
		}
	}
}

var hsPrefixes = each(func(p string) bool { return p != "" && len(p) <= 10 && digits(p) }, "%q is not an HS prefix of 1 to 10 digits")

func digits(s string) bool { return strings.Trim(s, "0123456789") == "" }

// validAllowEntry tells whether a is a CIDR, an address or a host name.
func validAllowEntry(a string) bool {
	if _, err := netip.ParsePrefix(a); err == nil {
		return true
	}
	if _, err := netip.ParseAddr(a); err == nil {
		return true
	}
	if a == "" || len(a) > 253 || strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != "" {
		return false
	}
	return !strings.HasPrefix(a, ".") && !strings.HasPrefix(a, "-")
}
