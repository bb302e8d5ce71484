// Package boardwire is the class board's wire format (serve/board/API.md): the JSON of a run on a
// board, its limits, and the checks that both the server and the lab's page make. It is a leaf:
// it imports no net/http and nothing else of the lab, so that the page (ui/state) and the server
// (serve/board, natively and in the Cloudflare Worker) share it without pulling in each other.
//
// The accepted recipe and model names are not here: they come from core/distill and are checked
// by the server (serve/board).
package boardwire

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the API. They are part of the API contract (API.md).
const (
	MaxBody            = 16 << 10 // bytes of a POST body
	MaxNameRunes       = 40       // characters of a display name, after trimming
	MaxConstitutionLen = 600      // bytes of constitution text as sent
	DefaultLimit       = 20       // runs in a page when ?limit= is not given
	MaxLimit           = 100      // runs in a page at most
	MaxSeed            = 1 << 53  // seeds are exact in a float64 (JavaScript, D1)
	MaxCollapseStep    = 100000
	MaxLengthBenign    = 64 // tokens
	MaxEntropy         = 10 // nats
	ClassMinLen        = 3
	ClassMaxLen        = 32
	RunIDMinLen        = 16 // a client's run id: enough characters to be unguessable and unique
	RunIDMaxLen        = 64
	// NoConstitution is the stored form of the empty constitution.
	NoConstitution = "none"
)

// Metrics are a run's final evaluation metrics, named as in the run export (core/diag.Metrics).
type Metrics struct {
	Safety                float64 `json:"safety"`
	Helpfulness           float64 `json:"helpfulness"`
	BorderlineHelpfulness float64 `json:"borderline_helpfulness"`
	OverRefusal           float64 `json:"over_refusal"`
	Reasoning             float64 `json:"reasoning"`
	Distinct2             float64 `json:"distinct2"`
	Diversity             float64 `json:"diversity"`
	LengthBenign          float64 `json:"length_benign"`
	Entropy               float64 `json:"entropy"`
}

// Metric is one of the metrics with its JSON name and its allowed range [0, Max].
type Metric struct {
	Name  string
	Value *float64
	Max   float64
}

// Fields lists m's metrics in wire order with their bounds: the one table the server's decoder
// and the page's pre-check read.
func (m *Metrics) Fields() []Metric {
	return []Metric{
		{"safety", &m.Safety, 1},
		{"helpfulness", &m.Helpfulness, 1},
		{"borderline_helpfulness", &m.BorderlineHelpfulness, 1},
		{"over_refusal", &m.OverRefusal, 1},
		{"reasoning", &m.Reasoning, 1},
		{"distinct2", &m.Distinct2, 1},
		{"diversity", &m.Diversity, 1},
		{"length_benign", &m.LengthBenign, MaxLengthBenign},
		{"entropy", &m.Entropy, MaxEntropy},
	}
}

// Submission is the body of POST /api/board/{class}/runs.
type Submission struct {
	// RunID is chosen by the client (NewRunID) and makes the post idempotent: posting the same
	// run id again to the same class answers the run already stored instead of adding another.
	RunID        string  `json:"run_id,omitempty"`
	Name         string  `json:"name"`
	Constitution string  `json:"constitution"`
	Recipe       string  `json:"recipe"`
	Model        string  `json:"model"`
	Seed         int64   `json:"seed"`
	Metrics      Metrics `json:"metrics"`
	// CollapseStep is the distillation step at which the collapse detector fired; nil when the run
	// did not collapse.
	CollapseStep *int `json:"collapse_step"`
}

// Run is one run summary on a class board, as the API answers it.
type Run struct {
	ID        int64  `json:"id"` // assigned by the server; only grows
	Class     string `json:"class"`
	CreatedAt Time   `json:"created_at"`
	Submission
}

// ListResponse is the body of GET /api/board/{class}.
type ListResponse struct {
	Class string `json:"class"`
	Runs  []Run  `json:"runs"`
	// Next is the cursor of the next page, to send as ?before=; null on the last page.
	Next *string `json:"next"`
}

// ClaimResponse is the body of the 201 answer to POST /api/board/{class}/claim.
type ClaimResponse struct {
	Class      string `json:"class"`
	TeacherKey string `json:"teacher_key"`
}

// TimeLayout is created_at's format: UTC with exactly three digits of milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Time is a server timestamp on the wire: UTC, millisecond precision, always three digits
// ("2026-11-20T09:41:07.700Z", never "…07.7Z").
type Time struct{ time.Time }

// At returns t truncated to the millisecond, in UTC.
func At(t time.Time) Time { return Time{time.UnixMilli(t.UnixMilli()).UTC()} }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(TimeLayout) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler; it takes any RFC 3339 time.
func (t *Time) UnmarshalJSON(b []byte) error {
	var v time.Time
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	*t = At(v)
	return nil
}

// ValidClass reports whether s is a class code: 3 to 32 characters of a-z, 0-9 and '-'.
func ValidClass(s string) bool {
	if len(s) < ClassMinLen || len(s) > ClassMaxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidRunID reports whether s is a client's run id: 16 to 64 characters of A-Z, a-z, 0-9, '-'
// and '_' (a UUID, or NewRunID's hex, qualifies).
func ValidRunID(s string) bool {
	if len(s) < RunIDMinLen || len(s) > RunIDMaxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// NewRunID returns a fresh random run id: 32 hex digits (128 bits).
func NewRunID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b[:])
}

// CheckName returns a display name trimmed, or why it is not one: 1 to MaxNameRunes characters,
// without control or invisible formatting characters.
func CheckName(s string) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return "", errors.New("name must not be empty")
	case n > MaxNameRunes:
		return "", fmt.Errorf("name is %d characters long; at most %d", n, MaxNameRunes)
	}
	for _, c := range s {
		// Control characters break the board's layout; format characters (bidi overrides,
		// zero-width joiners) can disguise one name as another.
		if unicode.IsControl(c) || unicode.Is(unicode.Cf, c) || c == utf8.RuneError {
			return "", fmt.Errorf("name contains the character %U, which is not allowed", c)
		}
	}
	return s, nil
}

// InRange reports whether the metric's value is a finite number in [0, Max].
func (f Metric) InRange() bool { v := *f.Value; return v >= 0 && v <= f.Max }
