// Package cli holds the cbec command line: one file per command. Every flag has
// an environment variable and a documented default (see `cbec COMMAND --help`).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/logging"
)

// root is the command tree.
type root struct {
	Config string `help:"Optional TOML configuration file; flags and environment variables override it." env:"CBEC_CONFIG" type:"existingfile" placeholder:"FILE"`

	Serve      serveCmd      `cmd:"" help:"Run the platform: API, CEB intake, clearance pipeline, background jobs."`
	Migrate    migrateCmd    `cmd:"" help:"Apply pending database migrations and exit (serve also does this at start)."`
	Backup     backupCmd     `cmd:"" help:"Write an online, consistent copy of the SQLite database to a file (PostgreSQL: pg_dump)."`
	Restore    restoreCmd    `cmd:"" help:"Put a backup in place as the data folder's database (server stopped)."`
	Enterprise enterpriseCmd `cmd:"" help:"Register and manage enterprises directly in the database."`
	Tariff     tariffCmd     `cmd:"" help:"Load tariff tables into the database (CSV, contract §6)."`
	List       listCmd       `cmd:"" help:"Load the positive or negative list into the database (CSV)."`
	Product    productCmd    `cmd:"" help:"File an e-commerce enterprise's products in the database (CSV)."`
	CEB        cebCmd        `cmd:"" name:"ceb" help:"Validate, sign and verify CEB messages."`
	Export     exportCmd     `cmd:"" help:"Export (9610/9710/9810): summarize a month's lists into summary declarations, or report on them."`
	Trace      traceCmd      `cmd:"" help:"Traceability codes: list recent ones with their lookup URLs, or look one up."`
	Officer    officerCmd    `cmd:"" help:"Console officers: create one (the first platform admin) or list them."`
	Line       lineCmd       `cmd:"" help:"Sorting lines for joint inspection: add one with its scanner, or simulate one against a running server."`
	Settings   settingsCmd   `cmd:"" name:"config" help:"Print every setting with its default and meaning, or the effective configuration."`
	Version    versionCmd    `cmd:"" help:"Print the version: the module version, the VCS revision and commit time and whether the tree was modified (from the build information), and the Go version."`
	Demo       demoCmd       `cmd:"" help:"Seed demo enterprises and data into a server (or an embedded one) and play a realistic day of traffic."`
	Bench      benchCmd      `cmd:"" help:"Drive a running server with generated CEB traffic and report throughput, latency and errors."`
}

// env is what every command's Run receives.
type env struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	root   *root
}

// Main parses args, runs the command and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var r root
	exit := -1
	parser, err := kong.New(&r,
		kong.Name("cbec"),
		kong.Description("cbec — supervision and public services for cross-border e-commerce (跨境电子商务)."),
		kong.UsageOnError(),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exit = code }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, Summary: true}),
		settingDefaults(),
	)
	if err != nil {
		fmt.Fprintln(stderr, "cbec:", err)
		return 2
	}
	kctx, err := parser.Parse(args)
	if exit >= 0 { // --help, or a parse error already reported
		return exit
	}
	if err != nil {
		fmt.Fprintln(stderr, "cbec:", err)
		return 2
	}
	if err := kctx.Run(&env{ctx: ctx, stdout: stdout, stderr: stderr, root: &r}); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			return int(ee)
		}
		fmt.Fprintln(stderr, "cbec:", err)
		return 1
	}
	return 0
}

// settingDefaults lets a flag's help show the default of the setting it sets
// as it is declared in internal/config, not a copy: ${setting_log_level} in a
// help text is the default of log_level ("none" for an empty one).
func settingDefaults() kong.Vars {
	vars := kong.Vars{}
	name := strings.NewReplacer(".", "_", "<", "", ">", "")
	for _, p := range config.Params() {
		d := p.Default
		if d == "" {
			d = "none"
		}
		vars["setting_"+name.Replace(p.Key)] = d
	}
	return vars
}

// exitError ends a command with a code after it has reported its own problems.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// dbFlags choose the database; serve, migrate and enterprise share them.
type dbFlags struct {
	Data *string `help:"Folder of the embedded SQLite database (default ${setting_data})." env:"CBEC_DATA" placeholder:"DIR"`
	DB   *string `help:"PostgreSQL URL (postgres://user@host:5432/db) to use instead of the embedded SQLite database, or sqlite://PATH for a SQLite database file elsewhere than the data folder (default: ${setting_db})." env:"CBEC_DB" placeholder:"URL"`
}

// logFlags choose how the command logs.
type logFlags struct {
	LogLevel  *string `help:"Log level: debug, info, warn, error (default ${setting_log_level})." env:"CBEC_LOG_LEVEL" placeholder:"LEVEL"`
	LogFormat *string `help:"Log format: text or json (default ${setting_log_format})." env:"CBEC_LOG_FORMAT" placeholder:"FORMAT"`
}

// load builds the configuration: defaults, then the file, then flags and environment.
func (e *env) load(apply func(*config.Config)) (config.Config, error) {
	cfg := config.Default()
	if e.root.Config != "" {
		if err := cfg.LoadFile(e.root.Config); err != nil {
			return cfg, err
		}
	}
	cfg.AdminToken = os.Getenv("CBEC_ADMIN_TOKEN")
	cfg.SecretKey = os.Getenv("CBEC_SECRET_KEY")
	apply(&cfg)
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func (f dbFlags) apply(c *config.Config) {
	set(&c.Data, f.Data)
	set(&c.DB, f.DB)
}

func (f logFlags) apply(c *config.Config) {
	set(&c.LogLevel, f.LogLevel)
	set(&c.LogFormat, f.LogFormat)
}

func set(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

func (e *env) logger(cfg config.Config) *slog.Logger {
	return logging.New(e.stderr, cfg.LogLevel, cfg.LogFormat)
}
