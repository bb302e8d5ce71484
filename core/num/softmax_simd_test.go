package num

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSoftmaxSIMDMatchesGo compares Softmax with and without the SIMD
// kernels (when a GOOS=js build with -tags copsdsimd has them bound) on
// every length up to 40 and several temperatures and spreads, including
// -Inf logits and underflowing ones.
func TestSoftmaxSIMDMatchesGo(t *testing.T) {
	if !useSIMD {
		t.Skip("the SIMD kernels are not in use")
	}
	r := rand.New(rand.NewPCG(7, 7))
	for n := 1; n <= 40; n++ {
		for _, temp := range []float32{0.3, 1, 2.5} {
			for _, spread := range []float64{0.5, 8, 200} {
				lg := make([]float32, n)
				for i := range lg {
					lg[i] = float32(r.NormFloat64() * spread)
				}
				if n > 3 {
					lg[r.IntN(n)] = float32(math.Inf(-1))
				}
				a, b := make([]float32, n), make([]float32, n)
				Softmax(a, lg, temp)
				useSIMD = false
				Softmax(b, lg, temp)
				useSIMD = true
				for i := range a {
					if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
						t.Fatalf("n=%d temp=%g spread=%g: p[%d] = %g with SIMD, %g without", n, temp, spread, i, a[i], b[i])
					}
				}
			}
		}
	}
}
