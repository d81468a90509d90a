//go:build !linux

package tcpproxy

import "time"

// sleep waits d (see sleep_linux.go for why Linux differs).
func sleep(d time.Duration) { time.Sleep(d) }
