//go:build js

package sqlitestore

import (
	"context"
	"errors"
	"time"

	"github.com/copsdlab/copsd/serve/board"
)

// ErrUnsupported is returned by Open where SQLite does not build.
var ErrUnsupported = errors.New("board: SQLite is not available on GOOS=js; the edge build uses D1")

// Store is a board.Store over a SQLite file; on GOOS=js it cannot be opened.
type Store struct{}

// Open returns ErrUnsupported.
func Open(dir string) (*Store, error) { return nil, ErrUnsupported }

// OpenFile returns ErrUnsupported.
func OpenFile(path string) (*Store, error) { return nil, ErrUnsupported }

// Add implements board.Store.
func (*Store) Add(context.Context, string, board.Run) (board.Run, bool, error) {
	return board.Run{}, false, ErrUnsupported
}

// Hide implements board.Store.
func (*Store) Hide(context.Context, string, int64, time.Time) (bool, error) {
	return false, ErrUnsupported
}

// Claim implements board.Store.
func (*Store) Claim(context.Context, string, string, time.Time) (bool, error) {
	return false, ErrUnsupported
}

// KeyHash implements board.Store.
func (*Store) KeyHash(context.Context, string) (string, error) { return "", ErrUnsupported }

// List implements board.Store.
func (*Store) List(context.Context, string, board.Page) ([]board.Run, int64, error) {
	return nil, 0, ErrUnsupported
}

// Path is the database file.
func (*Store) Path() string { return "" }

// Close does nothing.
func (*Store) Close() error { return nil }
