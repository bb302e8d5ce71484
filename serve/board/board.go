// Package board is the class board: students post the summary of a finished run (who, which
// constitution, recipe and model, the final metrics, when it collapsed) under a class code, and the
// class sees every run, newest first. A teacher may claim a class, which gives them a key that
// hides runs from its board.
//
// The HTTP API (see API.md) is one http.Handler, NewHandler, over a Store. The same handler runs in
// the local server over SQLite (package sqlitestore) and in the Cloudflare Worker over D1
// (serve/worker); both stores are SQLStore over database/sql with the schema in migrations/. The
// JSON on the wire is package core/boardwire, which the lab's page shares.
//
// This package must build for GOOS=js GOARCH=wasm: it imports no cgo, no file system and no
// SQLite driver.
package board

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/copsdlab/copsd/core/boardwire"
	"github.com/copsdlab/copsd/core/distill"
)

// The wire types, named here for the server's callers.
type (
	Run          = boardwire.Run
	Submission   = boardwire.Submission
	Metrics      = boardwire.Metrics
	ListResponse = boardwire.ListResponse
)

// Page selects a page of a class's runs, newest first.
type Page struct {
	// Limit is the most runs to return, 1..MaxLimit.
	Limit int
	// Before, when positive, returns only runs with smaller ids: the Next of the previous page.
	Before int64
}

// Store keeps class boards. Implementations must be safe for concurrent use, and a write must not
// return before it is durable.
type Store interface {
	// Add stores r on class's board and returns it with its ID set, and created true. When class
	// already holds a run with r.RunID, it stores nothing and returns that run, created false.
	// r.Class is ignored.
	Add(ctx context.Context, class string, r Run) (stored Run, created bool, err error)
	// List returns a page of class's runs that are not hidden, newest first, and the cursor
	// (Page.Before) of the next page, or 0 when this page is the last.
	List(ctx context.Context, class string, p Page) (runs []Run, next int64, err error)
	// Hide takes the run with the id off class's board (it stays stored). found is false when
	// class has no run with that id; hiding a hidden run again is not an error.
	Hide(ctx context.Context, class string, id int64, at time.Time) (found bool, err error)
	// Claim records keyHash as class's teacher key. claimed is false, and nothing changes, when
	// the class was claimed before.
	Claim(ctx context.Context, class, keyHash string, at time.Time) (claimed bool, err error)
	// KeyHash returns the hash of class's teacher key, or "" when the class is not claimed.
	KeyHash(ctx context.Context, class string) (string, error)
}

// Limits of the API (boardwire's, and the server's own).
const (
	MaxBody            = boardwire.MaxBody
	MaxNameRunes       = boardwire.MaxNameRunes
	MaxConstitutionLen = boardwire.MaxConstitutionLen
	DefaultLimit       = boardwire.DefaultLimit
	MaxLimit           = boardwire.MaxLimit
	MaxSeed            = boardwire.MaxSeed
	MaxCollapseStep    = boardwire.MaxCollapseStep
	ClassMinLen        = boardwire.ClassMinLen
	ClassMaxLen        = boardwire.ClassMaxLen
	// MaxConstitutionWords bounds the words (with each "." a word) of a constitution: the world
	// allows 12 rules of at most three words and a full stop.
	MaxConstitutionWords = 48
	// maxSuggested is the most unknown words answered with spelling suggestions; with more, the
	// text is not a constitution at all.
	maxSuggested = 5
	// MaxCSVRuns bounds a CSV export: a class board is tens of runs, a runaway one is cut here.
	MaxCSVRuns = 10000
)

// ValidClass reports whether s is a class code (boardwire.ValidClass).
func ValidClass(s string) bool { return boardwire.ValidClass(s) }

// Recipes are the recipe names a run may carry: core/distill's recipes.
var Recipes = distill.RecipeNames()

// Models are the base model names a run may carry.
var Models = []string{"base-rho0", "base-rho50"}

func validRecipe(s string) bool { return slices.Contains(Recipes, s) }
func validModel(s string) bool  { return slices.Contains(Models, s) }

// ErrUnavailable is returned (wrapped) by a Store that cannot serve right now; the handler answers
// 503 instead of 500.
var ErrUnavailable = errors.New("board: storage unavailable")
