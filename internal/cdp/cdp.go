// Package cdp drives a headless Chromium over the Chrome DevTools Protocol
// for browser tests: a minimal WebSocket client, browser contexts (separate
// cookie jars, like two windows of two officers), navigation, script
// evaluation and screenshots. Tests skip when no Chromium is installed.
package cdp

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Find returns the path of a Chromium or Chrome binary, or "" when none is installed.
func Find() string {
	if p := os.Getenv("CBEC_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser is a running headless browser.
type Browser struct {
	cmd  *exec.Cmd
	dir  string
	conn *conn
}

var listening = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// Launch starts the browser headless with a fresh profile.
func Launch(ctx context.Context, path string) (*Browser, error) {
	dir, err := os.MkdirTemp("", "cbec-chromium-")
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
		"--remote-debugging-port=0", "--user-data-dir="+dir, "about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	b := &Browser{cmd: cmd, dir: dir}
	select {
	case ws := <-found:
		if b.conn, err = dial(ws); err != nil {
			b.Close()
			return nil, err
		}
		return b, nil
	case <-time.After(20 * time.Second):
		b.Close()
		return nil, errors.New("the browser did not start its DevTools endpoint within 20 s")
	}
}

// Close stops the browser and removes its profile.
func (b *Browser) Close() {
	if b.conn != nil {
		b.conn.close()
	}
	if b.cmd.Process != nil {
		_ = b.cmd.Process.Kill()
		_ = b.cmd.Wait()
	}
	os.RemoveAll(b.dir)
}

// Page is a tab in its own browser context (its own cookies).
type Page struct {
	b       *Browser
	session string
}

// NewPage opens a tab in a new browser context, sized width × height.
func (b *Browser) NewPage(width, height int) (*Page, error) {
	var ctxRes struct{ BrowserContextID string }
	if err := b.conn.call("", "Target.createBrowserContext", map[string]any{}, &ctxRes); err != nil {
		return nil, err
	}
	var t struct{ TargetID string }
	if err := b.conn.call("", "Target.createTarget", map[string]any{"url": "about:blank", "browserContextId": ctxRes.BrowserContextID}, &t); err != nil {
		return nil, err
	}
	var att struct{ SessionID string }
	if err := b.conn.call("", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true}, &att); err != nil {
		return nil, err
	}
	p := &Page{b: b, session: att.SessionID}
	if err := p.call("Page.enable", nil, nil); err != nil {
		return nil, err
	}
	if err := p.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Page) call(method string, params any, out any) error {
	return p.b.conn.call(p.session, method, params, out)
}

// Navigate loads a URL and waits until the document is complete.
func (p *Page) Navigate(u string) error {
	if err := p.call("Page.navigate", map[string]any{"url": u}, nil); err != nil {
		return err
	}
	time.Sleep(50 * time.Millisecond) // let the old document go before polling the new one
	return p.WaitFor(`document.readyState === "complete"`, 10*time.Second)
}

// Eval runs JavaScript in the page and stores its (JSON) result in out.
func (p *Page) Eval(expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := p.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res); err != nil {
		return err
	}
	if res.ExceptionDetails != nil {
		return fmt.Errorf("script %q: %s %s", expr, res.ExceptionDetails.Text, res.ExceptionDetails.Exception.Description)
	}
	if out != nil && len(res.Result.Value) > 0 {
		return json.Unmarshal(res.Result.Value, out)
	}
	return nil
}

// WaitFor polls a JavaScript condition until it is true or the time is up.
func (p *Page) WaitFor(cond string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		var ok bool
		err := p.Eval("!!("+cond+")", &ok)
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("waiting for %s: %w", cond, err)
			}
			return fmt.Errorf("waiting for %s: still false after %s", cond, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Screenshot writes a PNG of the page to path.
func (p *Page) Screenshot(path string) error {
	var res struct{ Data string }
	if err := p.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": false}, &res); err != nil {
		return err
	}
	b, err := base64.StdEncoding.DecodeString(res.Data)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// conn is a DevTools WebSocket connection: requests matched to answers by id.
type conn struct {
	nc      net.Conn
	r       *bufio.Reader
	wmu     sync.Mutex
	mu      sync.Mutex
	next    int64
	pending map[int64]chan reply
	err     error
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func dial(ws string) (*conn, error) {
	u, err := url.Parse(ws)
	if err != nil {
		return nil, err
	}
	nc, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		u.RequestURI(), u.Host, base64.StdEncoding.EncodeToString(key))
	r := bufio.NewReaderSize(nc, 1<<20)
	status, err := r.ReadString('\n')
	if err != nil || !strings.Contains(status, " 101 ") {
		nc.Close()
		return nil, fmt.Errorf("websocket handshake: %q %v", status, err)
	}
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			nc.Close()
			return nil, err
		}
		if l == "\r\n" {
			break
		}
	}
	c := &conn{nc: nc, r: r, pending: map[int64]chan reply{}}
	go c.readLoop()
	return c, nil
}

func (c *conn) close() { c.nc.Close() }

func (c *conn) call(session, method string, params any, out any) error {
	if params == nil {
		params = map[string]any{}
	}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return c.err
	}
	c.next++
	id := c.next
	ch := make(chan reply, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	b, _ := json.Marshal(msg)
	if err := c.write(b); err != nil {
		return err
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: connection closed", method)
		}
		if r.Error != nil {
			return fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s: no answer within 30 s", method)
	}
}

// write sends one masked text frame (clients must mask).
func (c *conn) write(payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	hdr := []byte{0x81}
	n := len(payload)
	switch {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n < 1<<16:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	mask := make([]byte, 4)
	_, _ = rand.Read(mask)
	hdr = append(hdr, mask...)
	masked := make([]byte, n)
	for i := range payload {
		masked[i] = payload[i] ^ mask[i%4]
	}
	_, err := c.nc.Write(append(hdr, masked...))
	return err
}

func (c *conn) readFrame() (op byte, fin bool, data []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(c.r, h[:]); err != nil {
		return
	}
	fin, op = h[0]&0x80 != 0, h[0]&0x0f
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err = io.ReadFull(c.r, b[:]); err != nil {
			return
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err = io.ReadFull(c.r, b[:]); err != nil {
			return
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	var mask [4]byte
	if h[1]&0x80 != 0 {
		if _, err = io.ReadFull(c.r, mask[:]); err != nil {
			return
		}
	}
	if n > 256<<20 {
		err = errors.New("websocket frame too large")
		return
	}
	data = make([]byte, n)
	if _, err = io.ReadFull(c.r, data); err != nil {
		return
	}
	if h[1]&0x80 != 0 {
		for i := range data {
			data[i] ^= mask[i%4]
		}
	}
	return
}

func (c *conn) readLoop() {
	var msg []byte
	for {
		op, fin, data, err := c.readFrame()
		if err != nil {
			c.fail(err)
			return
		}
		switch op {
		case 0x8:
			c.fail(errors.New("the browser closed the connection"))
			return
		case 0x9, 0xA:
			continue // pings are rare on a local DevTools socket; answering is not needed
		case 0x0, 0x1, 0x2:
			msg = append(msg, data...)
			if !fin {
				continue
			}
		}
		var m struct {
			ID int64 `json:"id"`
			reply
		}
		if json.Unmarshal(msg, &m) == nil && m.ID != 0 {
			c.mu.Lock()
			ch := c.pending[m.ID]
			delete(c.pending, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- m.reply
			}
		}
		msg = nil
	}
}

func (c *conn) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
}
