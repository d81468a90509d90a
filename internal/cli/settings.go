package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/BurntSushi/toml"

	"github.com/cbec-platform/cbec/internal/config"
)

type settingsCmd struct {
	Effective bool `help:"Print the effective configuration (defaults, file, environment) as TOML instead of the table of settings."`
	dbFlags
}

func (c *settingsCmd) Run(e *env) error {
	if c.Effective {
		cfg, err := e.load(c.dbFlags.apply)
		if err != nil {
			return err
		}
		if cfg.DB != "" {
			cfg.DB = "(set)" // may hold a password
		}
		return toml.NewEncoder(e.stdout).Encode(cfg)
	}
	w := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SETTING\tDEFAULT\tMEANING")
	for _, p := range config.Params() {
		fmt.Fprintf(w, "%s\t%s\t%s\n", p.Key, p.Default, p.Description)
	}
	return w.Flush()
}
