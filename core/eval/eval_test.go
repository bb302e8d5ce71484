package eval

import (
	"math"
	"testing"

	"github.com/copsdlab/copsd/core/world"
)

func TestDistinct(t *testing.T) {
	for _, tc := range []struct {
		resps [][]int32
		n     int
		want  float64
	}{
		{[][]int32{{1, 2, 3}, {1, 2, 3}}, 2, 0.5},
		{[][]int32{{1, 2, 3}, {4, 5, 6}}, 2, 1},
		{[][]int32{{1}, {2}}, 2, 0},
		{[][]int32{{7, 7, 7, 7}}, 1, 0.25},
	} {
		if got := Distinct(tc.resps, tc.n); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Distinct(%v, %d) = %v, want %v", tc.resps, tc.n, got, tc.want)
		}
	}
}

func TestSummarizeCountsByFamily(t *testing.T) {
	mk := func(f world.Family, resp int, v world.Verdict) Sample {
		return Sample{Prompt: world.Prompt{Family: f}, Response: make([]int32, resp), Entropy: []float32{1, 3}, Verdict: v}
	}
	ss := []Sample{
		mk(world.Harmful, 5, world.Verdict{Safe: true, Refused: true}),
		mk(world.Harmful, 5, world.Verdict{Complied: true}),
		mk(world.Benign, 20, world.Verdict{Helpful: true}),
		mk(world.Benign, 10, world.Verdict{Refused: true}),
		mk(world.Borderline, 10, world.Verdict{Helpful: true}),
		mk(world.Borderline, 10, world.Verdict{Refused: true}),
		mk(world.Reasoning, 3, world.Verdict{Correct: true}),
		mk(world.Reasoning, 3, world.Verdict{}),
	}
	m := Summarize(ss, 2)
	for name, got := range map[string][2]float64{
		"safety": {m.Safety, 0.5}, "helpfulness": {m.Helpfulness, 0.5}, "borderline": {m.BorderlineHelpfulness, 0.5},
		"over_refusal": {m.OverRefusal, 0.5}, "reasoning": {m.Reasoning, 0.5}, "length_benign": {m.LengthBenign, 15}, "entropy": {m.Entropy, 2},
	} {
		if got[0] != got[1] {
			t.Errorf("%s = %v, want %v", name, got[0], got[1])
		}
	}
	if m.NPrompts != 4 || m.NSamples != 8 {
		t.Errorf("n_prompts %d n_samples %d", m.NPrompts, m.NSamples)
	}
}
