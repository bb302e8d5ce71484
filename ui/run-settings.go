package ui

import (
	"fmt"
	"strconv"

	"github.com/vugu/vugu"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/ui/state"
)

// RunSettings is the recipe and hyper-parameter panel: model, recipe, seed,
// steps and the recipe's main knobs.
type RunSettings struct {
	wired
}

var divergences = []struct {
	d     distill.Objective
	label string
}{
	{distill.ReverseKL, "reverse KL"},
	{distill.ForwardKL, "forward KL"},
	{distill.JSD, "JSD(β)"},
	{distill.Sampled, "sampled token"},
	{distill.Reward, "judge reward"},
}

var teachers = []struct {
	t     distill.TeacherMode
	label string
}{
	{distill.Frozen, "frozen"},
	{distill.EMA, "EMA"},
	{distill.Live, "live"},
}

var groupSizes = []int{2, 4, 8, 16}

var learningRates = []float32{3e-4, 1e-3, 2e-3, 5e-3}

// recipeAbout is the chosen recipe's sentence (core/distill.Recipes).
func (c *RunSettings) recipeAbout() string {
	r, _ := distill.FindRecipe(c.Lab.Settings.Recipe)
	return r.About
}

func (c *RunSettings) modelLabel(m state.ModelChoice) string {
	if m.Rho == 0 {
		return "rho 0 (control)"
	}
	return fmt.Sprintf("rho %g", m.Rho)
}

// knobsHint explains the knobs in force.
func (c *RunSettings) knobsHint() string {
	s := c.Lab.Settings
	div := map[distill.Objective]string{
		distill.ReverseKL: "Reverse KL(student ‖ teacher) seeks one of the teacher's modes",
		distill.ForwardKL: "Forward KL(teacher ‖ student) covers all of the teacher's modes",
		distill.JSD:       "JSD(β) interpolates: β = 1 is reverse KL, β → 0 forward KL",
		distill.Sampled:   "The sampled token's clipped log-ratio is its advantage (PPO-clip)",
		distill.Reward:    "The exact judge's verdict is the reward; the teacher is ignored",
	}[s.Divergence]
	t := map[distill.TeacherMode]string{
		distill.Frozen: "the teacher is a frozen copy of the starting weights",
		distill.EMA:    "the teacher follows the student slowly (EMA)",
		distill.Live:   "the teacher is the student itself, updated every step",
	}[s.Teacher]
	return div + "; " + t + "."
}

func (c *RunSettings) lrChoices() []float32 {
	for _, lr := range learningRates {
		if lr == c.Lab.Settings.LR {
			return learningRates
		}
	}
	return append([]float32{c.Lab.Settings.LR}, learningRates...)
}

func (c *RunSettings) seed() string  { return strconv.FormatUint(c.Lab.Settings.Seed, 10) }
func (c *RunSettings) steps() string { return strconv.Itoa(c.Lab.Settings.Steps) }

func (c *RunSettings) setInt(e vugu.DOMEvent, f func(int)) {
	if n, err := strconv.Atoi(e.PropString("target", "value")); err == nil {
		f(n)
	}
}

func (c *RunSettings) setFloat(e vugu.DOMEvent, f func(float64)) {
	if v, err := strconv.ParseFloat(e.PropString("target", "value"), 64); err == nil {
		f(v)
	}
}

func (c *RunSettings) setTemperature(e vugu.DOMEvent) {
	c.setFloat(e, func(v float64) { c.Lab.SetTemperature(float32(v)) })
}

func (c *RunSettings) setLR(e vugu.DOMEvent) {
	if v, err := strconv.ParseFloat(e.PropString("target", "value"), 32); err == nil {
		c.Lab.SetLR(float32(v))
	}
}
