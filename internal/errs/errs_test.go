package errs

import (
	"errors"
	"io"
	"testing"
)

func wrapped(in error) (err error) {
	defer Wrap(&err, "pkg.Call(%q)", "key")
	return in
}

// Wrap adds the call to the text and nothing else: what callers are shown
// (an *Error's kind, code and message) and errors.Is still see the cause.
func TestWrap(t *testing.T) {
	if err := wrapped(nil); err != nil {
		t.Errorf("nil became %v", err)
	}
	err := wrapped(io.ErrUnexpectedEOF)
	if err.Error() != `pkg.Call("key"): unexpected EOF` || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("got %v", err)
	}
	err = wrapped(New(NotFound, "ticket_not_found", "id", "no ticket %s", "T1"))
	e, ok := As(err)
	if !ok || KindOf(err) != NotFound || e.Code != "ticket_not_found" || e.Message != "no ticket T1" {
		t.Errorf("classified error lost through Wrap: %v", err)
	}
	err = wrapped(List{Invalidf("a", "x", "bad a"), Invalidf("b", "y", "bad b")})
	var l List
	if !errors.As(err, &l) || len(l) != 2 || KindOf(err) != Invalid {
		t.Errorf("list lost through Wrap: %v", err)
	}
}
