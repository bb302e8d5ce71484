// Package board is the class board: students post the summary of a finished run (who, which
// constitution, recipe and model, the final metrics, when it collapsed) under a class code, and the
// class sees every run, newest first.
//
// The HTTP API (see API.md) is one http.Handler, NewHandler, over a Store. The same handler runs in
// the local server over SQLite (package sqlitestore) and in the Cloudflare Worker over D1
// (serve/worker); both stores are SQLStore over database/sql with the schema in migrations/.
//
// This package must build for GOOS=js GOARCH=wasm: it imports no cgo, no file system and no
// SQLite driver.
package board

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"time"

	"github.com/copsdlab/copsd/core/distill"
)

// Run is one run summary on a class board.
type Run struct {
	ID           int64     `json:"id"`
	Class        string    `json:"class"`
	CreatedAt    time.Time `json:"created_at"`
	Name         string    `json:"name"`
	Constitution string    `json:"constitution"`
	Recipe       string    `json:"recipe"`
	Model        string    `json:"model"`
	Seed         int64     `json:"seed"`
	Metrics      Metrics   `json:"metrics"`
	// CollapseStep is the distillation step at which the collapse detector fired; nil when the run
	// did not collapse.
	CollapseStep *int `json:"collapse_step"`
}

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

// Page selects a page of a class's runs, newest first.
type Page struct {
	// Limit is the most runs to return, 1..MaxLimit.
	Limit int
	// Before, when positive, returns only runs with smaller ids: the Next of the previous page.
	Before int64
}

// Store keeps class boards. Implementations must be safe for concurrent use, and Add must not
// return before the run is durable.
type Store interface {
	// Add stores r on class's board and returns it with its ID set. r.Class is ignored.
	Add(ctx context.Context, class string, r Run) (Run, error)
	// List returns a page of class's runs, newest first, and the cursor (Page.Before) of the next
	// page, or 0 when this page is the last.
	List(ctx context.Context, class string, p Page) (runs []Run, next int64, err error)
}

// Limits of the API. They are part of the API contract (API.md).
const (
	MaxBody            = 16 << 10 // bytes of a POST body
	MaxNameRunes       = 40
	MaxConstitutionLen = 600 // bytes of constitution text as sent
	// MaxConstitutionWords bounds the words (with each "." a word) of a constitution: the world
	// allows 12 rules of at most three words and a full stop.
	MaxConstitutionWords = 48
	// maxSuggested is the most unknown words answered with spelling suggestions; with more, the
	// text is not a constitution at all.
	maxSuggested        = 5
	DefaultLimit        = 20
	MaxLimit            = 100
	MaxSeed             = 1 << 53 // seeds are exact in a float64 (JavaScript, D1)
	MaxCollapseStep     = 100000
	MaxLengthBenign     = 64
	MaxEntropy          = 10
	ClassMinLen         = 3
	ClassMaxLen         = 32
	classPatternLiteral = `^[a-z0-9-]{3,32}$`
)

var classPattern = regexp.MustCompile(classPatternLiteral)

// ValidClass reports whether s is a class code: 3 to 32 characters of a-z, 0-9 and '-'.
func ValidClass(s string) bool { return classPattern.MatchString(s) }

// Recipes are the recipe names a run may carry: core/distill's recipes.
var Recipes = distill.RecipeNames()

// Models are the base model names a run may carry.
var Models = []string{"base-rho0", "base-rho50"}

func validRecipe(s string) bool { return slices.Contains(Recipes, s) }
func validModel(s string) bool  { return slices.Contains(Models, s) }

// ErrUnavailable is returned (wrapped) by a Store that cannot serve right now; the handler answers
// 503 instead of 500.
var ErrUnavailable = errors.New("board: storage unavailable")
