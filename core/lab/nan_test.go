package lab

import (
	"math"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/distill"
)

// TestDriverAutoPausesOnNaN: a NaN that appears inside a playing run (here
// in one weight of the teacher, or of the student) does not crash the lab or
// train on: the step that meets it is skipped, and the driver pauses on its
// own with a message saying what happened and what to do.
func TestDriverAutoPausesOnNaN(t *testing.T) {
	for _, which := range []string{"teacher", "student"} {
		t.Run(which, func(t *testing.T) {
			p := newPipeline(t, tinyCheckpoint(t))
			d := p.trainer
			cfg, _ := distill.Recipe("opsd-rkl")
			cfg.Steps, cfg.EvalEvery, cfg.Prompts, cfg.G, cfg.Probes = 6, 3, 1, 2, 1
			p.do(Request{Op: OpStart, Run: &RunSpec{ID: 1, Model: "m", Config: cfg}})
			p.do(Request{Op: OpPlay})
			r, _ := tickStep(d)
			if r.Step == nil || r.Step.Warning != "" || r.Paused != nil {
				t.Fatalf("a finite step 1: %+v", r)
			}
			m := d.E.run.run.Teacher
			if which == "student" {
				m = d.E.run.run.Student
			}
			w, _, ok := m.Tensor("lnf.b")
			if !ok {
				t.Fatal("no lnf.b")
			}
			w[0] = float32(math.NaN())
			r, _ = tickStep(d)
			if r.Step == nil || r.Step.Step != 2 || !strings.Contains(r.Step.Warning, "non-finite") {
				t.Fatalf("step 2 after the NaN: %+v", r.Step)
			}
			if r.Paused == nil || !r.Paused.Auto || !strings.Contains(r.Paused.Reason, "non-finite") || d.Playing() {
				t.Fatalf("the driver did not pause on its own: %+v, playing %v", r.Paused, d.Playing())
			}
			if b := EncodeResponse(r); !strings.Contains(string(b), "non-finite") {
				t.Errorf("the pause does not reach the page: %s", b)
			}
		})
	}
}
