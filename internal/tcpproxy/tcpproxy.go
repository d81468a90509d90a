// Package tcpproxy forwards TCP connections to one upstream address, for
// tests and measurements: it can hold every byte back a fixed time in each
// direction, as a database on another machine would (issue 17's latency
// cases, tools/delayproxy), and cut every connection and refuse new ones, as
// a database restart looks to its clients (the crash test).
package tcpproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy forwards the connections it accepts to its upstream.
type Proxy struct {
	upstream string
	delay    time.Duration
	l        net.Listener

	mu     sync.Mutex
	isDown bool
	conns  map[net.Conn]bool
}

// Listen binds addr (port 0 picks a free one) for a proxy to upstream that
// delays each direction by delay (0: none). Serve runs it.
func Listen(addr, upstream string, delay time.Duration) (*Proxy, error) {
	if delay < 0 {
		return nil, errors.New("tcpproxy: the delay must not be negative")
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &Proxy{upstream: upstream, delay: delay, l: l, conns: map[net.Conn]bool{}}, nil
}

// Addr is the address the proxy listens on.
func (p *Proxy) Addr() string { return p.l.Addr().String() }

// Serve accepts connections until Close; it returns nil then.
func (p *Proxy) Serve() error {
	for {
		c, err := p.l.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		go p.forward(c)
	}
}

// Close stops listening and cuts every connection.
func (p *Proxy) Close() error {
	err := p.l.Close()
	p.Down()
	return err
}

// Down cuts every connection and refuses new ones until Up.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isDown = true
	for c := range p.conns {
		_ = c.Close()
	}
}

// Up accepts connections again.
func (p *Proxy) Up() {
	p.mu.Lock()
	p.isDown = false
	p.mu.Unlock()
}

// track registers c, or closes it and says false when the proxy is down.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isDown {
		_ = c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *Proxy) drop(c net.Conn) {
	_ = c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *Proxy) forward(c net.Conn) {
	if !p.track(c) {
		return
	}
	defer p.drop(c)
	u, err := net.Dial("tcp", p.upstream)
	if err != nil || !p.track(u) {
		return
	}
	defer p.drop(u)
	var wg sync.WaitGroup
	wg.Go(func() { p.pipe(u, c) })
	wg.Go(func() { p.pipe(c, u) })
	wg.Wait()
}

// pipe copies src to dst, then closes dst, which ends the other direction
// too. With a delay each chunk is written delay after it was read while
// reading goes on, so the delay adds latency without limiting throughput.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	if p.delay == 0 {
		_, _ = io.Copy(dst, src)
		return
	}
	type chunk struct {
		b   []byte
		due time.Time
	}
	q := make(chan chunk, 1024)
	go func() {
		defer close(q)
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{b: append([]byte(nil), buf[:n]...), due: time.Now().Add(p.delay)}
			}
			if err != nil {
				return
			}
		}
	}()
	failed := false
	for ch := range q {
		if failed {
			continue // keep taking chunks, so the reader is never stuck, until src is closed
		}
		if d := time.Until(ch.due); d > 0 {
			sleep(d)
		}
		if _, err := dst.Write(ch.b); err != nil {
			failed = true
			_ = src.Close()
		}
	}
}
