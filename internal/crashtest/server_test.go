package crashtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// adminToken is the administrator token of the servers this package starts.
const adminToken = "crash-admin-token-0123456789"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

// TestMain removes the binary built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary builds cmd/cbec once per test run, or takes CBEC_CRASH_BIN (a
// binary built beforehand, e.g. to rerun a long campaign on a fixed build).
func binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("CBEC_CRASH_BIN"); b != "" {
		return b
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "cbec-crash-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "cbec")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/cbec")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// freeAddr picks a free loopback port.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// proc is one `cbec serve` process.
type proc struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

// lockedBuffer keeps the tail of a process's output for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 {
		rest := append([]byte(nil), l.b.Bytes()[l.b.Len()-64<<10:]...)
		l.b.Reset()
		l.b.Write(rest)
	}
	return l.b.Write(p)
}

// lines returns the lines that contain s.
func (l *lockedBuffer) lines(s string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}

// server starts and kills cbec serve processes on one address and database.
type server struct {
	t    testing.TB
	bin  string
	addr string
	env  []string
	p    *proc
}

func newServer(t testing.TB, env ...string) *server {
	return &server{t: t, bin: binary(t), addr: freeAddr(t), env: env}
}

func (s *server) url() string { return "http://" + s.addr }

// start runs the server and waits until /healthz answers.
func (s *server) start(wait time.Duration) error {
	cmd := exec.Command(s.bin, "serve", "--addr", s.addr, "--log-level", "warn")
	cmd.Env = append(append(os.Environ(), "CBEC_ADMIN_TOKEN="+adminToken), s.env...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	p := &proc{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	s.p = p
	s.t.Cleanup(func() { s.kill() })
	deadline := time.Now().Add(wait)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("server exited at start: %v\n%s", p.err, out)
		default:
		}
		if st, _, err := get(context.Background(), s.url()+"/healthz", ""); err == nil && st == 200 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not healthy after %s\n%s", wait, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to go.
func (s *server) kill() {
	if s.p == nil {
		return
	}
	select {
	case <-s.p.done:
	default:
		_ = s.p.cmd.Process.Signal(syscall.SIGKILL)
		<-s.p.done
	}
}

// stop sends SIGTERM and waits.
func (s *server) stop() error {
	if s.p == nil {
		return nil
	}
	_ = s.p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.p.done:
		return s.p.err
	case <-time.After(30 * time.Second):
		s.kill()
		return fmt.Errorf("server did not stop within 30s after SIGTERM")
	}
}

var httpClient = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}}

func do(ctx context.Context, method, url, token, ctype string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func get(ctx context.Context, url, token string) (int, []byte, error) {
	return do(ctx, "GET", url, token, "", nil)
}
