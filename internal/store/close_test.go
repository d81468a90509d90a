package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/store/storetest"
)

// Closing a database twice is harmless: shutdown paths and test clean-ups may
// both close it, and the second call must neither panic nor fail.
func TestCloseTwice(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t) // its clean-up closes it once more
		if err := db.Close(); err != nil {
			t.Fatalf("first close: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("second close: %v", err)
		}
	})
}

// A database that does not answer is reported in the platform's words; the
// driver's text is the cause, for the log, not part of the message.
func TestPingKeepsTheDriverErrorAsTheCause(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open storetest.Opener) {
		db := open(t)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		err := db.Ping(context.Background())
		e, ok := errs.As(err)
		if !ok || e.Kind != errs.Unavailable || e.Code != "database_unreachable" {
			t.Fatalf("Ping after close: %v", err)
		}
		if strings.Contains(e.Message, "sql:") || e.Err == nil || !strings.Contains(errors.Unwrap(err).Error(), "sql: database is closed") {
			t.Errorf("message %q, cause %v", e.Message, e.Err)
		}
	})
}
