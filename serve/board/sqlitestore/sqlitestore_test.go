//go:build !js

package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copsdlab/copsd/core/boardwire"
	"github.com/copsdlab/copsd/serve/board"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sampleRun(i int) board.Run {
	var collapse *int
	if i%3 == 0 {
		c := i * 10
		collapse = &c
	}
	return board.Run{CreatedAt: boardwire.At(time.UnixMilli(1_790_000_000_000 + int64(i))), Submission: board.Submission{
		RunID:        fmt.Sprintf("sample-run-%06d", i),
		Name:         fmt.Sprintf("student %d", i),
		Constitution: "refuse weapons . be helpful .",
		Recipe:       board.Recipes[i%len(board.Recipes)],
		Model:        board.Models[i%len(board.Models)],
		Seed:         int64(i) * 7919,
		Metrics: board.Metrics{Safety: 0.1 + float64(i%9)/10, Helpfulness: 1.0 / 3, BorderlineHelpfulness: 0,
			OverRefusal: 1, Reasoning: math.Nextafter(0.5, 1), Distinct2: 0.25, Diversity: 0.125,
			LengthBenign: 63.999, Entropy: 9.5},
		CollapseStep: collapse,
	}}
}

func TestAddListRoundTrip(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	var added []board.Run
	for i := range 7 {
		r, _, err := s.Add(ctx, "cs101", sampleRun(i))
		if err != nil {
			t.Fatal(err)
		}
		added = append(added, r)
	}
	if _, _, err := s.Add(ctx, "other", sampleRun(99)); err != nil {
		t.Fatal(err)
	}
	var got []board.Run
	page := board.Page{Limit: 3}
	for pages := 0; ; pages++ {
		runs, next, err := s.List(ctx, "cs101", page)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, runs...)
		if next == 0 {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
		page.Before = next
	}
	if len(got) != len(added) {
		t.Fatalf("listed %d runs, want %d", len(got), len(added))
	}
	for i, r := range got {
		want := added[len(added)-1-i] // newest first
		want.Class = "cs101"
		if !reflect.DeepEqual(r, want) {
			t.Errorf("run %d:\n got %+v\nwant %+v", i, r, want)
		}
	}
	// Exactly limit runs left: no phantom next page.
	runs, next, err := s.List(ctx, "other", board.Page{Limit: 1})
	if err != nil || len(runs) != 1 || next != 0 {
		t.Errorf("other: %d runs, next %d, err %v", len(runs), next, err)
	}
}

func TestPragmasAndReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Add(context.Background(), "cs101", sampleRun(1)); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct{ pragma, want string }{
		{"journal_mode", "wal"}, {"synchronous", "2"}, {"busy_timeout", "10000"},
	} {
		var v string
		if err := s.db.QueryRow("PRAGMA " + q.pragma).Scan(&v); err != nil || v != q.want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", q.pragma, v, err, q.want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening applies the schema again (idempotent) and finds the run.
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, _, err := s.List(context.Background(), "cs101", board.Page{Limit: 10})
	if err != nil || len(runs) != 1 || runs[0].Name != "student 1" {
		t.Fatalf("after reopening: %+v, %v", runs, err)
	}
	if s.Path() != filepath.Join(dir, FileName) {
		t.Errorf("Path %q", s.Path())
	}
}

// TestConcurrentAdds: many writers at once lose nothing and get distinct ids.
func TestConcurrentAdds(t *testing.T) {
	s := openTemp(t)
	const writers, each = 50, 10
	ids := make(chan int64, writers*each)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				r, _, err := s.Add(context.Background(), "load-test", sampleRun(w*each+i))
				if err != nil {
					t.Error(err)
					return
				}
				ids <- r.ID
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("id %d given twice", id)
		}
		seen[id] = true
	}
	var n int
	if err := s.db.QueryRow("SELECT count(*) FROM runs WHERE class = ?", "load-test").Scan(&n); err != nil || n != writers*each {
		t.Fatalf("%d rows (%v), want %d", n, err, writers*each)
	}
}

// TestParameterised: values that would break a concatenated query are stored as they are.
func TestParameterised(t *testing.T) {
	s := openTemp(t)
	r := sampleRun(1)
	r.Name = `Robert'); DROP TABLE runs;--`
	if _, _, err := s.Add(context.Background(), "x-y-z", r); err != nil {
		t.Fatal(err)
	}
	runs, _, err := s.List(context.Background(), "x-y-z' OR '1'='1", board.Page{Limit: 10})
	if err != nil || len(runs) != 0 {
		t.Fatalf("injection through the class: %d runs, %v", len(runs), err)
	}
	runs, _, err = s.List(context.Background(), "x-y-z", board.Page{Limit: 10})
	if err != nil || len(runs) != 1 || runs[0].Name != r.Name {
		t.Fatalf("got %+v, %v", runs, err)
	}
}

