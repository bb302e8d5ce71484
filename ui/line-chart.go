package ui

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/vugu/vugu"

	"github.com/copsdlab/copsd/ui/state"
)

// LineChart draws one chart of the training dynamics (state.Charts) for
// the run on show, with the compared run behind it, the collapse step
// marked, and a read-out of the step under the pointer. Each step with data
// has one transparent column carrying data-step: the hover target.
//
// Given Lines, it draws those instead of the run on show (the Reproduce
// view's charts: one line per recipe on a base model), every line in the
// foreground, with its own read-out of the step under the pointer.
type LineChart struct {
	wired
	ChartID string
	Lines   *state.ChartLines

	hovered int // with Lines: the step under the pointer + 1 (0: none)

	spec  *state.ChartSpec
	v     chartView
	key   string // names what the chart shows; the layout is redone when it changes
	bgKey string // names the background layer: axes and the compared run
}

// The plot area inside the 440 × 200 view box.
const (
	plotL, plotR, plotT, plotB = 40.0, 432.0, 8.0, 176.0
	maxHits                    = 240 // hover columns; longer runs share them
)

// palette colours the series of a chart, in order.
var palette = []string{"#2f6fde", "#e07b1f", "#1e8449", "#8e44ad"}

type chartView struct {
	yTicks, xTicks []tick
	lines          []polyline
	dots           []dot
	hits           []hit
	legend         []legendKey
	collapse       string
	collapseLabel  string
	hoverX         string
	readout        string
	summary        string // the latest values, for screen readers
	compare        string
	maxStep        int
	yMax           float64
}

type tick struct{ pos, labelPos, label, anchor string }
type polyline struct {
	points, color, width, dash, opacity string
	ghost                               bool
}
type dot struct {
	x, y, color, opacity string
	ghost                bool
}
type hit struct {
	id, x, w string
	step     int
}
type legendKey struct{ name, swatch string }

func (c *LineChart) testID() string { return "chart-" + c.ChartID }

// label is the chart's text alternative: its title and the run's latest
// values (the picture itself is a role="img").
func (c *LineChart) label() string {
	if c.v.summary == "" {
		return c.spec.Title + ": no run on show"
	}
	return c.spec.Title + ", " + c.v.summary
}

// BeforeBuild lays the chart out from the lab's state.
func (c *LineChart) BeforeBuild() {
	if c.Lines != nil {
		c.spec = &c.Lines.Spec
		key := fmt.Sprintf("lines|%s|%s|%d", c.ChartID, c.Lines.Key, c.hovered)
		if key == c.key {
			return
		}
		c.key = key
		c.v = layoutLines(c.Lines, c.hovered-1)
		c.bgKey = fmt.Sprintf("lines|%s|%g|%d", c.ChartID, c.v.yMax, c.v.maxStep)
		return
	}
	c.spec = state.Chart(c.ChartID)
	if c.spec == nil {
		c.spec = &state.ChartSpec{ID: c.ChartID, Title: c.ChartID}
	}
	run, cmp := c.Lab.Shown(), c.Lab.Compare()
	train := false
	for _, s := range c.spec.Series {
		train = train || s.Train != nil
	}
	key := fmt.Sprintf("%s|%s|%d|%s", c.ChartID, dataKey(run, train), c.Lab.HoverStep, dataKey(cmp, train))
	if key == c.key {
		return // nothing the chart shows has changed
	}
	c.key = key
	c.v = layoutChart(c.spec, run, cmp, c.Lab.HoverStep)
	c.bgKey = fmt.Sprintf("%s|%g|%d|%s", c.ChartID, c.v.yMax, c.v.maxStep, dataKey(cmp, train))
}

// dataKey names a run's data as far as a chart goes: its training metrics
// only if the chart plots some.
func dataKey(r *state.Run, train bool) string {
	if r == nil {
		return "-"
	}
	cs := -1
	if r.Report.CollapseStep != nil {
		cs = *r.Report.CollapseStep
	}
	nt := 0
	if train {
		nt = len(r.Report.Train)
	}
	return fmt.Sprintf("%s:%d:%d:%d:%d", r.ID, nt, len(r.Report.Steps), r.Planned(), cs)
}

// The chart's content is two layers of markup. The background holds the
// grid, the axes and the compared run, which rarely change; the foreground
// the run on show (its lines and points, the collapse and hover marks) and
// one transparent hover column carrying data-step per step with data, which
// change every step. Colours are attributes, so an exported SVG stands
// alone.

