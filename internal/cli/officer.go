package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/app"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/console"
	"github.com/cbec-platform/cbec/internal/errs"
)

type officerCmd struct {
	Add  officerAddCmd  `cmd:"" help:"Create a console officer (the first platform admin, or any officer); the password is read from CBEC_OFFICER_PASSWORD or the first line of standard input."`
	List officerListCmd `cmd:"" help:"List console officers."`
}

type officerAddCmd struct {
	dbFlags
	Username   string `arg:"" help:"Login name: 3–32 characters of a–z, 0–9, '.', '_', '-'."`
	Name       string `required:"" help:"The officer's name as shown in the console and the audit log."`
	Department string `required:"" help:"customs, inspection, market, commerce or admin (platform admin)." placeholder:"DEPT"`
	Supervisor bool   `help:"A supervisor of the customs or inspection side: may reopen that side's finding at the inspection bench."`
}

func officerService(e *env, f dbFlags) (*console.Service, func(), error) {
	cfg, err := e.load(func(c *config.Config) { f.apply(c); c.LogLevel = "warn" })
	if err != nil {
		return nil, nil, err
	}
	db, err := app.OpenDB(e.ctx, cfg, e.logger(cfg))
	if err != nil {
		return nil, nil, err
	}
	return &console.Service{DB: db, Now: time.Now}, func() { db.Close() }, nil
}

func (c *officerAddCmd) Run(e *env) error {
	pw := os.Getenv("CBEC_OFFICER_PASSWORD")
	if pw == "" {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("password: set CBEC_OFFICER_PASSWORD or write it on standard input")
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	s, done, err := officerService(e, c.dbFlags)
	if err != nil {
		return err
	}
	defer done()
	o, err := s.AddOfficer(e.ctx, console.OfficerInput{Username: c.Username, Name: c.Name, Department: c.Department, Password: pw, Supervisor: c.Supervisor}, nil)
	var list errs.List
	if errors.As(err, &list) {
		var msgs []string
		for _, p := range list {
			msgs = append(msgs, p.Error())
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "officer %s (%s, %s) created: log in at /console/officer/login\n", o.Username, o.Name, o.Department)
	return nil
}

type officerListCmd struct {
	dbFlags
}

func (c *officerListCmd) Run(e *env) error {
	s, done, err := officerService(e, c.dbFlags)
	if err != nil {
		return err
	}
	defer done()
	list, err := s.Officers(e.ctx)
	if err != nil {
		return err
	}
	for _, o := range list {
		state := "active"
		if o.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(e.stdout, "%-20s %-12s %-8s %s\n", o.Username, o.Department, state, o.Name)
	}
	return nil
}
