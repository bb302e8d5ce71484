package distill

import "fmt"

// The knobs below may change between steps without restarting a run: the
// browser lab lets a learner turn them while a run plays. A step in progress
// (Advance) keeps the values it started with. Every other field of Config
// defines the run and needs a new one.

// SetLR sets the student's learning rate from the next step on. It returns
// an error, and changes nothing, when lr is outside (0, 1).
func (r *Run) SetLR(lr float32) error {
	if !(lr > 0 && lr < 1) {
		return fmt.Errorf("lr = %v: want (0, 1)", lr)
	}
	r.Cfg.LR = lr // the optimizer takes it at the next step's update
	return nil
}

// SetTemperature sets the student's sampling temperature from the next step
// (and the next evaluation) on. It returns an error, and changes nothing,
// when t is outside (0, 5].
func (r *Run) SetTemperature(t float32) error {
	if !(t > 0 && t <= 5) {
		return fmt.Errorf("temperature = %v: want (0, 5]", t)
	}
	r.Cfg.Temperature = t
	return nil
}
