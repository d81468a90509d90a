//go:build !unix

package store

// HoldForServing does nothing where the kernel offers no flock (systems
// other than unix ones): there nothing keeps a second server off a SQLite
// database (see serve_lock.go).
func (db *DB) HoldForServing() error { return nil }
