package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/cbec-platform/cbec/internal/errs"
	"github.com/cbec-platform/cbec/internal/logging"
	"github.com/cbec-platform/cbec/internal/store"
)

// statusOf is the one map from error kinds to HTTP statuses.
var statusOf = map[errs.Kind]int{
	errs.Invalid:      http.StatusBadRequest,
	errs.Unauthorized: http.StatusUnauthorized,
	errs.Forbidden:    http.StatusForbidden,
	errs.NotFound:     http.StatusNotFound,
	errs.Conflict:     http.StatusConflict,
	errs.TooLarge:     http.StatusRequestEntityTooLarge,
	errs.RateLimited:  http.StatusTooManyRequests,
	errs.Unavailable:  http.StatusServiceUnavailable,
	errs.Internal:     http.StatusInternalServerError,
}

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error     problem   `json:"error"`
	Problems  []problem `json:"problems,omitempty"`
	RequestID string    `json:"requestId"`
}

type problem struct {
	Kind    errs.Kind `json:"kind"`
	Code    string    `json:"code"`
	Field   string    `json:"field,omitempty"`
	Message string    `json:"message"`
}

func toProblem(e *errs.Error) problem {
	return problem{Kind: e.Kind, Code: e.Code, Field: e.Field, Message: e.Message}
}

// writeError answers with the error's status and a JSON body; internal details
// are logged, never sent.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = errs.New(errs.TooLarge, "body_too_large", "", "the request body is larger than %d bytes", mbe.Limit)
	}
	err = store.AsUnavailable(err) // a database that does not answer is a 503, wherever the error came from
	body := errorBody{RequestID: logging.RequestID(r.Context())}
	var list errs.List
	if errors.As(err, &list) && len(list) > 0 {
		for _, e := range list {
			body.Problems = append(body.Problems, toProblem(e))
		}
		body.Error = body.Problems[0]
	} else if e, ok := errs.As(err); ok {
		body.Error = toProblem(e)
		if e.Kind == errs.Internal || e.Kind == errs.Unavailable {
			a.Log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "error", err)
		}
	} else {
		a.Log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "error", err)
		body.Error = problem{Kind: errs.Internal, Code: "internal", Message: "internal error; quote the request id when reporting it"}
	}
	setRetryAfter(w, err)
	if body.Error.Kind == errs.Unauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cbec"`)
	}
	_ = writeJSON(w, statusOf[body.Error.Kind], body)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// readJSON decodes a JSON body strictly: unknown fields and trailing data are
// errors that name the problem.
func readJSON(r *http.Request, v any) error {
	// curl -d sends form encoding by default; the body is still parsed strictly as JSON.
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return errs.Invalidf("Content-Type", "content_type", "want application/json, got %q", ct)
	}
	// Read whole (the body is already capped by max_body_bytes) so that
	// invalid UTF-8 is refused rather than silently turned into U+FFFD.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonError(err)
	}
	if !utf8.Valid(body) {
		return errs.Invalidf("body", "invalid_utf8", "the body is not valid UTF-8 (first bad byte at offset %d)", invalidUTF8At(body))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.Invalidf("", "json_trailing_data", "the body holds more than one JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return errs.Invalidf("", "json_empty", "the request body is empty; send a JSON object")
	case errors.As(err, &syn):
		return errs.Invalidf("", "json_syntax", "malformed JSON at byte %d: %v", syn.Offset, err)
	case errors.As(err, &typ):
		return errs.Invalidf(typ.Field, "json_type", "%s must be a JSON %s, not %s", typ.Field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.Invalidf(field, "json_unknown_field", "unknown field %q", field)
	default:
		return errs.Invalidf("", "json_invalid", "%v", fmt.Errorf("invalid JSON: %w", err))
	}
}
