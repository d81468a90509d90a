package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cbec-platform/cbec/internal/app"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/store"
)

type enterpriseCmd struct {
	Add       enterpriseAddCmd     `cmd:"" help:"Register an enterprise and print its API key (shown once)."`
	List      enterpriseListCmd    `cmd:"" help:"List enterprises."`
	Show      enterpriseShowCmd    `cmd:"" help:"Show one enterprise."`
	Update    enterpriseUpdateCmd  `cmd:"" help:"Change an enterprise; flags left out are unchanged."`
	Disable   enterpriseDisableCmd `cmd:"" help:"Disable an enterprise and revoke its API keys."`
	RotateKey enterpriseRotateCmd  `cmd:"" name:"rotate-key" help:"Revoke an enterprise's API keys and print a new one (shown once)."`
}

// registry opens the database and the enterprise service for a command.
func registry(e *env, f dbFlags) (*enterprise.Service, *store.DB, error) {
	cfg, err := e.load(func(c *config.Config) { f.apply(c); c.LogLevel = "warn" })
	if err != nil {
		return nil, nil, err
	}
	db, err := app.OpenDB(e.ctx, cfg, e.logger(cfg))
	if err != nil {
		return nil, nil, err
	}
	return &enterprise.Service{Store: db, ParseCerts: app.ParseCertificates, Now: time.Now}, db, nil
}

// openUnmigrated opens the database without changing its schema.
func openUnmigrated(e *env, cfg config.Config) (*store.DB, error) {
	return store.Open(e.ctx, cfg.DB, cfg.Data, store.Options{Synchronous: cfg.SQLiteSynchronous, MaxConns: 2})
}

// enterpriseFields are the editable fields, shared by add and update.
type enterpriseFields struct {
	Name                 *string  `help:"Enterprise name (at most 100 characters)."`
	USCC                 *string  `name:"uscc" help:"18-character unified social credit code; its check character is verified."`
	Role                 []string `help:"Role, repeatable: ebp, ebc, pay, logistics, agent, assure, area, lab, provider." placeholder:"ROLE"`
	CreditClass          *string  `help:"Credit class: advanced, certified, general, dishonest, seriously_dishonest (default general)." placeholder:"CLASS"`
	AbnormalList         *bool    `help:"On the market regulator's abnormal operations list." negatable:""`
	SeriousViolationList *bool    `help:"On the market regulator's serious violation list." negatable:""`
	Cert                 []string `help:"PEM certificate file (RSA or SM2) for message signatures, repeatable; on update replaces the list." type:"existingfile" placeholder:"FILE"`
}

func (f enterpriseFields) input(code string) (enterprise.Input, error) {
	in := enterprise.Input{Code: code, Name: f.Name, USCC: f.USCC, CreditClass: f.CreditClass,
		AbnormalList: f.AbnormalList, SeriousViolationList: f.SeriousViolationList}
	if len(f.Role) > 0 {
		roles := f.Role
		in.Roles = &roles
	}
	if len(f.Cert) > 0 {
		var pems []string
		for _, path := range f.Cert {
			b, err := os.ReadFile(path)
			if err != nil {
				return in, fmt.Errorf("--cert: %w", err)
			}
			pems = append(pems, string(b))
		}
		in.Certificates = &pems
	}
	return in, nil
}

type enterpriseAddCmd struct {
	Code string `arg:"" help:"10-character customs registration code."`
	enterpriseFields
	dbFlags
}

func (c *enterpriseAddCmd) Run(e *env) error {
	svc, db, err := registry(e, c.dbFlags)
	if err != nil {
		return err
	}
	defer db.Close()
	in, err := c.input(c.Code)
	if err != nil {
		return err
	}
	ent, key, err := svc.Create(e.ctx, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "registered %s %s\nAPI key (shown once): %s\n", ent.Code, ent.Name, key)
	return nil
}

type enterpriseListCmd struct {
	Role        string `help:"Only enterprises holding this role."`
	CreditClass string `help:"Only enterprises of this credit class."`
	Status      string `help:"Only active or disabled enterprises." enum:"active,disabled," default:""`
	JSON        bool   `name:"json" help:"Print JSON instead of a table."`
	dbFlags
}

func (c *enterpriseListCmd) Run(e *env) error {
	svc, db, err := registry(e, c.dbFlags)
	if err != nil {
		return err
	}
	defer db.Close()
	f := enterprise.Filter{Role: enterprise.Role(c.Role), CreditClass: enterprise.CreditClass(c.CreditClass), Status: enterprise.Status(c.Status), Limit: 1000}
	if c.Role != "" {
		if _, err := enterprise.ParseRole(c.Role); err != nil {
			return err
		}
	}
	if c.CreditClass != "" {
		if _, err := enterprise.ParseCreditClass(c.CreditClass); err != nil {
			return err
		}
	}
	var all []*enterprise.Enterprise
	for {
		page, err := svc.Store.ListEnterprises(e.ctx, f)
		if err != nil {
			return err
		}
		all = append(all, page...)
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1].Code
	}
	if c.JSON {
		return printJSON(e, all)
	}
	w := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CODE\tNAME\tROLES\tCREDIT\tSTATUS")
	for _, x := range all {
		roles := make([]string, len(x.Roles))
		for i, r := range x.Roles {
			roles[i] = string(r)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", x.Code, x.Name, strings.Join(roles, ","), x.CreditClass, x.Status)
	}
	return w.Flush()
}

type enterpriseShowCmd struct {
	Code string `arg:"" help:"Customs code."`
	dbFlags
}

func (c *enterpriseShowCmd) Run(e *env) error {
	svc, db, err := registry(e, c.dbFlags)
	if err != nil {
		return err
	}
	defer db.Close()
	ent, err := svc.Store.GetEnterprise(e.ctx, c.Code)
	if err != nil {
		return err
	}
	return printJSON(e, ent)
}

type enterpriseUpdateCmd struct {
	Code string `arg:"" help:"Customs code."`
	enterpriseFields
	dbFlags
}

func (c *enterpriseUpdateCmd) Run(e *env) error {
	svc, db, err := registry(e, c.dbFlags)
	if err != nil {
		return err
	}
	defer db.Close()
	in, err := c.input("")
	if err != nil {
		return err
	}
	ent, err := svc.Update(e.ctx, c.Code, in)
	if err != nil {
		return err
	}
	return printJSON(e, ent)
}

type enterpriseDisableCmd struct {
	Code string `arg:"" help:"Customs code."`
	dbFlags
}

func (c *enterpriseDisableCmd) Run(e *env) error {
	svc, db, err := registry(e, c.dbFlags)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := svc.Disable(e.ctx, c.Code); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "disabled %s; its API keys are revoked\n", c.Code)
	return nil
}

type enterpriseRotateCmd struct {
	Code string `arg:"" help:"Customs code."`
	dbFlags
}

func (c *enterpriseRotateCmd) Run(e *env) error {
	svc, db, err := registry(e, c.dbFlags)
	if err != nil {
		return err
	}
	defer db.Close()
	key, err := svc.RotateKey(e.ctx, c.Code)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "new API key for %s (shown once): %s\n", c.Code, key)
	return nil
}

func printJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
