package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
)

// RunKind says where a run on show came from.
type RunKind int

const (
	LiveRun     RunKind = iota // the run training in this page
	ExampleRun                 // precomputed by `copsd reproduce`, shipped with the lab
	ImportedRun                // a run JSON the learner imported
)

// Run is a run the page can show: its report (for the live run, filled in
// as steps and evaluations arrive) and where it came from.
type Run struct {
	ID     string // "live", "example:<file>", "import:<n>"
	Kind   RunKind
	Title  string // "opsd-rkl on base-rho50, seed 1"
	Role   string // for examples: what it demonstrates
	Report distill.Report
}

// Point is one value of a series at a step.
type Point struct {
	Step int
	V    float64
}

// TrainSeries is a training metric at every step (1, 2, …).
func (r *Run) TrainSeries(f func(distill.TrainMetrics) float64) []Point {
	out := make([]Point, 0, len(r.Report.Train))
	for i, m := range r.Report.Train {
		if v := f(m); !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, Point{i + 1, v})
		}
	}
	return out
}

// EvalSeries is an evaluation metric at every evaluation step (0 first).
func (r *Run) EvalSeries(f func(diag.Metrics) float64) []Point {
	out := make([]Point, 0, len(r.Report.Steps))
	for _, m := range r.Report.Steps {
		if v := f(m); !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, Point{m.Step, v})
		}
	}
	return out
}

// LastStep is the latest step the run has data for.
func (r *Run) LastStep() int {
	n := len(r.Report.Train)
	if k := len(r.Report.Steps); k > 0 {
		n = max(n, r.Report.Steps[k-1].Step)
	}
	return n
}

// Planned is the run's configured length.
func (r *Run) Planned() int { return max(r.Report.Config.Steps, r.LastStep()) }

// Latest is the run's most recent evaluation, or nil.
func (r *Run) Latest() *diag.Metrics {
	if len(r.Report.Steps) == 0 {
		return nil
	}
	return &r.Report.Steps[len(r.Report.Steps)-1]
}

// Rho is the leakage knob of the run's base model, from its name.
func (r *Run) Rho() (float64, bool) {
	for _, m := range Models {
		if strings.TrimSuffix(r.Report.Model, ".ckpt") == m.Name {
			return m.Rho, true
		}
	}
	return 0, false
}

func runTitle(rep *distill.Report) string {
	model := strings.TrimSuffix(rep.Model, ".ckpt")
	if model == "" {
		model = "?"
	}
	return fmt.Sprintf("%s on %s, seed %d", rep.Recipe, model, rep.Seed)
}

// DecodeReport reads a run JSON (the schema of `copsd run -json`),
// refusing anything that is not one: unknown fields, no recipe or config,
// evaluations out of order, or training metrics for more steps than the
// config allows.
func DecodeReport(b []byte) (distill.Report, error) {
	var rep distill.Report
	// Editors on some systems start a saved file with a UTF-8 byte order
	// mark, which JSON does not allow ("invalid character 'ï'").
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	if len(strings.TrimSpace(string(b))) == 0 {
		return rep, errors.New("the file is empty")
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		return distill.Report{}, fmt.Errorf("not a COPSD Lab run JSON: %v", err)
	}
	if dec.More() {
		return distill.Report{}, errors.New("not a COPSD Lab run JSON: more than one value in the file")
	}
	switch {
	case rep.Recipe == "" || rep.Config.Steps == 0:
		return distill.Report{}, errors.New("not a COPSD Lab run JSON: no recipe or config (is it the output of `copsd run -json`?)")
	case len(rep.Steps) == 0:
		return distill.Report{}, errors.New("the run has no evaluations")
	case len(rep.Train) > rep.Config.Steps:
		return distill.Report{}, fmt.Errorf("the run has %d training steps but its config says %d", len(rep.Train), rep.Config.Steps)
	}
	for i := 1; i < len(rep.Steps); i++ {
		if rep.Steps[i].Step <= rep.Steps[i-1].Step {
			return distill.Report{}, fmt.Errorf("the run's evaluations are out of order at step %d", rep.Steps[i].Step)
		}
	}
	return rep, nil
}
