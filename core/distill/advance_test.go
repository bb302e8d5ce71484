package distill

import (
	"encoding/json"
	"testing"
)

// A step taken phase by phase (Advance, as the browser's worker does, with
// knob changes arriving mid-step) gives the same bits as whole steps with
// the same changes made between steps: a change made mid-step applies from
// the next step.
func TestAdvanceByPhasesMatchesWholeSteps(t *testing.T) {
	base := tinyBase(t)
	for _, recipe := range []string{"opsd-rkl", "opsd-sampled"} {
		cfg, _ := Recipe(recipe)
		cfg.Prompts, cfg.G, cfg.Steps = 2, 2, 3
		whole, err := NewRun(base, cfg)
		if err != nil {
			t.Fatal(err)
		}
		whole.UseWorkers(3)
		phased, _ := NewRun(base, cfg)
		phased.UseWorkers(1) // one shard per call, as in a Web Worker
		var a, b []StepResult
		for step := 1; step <= cfg.Steps; step++ {
			res, err := whole.Step()
			if err != nil {
				t.Fatal(err)
			}
			a = append(a, res)
			if step == 1 {
				whole.SetLR(3e-3)
				whole.SetTemperature(1.5)
			}

			phases := 0
			for {
				res, done, err := phased.Advance()
				if err != nil {
					t.Fatal(err)
				}
				if !done {
					phases++
					if !phased.MidStep() || phased.StepNum() != step-1 {
						t.Fatalf("%s: mid-step at step %d: MidStep %v, StepNum %d", recipe, step, phased.MidStep(), phased.StepNum())
					}
					if step == 1 && phases == 1 {
						phased.SetLR(3e-3)
						phased.SetTemperature(1.5)
					}
					continue
				}
				b = append(b, res)
				break
			}
			if phases < 3 {
				t.Errorf("%s: step %d took %d phases before the last, want at least 3", recipe, step, phases)
			}
			if phased.MidStep() || phased.StepNum() != step {
				t.Fatalf("%s: after step %d: MidStep %v, StepNum %d", recipe, step, phased.MidStep(), phased.StepNum())
			}
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) || string(f32(whole.Student.Params())) != string(f32(phased.Student.Params())) {
			t.Errorf("%s: phase-by-phase steps differ from whole steps", recipe)
		}
	}
}
