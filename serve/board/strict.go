package board

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/copsdlab/copsd/core/boardwire"
)

// The request decoder reads the JSON token stream itself instead of unmarshalling into a struct:
// encoding/json matches object keys to field names case-insensitively, with Unicode folding, so
// "NAME" or "\u017feed" ("ſeed") would land in name or seed, and a second spelling would overwrite
// the first. Here every key must be spelled exactly as in API.md, once.

// runRequest is the body of POST /api/board/{class}/runs as sent. Nil pointers and raw values
// tell a missing (or null) field from a zero one: every field but run_id is required.
type runRequest struct {
	RunID        *string
	Name         *string
	Constitution *string
	Recipe       *string
	Model        *string
	Seed         json.RawMessage // a JSON number, or "null"; nil when absent
	Metrics      *metricsRequest
	CollapseStep json.RawMessage // a JSON number, or "null"; nil when absent
	hasCollapse  bool
}

// metricsRequest holds the metrics sent, by exact name.
type metricsRequest struct {
	values map[string]float64
}

// metricNames are the keys a metrics object may hold.
var metricNames = func() map[string]bool {
	var m boardwire.Metrics
	names := map[string]bool{}
	for _, f := range m.Fields() {
		names[f.Name] = true
	}
	return names
}()

// decodeStrict parses body as exactly one JSON object of the request's shape: valid UTF-8, every
// key known and spelled exactly, no key twice, nothing after the object.
func decodeStrict(body []byte) (*runRequest, *Error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest("", "empty body: want a JSON object")
	}
	if !utf8.Valid(body) {
		return nil, badRequest("", "body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var req runRequest
	isNull, e := readObject(dec, "", req.readField)
	if e != nil {
		return nil, e
	}
	if isNull {
		return nil, badRequest("", "want a JSON object, got null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest("", "unexpected data after the JSON object")
	}
	return &req, nil
}

func (q *runRequest) readField(dec *json.Decoder, key, field string) *Error {
	var e *Error
	switch key {
	case "run_id":
		q.RunID, e = readString(dec, field)
	case "name":
		q.Name, e = readString(dec, field)
	case "constitution":
		q.Constitution, e = readString(dec, field)
	case "recipe":
		q.Recipe, e = readString(dec, field)
	case "model":
		q.Model, e = readString(dec, field)
	case "seed":
		q.Seed, e = readNumber(dec, field)
	case "collapse_step":
		q.CollapseStep, e = readNumber(dec, field)
		q.hasCollapse = true
	case "metrics":
		m := &metricsRequest{values: map[string]float64{}}
		var isNull bool
		if isNull, e = readObject(dec, field, m.readField); !isNull {
			q.Metrics = m
		}
	default:
		return unknownField(field)
	}
	return e
}

func (m *metricsRequest) readField(dec *json.Decoder, key, field string) *Error {
	if !metricNames[key] {
		return unknownField(field)
	}
	raw, e := readNumber(dec, field)
	if e != nil || string(raw) == "null" {
		return e // null: as if missing
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil { // out of float64's range
		return badRequest(field, "%s must be a number, got %s", field, clip(string(raw)))
	}
	m.values[key] = v
	return nil
}

func unknownField(field string) *Error {
	return badRequest(field, "unknown field %s", strconv.Quote(clip(field)))
}

// readObject reads an object (or null, reporting isNull) and calls field for each key, which must
// read the key's value. A key given twice is an error naming it.
func readObject(dec *json.Decoder, path string, field func(dec *json.Decoder, key, field string) *Error) (isNull bool, e *Error) {
	tok, err := dec.Token()
	if err != nil {
		return false, tokenError(err)
	}
	if tok == nil {
		return true, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if path == "" {
			return false, badRequest("", "want a JSON object, got %s", kindOf(tok))
		}
		return false, badRequest(path, "%s must be an object, got %s", path, kindOf(tok))
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false, tokenError(err)
		}
		key, _ := tok.(string)
		name := joinField(path, key)
		if seen[key] {
			return false, badRequest(name, "duplicate key %s", strconv.Quote(clip(key)))
		}
		seen[key] = true
		if e := field(dec, key, name); e != nil {
			return false, e
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return false, tokenError(err)
	}
	return false, nil
}

// readString reads a string or null (nil).
func readString(dec *json.Decoder, field string) (*string, *Error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, tokenError(err)
	}
	switch v := tok.(type) {
	case nil:
		return nil, nil
	case string:
		return &v, nil
	}
	return nil, badRequest(field, "%s must be a string, got %s", field, kindOf(tok))
}

// readNumber reads a number, as its exact text, or null ("null").
func readNumber(dec *json.Decoder, field string) (json.RawMessage, *Error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, tokenError(err)
	}
	switch v := tok.(type) {
	case nil:
		return json.RawMessage("null"), nil
	case json.Number:
		return json.RawMessage(v), nil
	}
	return nil, badRequest(field, "%s must be a number, got %s", field, kindOf(tok))
}

func kindOf(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return strconv.FormatBool(v)
	}
	return "null"
}

// tokenError maps an error of the token stream to a 400 that says where the problem is.
func tokenError(err error) *Error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return badRequest("", "malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "truncated JSON")
	}
	return badRequest("", "invalid JSON: %v", err)
}

func joinField(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}
