package ui

import (
	"html"
	"regexp"
	"slices"
	"testing"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/ui/state"
)

var recipeOption = regexp.MustCompile(`<option[^>]*\svalue="([^"]*)"`)

// TestPageOffersEveryRecipe checks the page against core/distill's recipe
// list: the recipe menu offers each recipe, in order, and choosing one shows
// its sentence.
func TestPageOffersEveryRecipe(t *testing.T) {
	for _, r := range distill.Recipes {
		if r.About == "" {
			t.Errorf("recipe %s has no About", r.Name)
		}
		l := state.New(nopPort{}, "")
		l.SetRecipe(r.Name)
		if l.Notice != nil {
			t.Fatalf("recipe %s: %s", r.Name, l.Notice.Text)
		}
		page := html.UnescapeString(render(t, l))
		if !regexp.MustCompile(regexp.QuoteMeta(r.About)).MatchString(page) {
			t.Errorf("recipe %s: the page does not show its sentence %q", r.Name, r.About)
		}
		menu := page[regexp.MustCompile(`data-testid="recipe"`).FindStringIndex(page)[0]:]
		menu = menu[:regexp.MustCompile(`</select>`).FindStringIndex(menu)[0]]
		var offered []string
		for _, m := range recipeOption.FindAllStringSubmatch(menu, -1) {
			offered = append(offered, m[1])
		}
		if want := distill.RecipeNames(); !slices.Equal(offered, want) {
			t.Fatalf("the recipe menu offers %v, want %v", offered, want)
		}
	}
}
