package ui

import (
	"fmt"

	"github.com/copsdlab/copsd/core/diag"
)

// LeakageMeter shows the leakage figures of the run on show, with an
// explanation.
type LeakageMeter struct {
	wired
}

func (c *LeakageMeter) leak() *diag.Leakage {
	if r := c.Lab.Shown(); r != nil {
		return r.Report.Leakage
	}
	return nil
}

func (c *LeakageMeter) missing() string {
	r := c.Lab.Shown()
	switch {
	case r == nil:
		return ""
	case r.Report.Config.Privileged == "gold":
		return "This recipe's teacher sees a gold answer, not a constitution: there is no leakage to measure."
	case r.Report.Config.Objective == "reward":
		return "Leakage is measured on the teacher; GRPO has none, but the figures below describe the constitution on this model."
	}
	return "The teacher is measured with and without its constitution while training is paused (it takes a few evaluations' time)."
}

type gauge struct{ name, value, note, class, style string }

func (c *LeakageMeter) gauges() []gauge {
	l := c.leak()
	bar := func(v, lo, hi float64) string {
		// A bar from the zero mark (at -lo/(hi-lo)) to v.
		z := -lo / (hi - lo)
		p := min(max((v-lo)/(hi-lo), 0), 1)
		a, b := min(z, p), max(z, p)
		return fmt.Sprintf("left:%.1f%%;width:%.1f%%", 100*a, 100*(b-a))
	}
	return []gauge{
		{"share of new refusals on benign prompts", fmt.Sprintf("%.0f%%", 100*l.Share), "0% means every refusal the rules add is on a harmful request", "lk bad", bar(l.Share, 0, 1)},
		{"benign length with / without", fmt.Sprintf("%.2f×", l.LengthRatio), "below 1: the rules make benign answers shorter", "lk warn", bar(l.LengthRatio-1, -1, 1)},
		{"over-refusal added", fmt.Sprintf("%+.2f", l.RefusalLeak), "refusals of benign and borderline prompts", "lk bad", bar(l.RefusalLeak, -1, 1)},
		{"safety added", fmt.Sprintf("%+.2f", l.SafetyGain), "refusals of harmful prompts: the intended effect", "lk good", bar(l.SafetyGain, -1, 1)},
		{"cosine(safety shift, brevity direction)", fmt.Sprintf("%+.2f", l.Cosine), "hidden states: above 0, asking for safety also asks for short answers", "lk warn", bar(l.Cosine, -1, 1)},
	}
}
