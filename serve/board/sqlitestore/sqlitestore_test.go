//go:build !js

package sqlitestore

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

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
	return board.Run{
		CreatedAt:    time.UnixMilli(1_790_000_000_000 + int64(i)).UTC(),
		Name:         fmt.Sprintf("student %d", i),
		Constitution: "refuse weapons . be helpful .",
		Recipe:       board.Recipes[i%len(board.Recipes)],
		Model:        board.Models[i%len(board.Models)],
		Seed:         int64(i) * 7919,
		Metrics: board.Metrics{Safety: 0.1 + float64(i%9)/10, Helpfulness: 1.0 / 3, BorderlineHelpfulness: 0,
			OverRefusal: 1, Reasoning: math.Nextafter(0.5, 1), Distinct2: 0.25, Diversity: 0.125,
			LengthBenign: 63.999, Entropy: 9.5},
		CollapseStep: collapse,
	}
}

func TestAddListRoundTrip(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	var added []board.Run
	for i := range 7 {
		r, err := s.Add(ctx, "cs101", sampleRun(i))
		if err != nil {
			t.Fatal(err)
		}
		added = append(added, r)
	}
	if _, err := s.Add(ctx, "other", sampleRun(99)); err != nil {
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
	if _, err := s.Add(context.Background(), "cs101", sampleRun(1)); err != nil {
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
				r, err := s.Add(context.Background(), "load-test", sampleRun(w*each+i))
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
	if _, err := s.Add(context.Background(), "x-y-z", r); err != nil {
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
		if _, err := s.SQLStore.Add(context.Background(), class, sampleRun(1)); err == nil {
			t.Errorf("class %q stored", class)
		}
	}
	r := sampleRun(1)
	r.Seed = -1
	if _, err := s.SQLStore.Add(context.Background(), "cs101", r); err == nil {
		t.Error("negative seed stored")
	}
}

func TestOpenFailsOnBadDir(t *testing.T) {
	if _, err := OpenFile(filepath.Join(t.TempDir(), "missing", "sub", "board.db")); err == nil {
		t.Error("opened a database in a missing directory")
	}
}

var _ board.Store = (*Store)(nil)