func (c *LineChart) background() string {
	v := &c.v
	var b strings.Builder
	b.WriteString(`<rect x="0" y="0" width="440" height="200" fill="#fff"></rect>`)
	for _, t := range v.yTicks {
		fmt.Fprintf(&b, `<line x1="40" y1="%s" x2="432" y2="%s" stroke="#e6e9ef"></line><text x="36" y="%s" text-anchor="end" fill="#5b6475">%s</text>`,
			t.pos, t.pos, t.labelPos, html.EscapeString(t.label))
	}
	for _, t := range v.xTicks {
		fmt.Fprintf(&b, `<text x="%s" y="192" text-anchor="%s" fill="#5b6475">%s</text>`, t.pos, t.anchor, html.EscapeString(t.label))
	}
	b.WriteString(`<line x1="40" y1="176" x2="432" y2="176" stroke="#9aa3b2"></line>`)
	writeLines(&b, v.lines, v.dots, true)
	return b.String()
}

func (c *LineChart) foreground() string {
	v := &c.v
	var b strings.Builder
	if v.collapse != "" {
		fmt.Fprintf(&b, `<line x1="%s" y1="8" x2="%s" y2="176" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="4 3"></line>`, v.collapse, v.collapse)
	}
	writeLines(&b, v.lines, v.dots, false)
	if v.collapse != "" { // over the lines, on a halo of the chart's white
		fmt.Fprintf(&b, `<text x="%s" y="18" fill="#c0392b" stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">collapse</text>`, v.collapseLabel)
	}
	if v.hoverX != "" {
		fmt.Fprintf(&b, `<line x1="%s" y1="8" x2="%s" y2="176" stroke="#1d2330" stroke-opacity="0.35"></line>`, v.hoverX, v.hoverX)
	}
	for _, h := range v.hits {
		fmt.Fprintf(&b, `<rect id="%s" data-step="%d" x="%s" y="8" width="%s" height="168" fill="transparent"></rect>`, h.id, h.step, h.x, h.w)
	}
	return b.String()
}

// writeLines writes the lines and points of the compared run (ghost) or of
// the run on show.
func writeLines(b *strings.Builder, lines []polyline, dots []dot, ghost bool) {
	for _, l := range lines {
		if l.ghost != ghost {
			continue
		}
		fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="%s" stroke-opacity="%s" stroke-linejoin="round"`, l.points, l.color, l.width, l.opacity)
		if l.dash != "" {
			fmt.Fprintf(b, ` stroke-dasharray="%s"`, l.dash)
		}
		b.WriteString(`></polyline>`)
	}
	for _, d := range dots {
		if d.ghost == ghost {
			fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="3" fill="%s" fill-opacity="%s"></circle>`, d.x, d.y, d.color, d.opacity)
		}
	}
}

func layoutChart(spec *state.ChartSpec, run, cmp *state.Run, hover int) chartView {
	var v chartView
	if run == nil {
		return v
	}
	v.maxStep = max(run.Planned(), 1)
	if cmp != nil {
		v.maxStep = max(v.maxStep, cmp.LastStep())
	}
	data := make([][]state.Point, len(spec.Series))
	var cdata [][]state.Point
	for i, s := range spec.Series {
		data[i] = s.Points(run)
		v.yMax = max(v.yMax, maxOf(data[i]))
		if cmp != nil {
			cdata = append(cdata, s.Points(cmp))
			v.yMax = max(v.yMax, maxOf(cdata[i]))
		}
	}
	x, y := v.axes(spec.Rate)
	draw := func(pts []state.Point, color string, eval, ghost bool) {
		if len(pts) == 0 {
			return
		}
		var b strings.Builder
		for _, p := range envelope(pts, maxLinePoints) {
			fmt.Fprintf(&b, "%s,%s ", f1(x(p.Step)), f1(y(p.V)))
		}
		l := polyline{points: b.String(), color: color, width: "1.25", opacity: "1", ghost: ghost}
		if eval {
			l.width = "2.25"
		}
		if ghost {
			l.dash, l.opacity = "5 4", "0.45"
		}
		v.lines = append(v.lines, l)
		if eval {
			for _, p := range pts {
				d := dot{x: f1(x(p.Step)), y: f1(y(p.V)), color: color, opacity: "1", ghost: ghost}
				if ghost {
					d.opacity = "0.4"
				}
				v.dots = append(v.dots, d)
			}
		}
	}
	for i, s := range spec.Series {
		if cdata != nil {
			draw(cdata[i], palette[i%len(palette)], s.Eval != nil, true)
		}
	}
	for i, s := range spec.Series {
		color := palette[i%len(palette)]
		draw(data[i], color, s.Eval != nil, false)
		sw := "border-top:2px solid " + color
		if s.Eval != nil {
			sw = "border-top:3px solid " + color + ";border-radius:2px"
		}
		v.legend = append(v.legend, legendKey{name: s.Name, swatch: sw})
	}
	if cmp != nil {
		v.compare = "dashed: " + cmp.Title
	}
	if cs := run.Report.CollapseStep; cs != nil {
		v.collapse, v.collapseLabel = f1(x(*cs)), f1(min(x(*cs)+4, plotR-52))
	}
	v.hits = hitColumns(spec.ID, dataSteps(data), v.maxStep, x)
	step := hover
	if step < 0 || step > run.LastStep() {
		step = run.LastStep()
	}
	if hover >= 0 && hover <= v.maxStep {
		v.hoverX = f1(x(hover))
	}
	v.readout = readout(seriesNames(spec), data, step)
	v.summary = readout(seriesNames(spec), data, run.LastStep())
	if cs := run.Report.CollapseStep; cs != nil {
		v.summary += fmt.Sprintf(" · collapsed at step %d", *cs)
	}
	return v
}

