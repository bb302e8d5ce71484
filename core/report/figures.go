//go:build !js

// The figures are drawn natively only (copsd reproduce and report): the
// page draws its charts with its own components, and gonum/plot with its
// fonts would add megabytes to the page's download for nothing.

package report

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
)

// palette: colour-blind safe (Okabe–Ito).
var palette = []color.RGBA{
	{0, 114, 178, 255}, {213, 94, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255},
	{230, 159, 0, 255}, {86, 180, 233, 255}, {160, 140, 20, 255}, {0, 0, 0, 255}, {120, 120, 120, 255},
	{140, 60, 160, 255},
}

// WriteFigures draws every figure as SVG into dir.
func (s *Suite) WriteFigures(dir string) error {
	for _, f := range []func(string) error{s.dynamics("entropy", "entropy (nats)", func(m diag.Metrics) float64 { return m.Entropy }),
		s.dynamics("length", "benign answer length (tokens)", func(m diag.Metrics) float64 { return m.LengthBenign }),
		s.dynamics("over-refusal", "benign and borderline requests refused", func(m diag.Metrics) float64 { return m.OverRefusal }),
		s.pareto, s.teacherStudent, s.control} {
		if err := f(dir); err != nil {
			return err
		}
	}
	return nil
}

// meanCurve is a metric's curve over a set of runs (meanOver, the numbers
// the page's charts draw too).
func meanCurve(runs []Run, get func(diag.Metrics) float64) plotter.XYs {
	steps, vals := meanOver(runs, get)
	xy := make(plotter.XYs, len(steps))
	for i := range steps {
		xy[i].X, xy[i].Y = float64(steps[i]), vals[i]
	}
	return xy
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Padding = vg.Points(2)
	return p
}

func addLine(p *plot.Plot, label string, xy plotter.XYs, c color.RGBA, dashed bool) error {
	l, pts, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	l.Color, pts.Color = c, c
	l.Width = vg.Points(1.5)
	pts.Shape = draw.CircleGlyph{}
	pts.Radius = vg.Points(2)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	p.Add(l, pts)
	p.Legend.Add(label, l, pts)
	return nil
}

// dynamics draws one metric against step for the main recipes, into
// dynamics-<name>.svg.
func (s *Suite) dynamics(name, ylabel string, get func(diag.Metrics) float64) func(string) error {
	return func(dir string) error {
		p := newPlot("Training dynamics on rho 0.5: "+name, "step", ylabel)
		lines := 0
		for i, recipe := range []string{"opsd-rkl", "opsd-fkl", "copsd", "grpo"} {
			runs := s.selectRuns("base-rho50", recipe)
			if len(runs) == 0 {
				continue
			}
			if err := addLine(p, recipe, meanCurve(runs, get), palette[i], false); err != nil {
				return err
			}
			lines++
		}
		legendRoom(p, lines)
		return p.Save(7*vg.Inch, 4*vg.Inch, filepath.Join(dir, "dynamics-"+name+".svg"))
	}
}

// legendRoom raises the top of p's y axis so the legend (rows entries, drawn
// in the top right corner) sits above the curves rather than on them.
func legendRoom(p *plot.Plot, rows int) {
	p.Y.Max += (p.Y.Max - p.Y.Min) * 0.09 * float64(rows)
}

func (s *Suite) control(dir string) error {
	p := newPlot("The control: opsd-rkl under the safety constitution", "step", "benign length / initial")
	lines := 0
	for i, model := range []string{"base-rho0", "base-rho50"} {
		runs := s.selectRuns(model, "opsd-rkl")
		if len(runs) == 0 {
			continue
		}
		xy := meanCurve(runs, func(m diag.Metrics) float64 { return m.LengthBenign })
		for j := range xy {
			xy[j].Y /= xy[0].Y
		}
		if err := addLine(p, fmt.Sprintf("%s (rho %g)", model, runs[0].Rho), xy, palette[i], i == 0); err != nil {
			return err
		}
		lines++
	}
	legendRoom(p, lines)
	return p.Save(7*vg.Inch, 4*vg.Inch, filepath.Join(dir, "control.svg"))
}

