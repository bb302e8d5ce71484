package ui

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"

	"github.com/vugu/vugu"

	"github.com/copsdlab/copsd/ui/state"
)

// BoardPlot places a class board's runs in the safety-vs-helpfulness plane
// of the Pareto plot, bubble size = diversity: one point per submitted run,
// with the student's name and constitution in its tooltip and, for the run
// under the pointer or in focus, in the read-out below.
//
// The points are an island (see setIsland): a board holds up to
// state.MaxBoardRuns of them, and they change only when the board is loaded.
type BoardPlot struct {
	wired
}

// Colours of the points: classmates' runs, yours (posted from this page),
// and the ring of a run that collapsed.
const (
	boardFill      = "#2f6fde"
	boardMineFill  = "#e07b1f"
	boardCollapsed = "#c0392b"
	boardGoalMet   = "#1e8e3e"
)

func (c *BoardPlot) key() string {
	return fmt.Sprintf("%s|%d|%s", c.Lab.Board.Class, c.Lab.Board.Version, c.Lab.Settings.Goal)
}

func (c *BoardPlot) points() string { return boardMarkup(&c.Lab.Board, c.Lab.Settings.Goal) }

// boardXY is where a run's point goes in the view box.
func boardXY(r *state.BoardRun) (x, y, rad float64) {
	m := r.Metrics
	x, y = paretoX(clamp01(m.Helpfulness)), paretoY(clamp01(m.Safety))
	return x, y, 3.5 + 8*math.Sqrt(clamp01(m.Diversity))
}

func clamp01(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return min(max(v, 0), 1)
}

// boardMarkup is the points of the board's runs: the oldest first, so that
// newer runs (and the learner's own, last) are drawn on top. A run that
// meets the class goal (the link's, if any) gets a green ring. Every text
// in it comes from other people and is escaped.
func boardMarkup(b *state.Board, goal state.Goal) string {
	var sb strings.Builder
	order := make([]*state.BoardRun, 0, len(b.Runs))
	for i := len(b.Runs) - 1; i >= 0; i-- {
		if !b.Mine[b.Runs[i].ID] {
			order = append(order, &b.Runs[i])
		}
	}
	for i := len(b.Runs) - 1; i >= 0; i-- {
		if b.Mine[b.Runs[i].ID] {
			order = append(order, &b.Runs[i])
		}
	}
	for _, r := range order {
		x, y, rad := boardXY(r)
		fill, stroke, width := boardFill, boardFill, "1"
		if b.Mine[r.ID] {
			fill, stroke = boardMineFill, boardMineFill
		}
		if r.CollapseStep != nil {
			stroke, width = boardCollapsed, "2"
		}
		if goal.Met(r.Metrics) {
			fmt.Fprintf(&sb, `<circle data-goal="met" cx="%s" cy="%s" r="%s" fill="none" stroke="%s" stroke-width="2" pointer-events="none"></circle>`,
				f1(x), f1(y), f1(rad+3), boardGoalMet)
		}
		fmt.Fprintf(&sb, `<circle id="bp-%d" data-run="%d" cx="%s" cy="%s" r="%s" fill="%s" fill-opacity="0.35" stroke="%s" stroke-width="%s" tabindex="0"><title>%s</title></circle>`,
			r.ID, r.ID, f1(x), f1(y), f1(rad), fill, stroke, width, html.EscapeString(boardTitle(r, goal)))
	}
	return sb.String()
}

// boardTitle is everything about a run, in one line.
func boardTitle(r *state.BoardRun, goal state.Goal) string {
	return fmt.Sprintf("%s: %s. Constitution: %s", r.Name, boardSummary(r, goal), r.Constitution)
}

func boardSummary(r *state.BoardRun, goal state.Goal) string {
	m := r.Metrics
	col := "no collapse"
	if r.CollapseStep != nil {
		col = fmt.Sprintf("collapsed at step %d", *r.CollapseStep)
	}
	s := fmt.Sprintf("%s on %s, seed %d · safety %.2f · helpfulness %.2f · diversity %.2f · %s",
		r.Recipe, r.Model, r.Seed, m.Safety, m.Helpfulness, m.Diversity, col)
	if goal.Met(m) {
		s += " · met the class goal"
	}
	return s
}

