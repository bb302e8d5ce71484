package board

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"time"

	"github.com/copsdlab/copsd/core/boardwire"
)

// Migrations are the board's schema, migrations/NNNN_*.sql in order: wrangler applies them to D1
// (`wrangler d1 migrations apply`), and the local server applies those it has not yet recorded
// (package sqlitestore).
//
//go:embed migrations/*.sql
var Migrations embed.FS

// MigrationNames lists the migration files in the order they apply.
func MigrationNames() []string {
	names, _ := fs.Glob(Migrations, "migrations/*.sql")
	slices.Sort(names)
	return names
}

// SQLStore is a Store over a database/sql database holding the migrations: SQLite locally, D1 on
// the edge. It uses only parameterised statements and no transactions (D1's driver has none):
// every write is a single statement, atomic on its own.
type SQLStore struct {
	db *sql.DB
}

// NewSQLStore returns a Store over db, which must hold the migrations.
func NewSQLStore(db *sql.DB) *SQLStore { return &SQLStore{db: db} }

const runColumns = `id, run_id, created_ms, name, constitution, recipe, model, seed, collapse_step,
	safety, helpfulness, borderline_helpfulness, over_refusal, reasoning, distinct2, diversity, length_benign, entropy`

// insertRun adds a run unless the class holds its run id already: one statement, so a retried post
// racing the first still stores one run.
const insertRun = `INSERT INTO runs (run_id, class, created_ms, name, constitution, recipe, model, seed, collapse_step,
	safety, helpfulness, borderline_helpfulness, over_refusal, reasoning, distinct2, diversity, length_benign, entropy)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (class, run_id) DO NOTHING RETURNING id`

// Add implements Store.
func (s *SQLStore) Add(ctx context.Context, class string, r Run) (Run, bool, error) {
	var collapse any // NULL
	if r.CollapseStep != nil {
		collapse = int64(*r.CollapseStep)
	}
	m := r.Metrics
	var id int64
	err := s.db.QueryRowContext(ctx, insertRun,
		r.RunID, class, r.CreatedAt.UnixMilli(), r.Name, r.Constitution, r.Recipe, r.Model, r.Seed, collapse,
		m.Safety, m.Helpfulness, m.BorderlineHelpfulness, m.OverRefusal, m.Reasoning, m.Distinct2, m.Diversity, m.LengthBenign, m.Entropy,
	).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) { // the run id is taken: answer its run
		rows, err := s.db.QueryContext(ctx, `SELECT `+runColumns+` FROM runs WHERE class = ? AND run_id = ?`, class, r.RunID)
		if err != nil {
			return Run{}, false, fmt.Errorf("board: reading a run by run_id: %w", err)
		}
		runs, err := scanRuns(rows, class)
		if err != nil || len(runs) != 1 {
			return Run{}, false, fmt.Errorf("board: reading a run by run_id: %d runs, %v", len(runs), err)
		}
		return runs[0], false, nil
	}
	if err != nil {
		return Run{}, false, fmt.Errorf("board: adding a run: %w", err)
	}
	r.ID, r.Class = id, class
	r.CreatedAt = boardwire.At(r.CreatedAt.Time)
	return r, true, nil
}

// List implements Store.
func (s *SQLStore) List(ctx context.Context, class string, p Page) ([]Run, int64, error) {
	limit := p.Limit
	if limit < 1 || limit > MaxLimit {
		limit = DefaultLimit
	}
	before := p.Before
	if before <= 0 {
		before = math.MaxInt64 >> 10 // beyond any id; small enough to pass through a float64 exactly
	}
	// One more than asked tells whether there is a next page.
	rows, err := s.db.QueryContext(ctx, `SELECT `+runColumns+` FROM runs
		WHERE class = ? AND id < ? AND hidden_ms IS NULL ORDER BY id DESC LIMIT ?`, class, before, limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("board: listing runs: %w", err)
	}
	runs, err := scanRuns(rows, class)
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(runs) > limit {
		runs = runs[:limit]
		next = runs[limit-1].ID
	}
	return runs, next, nil
}

// scanRuns reads runColumns rows and closes them.
func scanRuns(rows *sql.Rows, class string) ([]Run, error) {
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		var r Run
		var created int64
		var runID sql.NullString
		var collapse sql.NullInt64
		m := &r.Metrics
		if err := rows.Scan(&r.ID, &runID, &created, &r.Name, &r.Constitution, &r.Recipe, &r.Model, &r.Seed, &collapse,
			&m.Safety, &m.Helpfulness, &m.BorderlineHelpfulness, &m.OverRefusal, &m.Reasoning, &m.Distinct2, &m.Diversity, &m.LengthBenign, &m.Entropy); err != nil {
			return nil, fmt.Errorf("board: reading runs: %w", err)
		}
		r.Class, r.RunID = class, runID.String
		r.CreatedAt = boardwire.At(time.UnixMilli(created))
		if collapse.Valid {
			c := int(collapse.Int64)
			r.CollapseStep = &c
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("board: reading runs: %w", err)
	}
	return runs, nil
}

// Hide implements Store. A hidden run keeps the time it was first hidden.
func (s *SQLStore) Hide(ctx context.Context, class string, id int64, at time.Time) (bool, error) {
	var got int64
	err := s.db.QueryRowContext(ctx, `UPDATE runs SET hidden_ms = coalesce(hidden_ms, ?) WHERE class = ? AND id = ? RETURNING id`,
		at.UnixMilli(), class, id).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("board: hiding a run: %w", err)
	}
	return true, nil
}

// Claim implements Store.
func (s *SQLStore) Claim(ctx context.Context, class, keyHash string, at time.Time) (bool, error) {
	var got string
	err := s.db.QueryRowContext(ctx, `INSERT INTO classes (class, key_hash, claimed_ms) VALUES (?, ?, ?)
		ON CONFLICT (class) DO NOTHING RETURNING class`, class, keyHash, at.UnixMilli()).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("board: claiming a class: %w", err)
	}
	return true, nil
}

// KeyHash implements Store.
func (s *SQLStore) KeyHash(ctx context.Context, class string) (string, error) {
	var h string
	err := s.db.QueryRowContext(ctx, `SELECT key_hash FROM classes WHERE class = ?`, class).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("board: reading a class's key: %w", err)
	}
	return h, nil
}
