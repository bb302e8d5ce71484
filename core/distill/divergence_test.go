package distill

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/copsdlab/copsd/core/num"
)

// divergenceAt evaluates a full-vocabulary divergence from raw logits, in float64.
func divergenceAt(div Objective, beta float64, zs, zt []float32) float64 {
	V := len(zs)
	ls, lt, ps, pt, dz := make([]float64, V), make([]float64, V), make([]float64, V), make([]float64, V), make([]float64, V)
	num.LogProbs64(ls, ps, zs)
	num.LogProbs64(lt, pt, zt)
	d, err := tokenDivergence(div, beta, ls, lt, ps, pt, dz)
	if err != nil {
		panic(err)
	}
	return d
}

// Each divergence's analytic gradient with respect to the student's logits
// matches central finite differences.
func TestDivergenceGradientsMatchFiniteDifferences(t *testing.T) {
	const V, h, tol = 7, 1e-3, 2e-4
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		div  Objective
		beta float64
	}{{ReverseKL, 0}, {ForwardKL, 0}, {JSD, 0.5}, {JSD, 0.1}, {JSD, 0.9}, {JSD, 0}, {JSD, 1}} {
		for trial := range 5 {
			zs, zt := make([]float32, V), make([]float32, V)
			for v := range V {
				zs[v] = float32(rng.NormFloat64() * 2)
				zt[v] = float32(rng.NormFloat64() * 2)
			}
			ls, lt, ps, pt, dz := make([]float64, V), make([]float64, V), make([]float64, V), make([]float64, V), make([]float64, V)
			num.LogProbs64(ls, ps, zs)
			num.LogProbs64(lt, pt, zt)
			if _, err := tokenDivergence(tc.div, tc.beta, ls, lt, ps, pt, dz); err != nil {
				t.Fatal(err)
			}
			var maxDiff float64
			for v := range V {
				plus := append([]float32(nil), zs...)
				minus := append([]float32(nil), zs...)
				plus[v] += h
				minus[v] -= h
				fd := (divergenceAt(tc.div, tc.beta, plus, zt) - divergenceAt(tc.div, tc.beta, minus, zt)) / (2 * h)
				maxDiff = max(maxDiff, math.Abs(fd-dz[v]))
			}
			if maxDiff > tol {
				t.Errorf("%s beta=%v trial %d: max |analytic - finite difference| = %.2e > %.0e", tc.div, tc.beta, trial, maxDiff, tol)
			}
		}
	}
}

// Known values: identical distributions have zero divergence; JSD's endpoints
// are forward and reverse KL (TRL convention); JSD is bounded by ln 2 at 0.5.
func TestDivergenceValues(t *testing.T) {
	zs := []float32{1, 2, 3, -1}
	zt := []float32{0.5, -2, 3, 1}
	if d := divergenceAt(ReverseKL, 0, zs, zs); math.Abs(d) > 1e-12 {
		t.Errorf("KL(p||p) = %v", d)
	}
	if a, b := divergenceAt(JSD, 0, zs, zt), divergenceAt(ForwardKL, 0, zs, zt); a != b {
		t.Errorf("JSD(beta=0) = %v, forward KL = %v", a, b)
	}
	if a, b := divergenceAt(JSD, 1, zs, zt), divergenceAt(ReverseKL, 0, zs, zt); a != b {
		t.Errorf("JSD(beta=1) = %v, reverse KL = %v", a, b)
	}
	if d := divergenceAt(JSD, 0.5, []float32{40, 0}, []float32{0, 40}); d > math.Ln2+1e-9 || d < math.Ln2-1e-6 {
		t.Errorf("JSD of disjoint distributions = %v, want ln 2", d)
	}
	if f, r := divergenceAt(ForwardKL, 0, zs, zt), divergenceAt(ReverseKL, 0, zs, zt); f == r || f <= 0 || r <= 0 {
		t.Errorf("forward %v and reverse %v KL should differ and be positive", f, r)
	}
}

func TestK3AndLogProbGradient(t *testing.T) {
	g, kl := k3(-1, -1, 1)
	if g != 0 || kl != 0 {
		t.Errorf("k3 at equal log-probs: grad %v, kl %v", g, kl)
	}
	if _, kl := k3(-2, -1, 1); kl <= 0 {
		t.Errorf("k3 must be positive when log-probs differ, got %v", kl)
	}
	// d log p(y)/dz sums to zero over the vocabulary.
	p := []float64{0.1, 0.6, 0.3}
	out := make([]float32, 3)
	addLogProbGrad(out, p, 1, 1)
	if s := out[0] + out[1] + out[2]; math.Abs(float64(s)) > 1e-7 || out[1] <= 0 {
		t.Errorf("gradient %v", out)
	}
}
