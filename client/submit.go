package client

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Answer is the server's receipt for a submitted message. Status 200 means
// the message was taken and each document has its own result (which may
// still refuse that document); 400 means the whole message was refused
// (CEB900 for XML) and Results says why.
type Answer struct {
	Status int
	Body   []byte // the receipt message: CEB XML for SubmitCEB, JSON for SubmitJSON
	JSON   bool   // Body is JSON
}

// Refused reports whether the whole message was refused (HTTP 400).
func (a Answer) Refused() bool { return a.Status == http.StatusBadRequest }

// SubmitCEB posts a CEB message (XML, signed where the signature policy
// asks for it) to POST /api/v1/ceb. The receipt comes back as an Answer,
// also when the message was refused as a whole; an error is a failure to
// reach the server or an error answer (*Error: credentials, rights, size,
// rate limit).
func (c *Client) SubmitCEB(ctx context.Context, message []byte) (Answer, error) {
	return c.submit(ctx, "/api/v1/ceb", "application/xml", message, false)
}

// SubmitJSON posts one message as JSON to POST /api/v1/documents/{type},
// e.g. messageType "CEB311Message": the message's structure with the spec's
// element names. document is sent as it is when it is []byte or
// json.RawMessage, else encoded as JSON. A document that fails validation is
// an *Error whose Problems name every element at fault.
func (c *Client) SubmitJSON(ctx context.Context, messageType string, document any) (Answer, error) {
	var body []byte
	switch d := document.(type) {
	case []byte:
		body = d
	case json.RawMessage:
		body = d
	default:
		var err error
		if body, err = json.Marshal(document); err != nil {
			return Answer{}, fmt.Errorf("submit %s: encode: %w", messageType, err)
		}
	}
	return c.submit(ctx, "/api/v1/documents/"+url.PathEscape(messageType), "application/json", body, true)
}

func (c *Client) submit(ctx context.Context, path, ctype string, body []byte, isJSON bool) (Answer, error) {
	status, header, b, err := c.send(ctx, http.MethodPost, path, ctype, body)
	if err != nil {
		return Answer{}, err
	}
	if status == http.StatusOK || (status == http.StatusBadRequest && isReceipt(b, isJSON)) {
		return Answer{Status: status, Body: b, JSON: isJSON}, nil
	}
	return Answer{}, newError("POST "+path, status, header, b)
}

// isReceipt tells a refused message's receipt from an error answer: the
// receipt is XML (CEB) or a JSON object without an "error" member.
func isReceipt(b []byte, isJSON bool) bool {
	if !isJSON {
		return bytes.HasPrefix(bytes.TrimSpace(b), []byte("<"))
	}
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	return json.Unmarshal(b, &v) == nil && v.Error == nil
}

// Result is the outcome of one document of a receipt.
type Result struct {
	ReturnStatus string            // e.g. "120" taken, "100" refused (rules and docs/reasons.md)
	ReturnInfo   string            // "[Code:1800;Desc:…]"
	Fields       map[string]string // the receipt's other simple fields, e.g. "orderNo", "copNo", "guid"
}

var codeRE = regexp.MustCompile(`\[Code:\s*(-?[0-9]+)`)

// Code is the reason code of ReturnInfo, e.g. "1332"; "" when there is none.
func (r Result) Code() string { return ReasonCode(r.ReturnInfo) }

// ReasonCode extracts the reason code of a returnInfo, e.g. "1332" from
// "[Code:1332;Desc:…]"; "" when there is none.
func ReasonCode(info string) string {
	if m := codeRE.FindStringSubmatch(info); m != nil {
		return m[1]
	}
	return ""
}

// Results lists the result of each document of the receipt, in order.
func (a Answer) Results() ([]Result, error) {
	if a.JSON {
		return jsonResults(a.Body)
	}
	return xmlResults(a.Body)
}

// xmlResults walks the receipt message and makes a Result of every element
// that has a returnStatus child; its other leaf children become Fields.
func xmlResults(b []byte) ([]Result, error) {
	type frame struct {
		leaves map[string]string
		text   strings.Builder
		child  bool // has child elements: not a leaf
	}
	var stack []*frame
	var out []Result
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read receipt: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if n := len(stack); n > 0 {
				stack[n-1].child = true
			}
			stack = append(stack, &frame{})
		case xml.CharData:
			if n := len(stack); n > 0 {
				stack[n-1].text.Write(t)
			}
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if f.leaves != nil && f.leaves["returnStatus"] != "" {
				r := Result{ReturnStatus: f.leaves["returnStatus"], ReturnInfo: f.leaves["returnInfo"], Fields: f.leaves}
				delete(r.Fields, "returnStatus")
				delete(r.Fields, "returnInfo")
				out = append(out, r)
			}
			if n := len(stack); n > 0 && !f.child {
				p := stack[n-1]
				if p.leaves == nil {
					p.leaves = map[string]string{}
				}
				p.leaves[t.Name.Local] = strings.TrimSpace(f.text.String())
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("read receipt: no returnStatus in the answer")
	}
	return out, nil
}

// jsonResults does the same for the JSON receipt of SubmitJSON, whose
// members are named as the spec's elements, capitalised.
func jsonResults(b []byte) ([]Result, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("read receipt: %w", err)
	}
	var out []Result
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			leaves := map[string]string{}
			for _, k := range slices.Sorted(maps.Keys(t)) { // sorted: results in a stable order
				if s, ok := t[k].(string); ok {
					leaves[lowerFirst(k)] = s
				} else {
					walk(t[k])
				}
			}
			if st := leaves["returnStatus"]; st != "" {
				r := Result{ReturnStatus: st, ReturnInfo: leaves["returnInfo"], Fields: leaves}
				delete(r.Fields, "returnStatus")
				delete(r.Fields, "returnInfo")
				out = append(out, r)
			}
		}
	}
	walk(v)
	if len(out) == 0 {
		return nil, errors.New("read receipt: no returnStatus in the answer")
	}
	return out, nil
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
