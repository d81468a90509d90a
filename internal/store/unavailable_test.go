package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// A database that cannot be reached is a 503 (retry later), not a 500.
func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := Open(ctx, "postgres://postgres@"+addr+"/postgres?sslmode=disable&connect_timeout=2", "", Options{MaxConns: 1})
	if err == nil {
		defer db.Close()
		err = db.InTx(ctx, func(*Tx) error { return nil })
	}
	if err == nil {
		t.Fatal("no error from a database that is not there")
	}
	if k := errs.KindOf(err); k != errs.Unavailable {
		t.Errorf("kind %s, want unavailable: %v", k, err)
	}
	for _, e := range []error{
		fmt.Errorf("begin: %w", &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}),
		errors.New("conn closed"),
	} {
		if k := errs.KindOf(classify(e)); k != errs.Unavailable {
			t.Errorf("%v: kind %s, want unavailable", e, k)
		}
	}
	if k := errs.KindOf(AsUnavailable(fmt.Errorf("scan: %w", io.ErrUnexpectedEOF))); k != errs.Unavailable {
		t.Errorf("a cut connection met in a row scan: kind %s, want unavailable", k)
	}
	if k := errs.KindOf(classify(errors.New("syntax error"))); k == errs.Unavailable {
		t.Error("an ordinary error classified as unavailable")
	}
}
