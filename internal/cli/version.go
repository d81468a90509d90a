package cli

import (
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X cbec/internal/cli.version=v1.2.3".
var version = "dev"

type versionCmd struct{}

func (versionCmd) Run(e *env) error {
	rev, dirty := "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	out := "cbec " + version
	if rev != "" {
		out += " (" + rev[:min(12, len(rev))]
		if dirty {
			out += ", modified"
		}
		out += ")"
	}
	fmt.Fprintln(e.stdout, out)
	return nil
}
