package lab

import (
	"encoding/json"
	"fmt"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
)

// A whole run in one engine, for the Reproduce view's suites: independent
// runs go one per worker, each from its config to its report, the same
// session copsd run drives (its teacher's own evaluation and the
// constitution's leakage measured), so each run's JSON is copsd run -json's
// for the same job, byte for byte. Unlike the trainer's run (Start, Step,
// the evaluators), a whole run evaluates itself: nothing leaves the engine
// until the report.

// WholeOptions are the session options of copsd run and copsd reproduce.
var WholeOptions = distill.SessionOptions{TeacherEval: true, Leakage: true}

// Whole is a whole run in progress.
type Whole struct {
	ID int
	s  *distill.Session
}

// StartWhole prepares spec's run on a loaded model (Cross-SFT and the
// starting evaluations included: the slow part before the first step).
func (e *Engine) StartWhole(spec RunSpec) (*Whole, error) {
	base, ok := e.bases[spec.Model]
	if !ok {
		return nil, fmt.Errorf("model %q is not loaded", spec.Model)
	}
	if err := spec.Config.Validate(); err != nil {
		return nil, err
	}
	s, err := distill.NewSession(base, spec.Model, spec.Config, WholeOptions)
	if err != nil {
		return nil, err
	}
	return &Whole{ID: spec.ID, s: s}, nil
}

// Step takes the run's next step (and its evaluation, when one is due),
// and says how many steps are done and whether the run is.
func (w *Whole) Step() (step int, done bool, err error) {
	if !w.s.Run.Done() {
		if _, _, err := w.s.Step(); err != nil {
			return len(w.s.Report.Train), false, err
		}
	}
	return len(w.s.Report.Train), w.s.Run.Done(), nil
}

// Evaluations are the run's evaluations so far (the first before any
// step), for the page's charts while it trains; the caller must not change
// them.
func (w *Whole) Evaluations() []diag.Metrics { return w.s.Report.Steps }

// Steps is the run's length.
func (w *Whole) Steps() int { return w.s.Run.Cfg.Steps }

// JSON is the run's report as copsd run -json writes it.
func (w *Whole) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(&w.s.Report, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
