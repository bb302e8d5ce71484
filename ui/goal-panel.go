package ui

import (
	"fmt"
	"strings"

	"github.com/copsdlab/copsd/ui/state"
)

// GoalPanel shows an exercise's goal (a classroom link's goal=...) and, as
// the learner's run evaluates, which of its parts the latest evaluation
// meets. Each part says "met" or "not yet" in words, not only in colour.
type GoalPanel struct {
	wired
}

// fixed names what the link fixed for the exercise: the model and recipe
// when their controls are hidden.
func (c *GoalPanel) fixed() string {
	s := c.Lab.Settings
	var parts []string
	if s.Hidden("model") {
		parts = append(parts, s.Model)
	}
	if s.Hidden("recipe") {
		parts = append(parts, s.Recipe)
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, " · ") + fmt.Sprintf(" · %d steps", s.Steps)
}

func (c *GoalPanel) intro() string {
	return fmt.Sprintf("Find a run whose evaluation after its last step (%d) meets every part below. Each evaluation of your run updates the marks.", c.Lab.Settings.Steps)
}

func (c *GoalPanel) state(g state.GoalCheck) string {
	switch {
	case !g.Known:
		return "pending"
	case g.Met:
		return "yes"
	}
	return "no"
}

func (c *GoalPanel) partClass(g state.GoalCheck) string { return "goal-part " + c.state(g) }

func (c *GoalPanel) mark(g state.GoalCheck) string {
	switch {
	case !g.Known:
		return "○"
	case g.Met:
		return "✓"
	}
	return "✗"
}

func (c *GoalPanel) value(g state.GoalCheck) string {
	switch {
	case !g.Known:
		return "waiting for an evaluation"
	case g.Met:
		return fmt.Sprintf("met: %.2f at step %d", g.Value, g.Step)
	}
	return fmt.Sprintf("not yet: %.2f at step %d", g.Value, g.Step)
}

func (c *GoalPanel) summary() string {
	checks := c.Lab.GoalChecks()
	met, known, step := 0, false, 0
	for _, g := range checks {
		known, step = known || g.Known, g.Step
		if g.Met {
			met++
		}
	}
	if !known {
		return "Run the lab to see how your run does."
	}
	// The run is judged by the evaluation after its last step, which comes
	// a moment after the step itself.
	done := step >= c.Lab.Settings.Steps
	switch {
	case met == len(checks) && done:
		return "Goal met at the end of the run. Post it to the class board!"
	case met == len(checks):
		return "Every part is met for now; the run is judged by its last evaluation."
	case done:
		return fmt.Sprintf("The run ended with %d of %d parts met: change the constitution and try again.", met, len(checks))
	}
	return fmt.Sprintf("%d of %d parts met so far.", met, len(checks))
}