// axes scales the y axis to v.yMax (the largest value; a rate's is 1) and
// lays out the ticks of both axes; x and y place a point in the view box.
func (v *chartView) axes(rate bool) (x func(int) float64, y func(float64) float64) {
	if rate {
		v.yMax = 1
	} else {
		v.yMax = 4 * niceCeil(v.yMax/4) // four nice steps
	}
	x = func(step int) float64 { return plotL + (plotR-plotL)*float64(step)/float64(v.maxStep) }
	y = func(val float64) float64 { return plotB - (plotB-plotT)*val/v.yMax }
	for i := 0; i <= 4; i++ {
		val := v.yMax * float64(i) / 4
		v.yTicks = append(v.yTicks, tick{pos: f1(y(val)), labelPos: f1(y(val) + 3.5), label: short(val)})
	}
	for i, s := range []int{0, v.maxStep / 2, v.maxStep} {
		anchor := []string{"start", "middle", "end"}[i]
		v.xTicks = append(v.xTicks, tick{pos: f1(x(s)), label: strconv.Itoa(s), anchor: anchor})
	}
	return x, y
}

// layoutLines lays out lines given outright: each an evaluation series
// (a thick line with a point per evaluation), in its own colour, dashed if
// asked; hover is the step under the pointer (-1: none).
func layoutLines(cl *state.ChartLines, hover int) chartView {
	var v chartView
	if len(cl.Lines) == 0 {
		return v
	}
	v.maxStep = max(cl.MaxStep, 1)
	data := make([][]state.Point, len(cl.Lines))
	names := make([]string, len(cl.Lines))
	last := 0
	for i, l := range cl.Lines {
		data[i], names[i] = l.Points, l.Name
		v.yMax = max(v.yMax, maxOf(l.Points))
		if n := len(l.Points); n > 0 {
			last = max(last, l.Points[n-1].Step)
		}
	}
	v.maxStep = max(v.maxStep, last)
	x, y := v.axes(cl.Spec.Rate)
	for i, l := range cl.Lines {
		if len(l.Points) == 0 {
			continue
		}
		var b strings.Builder
		for _, p := range envelope(l.Points, maxLinePoints) {
			fmt.Fprintf(&b, "%s,%s ", f1(x(p.Step)), f1(y(p.V)))
		}
		pl := polyline{points: b.String(), color: l.Color, width: "2.25", opacity: "1"}
		sw := "border-top:3px solid " + l.Color
		if l.Dashed {
			pl.dash, sw = "6 4", "border-top:3px dashed "+l.Color
		}
		v.lines = append(v.lines, pl)
		for _, p := range l.Points {
			v.dots = append(v.dots, dot{x: f1(x(p.Step)), y: f1(y(p.V)), color: l.Color, opacity: "1"})
		}
		v.legend = append(v.legend, legendKey{name: names[i], swatch: sw})
	}
	v.hits = hitColumns(cl.Spec.ID, dataSteps(data), v.maxStep, x)
	step := hover
	if step < 0 || step > last {
		step = last
	}
	if hover >= 0 && hover <= v.maxStep {
		v.hoverX = f1(x(hover))
	}
	v.readout = readout(names, data, step)
	v.summary = readout(names, data, last)
	return v
}

// maxLinePoints bounds the points of a drawn line: the plot is 392 units
// wide, so a long run's line keeps, per bucket of steps, its lowest and
// highest value (in step order), and looks the same at a bounded size. The
// read-outs use every point.
const maxLinePoints = 400

// envelope is pts, or, when there are more than limit, the lowest and the
// highest point of each of limit/2 buckets of consecutive points, in step
// order: a line with the same extremes in every bucket.
func envelope(pts []state.Point, limit int) []state.Point {
	if len(pts) <= limit {
		return pts
	}
	buckets := limit / 2
	out := make([]state.Point, 0, limit)
	for b := range buckets {
		lo, hi := b*len(pts)/buckets, (b+1)*len(pts)/buckets
		mn, mx := lo, lo
		for i := lo; i < hi; i++ {
			if pts[i].V < pts[mn].V {
				mn = i
			}
			if pts[i].V > pts[mx].V {
				mx = i
			}
		}
		out = append(out, pts[min(mn, mx)])
		if mn != mx {
			out = append(out, pts[max(mn, mx)])
		}
	}
	return out
}

