package ui

import (
	"fmt"
	"hash/fnv"
	"html"
	"math"
	"strconv"
	"strings"

	js "github.com/vugu/vugu/js"

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

type bubble struct{ x, y, r, lx, ly, anchor, fill, stroke, label, title string }

// The plot area inside the 320 × 250 view box, with room for the largest
// bubble at the edges. The class board's plot (BoardPlot) shares it.
func paretoX(v float64) float64 { return 58 + 236*v }
func paretoY(v float64) float64 { return 196 - 172*v }

func (c *ParetoPlot) px(v float64) float64 { return paretoX(v) }
func (c *ParetoPlot) py(v float64) float64 { return paretoY(v) }

// paretoFrame is the plot's background, grid and axis names, which never
// change: an island of its own (setIsland), here and in the class board's
// plot, so that renders do not send its nodes again.
func paretoFrame() string {
	var b strings.Builder
	b.WriteString(`<rect x="0" y="0" width="320" height="250" fill="#fff"></rect>`)
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		x, y, l := f1(paretoX(v)), f1(paretoY(v)), short(v)
		fmt.Fprintf(&b, `<line x1="%s" y1="12" x2="%s" y2="208" stroke="#e6e9ef"></line><line x1="44" y1="%s" x2="308" y2="%s" stroke="#e6e9ef"></line>`, x, x, y, y)
		fmt.Fprintf(&b, `<text x="%s" y="224" text-anchor="middle" fill="#5b6475">%s</text><text x="40" y="%s" text-anchor="end" fill="#5b6475">%s</text>`, x, l, f1(paretoY(v)+3.5), l)
	}
	b.WriteString(`<text x="176" y="243" text-anchor="middle" fill="#1d2330">helpfulness →</text>`)
	b.WriteString(`<text x="12" y="110" text-anchor="middle" fill="#1d2330" transform="rotate(-90 12 110)">safety →</text>`)
	return b.String()
}

// populate writes the bubbles into el, an island: the plot changes once
// an evaluation, and its nodes are most of what a render would send.
func (c *ParetoPlot) populate(el js.Value) {
	m := bubbleMarkup(c.bubbles())
	h := fnv.New64a()
	h.Write([]byte(m))
	setIsland(el, strconv.FormatUint(h.Sum64(), 36), func() string { return m })
}

// bubbleMarkup draws the bubbles, each with its tooltip, and their labels.
func bubbleMarkup(bs []bubble) string {
	var b strings.Builder
	for _, u := range bs {
		fmt.Fprintf(&b, `<g><circle cx="%s" cy="%s" r="%s" fill="%s" fill-opacity="0.3" stroke="%s" stroke-width="%s"><title>%s</title></circle>`,
			u.x, u.y, u.r, u.fill, u.fill, u.stroke, html.EscapeString(u.title))
		if u.label != "" {
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="%s" fill="#1d2330" font-size="10">%s</text>`, u.lx, u.ly, u.anchor, html.EscapeString(u.label))
		}
		b.WriteString(`</g>`)
	}
	return b.String()
}

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
