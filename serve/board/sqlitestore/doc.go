// Package sqlitestore keeps the class board in a SQLite file, through modernc.org/sqlite (pure Go,
// no cgo).
//
// Durability: the database runs in WAL mode with synchronous=FULL, so a commit is on disk (the WAL
// is fsynced) before Add returns and the handler answers 201; a run so acknowledged survives the
// process being killed. Writes go through one connection at a time (a mutex, plus a busy timeout
// for other processes), so concurrent posts queue instead of failing with SQLITE_BUSY.
//
// SQLite does not build for GOOS=js; there Open returns ErrUnsupported, and the edge uses D1
// (serve/worker) instead.
package sqlitestore

// FileName is the database's file name in the data directory.
const FileName = "board.db"
