//go:build !js

package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/copsdlab/copsd/serve/board"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is a board.Store over a SQLite file.
type Store struct {
	*board.SQLStore
	db      *sql.DB
	writeMu sync.Mutex
	path    string
}

// pragmas are set on every connection the pool opens.
var pragmas = []string{
	"busy_timeout(10000)", // wait up to 10s for another writer (another process) instead of failing
	"journal_mode(WAL)",   // readers do not block the writer, and a commit is one fsync of the WAL
	"synchronous(FULL)",   // fsync the WAL on every commit: acknowledged means durable
	"foreign_keys(1)",
}

// Open opens (creating if needed) dir/board.db and applies the schema.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("board: %w", err)
	}
	return OpenFile(filepath.Join(dir, FileName))
}

// OpenFile opens (creating if needed) the database at path and applies the schema.
func OpenFile(path string) (*Store, error) {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + filepath.ToSlash(path) + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("board: opening %s: %w", path, err)
	}
	s := &Store{SQLStore: board.NewSQLStore(db), db: db, path: path}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("board: opening %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) init() error {
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, board.Schema); err != nil {
		return fmt.Errorf("applying the schema: %w", err)
	}
	// The pragmas are applied per connection; check that they took (journal_mode can silently
	// stay "delete" on file systems without shared memory).
	var mode string
	var sync int
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return err
	}
	if mode != "wal" || sync != 2 {
		return fmt.Errorf("want journal_mode=wal and synchronous=FULL(2), got %s and %d", mode, sync)
	}
	return nil
}

// Add implements board.Store. Writes are serialised: SQLite has one writer at a time anyway, and
// queueing here is fairer and cheaper than retrying on SQLITE_BUSY.
func (s *Store) Add(ctx context.Context, class string, r board.Run) (board.Run, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.SQLStore.Add(ctx, class, r)
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close checkpoints the WAL into the database file and closes it.
func (s *Store) Close() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_, cerr := s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return errors.Join(cerr, s.db.Close())
}
