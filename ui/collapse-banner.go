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

func (c *CollapseBanner) slotClass() string {
	if c.collapsed() || c.steady() != "" {
		return "banner-slot"
	}
	return "banner-slot empty"
}

func (c *CollapseBanner) collapsed() bool {
	r := c.run()
	return r != nil && r.Report.CollapseStep != nil
}

func (c *CollapseBanner) headline() string {
	r := c.run()
	who := map[state.RunKind]string{state.LiveRun: "Your run", state.ExampleRun: "This example run", state.ImportedRun: "This imported run"}[r.Kind]
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
	under := ""
	if lv := c.Lab.Live; lv != nil && r == &lv.Run {
		if s := c.Lab.Awaited(); s >= 0 {
			under = fmt.Sprintf(" (step %d's evaluation under way)", s)
		}
	}
	return fmt.Sprintf("No collapse as of step %d%s: benign answers %.1f tokens (%.1f at the start), entropy %.2f nats (%.2f).",
		m.Step, under, m.LengthBenign, i.LengthBenign, m.Entropy, i.Entropy)
}
