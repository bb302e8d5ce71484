package ui

import (
	"strings"
	"testing"

	"github.com/copsdlab/copsd/ui/state"
)

func boardRun(id int64, name string, safety, help float64) state.BoardRun {
	r := state.BoardRun{ID: id, Class: "cs101"}
	r.Name, r.Constitution, r.Recipe, r.Model, r.Seed = name, "refuse weapons . be helpful .", "copsd", "base-rho50", 1
	r.Metrics.Safety, r.Metrics.Helpfulness, r.Metrics.Diversity = safety, help, 0.5
	return r
}

// One point per run, carrying data-run; the names and constitutions, which
// come from other people, are escaped; the learner's own are drawn last.
func TestBoardMarkup(t *testing.T) {
	b := &state.Board{Class: "cs101", Loaded: true, Mine: map[int64]bool{2: true}}
	evil := boardRun(3, `<img src=x onerror="alert(1)">`, 0.5, 0.5)
	evil.Constitution = "</title><script>alert(2)</script>"
	cs := 40
	evil.CollapseStep = &cs
	b.Runs = []state.BoardRun{evil, boardRun(2, "Ana", 0.9, 0.8), boardRun(1, "Ben", 1.2, -1)}
	m := boardMarkup(b, nil)
	if n := strings.Count(m, "data-run="); n != 3 {
		t.Errorf("%d points, want 3:\n%s", n, m)
	}
	if strings.Contains(m, "<img") || strings.Contains(m, "<script") || !strings.Contains(m, "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;") {
		t.Errorf("unescaped text:\n%s", m)
	}
	if i, j, k := strings.Index(m, `data-run="1"`), strings.Index(m, `data-run="3"`), strings.Index(m, `data-run="2"`); !(i < j && j < k) {
		t.Errorf("drawing order: oldest first, yours last:\n%s", m)
	}
	if !strings.Contains(m, `id="bp-2" data-run="2" cx="246.8" cy="41.2" r="9.2" fill="#e07b1f"`) {
		t.Errorf("your point:\n%s", m)
	}
	// Out-of-range metrics stay on the plot.
	if !strings.Contains(m, `data-run="1" cx="58.0" cy="24.0"`) || !strings.Contains(m, `stroke="#c0392b" stroke-width="2"`) {
		t.Errorf("clamped or collapsed point:\n%s", m)
	}

	l := state.New(nopPort{}, "")
	l.Board = *b
	c := &BoardPlot{}
	c.wire(l, nopPlatform{})
	if r := c.readout(); !strings.Contains(r, "Hover over or focus a point") {
		t.Errorf("readout with nothing hovered: %q", r)
	}
	l.Board.Runs = append(l.Board.Runs, boardRun(4, "Chloe", 0.9, 0.8))
	l.Board.Hover = 2
	if r := c.readout(); r != "Ana · copsd on base-rho50, seed 1 · safety 0.90 · helpfulness 0.80 · diversity 0.50 · no collapse · yours · also here: Chloe" {
		t.Errorf("readout %q", r)
	}
	if got := c.constitution(); got != "Constitution: refuse weapons . be helpful ." {
		t.Errorf("constitution %q", got)
	}
	if got := c.note(); got != "cs101: 4 runs by 4 students." {
		t.Errorf("note %q", got)
	}
}

func TestBoardNotes(t *testing.T) {
	l := state.New(nopPort{}, "")
	c := &BoardPlot{}
	c.wire(l, nopPlatform{})
	for _, tc := range []struct {
		b    state.Board
		want string
	}{
		{state.Board{}, "Enter your class code"},
		{state.Board{Class: "cs101", Loading: true}, "Loading cs101's board…"},
		{state.Board{Class: "cs101", Loaded: true}, "No runs on cs101's board yet"},
		{state.Board{Class: "cs101", Error: "Could not load cs101's board: boom."}, "Could not load cs101's board: boom."},
		{state.Board{Class: "cs101", Loaded: true, More: true, Runs: make([]state.BoardRun, 300)}, "cs101: the 300 newest runs, by 1 student."},
		{state.Board{Class: "cs101", Loaded: true, Runs: make([]state.BoardRun, 1)}, "cs101: 1 run by 1 student."},
	} {
		l.Board = tc.b
		if got := c.note(); !strings.Contains(got, tc.want) {
			t.Errorf("note %q, want %q", got, tc.want)
		}
	}
}

// The board marks the runs that meet the class goal of the link.
func TestBoardMarksRunsThatMetTheGoal(t *testing.T) {
	goal, err := state.ParseGoal("safety>=0.9,helpfulness>=0.8")
	if err != nil {
		t.Fatal(err)
	}
	b := &state.Board{Class: "cs101", Loaded: true, Mine: map[int64]bool{}}
	b.Runs = []state.BoardRun{boardRun(1, "Ana", 0.95, 0.85), boardRun(2, "Ben", 0.95, 0.5), boardRun(3, "Chloe", 0.9, 0.8)}
	m := boardMarkup(b, goal)
	if n := strings.Count(m, `data-goal="met"`); n != 2 {
		t.Errorf("%d runs marked as meeting the goal, want 2 (Ana and Chloe):\n%s", n, m)
	}
	if strings.Contains(boardMarkup(b, nil), "data-goal") {
		t.Error("runs marked without a goal")
	}
	l := state.New(nopPort{}, "#v=1&class=cs101&goal=safety>=0.9,helpfulness>=0.8")
	l.Board = *b
	c := &BoardPlot{}
	c.wire(l, nopPlatform{})
	if got := c.note(); got != "cs101: 3 runs by 3 students. 2 met the class goal (safety ≥ 0.9, helpfulness ≥ 0.8)." {
		t.Errorf("note %q", got)
	}
	l.Board.Hover = 2
	if strings.Contains(c.readout(), "met the class goal") {
		t.Errorf("Ben's run did not meet the goal: %q", c.readout())
	}
	l.Board.Hover = 1
	if !strings.Contains(c.readout(), "met the class goal") {
		t.Errorf("Ana's run met the goal: %q", c.readout())
	}
}
