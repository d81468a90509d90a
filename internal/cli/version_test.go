package cli

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionFromBuildInfo(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cbec-platform/cbec", Version: "v0.3.1"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "4f1c0e5a9b3d4c2e8f6a1b0c9d8e7f6a5b4c3d2e"},
			{Key: "vcs.time", Value: "2026-12-06T04:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		name     string
		info     *debug.BuildInfo
		override string
		want     []string
	}{
		{"installed from a tag", info, "", []string{"cbec v0.3.1\n", "module    github.com/cbec-platform/cbec v0.3.1",
			"revision  4f1c0e5a9b3d4c2e8f6a1b0c9d8e7f6a5b4c3d2e (git, modified)", "committed 2026-12-06T04:00:00Z", "go        go1.26.8"}},
		{"set by the linker", info, "v9.9.9", []string{"cbec v9.9.9\n", "module    github.com/cbec-platform/cbec v0.3.1"}},
		{"no VCS information", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cbec-platform/cbec", Version: "(devel)"}},
			"", []string{"cbec (devel)\n", "revision  unknown"}},
		{"no build information", nil, "", []string{"cbec (devel)\n", "no build information"}},
	} {
		var b strings.Builder
		writeVersion(&b, tc.info, tc.override)
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: %q lacks %q", tc.name, b.String(), w)
			}
		}
	}
}
