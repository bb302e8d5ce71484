package report

import (
	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
)

// The numbers behind the report's figures, one code path for the figures
// copsd reproduce draws (figures.go) and for the charts of the page's
// Reproduce view, which draws them with its own components.

// Curve is one metric over the evaluation steps of a recipe's runs on one
// base model: at each evaluation, the mean over the runs (seeds) that have
// reached it. Runs still training contribute the evaluations they have.
type Curve struct {
	Model  string
	Rho    float64
	Recipe string
	Runs   int       // how many runs the curve averages (at its first step)
	Steps  []int     // the evaluation steps, in order
	Values []float64 // the mean at each step
}

// Curves are get's curves for every recipe on every base model present,
// in the tables' order: model by model (SuiteModels', then any other),
// recipe by recipe.
func (s *Suite) Curves(get func(diag.Metrics) float64) []Curve {
	var out []Curve
	for _, model := range s.models() {
		for _, recipe := range s.recipes(model) {
			runs := s.selectRuns(model, recipe)
			steps, vals := meanOver(runs, get)
			out = append(out, Curve{Model: model, Rho: runs[0].Rho, Recipe: recipe, Runs: len(runs), Steps: steps, Values: vals})
		}
	}
	return out
}

// meanOver averages get over runs at each evaluation, over the runs that
// have it (in seed order: the same sum whatever the suite's order).
func meanOver(runs []Run, get func(diag.Metrics) float64) (steps []int, vals []float64) {
	for i := 0; ; i++ {
		var have []Run
		for _, r := range runs {
			if i < len(r.Report.Steps) {
				have = append(have, r)
			}
		}
		if len(have) == 0 {
			return steps, vals
		}
		v := 0.0
		for _, r := range have {
			v += get(r.Report.Steps[i]) / float64(len(have))
		}
		steps, vals = append(steps, have[0].Report.Steps[i].Step), append(vals, v)
	}
}

// models lists the base models present: SuiteModels' first, in their
// order, then any other in the order of the runs.
func (s *Suite) models() []string {
	var out []string
	seen := map[string]bool{}
	for _, sm := range SuiteModels {
		seen[sm.Name] = true
		if len(s.recipes(sm.Name)) > 0 {
			out = append(out, sm.Name)
		}
	}
	for _, r := range s.Runs {
		if !seen[r.Model] {
			seen[r.Model] = true
			out = append(out, r.Model)
		}
	}
	return out
}

// ParetoPoint is a recipe's place in the safety-against-helpfulness plane
// on one base model (bubble size: diversity), the mean over its seeds after
// the last step; or, Base set, the base model's before the first.
type ParetoPoint struct {
	Model       string
	Rho         float64
	Recipe      string // "" for the base model
	Base        bool
	Runs        int
	Safety      float64
	Helpfulness float64
	Diversity   float64
}

// Pareto places the base model and each recipe on it, in the tables'
// order (nil: no run on the model).
func (s *Suite) Pareto(model string) []ParetoPoint {
	names := s.recipes(model)
	if len(names) == 0 {
		return nil
	}
	mean := func(runs []Run, get func(r *distill.Report) float64) float64 { return statOf(values(runs, get)).mean }
	first := s.selectRuns(model, names[0])
	out := []ParetoPoint{{Model: model, Rho: first[0].Rho, Base: true, Runs: len(first),
		Safety:      mean(first, func(r *distill.Report) float64 { return r.Initial.Safety }),
		Helpfulness: mean(first, func(r *distill.Report) float64 { return r.Initial.Helpfulness }),
		Diversity:   mean(first, func(r *distill.Report) float64 { return r.Initial.Diversity })}}
	for _, n := range names {
		runs := s.selectRuns(model, n)
		out = append(out, ParetoPoint{Model: model, Rho: runs[0].Rho, Recipe: n, Runs: len(runs),
			Safety:      mean(runs, func(r *distill.Report) float64 { return r.Final.Safety }),
			Helpfulness: mean(runs, func(r *distill.Report) float64 { return r.Final.Helpfulness }),
			Diversity:   mean(runs, func(r *distill.Report) float64 { return r.Final.Diversity })})
	}
	return out
}

// AllPareto is Pareto of every base model present, in the tables' order.
func (s *Suite) AllPareto() []ParetoPoint {
	var out []ParetoPoint
	for _, m := range s.models() {
		out = append(out, s.Pareto(m)...)
	}
	return out
}
