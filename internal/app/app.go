// Package app wires the platform together: configuration → database →
// services → HTTP server. It is the only package that imports everything.
package app

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/cbec-platform/cbec/internal/bonded"
	"github.com/cbec-platform/cbec/internal/clearance"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/console"
	"github.com/cbec-platform/cbec/internal/engine"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/export"
	"github.com/cbec-platform/cbec/internal/httpapi"
	"github.com/cbec-platform/cbec/internal/intake"
	"github.com/cbec-platform/cbec/internal/logistics"
	"github.com/cbec-platform/cbec/internal/metrics"
	"github.com/cbec-platform/cbec/internal/money"
	"github.com/cbec-platform/cbec/internal/provider"
	"github.com/cbec-platform/cbec/internal/refdata"
	"github.com/cbec-platform/cbec/internal/risk"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/support"
	"github.com/cbec-platform/cbec/internal/tax"
	"github.com/cbec-platform/cbec/internal/trace"
	"github.com/cbec-platform/cbec/internal/tracing"
	"github.com/cbec-platform/cbec/internal/vault"
	"github.com/cbec-platform/cbec/internal/webhook"
	"github.com/cbec-platform/cbec/internal/xmlsig"
)

// App is a running platform.
type App struct {
	Config      config.Config
	Log         *slog.Logger
	DB          *store.DB
	Enterprises *enterprise.Service
	Reference   *refdata.Service
	Vault       *vault.Vault
	Batch       *store.Batcher
	Intake      *intake.Service
	Engine      *engine.Engine
	API         *httpapi.API
	Bonded      *bonded.Service
	Trace       *trace.Service
	Providers   *provider.Service
	Logistics   *logistics.Service
	Support     *support.Service
	Risk        *risk.Service
	Export      *export.Service
	Officers    *console.Service

	listener    net.Listener
	server      *http.Server
	stopTracing func(context.Context) error // flushes the spans not yet sent; nil when tracing is off
}

// Open opens and migrates the database and builds the services, for commands
// that work on the platform without serving it. out receives one-time notices
// meant for the operator (the generated admin token).
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer) (*App, error) {
	return open(ctx, cfg, log, out, false)
}

// OpenServer is Open for a server: it also binds cfg.Addr (Addr tells the
// address bound, useful with port 0), before anything is created.
func OpenServer(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer) (*App, error) {
	return open(ctx, cfg, log, out, true)
}

// open checks everything that can refuse a start — the settings, the
// database, the secret key, the port — before it creates what is shown or
// written once (a new secret.key, the generated administrator token): a
// refused start leaves nothing behind, and the next start still shows the token.
func open(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer, listen bool) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db, err := openDB(ctx, cfg, log, listen)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: log, DB: db}
	// Tracing is set up before start, which creates what a first start
	// creates: a set-up that fails must refuse the start with nothing left behind.
	if cfg.OTLPEndpoint != "" {
		if a.stopTracing, err = tracing.Setup(ctx, cfg.OTLPEndpoint, moduleVersion()); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := a.start(ctx, out, listen); err != nil {
		if a.listener != nil {
			a.listener.Close()
		}
		if a.stopTracing != nil {
			_ = a.stopTracing(ctx) // nothing was traced yet
		}
		db.Close()
		return nil, err
	}
	if cfg.OTLPEndpoint != "" {
		log.Info("tracing on", "otlp_endpoint", cfg.OTLPEndpoint)
	}
	return a, nil
}

// moduleVersion is the module version the binary was built from, for the traces' service.version.
func moduleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		return info.Main.Version
	}
	return ""
}

// start runs the checks, then creates what a first start creates, then builds the services.
func (a *App) start(ctx context.Context, out io.Writer, listen bool) error {
	v, saveKey, err := vault.Prepare(a.Config.SecretKey, a.Config.Data)
	if err != nil {
		return err
	}
	a.Vault = v
	mark, err := a.checkSecretKey(ctx, saveKey != nil)
	if err != nil {
		return err
	}
	if a.Config.AdminToken != "" && len(a.Config.AdminToken) < 16 {
		return errors.New("CBEC_ADMIN_TOKEN: use at least 16 characters")
	}
	if listen {
		if err := a.listen(); err != nil {
			return err
		}
	}
	if saveKey != nil {
		if err := saveKey(); err != nil {
			return fmt.Errorf("secret key: %w", err)
		}
	}
	if err := a.claimSecretKey(ctx, mark); err != nil {
		return err
	}
	adminHash, err := a.adminTokenHash(ctx, out)
	if err != nil {
		return err
	}
	return a.build(ctx, adminHash)
}

