-- Moderation and idempotent posts (API.md): a client's run id, unique within a class, so that a
-- retried post finds the run it already made; a run hidden by the class's teacher stays stored but
-- leaves the board; and the teacher's key per claimed class, as a SHA-256 hash only.
-- Applied once: by `wrangler d1 migrations apply` on D1, and locally by serve/board/sqlitestore,
-- which records it in board_migrations.

ALTER TABLE runs ADD COLUMN run_id TEXT; -- NULL for runs posted before this migration
ALTER TABLE runs ADD COLUMN hidden_ms INTEGER; -- Unix milliseconds when hidden; NULL: on the board

CREATE UNIQUE INDEX IF NOT EXISTS runs_by_run_id ON runs (class, run_id);

CREATE TABLE IF NOT EXISTS classes (
  class TEXT PRIMARY KEY CHECK (length(class) BETWEEN 3 AND 32),
  key_hash TEXT NOT NULL CHECK (length(key_hash) = 64), -- hex SHA-256 of the teacher key
  claimed_ms INTEGER NOT NULL
);
