package cli

import (
	"fmt"
	"io"
	"runtime/debug"
)

// version may be set at build time, e.g. for a package build:
// -ldflags "-X github.com/cbec-platform/cbec/internal/cli.version=v1.2.3".
// Without it the module version from the build info is shown: the tag
// with `go install …/cmd/cbec@v1.2.3`, a pseudo-version or "(devel)" in a
// checkout.
var version = ""

type versionCmd struct{}

func (versionCmd) Run(e *env) error {
	info, _ := debug.ReadBuildInfo() // nil when the binary has none
	writeVersion(e.stdout, info, version)
	return nil
}

// writeVersion prints the version and what the build info says about the
// source: module, VCS revision and commit time, uncommitted changes, Go.
func writeVersion(w io.Writer, info *debug.BuildInfo, override string) {
	v := override
	if v == "" && info != nil {
		v = info.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	fmt.Fprintf(w, "cbec %s\n", v)
	if info == nil {
		fmt.Fprintln(w, "  no build information in this binary")
		return
	}
	if info.Main.Path != "" {
		fmt.Fprintf(w, "  module    %s %s\n", info.Main.Path, info.Main.Version)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		state := "clean"
		if settings["vcs.modified"] == "true" {
			state = "modified"
		}
		fmt.Fprintf(w, "  revision  %s (%s, %s)\n", rev, settings["vcs"], state)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(w, "  committed %s\n", t)
		}
	} else {
		fmt.Fprintln(w, "  revision  unknown (none recorded: installed with go install …@version, built outside a checkout, or with -buildvcs=false)")
	}
	fmt.Fprintf(w, "  go        %s\n", info.GoVersion)
}
