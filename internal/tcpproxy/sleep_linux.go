//go:build linux

package tcpproxy

import (
	"syscall"
	"time"
)

// sleep waits d. An idle Go process is woken for its timers by epoll, whose
// timeout counts whole milliseconds, so time.Sleep(500µs) takes a millisecond
// or more; nanosleep blocks the goroutine's thread on a high-resolution timer
// instead, and sub-millisecond delays are what the proxy is for.
func sleep(d time.Duration) {
	ts := syscall.NsecToTimespec(d.Nanoseconds())
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
