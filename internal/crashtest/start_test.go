package crashtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Start-up faults: the binary exits at once with an error that names the
// cause, instead of hanging or starting half-way.
func TestStartFaults(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	closed := freeAddr(t) // nothing listens there
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"database unreachable", []string{"CBEC_DB=postgres://postgres@" + closed + "/postgres?sslmode=disable&connect_timeout=3"}, "connect"},
		{"data folder is a file", []string{"CBEC_DATA=" + file}, "not-a-folder"},
	} {
		s := newServer(t, c.env...)
		start := time.Now()
		err := s.start(60 * time.Second)
		took := time.Since(start)
		if err == nil {
			t.Errorf("%s: the server started", c.name)
			s.kill()
			continue
		}
		if !strings.Contains(err.Error(), "server exited at start") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
		if took > 30*time.Second {
			t.Errorf("%s: took %s to give up", c.name, took)
		}
		t.Logf("%s: exits after %s: %s", c.name, took.Round(time.Millisecond), lastLine(err.Error()))
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
