package tcpproxy_test

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/tcpproxy"
)

// echo serves an upstream that sends every line back.
func echo(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return l.Addr().String()
}

func start(t *testing.T, upstream string, delay time.Duration) *tcpproxy.Proxy {
	p, err := tcpproxy.Listen("127.0.0.1:0", upstream, delay)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		if err := p.Serve(); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() { p.Close() })
	return p
}

// roundTrip sends n lines at once and reads them back.
func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, n int) time.Duration {
	t.Helper()
	t0 := time.Now()
	for range n {
		if _, err := c.Write([]byte("ping\n")); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		if line, err := r.ReadString('\n'); err != nil || line != "ping\n" {
			t.Fatalf("read %q, %v", line, err)
		}
	}
	return time.Since(t0)
}

// The delay is added to each direction, and is latency, not a limit on
// throughput: many messages in flight take one round trip, not one each.
func TestDelayEachWay(t *testing.T) {
	const delay = 20 * time.Millisecond
	p := start(t, echo(t), delay)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if d := roundTrip(t, c, r, 1); d < 2*delay || d > 2*delay+200*time.Millisecond {
		t.Errorf("one round trip took %v; want about %v", d, 2*delay)
	}
	if d := roundTrip(t, c, r, 200); d > 10*delay {
		t.Errorf("200 pipelined lines took %v; the delay should overlap (about %v)", d, 2*delay)
	}
}

// Down cuts the connections and refuses new ones; Up lets them in again.
func TestDownAndUp(t *testing.T) {
	p := start(t, echo(t), 0)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	roundTrip(t, c, r, 1)
	p.Down()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadString('\n'); err == nil {
		t.Error("the connection survived Down")
	}
	c2, err := net.Dial("tcp", p.Addr())
	if err == nil {
		_ = c2.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c2.Write([]byte("ping\n")); err == nil {
			if _, err := bufio.NewReader(c2).ReadString('\n'); err == nil {
				t.Error("a new connection was forwarded while down")
			}
		}
		c2.Close()
	}
	p.Up()
	c3, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	roundTrip(t, c3, bufio.NewReader(c3), 3)
}
