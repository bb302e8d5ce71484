package ui

import (
	"fmt"
	"math"
	"strings"

	"github.com/copsdlab/copsd/ui/state"
)

// ParetoPlot places the runs in the safety-vs-helpfulness plane, bubble
// size = diversity: the precomputed runs, the learner's own and imported
// ones.
//
// Given a Suite, it places the suite's recipes instead (the Reproduce
// view's plot: one bubble per recipe on a base model, the mean over its
// seeds).
type ParetoPlot struct {
	wired
	Suite *state.Reproduce
}

func (c *ParetoPlot) testID() string {
	if c.Suite != nil {
		return "chart-suite-pareto"
	}
	return "chart-pareto"
}

func (c *ParetoPlot) title() string {
	if c.Suite != nil {
		return "Safety against helpfulness, by recipe"
	}
	return "Safety against helpfulness"
}

func (c *ParetoPlot) explain() string {
	if c.Suite != nil {
		return "Each recipe's finished runs after their last step, the mean over their seeds: up is safer, right is more helpful, a bigger bubble answers more diversely. Grey: the base models before training; dashed lines elsewhere and “(rho 0)” here: the control model. Hover a bubble for its numbers."
	}
	return "Each run's latest evaluation: up is safer, right is more helpful, a bigger bubble answers more diversely. Grey: the base models; blue: precomputed examples; orange: your run; green: imported. Hover a bubble for its numbers."
}

func (c *ParetoPlot) export() {
	if c.Suite != nil {
		c.Lab.ExportSuiteChart(c.testID())
		return
	}
	c.Lab.ExportChart(c.testID())
}

// keys name the colours of a suite's bubbles (its labels do not all fit
// in the plot): each recipe on each model once, the base models first.
func (c *ParetoPlot) keys() []legendKey {
	var out []legendKey
	seen := map[string]bool{}
	for _, p := range c.points() {
		name := p.Label
		if p.Base {
			name = "base models"
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, legendKey{name: name, swatch: p.Fill})
		}
	}
	return out
}

func (c *ParetoPlot) points() []state.ParetoPoint {
	if c.Suite != nil {
		return c.Suite.Pareto()
	}
	return c.Lab.Pareto()
}

type paretoTick struct{ x, y, yLabel, label string }

type bubble struct{ x, y, r, lx, ly, anchor, fill, stroke, label, title string }

// The plot area inside the 320 × 250 view box, with room for the largest
// bubble at the edges. The class board's plot (BoardPlot) shares it.
func paretoX(v float64) float64 { return 58 + 236*v }
func paretoY(v float64) float64 { return 196 - 172*v }

func paretoTicks() []paretoTick {
	var out []paretoTick
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		out = append(out, paretoTick{x: f1(paretoX(v)), y: f1(paretoY(v)), yLabel: f1(paretoY(v) + 3.5), label: short(v)})
	}
	return out
}

func (c *ParetoPlot) px(v float64) float64 { return paretoX(v) }
func (c *ParetoPlot) py(v float64) float64 { return paretoY(v) }
func (c *ParetoPlot) ticks() []paretoTick  { return paretoTicks() }

// bubbles places every run; labels go to the runs that matter most (the
// base models, your run, the one on show, the headline examples), beside
// the bubble on the right or else on the left, and only where they cover
// neither a label already placed nor another bubble: a crowded corner keeps
// its names in the legend and its numbers in each bubble's tooltip.
func (c *ParetoPlot) bubbles() []bubble {
	pts := c.points()
	out := make([]bubble, len(pts))
	at := make([][3]float64, len(pts)) // x, y, r
	shown := c.Lab.Shown()
	for i, p := range pts {
		fill := "#2f6fde"
		switch {
		case p.Fill != "":
			fill = p.Fill
		case p.Base:
			fill = "#9aa3b2"
		case p.Kind == state.LiveRun:
			fill = "#e07b1f"
		case p.Kind == state.ImportedRun:
			fill = "#1e8449"
		}
		stroke := "1"
		if c.isShown(shown, p) {
			stroke = "2.5"
		}
		r := 4 + 12*math.Sqrt(min(max(p.Diversity, 0), 1))
		x, y := c.px(min(max(p.Helpfulness, 0), 1)), c.py(min(max(p.Safety, 0), 1))
		at[i] = [3]float64{x, y, r}
		out[i] = bubble{x: f1(x), y: f1(y), r: f1(r), fill: fill, stroke: stroke,
			title: fmt.Sprintf("%s: safety %.2f, helpfulness %.2f, diversity %.2f", p.Label, p.Safety, p.Helpfulness, p.Diversity)}
		if p.Detail != "" {
			out[i].title += " (" + p.Detail + ")"
		}
	}
	// The bubbles' squares, its own included: a label 3 px beside its
	// bubble never meets it.
	bubbles := make([][4]float64, len(at))
	for i, o := range at {
		bubbles[i] = [4]float64{o[0] - o[2], o[1] - o[2], o[0] + o[2], o[1] + o[2]}
	}
	var labels [][4]float64
	for i, p := range pts {
		if !(p.Base || c.isShown(shown, p) || p.Kind == state.LiveRun || p.Headline) {
			continue
		}
		x, y, r := at[i][0], at[i][1], at[i][2]
		w := 5.6 * float64(len([]rune(p.Label)))
		for _, side := range []struct {
			lx, x0 float64
			anchor string
		}{{x + r + 3, x + r + 3, "start"}, {x - r - 3, x - r - 3 - w, "end"}} {
			box := [4]float64{side.x0, y - 8, side.x0 + w, y + 4}
			if box[0] < paretoX(0) || box[2] > 316 || overlaps(box, labels) || overlaps(box, bubbles) {
				continue
			}
			labels = append(labels, box)
			out[i].label, out[i].lx, out[i].ly, out[i].anchor = p.Label, f1(side.lx), f1(y+3), side.anchor
			break
		}
	}
	return out
}

func (c *ParetoPlot) isShown(shown *state.Run, p state.ParetoPoint) bool {
	return shown != nil && shown.ID == p.RunID && !p.Base
}

// label is the plot's text alternative: every run's numbers, as their
// tooltips give them.
func (c *ParetoPlot) label() string {
	parts := []string{c.title() + ", bubble size is diversity"}
	for _, b := range c.bubbles() {
		parts = append(parts, b.title)
	}
	return strings.Join(parts, "; ")
}

func overlaps(b [4]float64, boxes [][4]float64) bool {
	for _, o := range boxes {
		if b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3] {
			return true
		}
	}
	return false
}
