package apptest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/console"
)

// Screen is a live sorting-line screen of the officers' console: the line's
// server-sent events, as a browser's EventSource reads them.
type Screen struct {
	Events chan console.Event
	Closed chan struct{} // closed when the stream ends
}

// OpenScreen opens line's screen on the server at base with an officer's
// session cookie, and returns once the server says it is connected. The
// stream is closed when the test ends.
func OpenScreen(t testing.TB, base, cookie, line string) *Screen {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/console/officer/lines/"+line+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Cookie", "cbec_officer="+cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("events of line %s: %d %s", line, resp.StatusCode, b)
	}
	sc := &Screen{Events: make(chan console.Event, 1024), Closed: make(chan struct{})}
	connected := make(chan struct{})
	go func() {
		defer close(sc.Closed)
		defer resp.Body.Close()
		r := bufio.NewReader(resp.Body)
		told := false
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(l, ": connected") && !told {
				close(connected)
				told = true
			}
			if data, ok := strings.CutPrefix(l, "data: "); ok {
				var ev console.Event
				if json.Unmarshal([]byte(data), &ev) == nil {
					sc.Events <- ev
				}
			}
		}
	}()
	select {
	case <-connected:
	case <-sc.Closed:
		t.Fatalf("the screen of line %s closed before it was connected", line)
	}
	return sc
}

// Next returns the screen's next event of a kind, failing the test when none
// comes within 5 s.
func (sc *Screen) Next(t testing.TB, kind string) console.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-sc.Events:
			if ev.Type == kind {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event within 5 s", kind)
		}
	}
}