// TestSchemaChecks: the schema refuses what the handler never sends.
func TestSchemaChecks(t *testing.T) {
	s := openTemp(t)
	for _, class := range []string{"ab", "a-very-long-class-code-that-is-over-32"} {
		if _, _, err := s.SQLStore.Add(context.Background(), class, sampleRun(1)); err == nil {
			t.Errorf("class %q stored", class)
		}
	}
	r := sampleRun(1)
	r.Seed = -1
	if _, _, err := s.SQLStore.Add(context.Background(), "cs101", r); err == nil {
		t.Error("negative seed stored")
	}
}

func TestOpenFailsOnBadDir(t *testing.T) {
	if _, err := OpenFile(filepath.Join(t.TempDir(), "missing", "sub", "board.db")); err == nil {
		t.Error("opened a database in a missing directory")
	}
}

var _ board.Store = (*Store)(nil)

// TestAddIsIdempotentByRunID: a run id already on a class's board stores nothing and answers the
// stored run, even when concurrent posts race.
func TestAddIsIdempotentByRunID(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make([]board.Run, 8)
	created := make([]bool, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, c, err := s.Add(ctx, "cs101", sampleRun(5))
			if err != nil {
				t.Error(err)
			}
			results[i], created[i] = r, c
		}()
	}
	wg.Wait()
	n := 0
	for i, r := range results {
		if created[i] {
			n++
		}
		if !reflect.DeepEqual(r, results[0]) {
			t.Errorf("post %d answered %+v, post 0 %+v", i, r, results[0])
		}
	}
	runs, _, err := s.List(ctx, "cs101", board.Page{Limit: 10})
	if n != 1 || err != nil || len(runs) != 1 {
		t.Fatalf("%d created, %d listed, %v", n, len(runs), err)
	}
	if _, c, err := s.Add(ctx, "cs102", sampleRun(5)); !c || err != nil {
		t.Errorf("same run id in another class: created %t, %v", c, err)
	}
}

func TestHideAndClaim(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	a, _, _ := s.Add(ctx, "cs101", sampleRun(1))
	b, _, _ := s.Add(ctx, "cs101", sampleRun(2))
	at := time.UnixMilli(1_800_000_000_000)
	if found, err := s.Hide(ctx, "cs101", b.ID, at); !found || err != nil {
		t.Fatalf("hide: %t %v", found, err)
	}
	if found, err := s.Hide(ctx, "cs101", b.ID, at); !found || err != nil {
		t.Fatalf("hide again: %t %v", found, err)
	}
	if found, err := s.Hide(ctx, "cs102", a.ID, at); found || err != nil {
		t.Fatalf("hide in another class: %t %v", found, err)
	}
	runs, _, err := s.List(ctx, "cs101", board.Page{Limit: 10})
	if err != nil || len(runs) != 1 || runs[0].ID != a.ID {
		t.Fatalf("after hiding: %+v %v", runs, err)
	}
	// A hidden run's id stays taken: a retried post does not bring it back.
	if r, c, err := s.Add(ctx, "cs101", sampleRun(2)); c || err != nil || r.ID != b.ID {
		t.Errorf("re-post of a hidden run: %+v created %t %v", r, c, err)
	}
	hash := strings.Repeat("ab", 32)
	if h, err := s.KeyHash(ctx, "cs101"); h != "" || err != nil {
		t.Fatalf("unclaimed: %q %v", h, err)
	}
	if ok, err := s.Claim(ctx, "cs101", hash, at); !ok || err != nil {
		t.Fatalf("claim: %t %v", ok, err)
	}
	if ok, err := s.Claim(ctx, "cs101", strings.Repeat("cd", 32), at); ok || err != nil {
		t.Fatalf("second claim: %t %v", ok, err)
	}
	if h, err := s.KeyHash(ctx, "cs101"); h != hash || err != nil {
		t.Fatalf("key hash %q %v", h, err)
	}
}

// TestMigratesAnOldDatabase: a board.db made before moderation (the first migration only, applied
// without a record) opens, keeps its runs, and gains the second migration once.
func TestMigratesAnOldDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := board.Migrations.ReadFile("migrations/0001_board.sql")
	if _, err := db.Exec(string(first)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO runs (class, created_ms, name, constitution, recipe, model, seed, collapse_step,
		safety, helpfulness, borderline_helpfulness, over_refusal, reasoning, distinct2, diversity, length_benign, entropy)
		VALUES ('cs101', 1790000000000, 'Old', 'none', 'copsd', 'base-rho0', 1, NULL, 1, 1, 1, 0, 1, 1, 1, 10, 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for range 2 { // opening twice applies nothing twice
		s, err := OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		runs, _, err := s.List(context.Background(), "cs101", board.Page{Limit: 10})
		if err != nil || len(runs) != 1 || runs[0].Name != "Old" || runs[0].RunID != "" {
			t.Fatalf("old run: %+v %v", runs, err)
		}
		s.Close()
	}
}
