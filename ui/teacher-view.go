package ui

import (
	"fmt"

	"github.com/vugu/vugu"

	"github.com/copsdlab/copsd/ui/state"
)

// TeacherView is the class board's teacher view: with the class's teacher
// key, its runs as a table sortable by every column, a Hide button per run,
// and the CSV download. Sorting is done by buttons in the column headers,
// which carry aria-sort.
type TeacherView struct {
	wired
}

func (c *TeacherView) statusClass() string {
	switch {
	case c.Lab.Teacher.Status == "":
		return "board-status"
	case c.Lab.Teacher.StatusOK:
		return "board-status ok"
	}
	return "board-status error"
}

func (c *TeacherView) claimLabel() string {
	if c.Lab.Teacher.Busy {
		return "Working…"
	}
	return "Claim this class"
}

// keyKey opens the view on Enter in the key field.
func (c *TeacherView) keyKey(e vugu.DOMEvent) {
	if e.PropString("key") == "Enter" {
		c.Lab.UseTeacherKey()
	}
}

func (c *TeacherView) csvName() string { return "copsd-board-" + c.Lab.Board.Class + ".csv" }

func (c *TeacherView) tableLabel() string {
	return "Runs on " + c.Lab.Board.Class + "'s board"
}

func (c *TeacherView) count() string {
	n := len(c.Lab.Board.Runs)
	s := fmt.Sprintf("%d runs", n)
	if n == 1 {
		s = "1 run"
	}
	if c.Lab.Board.More {
		s += fmt.Sprintf(" (the newest %d)", state.MaxBoardRuns)
	}
	return s
}

func (c *TeacherView) arrow(key string) string {
	switch c.Lab.Teacher.AriaSort(key) {
	case "ascending":
		return " ▲"
	case "descending":
		return " ▼"
	}
	return ""
}

func (c *TeacherView) headClass(col state.TeacherColumn) string {
	if col.Numeric {
		return "num"
	}
	return ""
}

func (c *TeacherView) cellClass(col state.TeacherColumn) string {
	if col.Numeric {
		return "num"
	}
	switch col.Key {
	case "constitution":
		return "cons"
	case "recipe", "model":
		return "nowrap"
	}
	return ""
}

func (c *TeacherView) hideLabel(r state.BoardRun) string {
	return fmt.Sprintf("Hide run #%d by %s", r.ID, r.Name)
}
