package store

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cbec-platform/cbec/internal/errs"
)

// databaseDown reports whether err means the database cannot be reached
// (refused or cut connection, server shutting down or starting up) rather
// than a problem with the statement. Such failures are answered 503 and
// retried by the caller, never reported as internal errors: found by the
// crash campaign (internal/crashtest), which takes PostgreSQL away under load.
func databaseDown(err error) bool {
	var ce *pgconn.ConnectError
	var ne *net.OpError
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, driver.ErrBadConn) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P01-57P03: shutdown, crash, not yet accepting.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	return strings.Contains(err.Error(), "conn closed")
}

// AsUnavailable classifies an error that reached the caller without passing
// through the store's classification (a row scan, a rollback) when it means
// the database cannot be reached; any other error is returned unchanged.
func AsUnavailable(err error) error {
	if _, ok := errs.As(err); ok || err == nil || !databaseDown(err) {
		return err
	}
	return unavailable(err)
}

func unavailable(err error) error {
	return &errs.Error{Kind: errs.Unavailable, Code: "database_unavailable", Message: "the database does not answer; retry later", Err: err}
}
