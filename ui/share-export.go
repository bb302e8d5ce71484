package ui

import (
	"net/url"
	"slices"

	"github.com/vugu/vugu"

	"github.com/copsdlab/copsd/ui/state"
)

// ShareExport is the share link, export and import of runs, and the
// classroom link builder.
type ShareExport struct {
	wired
	hide      map[string]bool
	guide     bool
	goalDraft string     // the classroom link's goal as typed
	goal      state.Goal // as last read without error
	goalErr   string
	projector string // the link on the projector view ("" when closed)
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
	s.Goal = c.goal
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

// setGoal reads the classroom link's goal as it is typed; a bad goal keeps
// the last good one out of the link and says what is wrong.
func (c *ShareExport) setGoal(text string) {
	c.goalDraft = text
	g, err := state.ParseGoal(text)
	if err != nil {
		c.goal, c.goalErr = nil, err.Error()
		return
	}
	c.goal, c.goalErr = g, ""
}

// project opens the projector view of link: a QR code as large as the
// screen allows, with the link in words beneath.
func (c *ShareExport) project(link string) { c.projector = link }

func (c *ShareExport) projectorKey(e vugu.DOMEvent) {
	if e.PropString("key") == "Escape" {
		c.projector = ""
	}
}

// localNote warns that a link naming this computer cannot be opened from
// students' devices.
const localNote = "This link names this computer only (localhost), which students' devices cannot reach. Start the server with -addr :8080 and open the lab at one of the network addresses it prints; then show this again."

// localOnly reports whether link points at the loopback interface.
func localOnly(link string) bool {
	u, err := url.Parse(link)
	if err != nil {
		return false
	}
	switch h := u.Hostname(); {
	case h == "localhost", h == "::1", len(h) > 4 && h[:4] == "127.":
		return true
	}
	return false
}
