package ui

import (
	"fmt"
	"strings"

	"github.com/copsdlab/copsd/ui/state"
)

// CollapseBanner says when, and what, collapsed in the run on show.
type CollapseBanner struct {
	wired
}

func (c *CollapseBanner) run() *state.Run { return c.Lab.Shown() }

func (c *CollapseBanner) collapsed() bool {
	r := c.run()
	return r != nil && r.Report.CollapseStep != nil
}

func (c *CollapseBanner) headline() string {
	r := c.run()
	who := "This run"
	if r.Kind == state.LiveRun {
		who = "Your run"
	}
	return fmt.Sprintf("%s collapsed at step %d.", who, *r.Report.CollapseStep)
}

// what is the detector's sentence without its "collapsed at step N:" lead,
// which the headline already says.
func (c *CollapseBanner) what() string {
	s := c.run().Report.Collapse
	if _, rest, ok := strings.Cut(s, ": "); ok && strings.HasPrefix(s, "collapsed at step") {
		s = rest
	}
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:] + "."
	}
	return s
}

// steady says how the run stands when it has not collapsed.
func (c *CollapseBanner) steady() string {
	r := c.run()
	if r == nil || r.Report.CollapseStep != nil || len(r.Report.Steps) < 2 {
		return ""
	}
	i, m := r.Report.Steps[0], r.Report.Steps[len(r.Report.Steps)-1]
	if i.LengthBenign == 0 || i.Entropy == 0 {
		return ""
	}
	return fmt.Sprintf("No collapse at step %d: benign answers at %.0f%% of their starting length, entropy at %.0f%%.",
		m.Step, 100*m.LengthBenign/i.LengthBenign, 100*m.Entropy/i.Entropy)
}
