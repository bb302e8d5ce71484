package report

import (
	"fmt"
	"testing"

	"github.com/copsdlab/copsd/core/diag"
)

// A curve averages, at each evaluation, the seeds that have reached it: a
// run still training adds its evaluations so far and no more.
func TestCurvesAverageTheSeedsThatReachedEachEvaluation(t *testing.T) {
	done := grpoRun(1, [2]float64{0.2, 0.1}, [2]float64{0.4, 0.3}, [2]float64{0.6, 0.5})
	training := grpoRun(2, [2]float64{0.4, 0.1}, [2]float64{0.8, 0.3})
	s := &Suite{Runs: []Run{training, done}}
	cs := s.Curves(func(m diag.Metrics) float64 { return m.Safety })
	if len(cs) != 1 {
		t.Fatalf("%d curves, want 1", len(cs))
	}
	c := cs[0]
	if c.Model != "base-rho50" || c.Recipe != "grpo" || c.Runs != 2 {
		t.Errorf("curve of %s on %s over %d runs", c.Recipe, c.Model, c.Runs)
	}
	if got, want := fmt.Sprint(c.Steps), "[0 10 20]"; got != want {
		t.Errorf("steps %s, want %s", got, want)
	}
	if got, want := fmt.Sprintf("%.2f", c.Values), "[0.30 0.60 0.60]"; got != want {
		t.Errorf("values %s, want %s", got, want)
	}
}

// The Pareto points are the base model's start and each recipe's end, the
// mean over seeds, model by model.
func TestParetoPlacesTheBaseAndEachRecipe(t *testing.T) {
	a := grpoRun(1, [2]float64{0.2, 0.1}, [2]float64{0.6, 0.5})
	b := grpoRun(2, [2]float64{0.4, 0.1}, [2]float64{0.8, 0.3})
	c := grpoRun(1, [2]float64{0.1, 0}, [2]float64{0.3, 0})
	c.Model, c.Rho = "base-rho0", 0
	s := &Suite{Runs: []Run{c, a, b}}
	var got []string
	for _, p := range s.AllPareto() {
		got = append(got, fmt.Sprintf("%s/%s/%v/%d:%.2f", p.Model, p.Recipe, p.Base, p.Runs, p.Safety))
	}
	want := "[base-rho50//true/2:0.30 base-rho50/grpo/false/2:0.70 base-rho0//true/1:0.10 base-rho0/grpo/false/1:0.30]"
	if fmt.Sprint(got) != want {
		t.Errorf("points %v, want %s", got, want)
	}
}

// Each table row names the recipe whose runs its numbers come from, the
// base row its first recipe's.
func TestTableRowsNameTheirRecipes(t *testing.T) {
	s := &Suite{Runs: []Run{grpoRun(1, [2]float64{0.2, 0.1}, [2]float64{0.6, 0.5})}}
	for _, tb := range s.Tables() {
		if len(tb.Recipes) != len(tb.Rows) {
			t.Errorf("%s: %d recipes for %d rows", tb.Title, len(tb.Recipes), len(tb.Rows))
		}
		for _, r := range tb.Recipes {
			if r != "grpo" {
				t.Errorf("%s: row recipe %q", tb.Title, r)
			}
		}
	}
}
