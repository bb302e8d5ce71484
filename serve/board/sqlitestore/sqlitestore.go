//go:build !js

package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

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
	if err := s.migrate(ctx); err != nil {
		return err
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

// migrate applies, each in a transaction, the board's migrations that board_migrations does not
// record yet.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS board_migrations (
		name TEXT PRIMARY KEY, applied_ms INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("recording migrations: %w", err)
	}
	for _, name := range board.MigrationNames() {
		sqlText, err := fs.ReadFile(board.Migrations, name)
		if err != nil {
			return err
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM board_migrations WHERE name = ?`, name).Scan(&done); err != nil {
			tx.Rollback()
			return err
		}
		if done == 0 {
			if _, err := tx.ExecContext(ctx, string(sqlText)); err != nil {
				tx.Rollback()
				return fmt.Errorf("applying %s: %w", name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO board_migrations (name, applied_ms) VALUES (?, ?)`, name, time.Now().UnixMilli()); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("applying %s: %w", name, err)
		}
	}
	return nil
}

// Writes are serialised: SQLite has one writer at a time anyway, and queueing here is fairer and
// cheaper than retrying on SQLITE_BUSY.

// Add implements board.Store.
func (s *Store) Add(ctx context.Context, class string, r board.Run) (board.Run, bool, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.SQLStore.Add(ctx, class, r)
}

// Hide implements board.Store.
func (s *Store) Hide(ctx context.Context, class string, id int64, at time.Time) (bool, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.SQLStore.Hide(ctx, class, id, at)
}

// Claim implements board.Store.
func (s *Store) Claim(ctx context.Context, class, keyHash string, at time.Time) (bool, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.SQLStore.Claim(ctx, class, keyHash, at)
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
