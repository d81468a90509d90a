//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// HoldForServing makes this process the one server of a SQLite database: it
// takes an exclusive lock on a file beside the database (its name and
// ".serve-lock"), held until Close, and refuses when another process holds
// it. A server's writer keeps in memory what the database holds (the rows it
// wrote, the keys inventories wait on: see waitingKeys), which a second
// server writing the same file would make wrong. The lock is the kernel's
// (flock), so a server killed with kill -9 leaves none behind. Commands that
// do not serve open the database without it. On PostgreSQL, where several
// nodes share a database by design, it does nothing.
func (db *DB) HoldForServing() error {
	if db.Engine != SQLite {
		return nil
	}
	path := db.Location + ".serve-lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("lock %s for serving: %w", db.Location, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := ""
		if b, rerr := os.ReadFile(path); rerr == nil && len(b) > 0 {
			holder = " (process " + strings.TrimSpace(string(b)) + ")"
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("the database %s is served by another cbec serve%s: stop it first, or give this one another --data or --db", db.Location, holder)
		}
		return fmt.Errorf("lock %s for serving: %w", db.Location, err)
	}
	// The holder's pid, for the message of the next one refused.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	db.serveLock = f
	return nil
}
