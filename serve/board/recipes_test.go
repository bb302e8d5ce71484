package board

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	"github.com/copsdlab/copsd/core/distill"
)

// TestHandlerAcceptsEveryRecipe posts a run of every recipe core/distill
// lists and reads it back: a new recipe must not be refused by the board.
func TestHandlerAcceptsEveryRecipe(t *testing.T) {
	store := &MemStore{}
	h := newTestHandler(t, store, nil, nil)
	for _, r := range distill.Recipes {
		body := with(t, "recipe", strconv.Quote(r.Name))
		w := serve(h, request{method: "POST", target: "/api/board/recipes/runs", contentType: "application/json", body: body})
		if w.Code != 201 {
			t.Errorf("recipe %s: got %d %s, want 201", r.Name, w.Code, w.Body)
		}
	}
	w := serve(h, request{method: "GET", target: "/api/board/recipes?limit=100"})
	var page struct {
		Runs []Run `json:"runs"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
		t.Fatalf("list: %v (%s)", err, w.Body)
	}
	var got []string
	for _, r := range page.Runs {
		got = append(got, r.Recipe)
	}
	slices.Reverse(got) // newest first
	if want := distill.RecipeNames(); !slices.Equal(got, want) {
		t.Errorf("board lists recipes %v, want %v", got, want)
	}
}

// TestBoardRefusesUnknownRecipe checks that the board's list is a list: a
// name distill does not know is refused.
func TestBoardRefusesUnknownRecipe(t *testing.T) {
	h := newTestHandler(t, &MemStore{}, nil, nil)
	w := serve(h, request{method: "POST", target: "/api/board/recipes/runs", contentType: "application/json", body: with(t, "recipe", `"opsd-l2"`)})
	if w.Code != 422 {
		t.Fatalf("unknown recipe: got %d %s, want 422", w.Code, w.Body)
	}
	if e := decodeError(t, w); e.Field != "recipe" {
		t.Errorf("field %q, want recipe", e.Field)
	}
}