// build creates the services on the open database.
func (a *App) build(ctx context.Context, adminHash string) error {
	cfg, log, db := a.Config, a.Log, a.DB
	parties := enterprise.NewCache(db, 5*time.Second)
	a.Enterprises = &enterprise.Service{Store: db, ParseCerts: ParseCertificates, Now: time.Now, Cache: parties}
	rules, err := clearanceRules(cfg.Rules)
	if err != nil {
		return err
	}
	// Reference data: the starter tables are seeded into an empty database,
	// everything stored is loaded, and a reload every 30 s until ctx ends
	// picks up what other nodes imported.
	if a.Reference, err = refdata.Open(ctx, db, refdata.Options{Log: log}); err != nil {
		return err
	}
	// SQLite has a single writer. On PostgreSQL several batches of a node
	// write at once (db_writers), alongside other nodes' (see store.Batcher
	// for how they share hot rows); each holds a connection of the pool while
	// it writes. Two paid on the measured machine with the database on it:
	// decisions share hot rows (a guarantee, an item's stock, risk
	// counters), so more mostly waited for each other's locks. A database a
	// network hop away makes each writer wait for round trips instead, and
	// more writers fill that time (docs/performance.md).
	workers := 1
	if db.Engine == store.Postgres {
		workers = cfg.DBWriters
	}
	a.Batch = db.NewBatcher(workers, 128)
	clock := time.Now
	if cfg.Clock != nil {
		clock = cfg.Clock
	}
	// Each engine worker reads a batch of inventories, then waits for the
	// writer to record its decisions; more workers keep the writer fed while
	// others wait (2 workers judged about 760 inventories/s of 100-inventory
	// messages on SQLite, 8 about 1,200/s). On PostgreSQL every read is a
	// round trip, which more inventories in flight hide too.
	a.Engine = &engine.Engine{DB: db, Batch: a.Batch, Rules: rules, Ref: a.Reference, Parties: parties, Now: clock, Log: log, Workers: 8}
	if db.Engine == store.Postgres {
		// Other nodes may have stored filings this node has not loaded yet.
		a.Engine.RefreshProducts = a.Reference.RefreshProducts
	}
	a.Engine.Init()
	a.Intake = &intake.Service{DB: db, Batch: a.Batch, Vault: a.Vault, Parties: parties, SignaturePolicy: cfg.SignaturePolicy,
		DocumentWait: time.Duration(cfg.Rules.DocumentWait), GuaranteeModes: cfg.Rules.GuaranteeTradeModes, Now: clock, Wake: a.Engine.Wake, Log: log}
	a.Intake.RegisterRetail()
	r := cfg.Rules
	a.Bonded = &bonded.Service{DB: db, Batch: a.Batch, Parties: parties, Products: bonded.Filings{Ref: a.Reference}, Now: clock, Log: log,
		Every: time.Duration(r.BillingInterval), Params: bonded.Params{ReturnApplyDays: r.ReturnApplyDays, ReturnArriveDays: r.ReturnArriveDays,
			BillAfterDays: r.BillAfterDays, BillDueDays: r.BillDueDays, TallyDeadline: time.Duration(r.TallyDeadline),
			BlockOverdue: r.BlockOverdueGuarantor, GuaranteeModes: r.GuaranteeTradeModes}}
	a.Bonded.Register(a.Intake)
	a.Engine.Effects = append(a.Engine.Effects, a.Bonded.Effects()...)
	// Export (rules §11): its message types through intake, its own judge and the summary job.
	x := r.Export
	xp, err := export.ParamsFrom(x.SummaryDay, time.Duration(x.SummaryLead), time.Duration(x.SummaryInterval), x.ForexOverdueDays, x.ReturnMonths,
		x.ReturnPolicyFrom, x.ReturnPolicyUntil, x.FoodHS, x.ProhibitedHS, x.SimplifiedLimit)
	if err != nil {
		return err
	}
	a.Export = &export.Service{DB: db, Batch: a.Batch, Parties: parties, Params: xp, Rules: rules,
		DocumentWait: time.Duration(r.DocumentWait), Now: clock, Log: log}
	a.Export.Register(a.Intake)
	// Quality and traceability: recalls and failed lab tests hold releases;
	// the code issuer must stay the last effect, so no later one can refuse a
	// release it has already coded.
	a.Trace = &trace.Service{DB: db, Ref: a.Reference, Parties: parties, Now: time.Now, Log: log}
	if err := a.Trace.Reload(ctx); err != nil {
		return err
	}
	a.Engine.Checks = append(a.Engine.Checks, trace.HoldCheck{S: a.Trace})
	// Risk (rules §5, §9): emergency measures and risk rules judge every
	// passed inventory; the direct-connect flag decides the identity comparison.
	a.Risk = &risk.Service{DB: db, Engine: a.Engine, Parties: parties, Ref: a.Reference, Rates: rules.InspectionRates,
		SingleLimit: rules.SingleLimit, AnnualLimit: rules.AnnualLimit, Now: clock, Log: log}
	if err := a.Risk.Reload(ctx); err != nil {
		return err
	}
	a.Engine.Checks = append(a.Engine.Checks, risk.Check{S: a.Risk})
	a.Engine.DirectConnect = a.Risk.DirectConnect
	a.Risk.Exports = a.Export
	a.Export.Measures = func(doc *clearance.Inventory) (string, bool) {
		if m := a.Risk.Blocking(doc); m != nil {
			return fmt.Sprintf("measure %s: %s %s, %s", m.ID, m.Kind, m.Value, m.Reason), true
		}
		return "", false
	}
	a.Engine.Effects = append(a.Engine.Effects, &trace.Issuer{Ref: a.Reference})
	// Technical service providers transmit for authorising clients; logistics
	// channels and the service response centre (issue 12).
	a.Providers = &provider.Service{DB: db, Parties: parties, Now: clock, Types: a.Intake.Types}
	a.Intake.Delegates = a.Providers
	a.Logistics = &logistics.Service{DB: db, Now: clock, Log: log, StuckAfter: time.Duration(cfg.Logistics.StuckAfter), Every: time.Duration(cfg.Logistics.AlertInterval)}
	a.Support = &support.Service{DB: db, Now: clock, Log: log, ResponseSLA: time.Duration(cfg.Support.ResponseSLA),
		ResolveSLA: time.Duration(cfg.Support.ResolveSLA), Every: time.Duration(cfg.Support.EscalationInterval),
		RetentionDays: cfg.Support.MessageRetentionDays, CertWarning: time.Duration(cfg.Support.CertificateWarning)}
	// Officer console and joint inspection at the sorting line (issue 8).
	xray, err := config.XrayImageSource(cfg.Console.XrayImageBase)
	if err != nil {
		return fmt.Errorf("console.xray_image_base: %w", err)
	}
	a.Officers = &console.Service{DB: db, Engine: a.Engine, Vault: a.Vault, Now: clock, Log: log, Hub: console.NewHub(),
		SessionTTL: 8 * time.Hour, MaxFailures: 5, FailureWindow: 15 * time.Minute, BackoffBase: 30 * time.Second, Guard: console.RiskGuard(a.Risk), Risk: a.Risk, Bonded: a.Bonded,
		XrayImageSource: xray}
	limits := httpapi.RateLimits{EnterprisePerSecond: cfg.RateLimit.EnterprisePerSecond, EnterpriseBurst: cfg.RateLimit.EnterpriseBurst,
		ProviderPerSecond: cfg.RateLimit.ProviderPerSecond, ProviderBurst: cfg.RateLimit.ProviderBurst,
		QuotaAddressPerMinute: cfg.RateLimit.QuotaAddressPerMinute, QuotaAddressBurst: cfg.RateLimit.QuotaAddressBurst,
		QuotaIDPerMinute: cfg.RateLimit.QuotaIDPerMinute, QuotaIDBurst: cfg.RateLimit.QuotaIDBurst,
		FailedAuthPerMinute: cfg.RateLimit.FailedAuthPerMinute, FailedAuthBurst: cfg.RateLimit.FailedAuthBurst}
	guard, err := webhook.NewGuard(cfg.Webhook.Allow)
	if err != nil {
		return err
	}
	m := metrics.New(db.Pools())
	m.Writer(func() metrics.WriterTotals { return metrics.WriterTotals(db.WriterStats()) })
	a.API = &httpapi.API{
		Webhooks:       guard,
		SecureCookies:  cfg.SecureCookies,
		Enterprises:    a.Enterprises,
		Reference:      a.Reference,
		Ready:          db.Ping,
		AdminTokenHash: adminHash,
		Log:            log,
		Metrics:        m,
		MaxBodyBytes:   cfg.MaxBodyBytes,
		Intake:         a.Intake,
		Store:          db,
		Vault:          a.Vault,
		AnnualLimit:    rules.AnnualLimit,
		Bonded:         a.Bonded,
		Trace:          a.Trace,
		Logistics:      a.Logistics,
		Providers:      a.Providers,
		Support:        a.Support,
		RateLimits:     limits,
		Risk:           a.Risk,
		Export:         a.Export,
		Officers:       a.Officers,
	}
	return nil
}

