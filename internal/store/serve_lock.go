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
// do not serve open the database without it; restore takes it while it
// replaces the file (RestoreSQLite). On PostgreSQL, where several nodes share
// a database by design, it does nothing.
func (db *DB) HoldForServing() error {
	if db.Engine != SQLite {
		return nil
	}
	f, _, err := lockServing(db.Location)
	if err != nil {
		return err
	}
	// The holder's pid, for the message of the next one refused.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	db.serveLock = f
	return nil
}

// lockServing takes the serving lock of the SQLite database at path without
// waiting; created tells whether it made the lock's file. The error names
// the process that holds it.
func lockServing(path string) (f *os.File, created bool, err error) {
	lock := path + ".serve-lock"
	_, statErr := os.Stat(lock)
	f, err = os.OpenFile(lock, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s for serving: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, fmt.Errorf("lock %s for serving: %w", path, err)
		}
		holder := ""
		if b, rerr := os.ReadFile(lock); rerr == nil && len(b) > 0 {
			holder = " (process " + strings.TrimSpace(string(b)) + ")"
		}
		return nil, false, fmt.Errorf("the database %s is served by another cbec serve%s: stop it first, or give this one another --data or --db", path, holder)
	}
	return f, errors.Is(statErr, os.ErrNotExist), nil
}

// holdOffServers keeps servers off the SQLite database at path until the
// returned release is called, and refuses while one serves it. A lock file
// it had to make is removed again by release.
func holdOffServers(path string) (release func(), err error) {
	f, created, err := lockServing(path)
	if err != nil {
		return nil, err
	}
	return func() {
		if created {
			os.Remove(f.Name())
		}
		f.Close()
	}, nil
}
