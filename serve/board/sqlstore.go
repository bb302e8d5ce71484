package board

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"math"
	"time"
)

// Schema is the board's schema, migrations/0001_board.sql: the local server applies it at start,
// wrangler applies the same file to D1 as its first migration. Its statements are idempotent.
//
//go:embed migrations/0001_board.sql
var Schema string

// SQLStore is a Store over a database/sql database holding Schema: SQLite locally, D1 on the edge.
// It uses only parameterised statements and no transactions (D1's driver has none): every
// operation is a single statement, atomic on its own.
type SQLStore struct {
	db *sql.DB
}

// NewSQLStore returns a Store over db, which must hold Schema.
func NewSQLStore(db *sql.DB) *SQLStore { return &SQLStore{db: db} }

const runColumns = `id, created_ms, name, constitution, recipe, model, seed, collapse_step,
	safety, helpfulness, borderline_helpfulness, over_refusal, reasoning, distinct2, diversity, length_benign, entropy`

const insertRun = `INSERT INTO runs (class, created_ms, name, constitution, recipe, model, seed, collapse_step,
	safety, helpfulness, borderline_helpfulness, over_refusal, reasoning, distinct2, diversity, length_benign, entropy)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`

// Add implements Store.
func (s *SQLStore) Add(ctx context.Context, class string, r Run) (Run, error) {
	var collapse any // NULL
	if r.CollapseStep != nil {
		collapse = int64(*r.CollapseStep)
	}
	m := r.Metrics
	var id int64
	err := s.db.QueryRowContext(ctx, insertRun,
		class, r.CreatedAt.UnixMilli(), r.Name, r.Constitution, r.Recipe, r.Model, r.Seed, collapse,
		m.Safety, m.Helpfulness, m.BorderlineHelpfulness, m.OverRefusal, m.Reasoning, m.Distinct2, m.Diversity, m.LengthBenign, m.Entropy,
	).Scan(&id)
	if err != nil {
		return Run{}, fmt.Errorf("board: adding a run: %w", err)
	}
	r.ID, r.Class = id, class
	r.CreatedAt = time.UnixMilli(r.CreatedAt.UnixMilli()).UTC()
	return r, nil
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
		WHERE class = ? AND id < ? ORDER BY id DESC LIMIT ?`, class, before, limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("board: listing runs: %w", err)
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		var r Run
		var created int64
		var collapse sql.NullInt64
		m := &r.Metrics
		if err := rows.Scan(&r.ID, &created, &r.Name, &r.Constitution, &r.Recipe, &r.Model, &r.Seed, &collapse,
			&m.Safety, &m.Helpfulness, &m.BorderlineHelpfulness, &m.OverRefusal, &m.Reasoning, &m.Distinct2, &m.Diversity, &m.LengthBenign, &m.Entropy); err != nil {
			return nil, 0, fmt.Errorf("board: reading runs: %w", err)
		}
		r.Class = class
		r.CreatedAt = time.UnixMilli(created).UTC()
		if collapse.Valid {
			c := int(collapse.Int64)
			r.CollapseStep = &c
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("board: reading runs: %w", err)
	}
	var next int64
	if len(runs) > limit {
		runs = runs[:limit]
		next = runs[limit-1].ID
	}
	return runs, next, nil
}
