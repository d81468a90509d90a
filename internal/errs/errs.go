// Package errs holds the platform's error kinds. Domain packages return an
// *Error with a Kind, a stable machine Code, the Field at fault and a human
// message; the HTTP layer maps the Kind to a status in one place.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller can do about it.
type Kind string

// The kinds, each mapped to one HTTP status by the API layer.
const (
	Invalid      Kind = "invalid"      // 400: the input is wrong; fix it and resend
	Unauthorized Kind = "unauthorized" // 401: missing or wrong credentials
	Forbidden    Kind = "forbidden"    // 403: authenticated but not allowed
	NotFound     Kind = "not_found"    // 404: no such resource
	Conflict     Kind = "conflict"     // 409: clashes with existing state
	TooLarge     Kind = "too_large"    // 413: request body over the limit
	RateLimited  Kind = "rate_limited" // 429: too many requests; retry after the Retry-After header's seconds
	Unavailable  Kind = "unavailable"  // 503: a dependency (database) is down; retry later
	Internal     Kind = "internal"     // 500: a bug or an unexpected failure
)

// Error is a classified error.
type Error struct {
	Kind    Kind
	Code    string // stable machine code, e.g. "uscc_check_digit"
	Field   string // the input field at fault, if any
	Message string // human readable, safe to show to the caller
	Err     error  // underlying cause, never shown to callers
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of the given kind.
func New(kind Kind, code, field, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Invalidf reports bad input in a field.
func Invalidf(field, code, format string, args ...any) *Error {
	return New(Invalid, code, field, format, args...)
}

// KindOf returns the kind of err, Internal when it is not classified.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var l List
	if errors.As(err, &l) && len(l) > 0 {
		return l[0].Kind
	}
	return Internal
}

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// List collects several input problems so that a caller sees all of them at once.
type List []*Error

func (l List) Error() string {
	if len(l) == 1 {
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more problems)", l[0].Error(), len(l)-1)
}

// Err returns nil for an empty list, else the list itself.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Wrap names the call an error comes out of, with its key arguments, so that
// an error crossing a package says where it arose. Defer it at the top of an
// exported function whose error result is named err:
//
//	func (s *Service) Ticket(ctx context.Context, id string) (_ *Ticket, err error) {
//		defer errs.Wrap(&err, "support.Ticket(%q)", id)
//
// Only the error's text changes: errors.Is and errors.As see through it, so
// an *Error keeps its Kind, Code, Field and the Message callers are shown,
// and the added context reaches the log. Keep it off functions whose error
// text is itself the answer to the caller (parsers and validators such as
// ceb.Decode, xmlsig.Verify, catalog.ParseTariffCSV, money's parsers), and
// never put personal data in the arguments.
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
