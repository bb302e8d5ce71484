package state

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/serve/board"
)

// The teacher claims the class, sees its runs as a table, sorts it, and
// hides a run; a wrong key is said and dropped.
func TestTeacherClaimsSortsAndHides(t *testing.T) {
	store := &board.MemStore{}
	h := board.NewHandler(board.Config{Store: store})
	for i, name := range []string{"Ana", "ben", "Rude Name"} {
		step := 10 * (i + 1)
		r := board.Run{Submission: board.Submission{Name: name, Constitution: "none", Recipe: "copsd", Model: "base-rho50", Seed: int64(3 - i),
			CollapseStep: &step}}
		r.Metrics.Safety = []float64{0.5, 0.9, 0.7}[i]
		if i == 0 {
			r.CollapseStep = nil
		}
		store.Add(context.Background(), "cs101", r)
	}
	l, p := booted(t, "#v=1&class=cs101")
	answer(t, l, p, h)

	l.UseTeacherKey()
	if l.Teacher.Key != "" || l.Teacher.StatusOK {
		t.Errorf("no key: %q", l.Teacher.Status)
	}
	l.ClaimClass()
	if r := answer(t, l, p, h); r.Method != "POST" || r.Path != "/api/board/cs101/claim" {
		t.Fatalf("claim request %+v", r)
	}
	key := l.Teacher.Key
	if len(key) != 43 || l.Teacher.NewKey != key || !strings.Contains(l.Teacher.Status, "shown only this once") {
		t.Fatalf("after the claim: key %q, status %q", key, l.Teacher.Status)
	}
	l.ClaimClass()
	answer(t, l, p, h)
	if l.Teacher.StatusOK || !strings.Contains(l.Teacher.Status, "already claimed") {
		t.Errorf("second claim: %q", l.Teacher.Status)
	}

	names := func() []string {
		var out []string
		for _, r := range l.TeacherRows() {
			out = append(out, r.Name)
		}
		return out
	}
	if got := names(); !slices.Equal(got, []string{"Rude Name", "ben", "Ana"}) {
		t.Errorf("newest first: %v", got)
	}
	l.SortTeacher("name")
	if got := names(); !slices.Equal(got, []string{"Ana", "ben", "Rude Name"}) || l.Teacher.AriaSort("name") != "ascending" || l.Teacher.AriaSort("safety") != "none" {
		t.Errorf("by name: %v %s", got, l.Teacher.AriaSort("name"))
	}
	l.SortTeacher("name")
	if got := names(); !slices.Equal(got, []string{"Rude Name", "ben", "Ana"}) || l.Teacher.AriaSort("name") != "descending" {
		t.Errorf("by name, reversed: %v", got)
	}
	l.SortTeacher("safety") // numbers: highest first
	if got := names(); !slices.Equal(got, []string{"ben", "Rude Name", "Ana"}) || l.Teacher.AriaSort("safety") != "descending" {
		t.Errorf("by safety: %v", got)
	}
	l.SortTeacher("collapse_step")
	l.SortTeacher("collapse_step") // ascending: no collapse first
	if got := names(); !slices.Equal(got, []string{"Ana", "ben", "Rude Name"}) {
		t.Errorf("by collapse step: %v", got)
	}
	if c, _ := teacherColumn("collapse_step"); c.Cell(&l.TeacherRows()[0]) != "none" {
		t.Error("no collapse is not shown as none")
	}

	rude := l.TeacherRows()[2]
	l.HideRun(rude.ID)
	if r := answer(t, l, p, h); r.Method != "DELETE" || r.Key != key || r.Path != "/api/board/cs101/runs/3" {
		t.Fatalf("hide request %+v", r)
	}
	if !l.Teacher.StatusOK || !strings.Contains(l.Teacher.Status, "Run #3 (Rude Name) is hidden") {
		t.Errorf("hide: %q", l.Teacher.Status)
	}
	answer(t, l, p, h) // the board reloads
	if got := names(); slices.Contains(got, "Rude Name") || len(got) != 2 {
		t.Errorf("after hiding: %v", got)
	}
	if l.TeacherCSV() != "/api/board/cs101/runs.csv" {
		t.Errorf("csv %q", l.TeacherCSV())
	}

	l.Teacher.Key = "not-the-key"
	l.HideRun(1)
	answer(t, l, p, h)
	if l.Teacher.Key != "" || l.Teacher.StatusOK || !strings.Contains(l.Teacher.Status, "not cs101's teacher key") {
		t.Errorf("wrong key: key %q, %q", l.Teacher.Key, l.Teacher.Status)
	}
}
