package crashtest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// proxy stands between the server and PostgreSQL so that a test can take
// the database away (every connection cut, new ones refused) and bring it
// back, as a database restart looks to the server, without touching a
// cluster other tests share.
type proxy struct {
	addr     string
	upstream string
	l        net.Listener
	mu       sync.Mutex
	isDown   bool
	conns    map[net.Conn]bool
}

func newProxy(t testing.TB, upstream string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: l.Addr().String(), upstream: upstream, l: l, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() { _ = l.Close(); p.down() })
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		go p.pipe(c)
	}
}

func (p *proxy) pipe(c net.Conn) {
	p.mu.Lock()
	if p.isDown {
		p.mu.Unlock()
		_ = c.Close()
		return
	}
	p.conns[c] = true
	p.mu.Unlock()
	u, err := net.Dial("tcp", p.upstream)
	if err != nil {
		p.drop(c)
		return
	}
	p.mu.Lock()
	if p.isDown {
		p.mu.Unlock()
		_ = u.Close()
		p.drop(c)
		return
	}
	p.conns[u] = true
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = io.Copy(u, c); _ = u.Close() })
	wg.Go(func() { _, _ = io.Copy(c, u); _ = c.Close() })
	wg.Wait()
	p.drop(c)
	p.drop(u)
}

func (p *proxy) drop(c net.Conn) {
	_ = c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// down cuts every connection and refuses new ones.
func (p *proxy) down() {
	p.mu.Lock()
	p.isDown = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
}

// up accepts connections again.
func (p *proxy) up() {
	p.mu.Lock()
	p.isDown = false
	p.mu.Unlock()
}