// clearanceRules turns the validated rule settings into the decision's parameters.
func clearanceRules(r config.Rules) (*clearance.Rules, error) {
	single, err1 := money.ParseAmount(r.SingleLimit)
	annual, err2 := money.ParseAmount(r.AnnualLimit)
	cut, err3 := money.ParseDecimal(r.TaxCut)
	step, err4 := money.ParseAmount(r.TaxRounding)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	calc, err := tax.NewCalculator(tax.Params{Reduction: cut, Step: step})
	if err != nil {
		return nil, err
	}
	rates := map[enterprise.CreditClass]money.Decimal{}
	for class, v := range r.InspectionRates {
		d, err := money.ParseDecimal(v)
		if err != nil {
			return nil, fmt.Errorf("rules.inspection_rates.%s: %w", class, err)
		}
		rates[enterprise.CreditClass(class)] = d
	}
	return &clearance.Rules{SingleLimit: single, AnnualLimit: annual, Tax: calc, InspectionRates: rates}, nil
}

// OpenDB opens the configured database and applies pending migrations.
func OpenDB(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, error) {
	return openDB(ctx, cfg, log, false)
}

// openDB is OpenDB; a server (serving) first makes itself the one server of
// a SQLite database (store.DB.HoldForServing), before it migrates anything.
func openDB(ctx context.Context, cfg config.Config, log *slog.Logger, serving bool) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DB, cfg.Data, store.Options{Synchronous: cfg.SQLiteSynchronous, MaxConns: cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	if serving {
		if err := db.HoldForServing(); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := db.Migrate(ctx, log); err != nil {
		db.Close()
		return nil, err
	}
	log.Info("database ready", "engine", db.Engine, "location", db.Location)
	return db, nil
}

const adminTokenSetting = "admin_token_hash"

// adminTokenHash returns the hash of the admin token: CBEC_ADMIN_TOKEN when
// set, else the one generated at first start, which is printed exactly once.
func (a *App) adminTokenHash(ctx context.Context, out io.Writer) (string, error) {
	if tok := a.Config.AdminToken; tok != "" {
		return enterprise.HashKey(tok), nil
	}
	hash, found, err := a.DB.Setting(ctx, adminTokenSetting)
	if err != nil {
		return "", err
	}
	if found {
		return hash, nil
	}
	tok, err := enterprise.NewSecret()
	if err != nil {
		return "", err
	}
	hash = enterprise.HashKey(tok)
	if err := a.DB.PutSetting(ctx, adminTokenSetting, hash, time.Now()); err != nil {
		return "", err
	}
	fmt.Fprintf(out, "\nAdministrator token (shown once; keep it safe, or set CBEC_ADMIN_TOKEN):\n\n    %s\n\n", tok)
	return hash, nil
}

// secretKeySetting holds a keyed hash of a fixed text under the secret key
// the database was first written with; it tells nothing about the key.
const secretKeySetting = "secret_key_check"

// checkSecretKey refuses to start with a secret key other than the one the
// database's personal data was hashed and sealed with: a node of a
// deployment started without the shared CBEC_SECRET_KEY would make its own,
// hash one buyer's ID number differently and keep a second annual quota for
// the same person; a lost secret.key replaced by a new one would make every
// sealed message unreadable without a word. It only reads; newKey tells that
// the key was just generated because secret.key is missing. It returns the
// database's mark of the key.
func (a *App) checkSecretKey(ctx context.Context, newKey bool) (string, error) {
	mark := a.Vault.Hash("key-check", "cbec secret key")
	stored, found, err := a.DB.Setting(ctx, secretKeySetting)
	switch {
	case err != nil:
		return "", err
	case found && stored != mark && newKey:
		return "", fmt.Errorf("secret key: this database was written with another secret key, and this node has none "+
			"(no CBEC_SECRET_KEY, no %s): a database restored without its secret.key needs that file back, restore it from its backup; "+
			"every node of a deployment needs the same CBEC_SECRET_KEY. A new key cannot replace it, so none was written",
			filepath.Join(a.Config.Data, "secret.key"))
	case found && stored != mark:
		return "", errWrongKey
	}
	return mark, nil
}

var errWrongKey = errors.New("secret key: this database was written with another secret key (CBEC_SECRET_KEY, or secret.key in the data folder); " +
	"every node of a deployment needs the same CBEC_SECRET_KEY, and a lost key cannot be replaced by a new one: restore it from its backup")

// claimSecretKey records the key's mark in a new database; of several nodes
// starting together on one, the first decides and the others check against it.
func (a *App) claimSecretKey(ctx context.Context, mark string) error {
	stored, err := a.DB.ClaimSetting(ctx, secretKeySetting, mark, time.Now())
	if err != nil {
		return err
	}
	if stored != mark {
		return errWrongKey
	}
	return nil
}

// listen binds the configured address.
func (a *App) listen() error {
	l, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	a.listener = l
	return nil
}

// Addr is the bound address.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Serve serves HTTP until ctx is cancelled, then stops accepting, lets requests
// in flight finish (up to the shutdown timeout) and returns.
func (a *App) Serve(ctx context.Context) error {
	if a.listener == nil {
		return errors.New("serve: the platform was opened without an address (use OpenServer)")
	}
	a.server = &http.Server{
		Handler:           a.API.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	engineCtx, stopEngine := context.WithCancel(context.Background())
	engineDone := make(chan struct{})
	go func() {
		a.Engine.Run(engineCtx)
		close(engineDone)
	}()
	hooks := &webhook.Deliverer{DB: a.DB, Client: a.API.Webhooks.Client(10 * time.Second), Now: time.Now, Log: a.Log}
	var jobs sync.WaitGroup
	for _, run := range []func(context.Context){hooks.Run, a.Trace.Run, a.Risk.Run, a.relayLive} {
		jobs.Go(func() { run(engineCtx) })
	}
	jobs.Go(func() { a.lead(engineCtx, a.leaderJobs()) })
	defer func() {
		// Requests in flight are finished first; then the engine stops and the
		// writer drains, so nothing acknowledged is left half done.
		stopEngine()
		<-engineDone
		jobs.Wait()
		a.Batch.Close()
	}()
	errc := make(chan error, 1)
	a.server.RegisterOnShutdown(a.Officers.Hub.Shutdown) // live console screens hang up
	go func() { errc <- a.server.Serve(a.listener) }()
	a.Log.Info("serving", "addr", a.Addr())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.Log.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(a.Config.ShutdownTimeout))
	defer cancel()
	if err := a.server.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Close sends the spans not yet sent and releases the address (if Serve did not) and the database.
func (a *App) Close() error {
	if a.stopTracing != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := a.stopTracing(ctx); err != nil {
			a.Log.Warn("sending the last traces failed", "error", err)
		}
		cancel()
	}
	if a.listener != nil {
		_ = a.listener.Close() // already closed once served
	}
	err := a.DB.Close()
	a.Log.Info("database closed")
	return err
}

// ParseCertificates adapts the signature package's certificate parser to the registry.
func ParseCertificates(pemText []byte) ([]enterprise.Certificate, error) {
	certs, err := xmlsig.ParseCertificatesPEM(pemText)
	if err != nil {
		return nil, err
	}
	out := make([]enterprise.Certificate, len(certs))
	for i, c := range certs {
		out[i] = enterprise.Certificate{
			Fingerprint: c.Fingerprint, Algorithm: c.KeyAlgorithm, Subject: c.Subject, Serial: c.SerialHex(),
			NotAfter: c.NotAfter, PEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER})),
		}
	}
	return out, nil
}
