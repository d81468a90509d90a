package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Client talks to one cbec server over keep-alive connections. It never
// follows redirects, so a run only ever reaches the URL it was given.
type Client struct {
	base     string
	admin    string
	hc       *http.Client
	requests atomic.Int64 // requests sent, for the per-node counts of a run over several servers
}

// NewClient checks serverURL (http or https, a host, no path beyond "/")
// and prepares a transport with enough idle connections for conns parallel
// senders plus the receipt pollers and the metrics sampler.
func NewClient(serverURL, adminToken string, conns int) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(serverURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", serverURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
		return nil, fmt.Errorf("server URL %q: want http://HOST:PORT", serverURL)
	}
	tr := &http.Transport{
		Proxy:               nil, // the target is given explicitly; never detour through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true, // loopback: compression only costs CPU on both sides
		ForceAttemptHTTP2:   false,
	}
	return &Client{
		base:  u.String(),
		admin: adminToken,
		hc: &http.Client{
			Transport:     tr,
			Timeout:       60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// Base is the server URL.
func (c *Client) Base() string { return c.base }

// Close drops idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// do sends one request and reads the whole answer. A transport failure is
// an error; any HTTP status is returned to the caller to judge.
func (c *Client) do(ctx context.Context, method, path, token, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	c.requests.Add(1)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	return resp.StatusCode, b, nil
}

// StatusError is an unexpected HTTP answer.
type StatusError struct {
	Op     string
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	body := e.Body
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return fmt.Sprintf("%s: HTTP %d: %s", e.Op, e.Status, body)
}

// IsNotFound reports whether err is a 404 answer: the server lacks that endpoint.
func IsNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == http.StatusNotFound
}

// Healthy waits up to wait for GET /healthz to answer 200.
func (c *Client) Healthy(ctx context.Context, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		st, body, err := c.do(ctx, "GET", "/healthz", "", "", nil)
		if err == nil && st == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("server %s not healthy: %w", c.base, err)
			}
			return &StatusError{Op: "GET /healthz", Status: st, Body: string(body)}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
