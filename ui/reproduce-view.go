package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vugu/vugu"

	"github.com/copsdlab/copsd/core/report"
	"github.com/copsdlab/copsd/ui/state"
)

// ReproduceView is the Reproduce view (#v=1&view=reproduce): a suite's
// runs, their progress, and the report's tables and claims as they finish.
type ReproduceView struct {
	wired
	draft      string // the custom constitution being written
	drafted    bool
	customOpen bool

	tables   []report.Table      // the report's tables of the runs done
	dynamics []*state.ChartLines // the dynamics charts of the runs with data
}

// BeforeBuild computes the tables and charts once per render.
func (c *ReproduceView) BeforeBuild() {
	c.tables = c.Lab.Repro.Tables()
	c.dynamics = c.dynamics[:0]
	for _, d := range c.Lab.Repro.Dynamics() {
		c.dynamics = append(c.dynamics, &d)
	}
}

// noValue is what a table shows where there is no number (the base row's
// collapse count): nothing to open.
const noValue = "–"

// cellRow is the run a cell of table t's row i links to: the finished run
// of the row's recipe on the table's model with the lowest seed (nil: none).
func (c *ReproduceView) cellRow(t report.Table, i int) *state.ReproRow {
	if i >= len(t.Recipes) {
		return nil
	}
	var best *state.ReproRow
	for _, row := range c.Lab.Repro.Rows {
		if row.Status == state.Done && row.Job.Model == t.Model && row.Job.Recipe == t.Recipes[i] && (best == nil || row.Job.Seed < best.Job.Seed) {
			best = row
		}
	}
	return best
}

// cellLabel names a linked cell for a screen reader: its value, what it
// measures, and the run it opens.
func (c *ReproduceView) cellLabel(t report.Table, i, j int) string {
	row := c.cellRow(t, i)
	return fmt.Sprintf("%s, %s of %s on %s: open the seed %d run in the lab", t.Rows[i][j+1], t.Header[j+1], rowName(t.Rows[i][0]), t.Model, row.Job.Seed)
}

// openCell opens a cell's (or a row's) run in the lab, unless the reader
// asked for a new tab or window (the link's own address then replays it
// there).
func (c *ReproduceView) openCell(e vugu.DOMEvent, row *state.ReproRow) {
	for _, k := range []string{"ctrlKey", "metaKey", "shiftKey", "altKey"} {
		if e.PropBool(k) {
			return
		}
	}
	e.PreventDefault()
	c.Lab.OpenSuiteRun(row)
}

var seedChoices = []int{1, 2, 3, 4, 5}

func suiteLabel(s string) string {
	switch s {
	case state.SuiteQuick:
		return "quick: the collapse, the control, the remedy"
	case state.SuiteFull:
		return "full: every recipe, as copsd reproduce"
	case state.SuiteCustom:
		return "custom: the quick runs under your constitution"
	}
	return s
}

func seedLabel(n int) string {
	if n == 1 {
		return "seed 1"
	}
	return fmt.Sprintf("seeds 1–%d", n)
}

func (c *ReproduceView) chooseSuite(s string) {
	if s == state.SuiteCustom && c.customDraft() == "" {
		// Nothing to run yet: open the editor and wait for the rules.
		c.customOpen = true
		return
	}
	c.customOpen = false
	c.Lab.ChooseSuite(s, c.Lab.Repro.Seeds, c.customDraft())
}

func (c *ReproduceView) chooseSeeds(v string) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return
	}
	c.Lab.ChooseSuite(c.Lab.Repro.Suite, n, c.Lab.Repro.Constitution)
}

// customDraft is the constitution in the editor: what the learner typed,
// else the suite's, else the lab's.
func (c *ReproduceView) customDraft() string {
	switch {
	case c.drafted || c.draft != "":
		return c.draft
	case c.Lab.Repro.Constitution != "":
		return c.Lab.Repro.Constitution
	}
	return ""
}

func (c *ReproduceView) applyCustom() {
	c.drafted = true
	c.customOpen = false
	c.Lab.ChooseSuite(state.SuiteCustom, c.Lab.Repro.Seeds, c.customDraft())
}

func (c *ReproduceView) canStart() bool {
	r := &c.Lab.Repro
	return !r.Running && r.Runner != nil && r.Suite != state.SuiteBundle && r.Count(state.Done) < len(r.Rows)
}

func (c *ReproduceView) startLabel() string {
	if c.Lab.Repro.Count(state.Done) > 0 && c.Lab.Repro.Count(state.Done) < len(c.Lab.Repro.Rows) {
		return "Resume"
	}
	return "Start"
}

func (c *ReproduceView) percent() string {
	return strconv.FormatFloat(100*c.Lab.Repro.Progress(), 'f', 1, 64)
}

func (c *ReproduceView) progressText() string {
	r := &c.Lab.Repro
	s := fmt.Sprintf("%d of %d runs done", r.Count(state.Done), len(r.Rows))
	if n := r.Count(state.Failed); n > 0 {
		s += fmt.Sprintf(", %d failed", n)
	}
	if left, ok := r.Left(); ok {
		s += " · about " + roundDuration(left) + " left"
	}
	return s
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()+0.5))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()+0.5))
	}
	return fmt.Sprintf("%.1f h", d.Hours())
}

// stepOf is the row's trained steps, for its progress bar.
func (c *ReproduceView) stepOf(row *state.ReproRow) int {
	if row.Status == state.Done {
		return row.Steps()
	}
	return row.Step
}

func statusText(row *state.ReproRow) string {
	if row.Status == state.Failed && row.Err != "" {
		return "failed: " + row.Err
	}
	return row.Status
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func assertedText(b bool) string {
	if b {
		return "yes"
	}
	return "reported"
}

func (c *ReproduceView) storageText() string {
	r := &c.Lab.Repro
	if r.Store == nil {
		return "Finished runs are not kept in this browser (no storage)."
	}
	keeps := fmt.Sprintf("This browser keeps %d finished runs (%.1f kB).", r.Stored, float64(r.Usage)/1000)
	if r.Suite == state.SuiteBundle {
		keeps += " An imported bundle's runs stay in the bundle: import it again after a reload."
	}
	return keeps
}

func (c *ReproduceView) importFile(e vugu.DOMEvent) {
	c.Platform.ReadFile(e.JSEventTarget(), c.Lab.ImportSuite)
}

// rowName is a table row's name as the page shows it: report.md's
// emphasis marks (the base row is "*base (initial)*") are markdown, not
// text.
func rowName(s string) string { return strings.Trim(s, "*") }
