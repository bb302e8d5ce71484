package distill

import "fmt"

// Range is a knob's allowed values, both ends included.
type Range struct{ Lo, Hi float64 }

// The bounds of the knobs a learner turns. Validate, the Run's setters and
// the browser's settings table (ui/state/knobs.go) all read these, so a
// value one of them accepts every other accepts.
var (
	// BetaRange is JSD's weight in TRL's convention: 0 is forward KL, 1
	// reverse KL, both well defined (tokenDivergence special-cases them).
	BetaRange = Range{0, 1}
	// TemperatureRange: below 0.05 sampling is greedy in all but name, and
	// logits divided by a temperature near 0 overflow float32.
	TemperatureRange = Range{0.05, 5}
	// LRRange: below 1e-6 AdamW moves no weight visibly in the longest
	// browser run; at 0.1 (each weight moving up to 0.1 a step) the
	// student already diverges within a few steps.
	LRRange             = Range{1e-6, 0.1}
	GRange              = Range{1, 64}
	CrossSFTEpochsRange = Range{0, 20}
	StepsRange          = Range{1, 100000}
)

// In reports whether v lies in r, compared in v's own type: a float32 knob is
// in range when it lies between the float32 roundings of the ends, which is
// what a float32 written in a link or a JSON config reads back as.
func In[T int | float32 | float64](r Range, v T) bool {
	return v >= T(r.Lo) && v <= T(r.Hi)
}

// checkIn is In as an error that names the knob and its bounds.
func checkIn[T int | float32 | float64](name string, r Range, v T) error {
	if In(r, v) {
		return nil
	}
	return fmt.Errorf("%s = %v: want %g to %g", name, v, r.Lo, r.Hi)
}

// The knobs below may change between steps without restarting a run: the
// browser lab lets a learner turn them while a run plays. A step in progress
// (Advance) keeps the values it started with. Every other field of Config
// defines the run and needs a new one.

// SetLR sets the student's learning rate from the next step on. It returns
// an error, and changes nothing, when lr is outside LRRange.
func (r *Run) SetLR(lr float32) error {
	if err := checkIn("lr", LRRange, lr); err != nil {
		return err
	}
	r.Cfg.LR = lr // the optimizer takes it at the next step's update
	return nil
}

// SetTemperature sets the student's sampling temperature from the next step
// (and the next evaluation) on. It returns an error, and changes nothing,
// when t is outside TemperatureRange.
func (r *Run) SetTemperature(t float32) error {
	if err := checkIn("temperature", TemperatureRange, t); err != nil {
		return err
	}
	r.Cfg.Temperature = t
	return nil
}
