package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cbec-platform/cbec/client"
)

// Client talks to one cbec server over keep-alive connections, through the
// integrators' client package: as the administrator, and as each
// enterprise of the run with its own key over the same connections. It
// never follows redirects, so a run only ever reaches the URL it was given.
type Client struct {
	admin    *client.Client
	requests *atomic.Int64 // requests sent, for the per-node counts of a run over several servers
	tr       *http.Transport

	mu sync.RWMutex
	as map[string]*client.Client // by API key: built once, not per request
}

// NewClient checks serverURL (http or https, a host, no path beyond "/")
// and prepares a transport with enough idle connections for conns parallel
// senders plus the receipt pollers and the metrics sampler.
func NewClient(serverURL, adminToken string, conns int) (*Client, error) {
	tr := &http.Transport{
		Proxy:               nil, // the target is given explicitly; never detour through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true, // loopback: compression only costs CPU on both sides
		ForceAttemptHTTP2:   false,
	}
	requests := &atomic.Int64{}
	hc := &http.Client{
		Transport:     counting{tr, requests},
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	admin, err := client.New(serverURL, adminToken, client.WithHTTPClient(hc))
	if err != nil {
		return nil, err
	}
	return &Client{admin: admin, requests: requests, tr: tr, as: map[string]*client.Client{}}, nil
}

// counting counts the requests that go through a transport.
type counting struct {
	http.RoundTripper
	n *atomic.Int64
}

func (c counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.RoundTripper.RoundTrip(r)
}

// Base is the server URL.
func (c *Client) Base() string { return c.admin.Base() }

// Close drops idle connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// As is the client acting with an enterprise's API key.
func (c *Client) As(key string) *client.Client {
	c.mu.RLock()
	k, ok := c.as[key]
	c.mu.RUnlock()
	if ok {
		return k
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok = c.as[key]; !ok {
		k = c.admin.As(key)
		c.as[key] = k
	}
	return k
}

// IsNotFound reports whether err is a 404 answer: the server lacks that endpoint.
func IsNotFound(err error) bool { return client.StatusOf(err) == http.StatusNotFound }

// Healthy waits up to wait for GET /healthz to answer 200.
func (c *Client) Healthy(ctx context.Context, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := c.admin.Healthy(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server %s not healthy: %w", c.Base(), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
