// Command delayproxy forwards TCP connections to one address and holds every
// byte back a fixed time in each direction: the platform's measurements put
// it between the server and PostgreSQL to stand for a database on another
// machine (issue 17; docs/performance.md, "The ceiling"; docs/bench.md).
//
//	go run ./tools/delayproxy -listen 127.0.0.1:6543 -to 127.0.0.1:5432 -delay 500us
//
// The delay is latency, not a bandwidth limit: bytes read while earlier ones
// wait are held back the same time, not queued behind them. It runs until
// interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cbec-platform/cbec/internal/tcpproxy"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:6543", "address to listen on")
	to := flag.String("to", "127.0.0.1:5432", "address to forward to")
	delay := flag.Duration("delay", 0, "time each byte is held back, in each direction (a round trip gains twice this), e.g. 500us")
	flag.Parse()
	if err := run(*listen, *to, *delay); err != nil {
		fmt.Fprintln(os.Stderr, "delayproxy:", err)
		os.Exit(1)
	}
}

func run(listen, to string, delay time.Duration) error {
	p, err := tcpproxy.Listen(listen, to, delay)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = p.Close()
	}()
	fmt.Fprintf(os.Stderr, "delayproxy: %s → %s, %v each way\n", p.Addr(), to, delay)
	return p.Serve()
}