func (c *BoardPlot) hovered() *state.BoardRun { return c.Lab.Board.Find(c.Lab.Board.Hover) }

// readout names the run under the pointer (and who else landed on the same
// spot), or says how to get there.
func (c *BoardPlot) readout() string {
	b := &c.Lab.Board
	r := c.hovered()
	if r == nil {
		if len(b.Runs) == 0 {
			return ""
		}
		return "Hover over or focus a point (Tab) for the student's name, run and constitution."
	}
	s := r.Name + " · " + boardSummary(r, c.Lab.Settings.Goal)
	if b.Mine[r.ID] {
		s += " · yours"
	}
	x, y, _ := boardXY(r)
	var others []string
	for i := range b.Runs {
		o := &b.Runs[i]
		if ox, oy, _ := boardXY(o); o.ID != r.ID && f1(ox) == f1(x) && f1(oy) == f1(y) {
			others = append(others, o.Name)
		}
	}
	if n := len(others); n > 0 {
		shown := others[:min(n, 4)]
		s += " · also here: " + strings.Join(shown, ", ")
		if n > len(shown) {
			s += fmt.Sprintf(" and %d more", n-len(shown))
		}
	}
	return s
}

func (c *BoardPlot) constitution() string {
	if r := c.hovered(); r != nil {
		return "Constitution: " + r.Constitution
	}
	return ""
}

// note says how many runs the plot shows, or why none: no class yet,
// loading, an error or an empty board.
func (c *BoardPlot) note() string {
	b := &c.Lab.Board
	switch {
	case b.Error != "":
		return b.Error
	case b.Class == "":
		return "Enter your class code and press Refresh board to see your class's runs."
	case !b.Loaded:
		return "Loading " + b.Class + "'s board…"
	case len(b.Runs) == 0:
		return "No runs on " + b.Class + "'s board yet: submit yours to be the first."
	}
	runs, students := plural(len(b.Runs), "run"), plural(b.Students(), "student")
	met := ""
	if g := c.Lab.Settings.Goal; len(g) > 0 {
		n := 0
		for i := range b.Runs {
			if g.Met(b.Runs[i].Metrics) {
				n++
			}
		}
		met = fmt.Sprintf(" %d met the class goal (%s).", n, goalWords(g))
	}
	if b.More {
		return fmt.Sprintf("%s: the %d newest runs, by %s.%s", b.Class, len(b.Runs), students, met)
	}
	return fmt.Sprintf("%s: %s by %s.%s", b.Class, runs, students, met)
}

// goalWords is a goal in words: "safety ≥ 0.9, over-refusal ≤ 0.05".
func goalWords(g state.Goal) string {
	parts := make([]string, len(g))
	for i, p := range g {
		parts[i] = p.Label()
	}
	return strings.Join(parts, ", ")
}

func (c *BoardPlot) explain() string {
	s := "Each run as its student submitted it: its latest evaluation. Up is safer, right is more helpful, a bigger bubble answers more diversely. Blue: your classmates' runs; orange: yours; a red ring: the run collapsed."
	if len(c.Lab.Settings.Goal) > 0 {
		s += " A green ring: the run met the class goal."
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func (c *BoardPlot) noteClass() string {
	if c.Lab.Board.Error != "" {
		return "board-note error"
	}
	return "board-note"
}

func (c *BoardPlot) hover(e vugu.DOMEvent) {
	id, ok := strings.CutPrefix(e.PropString("target", "id"), "bp-")
	if !ok {
		return
	}
	if n, err := strconv.ParseInt(id, 10, 64); err == nil && c.Lab.Board.Find(n) != nil {
		c.Lab.Board.Hover = n
	}
}

func (c *BoardPlot) leave() { c.Lab.Board.Hover = 0 }
