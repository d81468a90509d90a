// Package client is the Go client of the cbec HTTP API for integrators: it
// submits CEB messages (XML) and JSON documents, follows an enterprise's
// receipts feed from a sequence number, and verifies the signature of the
// receipts a webhook delivers. Every error answer of the server comes back
// as an *Error carrying its code, field and message (docs/errors.md).
//
// A Client holds one API key; As gives a Client with another key that shares
// the connections, so one process can act for several enterprises.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client talks to one cbec server with one bearer token. It is safe for
// concurrent use.
type Client struct {
	base   string
	bearer string // "Bearer " + token, built once rather than per request
	hc     *http.Client
}

// Option changes how New builds a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests through hc (its
// transport, timeouts and redirect policy).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// New returns a Client for serverURL (http or https, a host and an optional
// port, no path) acting with token: an enterprise's API key, or the
// administrator token. By default requests time out after a minute and
// redirects are not followed, so a request only ever reaches serverURL.
func New(serverURL, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(serverURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", serverURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
		return nil, fmt.Errorf("server URL %q: want http://HOST:PORT or https://HOST", serverURL)
	}
	c := &Client{base: u.String(), hc: &http.Client{
		Timeout:       time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	c.setToken(token)
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

func (c *Client) setToken(token string) {
	c.bearer = ""
	if token != "" {
		c.bearer = "Bearer " + token
	}
}

// As returns a Client acting with another token over the same connections.
func (c *Client) As(token string) *Client {
	o := *c
	o.setToken(token)
	return &o
}

// Base is the server URL.
func (c *Client) Base() string { return c.base }

// Do sends one request to path (e.g. "/api/v1/receipts?after=0") and
// returns the body of a 2xx answer. Any other answer is an *Error; a
// failure to reach the server is returned wrapped as it is.
func (c *Client) Do(ctx context.Context, method, path, contentType string, body []byte) ([]byte, error) {
	status, header, b, err := c.send(ctx, method, path, contentType, body)
	if err != nil {
		return nil, err
	}
	if status < 200 || status > 299 {
		return nil, newError(method+" "+path, status, header, b)
	}
	return b, nil
}

// Call sends in as JSON (no body when in is nil) and decodes a 2xx answer
// into out (when out is not nil).
func (c *Client) Call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	ctype := ""
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
		ctype = "application/json"
	}
	b, err := c.Do(ctx, method, path, ctype, body)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// send performs one request and reads the whole answer, whatever its status.
func (c *Client) send(ctx context.Context, method, path, contentType string, body []byte) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", c.bearer)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, resp.Header, nil, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	return resp.StatusCode, resp.Header, b, nil
}

// Healthy reports whether GET /healthz answers 200: the server takes messages.
func (c *Client) Healthy(ctx context.Context) error {
	_, err := c.Do(ctx, http.MethodGet, "/healthz", "", nil)
	return err
}

// Error is an answer of the server other than 2xx (for submissions: other
// than a receipt). Kind, Code, Field and Message are the server's (see
// docs/errors.md); Problems lists every problem when there are several.
type Error struct {
	Op         string // the request, e.g. "POST /api/v1/ceb"
	Status     int    // HTTP status
	Kind       string // e.g. "invalid", "unauthorized", "rate_limited"
	Code       string // stable machine code, e.g. "uscc_invalid"; empty when the answer was not a cbec error
	Field      string // the input at fault, if any
	Message    string // for people; the start of the body when the answer was not a cbec error
	RequestID  string // quote it when reporting a problem
	Problems   []Problem
	RetryAfter time.Duration // from the Retry-After header of a 429 or 503
}

// Problem is one problem of an error answer.
type Problem struct {
	Kind    string `json:"kind"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: HTTP %d", e.Op, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if n := len(e.Problems); n > 1 {
		fmt.Fprintf(&b, " (and %d more problems)", n-1)
	}
	return b.String()
}

// StatusOf returns the HTTP status of an *Error inside err, 0 when there is none.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// CodeOf returns the error code of an *Error inside err, "" when there is none.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// maxMessage bounds the body text kept in an Error that is not a cbec error.
const maxMessage = 300

func newError(op string, status int, header http.Header, body []byte) *Error {
	e := &Error{Op: op, Status: status}
	if s := header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	}
	var v struct {
		Error     *Problem  `json:"error"`
		Problems  []Problem `json:"problems"`
		RequestID string    `json:"requestId"`
	}
	if json.Unmarshal(body, &v) == nil && v.Error != nil {
		e.Kind, e.Code, e.Field, e.Message = v.Error.Kind, v.Error.Code, v.Error.Field, v.Error.Message
		e.Problems, e.RequestID = v.Problems, v.RequestID
		return e
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "…"
	}
	e.Message = msg
	return e
}
