package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/console"
)

type lineCmd struct {
	Add      lineAddCmd      `cmd:"" help:"Create a sorting line with one scanner and print the scanner's token (shown once)."`
	Simulate lineSimulateCmd `cmd:"" help:"Play a sorting line against a running server: parcels of declared inventories pass its scanner, inspection-selected ones (500) first, and the divert instruction of each is printed."`
}

// cliOfficer is the actor of changes made from the command line, in the audit log.
var cliOfficer = &console.Officer{ID: "cli", Username: "cli", Name: "command line", Department: console.Admin}

type lineAddCmd struct {
	dbFlags
	Name      string `arg:"" help:"Name of the line, e.g. 1号线."`
	Warehouse string `help:"Warehouse the line belongs to (default none)." placeholder:"NAME"`
	Scanner   string `help:"Name of its scanner (default X光机1)." default:"X光机1"`
}

func (c *lineAddCmd) Run(e *env) error {
	s, done, err := officerService(e, c.dbFlags)
	if err != nil {
		return err
	}
	defer done()
	l, err := s.CreateLine(e.ctx, cliOfficer, c.Name, c.Warehouse)
	if err != nil {
		return err
	}
	tok, err := s.AddScanner(e.ctx, cliOfficer, l.ID, c.Scanner)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "line %s (%s)\nscanner token (shown once): %s\nscreens: /console/officer/lines/%s\n", l.Name, l.ID, tok, l.ID)
	return nil
}

type lineSimulateCmd struct {
	dbFlags
	Server  string  `required:"" help:"URL of the running cbec server." env:"CBEC_SERVER" placeholder:"URL"`
	Line    string  `help:"Line id; with its scanner token (--token). Default: a new line 演示分拣线 with a new scanner." placeholder:"ID"`
	Token   string  `help:"Scanner token of --line." env:"CBEC_SCANNER_TOKEN" placeholder:"TOKEN"`
	Parcels int     `help:"Parcels to pass (default 20)." default:"20"`
	Rate    float64 `help:"Parcels per second (default 1)." default:"1"`
}

func (c *lineSimulateCmd) Run(e *env) error {
	if c.Parcels < 1 || c.Rate <= 0 || c.Rate > 100 {
		return fmt.Errorf("--parcels must be at least 1 and --rate between 0 and 100")
	}
	if (c.Line == "") != (c.Token == "") {
		return fmt.Errorf("--line and --token go together (or leave both out for a new line)")
	}
	s, done, err := officerService(e, c.dbFlags)
	if err != nil {
		return err
	}
	defer done()
	if c.Line == "" {
		l, err := s.CreateLine(e.ctx, cliOfficer, "演示分拣线", "保税仓")
		if err != nil {
			return err
		}
		if c.Token, err = s.AddScanner(e.ctx, cliOfficer, l.ID, "X光机1"); err != nil {
			return err
		}
		c.Line = l.ID
		fmt.Fprintf(e.stdout, "line 演示分拣线 (%s), scanner token %s\n", l.ID, c.Token)
	}
	fmt.Fprintf(e.stdout, "screens: %s/console/officer/lines/%s (log in as a customs and an inspection officer in two windows)\n", strings.TrimRight(c.Server, "/"), c.Line)
	list, err := s.DB.ParcelsToScan(e.ctx, c.Parcels)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return fmt.Errorf("no inventory in status 500 or 800 yet: run cbec demo first")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	tick := time.NewTicker(time.Duration(float64(time.Second) / c.Rate))
	defer tick.Stop()
	for i, p := range list {
		if i > 0 {
			select {
			case <-e.ctx.Done():
				return e.ctx.Err()
			case <-tick.C:
			}
		}
		body, _ := json.Marshal(map[string]string{"logisticsNo": p.LogisticsNo, "imageRef": fmt.Sprintf("xray://%s/%06d", c.Line, i+1)})
		req, err := http.NewRequestWithContext(e.ctx, "POST", strings.TrimRight(c.Server, "/")+"/api/v1/sorting-lines/"+c.Line+"/scans", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+c.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		var out struct {
			ParcelID, Divert string
			Error            struct{ Message string }
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("scan %s: HTTP %d %s", p.LogisticsNo, resp.StatusCode, out.Error.Message)
		}
		fmt.Fprintf(e.stdout, "%3d  %-24s inventory %s  divert %s\n", i+1, p.LogisticsNo, p.Status, out.Divert)
	}
	return nil
}
