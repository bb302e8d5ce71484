package board

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/copsdlab/copsd/core/boardwire"
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

// DecodeRun parses and validates the body of a run submission. It returns the run to store (ID,
// Class and CreatedAt unset; RunID empty when the client sent none), or an *Error with status 400
// (not strict, well-formed JSON of the right shape) or 422 (well-formed but invalid values).
func DecodeRun(body []byte) (Run, *Error) {
	req, e := decodeStrict(body)
	if e != nil {
		return Run{}, e
	}
	return req.validate()
}

// validate checks every value and builds the run.
func (q *runRequest) validate() (Run, *Error) {
	var r Run
	var e *Error

	if q.RunID != nil {
		if !boardwire.ValidRunID(*q.RunID) {
			return r, invalid("run_id", "run_id must be %d to %d characters of A-Z, a-z, 0-9, '-' and '_', got %q",
				boardwire.RunIDMinLen, boardwire.RunIDMaxLen, clip(*q.RunID))
		}
		r.RunID = *q.RunID
	}

	if q.Name == nil {
		return r, invalid("name", "name is required")
	}
	name, err := boardwire.CheckName(*q.Name)
	if err != nil {
		return r, invalid("name", "%s", err.Error())
	}
	r.Name = name

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

	if !q.hasCollapse {
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
	for _, f := range out.Fields() {
		field := "metrics." + f.Name
		in, ok := m.values[f.Name]
		if !ok {
			return out, invalid(field, "%s is required", field)
		}
		if *f.Value = in; !f.InRange() {
			return out, invalid(field, "%s must be a number in [0, %g], got %v", field, f.Max, in)
		}
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
