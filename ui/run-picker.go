package ui

import (
	"fmt"

	"github.com/copsdlab/copsd/ui/state"
)

// RunPicker chooses which run the charts show (your run, a precomputed
// example, an imported run) and which one is drawn faintly behind it.
type RunPicker struct {
	wired
}

// maxChips is how many runs get a button; the rest are in a list.
const maxChips = 4

func (c *RunPicker) chips() []*state.Run {
	runs := c.Lab.Runs()
	return runs[:min(len(runs), maxChips)]
}

func (c *RunPicker) more() []*state.Run {
	runs := c.Lab.Runs()
	if len(runs) <= maxChips {
		return nil
	}
	return runs[maxChips:]
}

func (c *RunPicker) isShown(r *state.Run) bool {
	s := c.Lab.Shown()
	return s != nil && s.ID == r.ID
}

func (c *RunPicker) isCompared(r *state.Run) bool {
	s := c.Lab.Compare()
	return s != nil && s.ID == r.ID
}

func (c *RunPicker) inMore() bool {
	for _, r := range c.more() {
		if c.isShown(r) {
			return true
		}
	}
	return false
}

func (c *RunPicker) label(r *state.Run) string {
	switch r.Kind {
	case state.LiveRun:
		return fmt.Sprintf("Your run (step %d)", r.LastStep())
	case state.ExampleRun:
		return "Example: " + r.Title
	}
	return "Imported: " + r.Title
}

func (c *RunPicker) chipClass(r *state.Run) string {
	if c.isShown(r) {
		return "chip on"
	}
	return "chip"
}

func (c *RunPicker) shownRole() string {
	s := c.Lab.Shown()
	if s == nil {
		return ""
	}
	switch s.Kind {
	case state.ExampleRun:
		note := "Precomputed with the command line's copsd reproduce"
		if s.Role != "" {
			note = s.Role + ". " + note
		}
		return note + ": press Play to run it yourself."
	case state.LiveRun:
		return "Your run: " + s.Title + "."
	}
	return ""
}
