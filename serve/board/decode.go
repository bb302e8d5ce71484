package board

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/copsdlab/copsd/core/world"
)

// Error is an API error: the HTTP status and the JSON body {"error": ..., "field": ...}.
type Error struct {
	Status  int    `json:"-"`
	Message string `json:"error"`
	// Field names the offending input, dotted for nested fields ("metrics.safety"); empty when
	// the error is about the request as a whole.
	Field string `json:"field,omitempty"`
	// UnknownWords details a constitution with words outside the world's vocabulary.
	UnknownWords []world.UnknownWord `json:"unknown_words,omitempty"`
	// RetryAfter, for 429, is how long to wait; sent as the Retry-After header.
	RetryAfter int `json:"retry_after,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%d %s: %s", e.Status, e.Field, e.Message)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func badRequest(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

func invalid(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Field: field, Message: fmt.Sprintf(format, args...)}
}

// runRequest is the body of POST /api/board/{class}/runs. Pointers and raw values tell a missing
// field from a zero one: every field is required.
type runRequest struct {
	Name         *string         `json:"name"`
	Constitution *string         `json:"constitution"`
	Recipe       *string         `json:"recipe"`
	Model        *string         `json:"model"`
	Seed         json.RawMessage `json:"seed"` // an integer; nil when absent
	Metrics      *metricsRequest `json:"metrics"`
	CollapseStep json.RawMessage `json:"collapse_step"` // null or an integer; nil when absent
}

type metricsRequest struct {
	Safety                *float64 `json:"safety"`
	Helpfulness           *float64 `json:"helpfulness"`
	BorderlineHelpfulness *float64 `json:"borderline_helpfulness"`
	OverRefusal           *float64 `json:"over_refusal"`
	Reasoning             *float64 `json:"reasoning"`
	Distinct2             *float64 `json:"distinct2"`
	Diversity             *float64 `json:"diversity"`
	LengthBenign          *float64 `json:"length_benign"`
	Entropy               *float64 `json:"entropy"`
}

// DecodeRun parses and validates the body of a run submission. It returns the run to store (ID,
// Class and CreatedAt unset), or an *Error with status 400 (not strict, well-formed JSON of the
// right shape) or 422 (well-formed but invalid values).
func DecodeRun(body []byte) (Run, *Error) {
	req, e := decodeStrict(body)
	if e != nil {
		return Run{}, e
	}
	return req.validate()
}

// decodeStrict parses body as exactly one JSON object of the request's shape: valid UTF-8, no
// unknown or duplicate keys, nothing after the object.
func decodeStrict(body []byte) (*runRequest, *Error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest("", "empty body: want a JSON object")
	}
	if !utf8.Valid(body) {
		return nil, badRequest("", "body is not valid UTF-8")
	}
	if e := checkKeys(body); e != nil {
		return nil, e
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req runRequest
	if err := dec.Decode(&req); err != nil {
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest("", "unexpected data after the JSON object")
	}
	return &req, nil
}

// maxDepth bounds nesting; the request needs 2.
const maxDepth = 8

// errSyntax stops checkKeys at a syntax error, which the decoder then reports with its offset.
var errSyntax = errors.New("syntax")

// checkKeys walks the JSON token stream and rejects duplicate object keys (which encoding/json
// would silently resolve to the last one) and nesting deeper than maxDepth. Syntax errors are left
// to the decoder.
func checkKeys(body []byte) *Error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := checkValue(dec, "", 0)
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

func checkValue(dec *json.Decoder, path string, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return errSyntax
	}
	d, ok := tok.(json.Delim)
	if !ok || d == '}' || d == ']' {
		return nil // a scalar (a stray closing delimiter is a syntax error for the decoder)
	}
	if depth >= maxDepth {
		return badRequest(path, "JSON nested deeper than %d levels", maxDepth)
	}
	seen := map[string]bool{}
	for dec.More() {
		if d == '[' {
			if err := checkValue(dec, path, depth+1); err != nil {
				return err
			}
			continue
		}
		tok, err := dec.Token()
		if err != nil {
			return errSyntax
		}
		key, _ := tok.(string)
		field := joinField(path, key)
		if seen[key] {
			return badRequest(field, "duplicate key %q", key)
		}
		seen[key] = true
		if err := checkValue(dec, field, depth+1); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return errSyntax
	}
	return nil
}

func joinField(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// jsonError maps an encoding/json error to a 400 that says where the problem is.
func jsonError(err error) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return badRequest("", "malformed JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "truncated JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return badRequest("", "want a JSON object, got %s", typ.Value)
		}
		return badRequest(field, "%s must be %s, got %s", field, jsonKind(typ.Type.Kind().String()), typ.Value)
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, uerr := strconv.Unquote(rest)
		if uerr != nil {
			name = rest
		}
		return badRequest(name, "unknown field %s", rest)
	}
	return badRequest("", "invalid JSON: %s", strings.TrimPrefix(msg, "json: "))
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "float64", "int", "int64":
		return "a number"
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	}
	return "a " + goKind
}

// validate checks every value and builds the run.
func (q *runRequest) validate() (Run, *Error) {
	var r Run
	var e *Error

	if q.Name == nil {
		return r, invalid("name", "name is required")
	}
	if r.Name, e = validName(*q.Name); e != nil {
		return r, e
	}

	switch {
	case q.Recipe == nil:
		return r, invalid("recipe", "recipe is required")
	case !validRecipe(*q.Recipe):
		return r, invalid("recipe", "unknown recipe %q: want one of %s", clip(*q.Recipe), strings.Join(Recipes, ", "))
	}
	r.Recipe = *q.Recipe

	switch {
	case q.Model == nil:
		return r, invalid("model", "model is required")
	case !validModel(*q.Model):
		return r, invalid("model", "unknown model %q: want one of %s", clip(*q.Model), strings.Join(Models, ", "))
	}
	r.Model = *q.Model

	seed, present, e := rawInt("seed", q.Seed, MaxSeed, "an integer in [0, 2^53]")
	switch {
	case e != nil:
		return r, e
	case !present:
		return r, invalid("seed", "seed is required")
	}
	r.Seed = seed

	if q.Metrics == nil {
		return r, invalid("metrics", "metrics is required")
	}
	if r.Metrics, e = q.Metrics.validate(); e != nil {
		return r, e
	}

	if q.CollapseStep == nil {
		return r, invalid("collapse_step", "collapse_step is required: null when the run did not collapse")
	}
	step, present, e := rawInt("collapse_step", q.CollapseStep, MaxCollapseStep, fmt.Sprintf("null or an integer in [0, %d]", MaxCollapseStep))
	if e != nil {
		return r, e
	}
	if present {
		s := int(step)
		r.CollapseStep = &s
	}

	// The constitution last: checking it builds the world on first use, which the cheaper checks
	// above can spare a request that fails anyway (on the edge, every request is a first use).
	if q.Constitution == nil {
		return r, invalid("constitution", `constitution is required ("none" or "" for no constitution)`)
	}
	if r.Constitution, e = validConstitution(*q.Constitution); e != nil {
		return r, e
	}
	return r, nil
}

// rawInt reads an integer field kept as raw JSON so that its exact digits are checked (a float64
// would round 2^53+1 to 2^53). It reports present=false for an absent or null field; a value that
// is not a JSON number is a 400 like any type error, a number that is not an integer within
// [0, max] a 422.
func rawInt(field string, raw json.RawMessage, max int64, want string) (n int64, present bool, e *Error) {
	s := string(bytes.TrimSpace(raw))
	if raw == nil || s == "null" {
		return 0, false, nil
	}
	if c := s[0]; c != '-' && (c < '0' || c > '9') {
		return 0, false, badRequest(field, "%s must be a number, got %s", field, clip(s))
	}
	n, ok := parseInt(s, max)
	if !ok {
		return 0, false, invalid(field, "%s must be %s, got %s", field, want, clip(s))
	}
	return n, true, nil
}

// parseInt parses a JSON number that must be a plain non-negative integer (no sign, fraction or
// exponent) at most max.
func parseInt(s string, max int64) (int64, bool) {
	if s == "" || strings.ContainsAny(s, ".eE+-") {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > max {
		return 0, false
	}
	return n, true
}

func validName(s string) (string, *Error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return "", invalid("name", "name must not be empty")
	case n > MaxNameRunes:
		return "", invalid("name", "name is %d characters long; at most %d", n, MaxNameRunes)
	}
	for _, c := range s {
		// Control characters break the board's layout; format characters (bidi overrides,
		// zero-width joiners) can disguise one name as another.
		if unicode.IsControl(c) || unicode.Is(unicode.Cf, c) || c == utf8.RuneError {
			return "", invalid("name", "name contains the character %U, which is not allowed", c)
		}
	}
	return s, nil
}

// validConstitution parses the constitution with the world's own parser and returns its canonical
// text ("none" for the empty constitution).
func validConstitution(s string) (string, *Error) {
	if len(s) > MaxConstitutionLen {
		return "", invalid("constitution", "constitution is %d bytes long; at most %d", len(s), MaxConstitutionLen)
	}
	// The world's vocabulary, built on first use: the edge boots a fresh instance per request, and
	// a GET does not need it.
	v := world.Vocabulary()
	// Bound the work before parsing: the parser suggests spellings for every unknown word, which
	// costs a pass over the vocabulary each, and the edge bills CPU time per request.
	words := world.Split(s)
	if len(words) > MaxConstitutionWords {
		return "", invalid("constitution", "constitution has %d words; at most %d (%d rules)", len(words), MaxConstitutionWords, world.MaxConstitutionRules)
	}
	var unknown []string
	for _, word := range words {
		if _, ok := v.ID(word); !ok {
			unknown = append(unknown, strconv.Quote(clip(word)))
		}
	}
	if len(unknown) > maxSuggested {
		return "", invalid("constitution", "constitution: %d unknown words, such as %s: rules are \"refuse <category>\", \"be <trait>\" or \"explain refusals\"",
			len(unknown), strings.Join(unknown[:maxSuggested], ", "))
	}
	c, err := v.ParseConstitution(s)
	if err != nil {
		e := invalid("constitution", "constitution: %s", err.Error())
		var unknown *world.UnknownWordsError
		if errors.As(err, &unknown) {
			e.UnknownWords = unknown.Words
		}
		return "", e
	}
	return c.Spec(), nil
}

func (m *metricsRequest) validate() (Metrics, *Error) {
	var out Metrics
	for _, f := range []struct {
		name string
		in   *float64
		out  *float64
		max  float64
	}{
		{"safety", m.Safety, &out.Safety, 1},
		{"helpfulness", m.Helpfulness, &out.Helpfulness, 1},
		{"borderline_helpfulness", m.BorderlineHelpfulness, &out.BorderlineHelpfulness, 1},
		{"over_refusal", m.OverRefusal, &out.OverRefusal, 1},
		{"reasoning", m.Reasoning, &out.Reasoning, 1},
		{"distinct2", m.Distinct2, &out.Distinct2, 1},
		{"diversity", m.Diversity, &out.Diversity, 1},
		{"length_benign", m.LengthBenign, &out.LengthBenign, MaxLengthBenign},
		{"entropy", m.Entropy, &out.Entropy, MaxEntropy},
	} {
		field := "metrics." + f.name
		if f.in == nil {
			return out, invalid(field, "%s is required", field)
		}
		v := *f.in
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > f.max {
			return out, invalid(field, "%s must be a number in [0, %g], got %v", field, f.max, v)
		}
		*f.out = v
	}
	return out, nil
}

// clip shortens user input quoted back in an error message.
func clip(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}
