package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// Resource faults (issue 10): each gives a clear error or a bounded retry,
// never corruption, never a stuck process.

// A full disk: SQLite may not grow the database (max_page_count pinned to
// its current size). Messages are answered 503 storage_failure with nothing
// applied; once there is room again the same message goes through once.
func TestFaultDiskFull(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	pool := f.s.App.DB.Pools()["write"]
	if pool == nil {
		t.Fatalf("no write pool: %v", f.s.App.DB.Pools())
	}
	ctx := context.Background()
	// The writer has one connection, so the pragma holds for every write.
	conn, err := pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pages int64
	if err := conn.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA max_page_count = "+strconv.FormatInt(pages, 10)); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	// Fill what room is left until a message is refused. It is the message
	// sent again once there is room: another message, even a smaller one,
	// may still fit in a page the refused one did not (free space inside
	// the pages, not whole pages, is what runs out), so only the refused
	// one is known to have met the full disk.
	var d *decl
	var big []byte
	var full *apptest.Response
	for range 1000 {
		d = f.newDecl()
		d.consAddr = strings.Repeat("重庆市渝北区金开大道88号", 14)
		big = d.order("1")
		full = f.s.Do("POST", "/api/v1/ceb", f.keys[platform], "application/xml", big)
		if full.Status != 200 {
			break
		}
	}
	if full.Status != http.StatusServiceUnavailable || !strings.Contains(string(full.Body), "storage_failure") {
		t.Fatalf("disk full: HTTP %d %s", full.Status, full.Body)
	}
	conn, err = pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	for i := range 2 { // the same message twice: applied once, then the stored answer
		st, rs, info, body := f.post(platform, big)
		if st != 200 || rs != "120" {
			t.Fatalf("after the disk has room again (%d): HTTP %d %s %s %s", i, st, rs, info, body)
		}
	}
	var n int
	if err := f.s.App.DB.QueryRow(ctx, `SELECT COUNT(*) FROM documents WHERE kind = 'order' AND k2 = $1`, d.orderNo).Scan(&n); err != nil || n != 1 {
		t.Errorf("order stored %d times (%v)", n, err)
	}
	if r := f.s.Do("GET", "/readyz", "", "", nil); r.Status != 200 {
		t.Errorf("readyz after recovery: %d", r.Status)
	}
}

// A webhook endpoint that never answers costs a delivery attempt its
// timeout, is recorded as the last error, and neither blocks the API nor
// keeps the server from stopping.
func TestFaultWebhookHangs(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the webhook client's 10 s timeout")
	}
	release := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hook.Close()
	defer close(release)
	f := newFixture(t, apptest.SQLite, allowLoopback)
	if r := f.s.JSON("PUT", "/api/v1/webhook", f.keys[agent], map[string]any{"url": hook.URL}); r.Status != 200 {
		t.Fatalf("register webhook: %d %s", r.Status, r.Body)
	}
	d := f.newDecl()
	f.send(d)
	f.final(d.copNo) // the API answers while the delivery hangs
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st struct {
			Failures  int
			LastError string
		}
		f.s.JSON("GET", "/api/v1/webhook", f.keys[agent], nil).JSON(t, &st)
		if st.Failures > 0 {
			t.Logf("hanging endpoint: %d failure(s), last error %q", st.Failures, st.LastError)
			if st.LastError == "" {
				t.Error("no last error recorded")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a hanging webhook endpoint was never given up on")
		}
		time.Sleep(200 * time.Millisecond)
	}
	start := time.Now()
	f.s.Stop()
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("stopping took %s with a hanging webhook", took)
	}
}
