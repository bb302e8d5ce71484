package ui

import (
	"github.com/vugu/vugu"

	"github.com/copsdlab/copsd/ui/state"
)

// ClassBoard is the class board: submit your run's results under a class
// code and a display name, and see the class's runs together (BoardPlot).
type ClassBoard struct {
	wired
}

func (c *ClassBoard) statusClass() string {
	switch {
	case c.Lab.Board.Status == "":
		return "board-status"
	case c.Lab.Board.StatusOK:
		return "board-status ok"
	}
	return "board-status error"
}

func (c *ClassBoard) submitLabel() string {
	if c.Lab.Board.Submitting {
		return "Submitting…"
	}
	if n := c.Lab.Board.Waiting(); n > 0 {
		return "Submit to class board (" + state.WaitingNote(n) + ")"
	}
	return "Submit to class board"
}

// nameKey submits on Enter in the name field.
func (c *ClassBoard) nameKey(e vugu.DOMEvent) {
	if e.PropString("key") == "Enter" {
		c.Lab.SubmitToBoard()
	}
}

// teacherExpanded is the teacher view button's aria-expanded.
func (c *ClassBoard) teacherExpanded() string {
	if c.Lab.Teacher.Open {
		return "true"
	}
	return "false"
}
