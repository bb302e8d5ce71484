package ui

import (
	"slices"

	"github.com/vugu/vugu"

	"github.com/copsdlab/copsd/ui/state"
)

// ShareExport is the share link, export and import of runs, and the
// classroom link builder.
type ShareExport struct {
	wired
	hide  map[string]bool
	guide bool
}

func (c *ShareExport) link() string { return c.Lab.PageURL + "#" + c.Lab.Settings.Hash() }

func (c *ShareExport) canExport() bool {
	r := c.Lab.Shown()
	return r != nil && (r.Kind != state.LiveRun || (c.Lab.CanRun() && len(r.Report.Steps) > 0))
}

func (c *ShareExport) toggle(h string, on bool) {
	if c.hide == nil {
		c.hide = map[string]bool{}
	}
	c.hide[h] = on
}

func (c *ShareExport) classLink() string {
	s := c.Lab.Settings
	s.Hide = nil
	for _, h := range state.Hideable {
		if c.hide[h] && !slices.Contains(s.Hide, h) {
			s.Hide = append(s.Hide, h)
		}
	}
	s.Guide = c.guide
	return c.Lab.PageURL + "#" + s.Hash()
}

// classNote says whether the classroom link names a class board.
func (c *ShareExport) classNote() string {
	if cl := c.Lab.Settings.Class; cl != "" {
		return "It opens the class board of " + cl + ", where students submit their runs."
	}
	return "Enter a class code under Class board to have the link open your class's board."
}

func (c *ShareExport) importFile(e vugu.DOMEvent) {
	c.Platform.ReadFile(e.JSEventTarget(), c.Lab.Import)
}
