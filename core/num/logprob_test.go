package num

import (
	"math"
	"testing"
)

func TestLogProbs64(t *testing.T) {
	logits := []float32{2, -1, 0.5, 30, -40, 30}
	lp, p := make([]float64, len(logits)), make([]float64, len(logits))
	LogProbs64(lp, p, logits)
	var sum, lse float64
	for _, z := range logits {
		lse += math.Exp(float64(z) - 30)
	}
	lse = 30 + math.Log(lse)
	for i, z := range logits {
		sum += p[i]
		if want := float64(z) - lse; math.Abs(lp[i]-want) > 1e-12 {
			t.Errorf("log p[%d] = %v, want %v", i, lp[i], want)
		}
		if math.Abs(p[i]-math.Exp(lp[i])) > 1e-12 {
			t.Errorf("p[%d] = %v, exp(log p) = %v", i, p[i], math.Exp(lp[i]))
		}
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("probabilities sum to %v", sum)
	}
	// Two equal top logits: entropy log 2 up to the rest's tiny mass; KL of
	// a distribution to itself is 0, to another positive.
	if h := Entropy64(p, lp); math.Abs(h-math.Log(2)) > 1e-3 {
		t.Errorf("entropy %v, want ≈ log 2", h)
	}
	if d := KL64(p, lp, lp); d != 0 {
		t.Errorf("KL(p‖p) = %v", d)
	}
	lq, q := make([]float64, len(logits)), make([]float64, len(logits))
	LogProbs64(lq, q, []float32{0, 0, 0, 0, 0, 0})
	if d := KL64(p, lp, lq); !(d > 0) {
		t.Errorf("KL(p‖uniform) = %v, want > 0", d)
	}
}
