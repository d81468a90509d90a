package cli

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/app"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/store"
	"github.com/cbec-platform/cbec/internal/store/storetest"
	"github.com/cbec-platform/cbec/internal/vault"
)

// startupCase is one data folder or database on which serve is refused.
type startupCase struct {
	dir  string   // data folder (holds secret.key)
	args []string // database flags for the command
	cfg  func(*config.Config)
}

func startupEngines(t *testing.T, fn func(t *testing.T, c startupCase)) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		fn(t, startupCase{dir: dir, args: []string{"--data", dir}, cfg: func(c *config.Config) { c.Data = dir }})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.PostgresDSN(t)
		dir := t.TempDir()
		t.Setenv("CBEC_DATA", dir)
		fn(t, startupCase{dir: dir, args: []string{"--db", dsn}, cfg: func(c *config.Config) { c.Data, c.DB = dir, dsn }})
	})
}

// firstStart opens the platform once, as an earlier node or an earlier life
// of this one did, with the administrator token from the environment (so no
// token is stored) and the given secret key ("" = secret.key in the folder).
func firstStart(t *testing.T, c startupCase, secretKey string) {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.AdminToken = "first-start-admin-token-0123"
	cfg.SecretKey = secretKey
	c.cfg(&cfg)
	a, err := app.OpenServer(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatalf("first start: %v", err)
	}
	a.Close()
}

// nothingLeftBehind checks that a refused start printed no administrator
// token, stored none and wrote no secret key.
func nothingLeftBehind(t *testing.T, c startupCase, stdout string) {
	t.Helper()
	if strings.Contains(stdout, "Administrator token") {
		t.Errorf("a refused start printed an administrator token:\n%s", stdout)
	}
	cfg := config.Default()
	c.cfg(&cfg)
	db, err := store.Open(context.Background(), cfg.DB, cfg.Data, store.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, found, err := db.Setting(context.Background(), "admin_token_hash"); err != nil || found {
		t.Errorf("a refused start stored an administrator token (found %v, %v): the next start will not show one", found, err)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "secret.key")); err == nil {
		t.Errorf("a refused start left a new secret.key in the data folder")
	}
}

// Issue 16 item 10: with the port in use, serve refuses before it creates the
// administrator token or the secret key.
func TestServeRefusedOnBusyPortLeavesNothing(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	t.Setenv("CBEC_ADMIN_TOKEN", "")
	t.Setenv("CBEC_SECRET_KEY", "")
	startupEngines(t, func(t *testing.T, c startupCase) {
		code, out, errOut := run(t, append([]string{"serve", "--addr", busy.Addr().String()}, c.args...)...)
		if code != 1 || !strings.Contains(errOut, "listen on "+busy.Addr().String()) {
			t.Fatalf("exit %d, want 1 naming the address\n%s", code, errOut)
		}
		nothingLeftBehind(t, c, out)
	})
}

// Issue 16 item 10: a node started with another node's secret key is refused
// before it creates the administrator token.
func TestServeRefusedWithAnotherKeyLeavesNothing(t *testing.T) {
	mine, err := vault.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := vault.NewSecret()
	t.Setenv("CBEC_ADMIN_TOKEN", "")
	startupEngines(t, func(t *testing.T, c startupCase) {
		firstStart(t, c, mine)
		t.Setenv("CBEC_SECRET_KEY", other)
		code, out, errOut := run(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...)...)
		if code != 1 || !strings.Contains(errOut, "another secret key") {
			t.Fatalf("exit %d, want 1 naming the key\n%s", code, errOut)
		}
		nothingLeftBehind(t, c, out)
	})
}

// Issue 18: a database restored without its secret.key is refused, says how
// to recover, and leaves no newly generated secret.key behind (which would
// hide the missing one at the next start).
func TestServeRefusedWithoutRestoredKeyLeavesNothing(t *testing.T) {
	t.Setenv("CBEC_ADMIN_TOKEN", "")
	t.Setenv("CBEC_SECRET_KEY", "")
	startupEngines(t, func(t *testing.T, c startupCase) {
		firstStart(t, c, "")
		if err := os.Remove(filepath.Join(c.dir, "secret.key")); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := run(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...)...)
		if code != 1 || !strings.Contains(errOut, "secret.key") || !strings.Contains(errOut, "restore it") {
			t.Fatalf("exit %d, want 1 saying to restore secret.key\n%s", code, errOut)
		}
		nothingLeftBehind(t, c, out)
	})
}

// One server owns a SQLite data folder: its writer keeps in memory what the
// folder holds (the rows it wrote, the keys inventories wait on), which a
// second server writing the same folder would make wrong. So a second serve
// is refused, naming the folder, and so is a restore that would replace the
// database under it, while commands that do not serve still run; once the
// first has stopped, the folder restores and serves again.
func TestServeRefusedOnAFolderAnotherServes(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CBEC_ADMIN_TOKEN", "")
	t.Setenv("CBEC_SECRET_KEY", "")
	serve := func() (*app.App, error) {
		cfg := config.Default()
		cfg.Addr, cfg.AdminToken, cfg.Data = "127.0.0.1:0", "first-start-admin-token-0123", dir
		return app.OpenServer(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	}
	first, err := serve()
	if err != nil {
		t.Fatal(err)
	}
	if second, err := serve(); err == nil || !strings.Contains(err.Error(), "another cbec serve") || !strings.Contains(err.Error(), dir) {
		if err == nil {
			second.Close()
		}
		first.Close()
		t.Fatalf("a second server on the folder: %v; want a refusal naming the folder", err)
	}
	if code, out, errOut := run(t, "migrate", "--status", "--data", dir); code != 0 {
		t.Errorf("migrate --status beside the server: exit %d\n%s%s", code, out, errOut)
	}
	backup := filepath.Join(t.TempDir(), "backup.cbec")
	if code, out, errOut := run(t, "backup", "--data", dir, backup); code != 0 {
		t.Errorf("backup beside the server: exit %d\n%s%s", code, out, errOut)
	}
	// Replacing the database under a running server would leave it writing
	// the file set aside.
	if code, _, errOut := run(t, "restore", "--force", "--data", dir, backup); code != 1 || !strings.Contains(errOut, "another cbec serve") {
		t.Errorf("restore --force under the server: exit %d, want 1 naming the server\n%s", code, errOut)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "restore", "--force", "--data", dir, backup); code != 0 {
		t.Errorf("restore --force once the server stopped: exit %d\n%s%s", code, out, errOut)
	}
	again, err := serve()
	if err != nil {
		t.Fatalf("the folder once its server stopped: %v", err)
	}
	again.Close()
}
