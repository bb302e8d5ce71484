-- The class board's schema: one table of run summaries. Shared by the local server (SQLite, applied
-- at start by serve/board/sqlitestore) and the edge (D1, applied by `wrangler d1 migrations apply`).
-- Its statements stay idempotent: local databases made before migrations were recorded ran it on
-- every start, and run it once more when they first record it.

CREATE TABLE IF NOT EXISTS runs (
  -- AUTOINCREMENT: ids only grow, so "newest first" is "id descending" and an id is a stable
  -- pagination cursor.
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  class TEXT NOT NULL CHECK (length(class) BETWEEN 3 AND 32),
  created_ms INTEGER NOT NULL, -- Unix milliseconds, set by the server
  name TEXT NOT NULL,
  constitution TEXT NOT NULL, -- canonical form, "none" for the empty constitution
  recipe TEXT NOT NULL,
  model TEXT NOT NULL,
  seed INTEGER NOT NULL CHECK (seed >= 0),
  collapse_step INTEGER CHECK (collapse_step IS NULL OR collapse_step >= 0),
  safety REAL NOT NULL,
  helpfulness REAL NOT NULL,
  borderline_helpfulness REAL NOT NULL,
  over_refusal REAL NOT NULL,
  reasoning REAL NOT NULL,
  distinct2 REAL NOT NULL,
  diversity REAL NOT NULL,
  length_benign REAL NOT NULL,
  entropy REAL NOT NULL
);

CREATE INDEX IF NOT EXISTS runs_by_class ON runs (class, id DESC);