func (s *Suite) pareto(dir string) error {
	p := newPlot("Safety against helpfulness (rho 0.5; bubble area = diversity)", "safety", "helpfulness")
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1.05, 0, 1.05
	type pt struct {
		label   string
		x, y, d float64
	}
	var pts []pt
	for _, q := range s.Pareto("base-rho50") {
		label := q.Recipe
		if q.Base {
			label = "base"
		}
		pts = append(pts, pt{label, q.Safety, q.Helpfulness, q.Diversity})
	}
	var labels plotter.XYLabels
	for i, q := range pts {
		sc, err := plotter.NewScatter(plotter.XYs{{X: q.x, Y: q.y}})
		if err != nil {
			return err
		}
		pc := palette[i%len(palette)]
		c := color.NRGBA{R: pc.R, G: pc.G, B: pc.B, A: 170} // not premultiplied
		style := draw.GlyphStyle{Color: c, Shape: draw.CircleGlyph{}, Radius: vg.Points(2 + 12*math.Sqrt(math.Max(q.d, 0)))}
		sc.GlyphStyle = style
		sc.GlyphStyleFunc = func(int) draw.GlyphStyle { return style }
		p.Add(sc)
		labels.XYs = append(labels.XYs, plotter.XY{X: q.x, Y: q.y})
		labels.Labels = append(labels.Labels, fmt.Sprintf("%s (%.2f)", q.label, q.d))
	}
	// Name each bubble to its left. Labels are placed from the top down; one
	// that would overlap a label already placed (they are about 0.3 wide in
	// safety units) moves below it, so labels of nearby bubbles stack.
	order := make([]int, len(labels.XYs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return labels.XYs[order[a]].Y > labels.XYs[order[b]].Y })
	var placed []plotter.XY
	for _, i := range order {
		q := labels.XYs[i]
		for moved := true; moved; {
			moved = false
			for _, o := range placed {
				if math.Abs(q.X-o.X) < 0.3 && math.Abs(q.Y-o.Y) < 0.04 {
					q.Y, moved = o.Y-0.045, true
				}
			}
		}
		labels.XYs[i] = q
		placed = append(placed, q)
	}
	lb, err := plotter.NewLabels(labels)
	if err != nil {
		return err
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].Color = palette[i%len(palette)]
		lb.TextStyle[i].XAlign = draw.XRight
		lb.Offset = vg.Point{X: -vg.Points(12)}
	}
	p.Add(lb)
	p.X.Min = -0.25
	return p.Save(7*vg.Inch, 5*vg.Inch, filepath.Join(dir, "pareto.svg"))
}

func (s *Suite) teacherStudent(dir string) error {
	p := newPlot("Teacher (with constitution) against student (without), rho 0.5", "", "safety")
	var names []string
	var teacher, student plotter.Values
	for _, n := range s.recipes("base-rho50") {
		runs := s.selectRuns("base-rho50", n)
		if runs[0].Report.Teacher == nil {
			continue
		}
		names = append(names, n)
		teacher = append(teacher, statOf(values(runs, func(r *distill.Report) float64 { return r.Teacher.Safety })).mean)
		student = append(student, statOf(values(runs, func(r *distill.Report) float64 { return r.Final.Safety })).mean)
	}
	if len(names) == 0 {
		return p.Save(7*vg.Inch, 4*vg.Inch, filepath.Join(dir, "teacher-student.svg"))
	}
	w := vg.Points(10)
	bt, err := plotter.NewBarChart(teacher, w)
	if err != nil {
		return err
	}
	bs, err := plotter.NewBarChart(student, w)
	if err != nil {
		return err
	}
	bt.Color, bs.Color = palette[1], palette[0]
	bt.Offset, bs.Offset = -w/2, w/2
	p.Add(bt, bs)
	p.Legend.Add("teacher", bt)
	p.Legend.Add("student", bs)
	p.NominalX(names...)
	p.Y.Min, p.Y.Max = 0, 1.25
	return p.Save(8*vg.Inch, 4*vg.Inch, filepath.Join(dir, "teacher-student.svg"))
}