// dataSteps lists the steps that have a value in any series, in order.
func dataSteps(data [][]state.Point) []int {
	seen := map[int]bool{}
	var steps []int
	for _, pts := range data {
		for _, p := range pts {
			if !seen[p.Step] {
				seen[p.Step] = true
				steps = append(steps, p.Step)
			}
		}
	}
	slices.Sort(steps)
	return steps
}

// hitColumns makes one hover column per step with data (sharing columns
// when there are more than maxHits).
func hitColumns(id string, steps []int, maxStep int, x func(int) float64) []hit {
	stride := (len(steps) + maxHits - 1) / maxHits
	w := (plotR - plotL) / float64(maxStep+1) * float64(max(stride, 1))
	var out []hit
	for i := 0; i < len(steps); i += max(stride, 1) {
		s := steps[i]
		out = append(out, hit{id: fmt.Sprintf("h-%s-%d", id, s), x: f1(x(s) - w/2), w: f1(w), step: s})
	}
	return out
}

func seriesNames(spec *state.ChartSpec) []string {
	names := make([]string, len(spec.Series))
	for i, s := range spec.Series {
		names[i] = s.Name
	}
	return names
}

// readout says each series' value at step (names[i] is data[i]'s).
func readout(names []string, data [][]state.Point, step int) string {
	parts := []string{"step " + strconv.Itoa(step)}
	var ats []*state.Point
	var big float64
	for i := range names {
		var at *state.Point
		for k := range data[i] {
			if data[i][k].Step <= step {
				at = &data[i][k]
			}
		}
		ats = append(ats, at)
		if at != nil {
			big = max(big, math.Abs(at.V))
		}
	}
	decimals := readoutDecimals(big)
	for i, name := range names {
		at := ats[i]
		if at == nil {
			continue
		}
		p := name + " " + fixed(at.V, decimals)
		if at.Step != step {
			p += fmt.Sprintf(" (at step %d)", at.Step)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " · ")
}

// readoutMarkup is the read-out with each series' name and value in a
// part of its own, which the page keeps on one line when it fits: a name
// is not split at its hyphen (opsd-rkl) or its spaces (rho 0) from its
// value. An island (setIsland), written when the read-out changes.
func (c *LineChart) readoutMarkup() string { return readoutMarkup(c.v.readout) }

func readoutMarkup(text string) string {
	parts := strings.Split(text, " · ")
	for i, p := range parts {
		parts[i] = `<span class="part">` + html.EscapeString(p) + `</span>`
	}
	return strings.Join(parts, "&nbsp;· ") // a line breaks after a separator, never before
}

func (c *LineChart) hover(e vugu.DOMEvent) {
	id := e.PropString("target", "id")
	prefix := "h-" + c.ChartID + "-"
	if !strings.HasPrefix(id, prefix) {
		return
	}
	if s, err := strconv.Atoi(id[len(prefix):]); err == nil {
		if c.Lines != nil {
			c.hovered = s + 1
			return
		}
		c.Lab.HoverStep = s
	}
}

func (c *LineChart) leave() {
	if c.Lines != nil {
		c.hovered = 0
		return
	}
	c.Lab.HoverStep = -1
}

func (c *LineChart) export() {
	if c.Lines != nil {
		c.Lab.ExportSuiteChart(c.testID())
		return
	}
	c.Lab.ExportChart(c.testID())
}

func maxOf(pts []state.Point) float64 {
	m := 0.0
	for _, p := range pts {
		m = max(m, p.V)
	}
	return m
}

// niceCeil rounds up to 1, 2, 2.5 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*e*1.0000001 {
			return m * e
		}
	}
	return 10 * e
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// short writes an axis label.
func short(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 10:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 1:
		return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
	}
	return strconv.FormatFloat(v, 'g', 2, 64)
}

// readoutDecimals is how many decimals a read-out's values share: three
// significant digits of the largest, so that the values of one read-out
// line up (0.0104 and 0.0035, not 0.0104 and 0.00347).
func readoutDecimals(largest float64) int {
	if largest == 0 || math.IsNaN(largest) || math.IsInf(largest, 0) {
		return 2
	}
	return min(max(2-int(math.Floor(math.Log10(largest))), 0), 6)
}

// fixed writes v with the given decimals; an exact zero stays "0".
func fixed(v float64, decimals int) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}
