package ui

import (
	"fmt"

	"github.com/copsdlab/copsd/ui/state"
)

// GuidePanel is the guided "predict, then run" sequence of three
// experiments: the collapse, the rho-0 control, COPSD.
type GuidePanel struct {
	wired
}

func (c *GuidePanel) exp() state.Experiment { return state.Experiments[c.Lab.Guide.Stage] }

func (c *GuidePanel) progress() string {
	return fmt.Sprintf("experiment %d of %d · %d steps each", c.Lab.Guide.Stage+1, len(state.Experiments), state.GuideSteps)
}

func (c *GuidePanel) choiceClass(p string) string {
	if c.Lab.Guide.Predict[c.Lab.Guide.Stage] == p {
		return "chip on"
	}
	return "chip"
}

func (c *GuidePanel) runLabel() string {
	e := c.exp()
	if c.Lab.Guide.Running() {
		step := 0
		if c.Lab.Live != nil {
			step = c.Lab.Live.Step
		}
		return fmt.Sprintf("Running %s on %s: step %d of %d…", e.Recipe, e.Model, step, state.GuideSteps)
	}
	return fmt.Sprintf("Run %s on %s", e.Recipe, e.Model)
}

func (c *GuidePanel) nextLabel() string {
	if c.Lab.Guide.Stage+1 == len(state.Experiments) {
		return "Start again"
	}
	return "Next experiment"
}
