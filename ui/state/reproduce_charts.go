package state

import (
	"fmt"
	"slices"
	"strings"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/report"
)

// The Reproduce view's charts: the report's figures (the dynamics of
// over-refusal, entropy and answer length; safety against helpfulness),
// their numbers from core/report (Curves, Pareto), drawn by the lab's own
// chart components. A recipe has one colour in every chart; the control
// model's lines are dashed.

// ChartLines is a chart whose lines are given outright, not read from the
// run on show: one line per recipe on a base model, the mean over its seeds.
type ChartLines struct {
	Spec    ChartSpec // id, title, unit, scale and explanation (Series unused)
	Lines   []ChartLine
	MaxStep int
	Key     string // names the data: the layout is redone when it changes
}

// ChartLine is one line of a ChartLines.
type ChartLine struct {
	Name   string
	Color  string
	Dashed bool
	Points []Point
}

// suiteDynamics are the report's dynamics figures, as the view's charts.
var suiteDynamics = []struct {
	spec ChartSpec
	get  func(diag.Metrics) float64
}{
	{ChartSpec{ID: "suite-over-refusal", Title: "Over-refusal", Unit: "rate", Rate: true,
		Explain: "Benign and borderline requests refused, at each evaluation: the collapse shows as a rise."},
		func(m diag.Metrics) float64 { return m.OverRefusal }},
	{ChartSpec{ID: "suite-entropy", Title: "Entropy", Unit: "nats / token",
		Explain: "Per-token entropy of the student's own samples: falling entropy means it says the same things."},
		func(m diag.Metrics) float64 { return m.Entropy }},
	{ChartSpec{ID: "suite-length", Title: "Benign answer length", Unit: "tokens",
		Explain: "Mean answer length on benign prompts: answers get shorter as the student collapses."},
		func(m diag.Metrics) float64 { return m.LengthBenign }},
}

// suitePalette colours the recipes, in distill.RecipeNames order: the
// report's figures' colour-blind safe Okabe–Ito colours first, then hues
// far from them and from the base models' grey, each dark enough to stand
// out on white.
var suitePalette = []string{"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#b8860b", "#8c3ca0", "#8c564b", "#1d2330", "#e7298a", "#808000"}

// SuiteColor is a recipe's colour in the view's charts.
func SuiteColor(recipe string) string {
	if i := slices.Index(distill.RecipeNames(), recipe); i >= 0 {
		return suitePalette[i%len(suitePalette)]
	}
	return suitePalette[len(suitePalette)-1]
}

// BaseColor is the base models' colour in the Pareto plot.
const BaseColor = "#9aa3b2"

// suiteLabel names a recipe's runs on a model in the charts: the rho 0.5
// model is the report's main one, others are named.
func suiteLabel(recipe, model string, rho float64) string {
	if model == SuiteModel {
		return recipe
	}
	return fmt.Sprintf("%s (rho %g)", recipe, rho)
}

// SuiteModel is the base model the report's figures show.
const SuiteModel = "base-rho50"

// chartSuite is every run of the suite with data: the finished ones, and
// those training with the evaluations they have made so far.
func (r *Reproduce) chartSuite() *report.Suite {
	s := &report.Suite{}
	for _, row := range r.Rows {
		switch {
		case row.Status == Done:
			s.Runs = append(s.Runs, report.Run{Model: row.Job.Model, Rho: modelRho(row.Job.Model), Report: row.Report})
		case row.Status == Running && len(row.Evals) > 0:
			rep := &distill.Report{Recipe: row.Job.Recipe, Seed: row.Job.Seed, Config: row.Config, Steps: row.Evals}
			s.Runs = append(s.Runs, report.Run{Model: row.Job.Model, Rho: modelRho(row.Job.Model), Report: rep})
		}
	}
	return s
}

// chartKey names the data of the charts: what each row has.
func (r *Reproduce) chartKey() string {
	var b strings.Builder
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "%s:%d,", row.Status[:1], len(row.Evals))
	}
	return b.String()
}

// Dynamics are the view's dynamics charts (nil: no run has data yet).
func (r *Reproduce) Dynamics() []ChartLines {
	s := r.chartSuite()
	if len(s.Runs) == 0 {
		return nil
	}
	maxStep := 0
	for _, run := range s.Runs {
		maxStep = max(maxStep, run.Report.Config.Steps)
	}
	key := r.chartKey()
	out := make([]ChartLines, len(suiteDynamics))
	for i, d := range suiteDynamics {
		cl := ChartLines{Spec: d.spec, MaxStep: maxStep, Key: key}
		for _, c := range s.Curves(d.get) {
			l := ChartLine{Name: suiteLabel(c.Recipe, c.Model, c.Rho), Color: SuiteColor(c.Recipe), Dashed: c.Model != SuiteModel}
			for k, step := range c.Steps {
				l.Points = append(l.Points, Point{Step: step, V: c.Values[k]})
			}
			cl.Lines = append(cl.Lines, l)
		}
		out[i] = cl
	}
	return out
}

// Pareto places the finished runs of each recipe on each base model (the
// mean over their seeds) and the base models they started from.
func (r *Reproduce) Pareto() []ParetoPoint {
	var out []ParetoPoint
	for _, p := range r.Results().AllPareto() {
		q := ParetoPoint{Kind: ImportedRun, Headline: true, Safety: p.Safety, Helpfulness: p.Helpfulness, Diversity: p.Diversity}
		switch {
		case p.Base:
			q.Base, q.Label, q.Fill = true, fmt.Sprintf("base, rho %g", p.Rho), BaseColor
		default:
			q.Label, q.Fill = suiteLabel(p.Recipe, p.Model, p.Rho), SuiteColor(p.Recipe)
		}
		q.Detail = fmt.Sprintf("mean over %d seed", p.Runs)
		if p.Runs != 1 {
			q.Detail += "s"
		}
		out = append(out, q)
	}
	return out
}
