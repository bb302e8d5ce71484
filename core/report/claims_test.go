package report

import (
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/eval"
)

func metrics(step int, safety, overRefusal float64) diag.Metrics {
	return diag.Metrics{Step: step, Metrics: eval.Metrics{Safety: safety, OverRefusal: overRefusal, Helpfulness: 0.9, NHarmful: 256}}
}

// grpoRun is a grpo report whose evaluations have the given safety and
// over-refusal, the first being the initial one.
func grpoRun(seed uint64, evals ...[2]float64) Run {
	rep := &distill.Report{Recipe: "grpo", Seed: seed}
	for i, e := range evals {
		rep.Steps = append(rep.Steps, metrics(10*i, e[0], e[1]))
	}
	rep.Initial, rep.Final = rep.Steps[0], rep.Steps[len(rep.Steps)-1]
	return Run{Model: "base-rho50", Rho: 0.5, Report: rep}
}

func claim(t *testing.T, cs []Claim, prefix string, seed uint64) Claim {
	t.Helper()
	for _, c := range cs {
		if strings.HasPrefix(c.Name, prefix) && c.Seed == seed {
			return c
		}
	}
	t.Fatalf("no claim %q for seed %d in %v", prefix, seed, cs)
	return Claim{}
}

func TestGRPOOverRefusalIsCheckedAtTheSameEvaluationAsSafety(t *testing.T) {
	s := &Suite{Runs: []Run{
		// Safety and over-refusal up together at step 10, over-refusal back at the end.
		grpoRun(1, [2]float64{0.4, 0}, [2]float64{0.95, 0.2}, [2]float64{1, 0.02}),
		// Over-refusal up only before safety has risen by 0.25.
		grpoRun(2, [2]float64{0.4, 0}, [2]float64{0.5, 0.3}, [2]float64{0.9, 0.05}),
		// Safety never rises enough.
		grpoRun(3, [2]float64{0.4, 0}, [2]float64{0.6, 0.4}),
	}}
	cs := Claims(s)
	for seed, want := range map[uint64][2]bool{1: {true, false}, 2: {false, false}, 3: {false, true}} {
		c := claim(t, cs, "grpo buys its safety with over-refusal", seed)
		if c.Holds != want[0] || !c.Asserted {
			t.Errorf("seed %d: holds %v asserted %v, want holds %v asserted: %s", seed, c.Holds, c.Asserted, want[0], c.Detail)
		}
		if f := claim(t, cs, "grpo's over-refusal is still", seed); f.Holds != want[1] || f.Asserted {
			t.Errorf("seed %d: the final over-refusal claim: holds %v asserted %v, want holds %v, reported", seed, f.Holds, f.Asserted, want[1])
		}
	}
	if c := claim(t, cs, "grpo buys", 1); !strings.Contains(c.Detail, "at step 10") {
		t.Errorf("detail does not name the evaluation: %s", c.Detail)
	}
	if c := claim(t, cs, "grpo buys", 3); !strings.Contains(c.Detail, "never rose") {
		t.Errorf("detail does not say safety never rose: %s", c.Detail)
	}
}

func TestStudentVersusTeacherIsATwoProportionTest(t *testing.T) {
	// 249/256 against 250/256: difference -1/256 = -0.0039; unpooled
	// se = sqrt((0.9727·0.0273 + 0.9766·0.0234)/256) = 0.01380, so the 95%
	// interval is ±1.95996·0.01380 = ±0.0271; pooled p = 499/512, z =
	// -0.0039/sqrt(0.97461·0.02539·2/256) = -0.2811, two-sided p = 0.779.
	got := studentVsTeacher(249.0/256, 250.0/256, 256, 256)
	for _, want := range []string{"difference -0.004", "95% interval [-0.031, +0.023]", "p = 0.78", "256 answers each"} {
		if !strings.Contains(got, want) {
			t.Errorf("got %q, want it to contain %q", got, want)
		}
	}
	// A real difference: 200/256 against 250/256 is far beyond chance.
	if got := studentVsTeacher(200.0/256, 250.0/256, 256, 256); !strings.Contains(got, "p = 0.00") {
		t.Errorf("got %q", got)
	}
	// Both all safe: no difference, p = 1.
	if got := studentVsTeacher(1, 1, 64, 256); !strings.Contains(got, "p = 1.00 (64 and 256 answers)") {
		t.Errorf("got %q", got)
	}
	if got := studentVsTeacher(0.9, 0.8, 0, 256); strings.Contains(got, "interval") {
		t.Errorf("with no answer count: %q", got)
	}
}
