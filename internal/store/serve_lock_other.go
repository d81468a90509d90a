//go:build !unix

package store

// Where the kernel offers no flock (systems other than unix ones), nothing
// keeps a second server off a SQLite database (see serve_lock.go).

// HoldForServing does nothing here.
func (db *DB) HoldForServing() error { return nil }

// holdOffServers does nothing here.
func holdOffServers(string) (release func(), err error) { return func() {}, nil }
