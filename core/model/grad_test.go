package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// Finite-difference checks of every backward pass: central differences
// of a float64 loss around float32 parameters, against the analytic
// gradient. Named tolerances: an analytic gradient g passes against the
// numerical estimate n when |g-n| <= fdAbsTol + fdRelTol*|n|.
const (
	fdEps    = 1e-2 // step, before rounding to the float32 grid
	fdAbsTol = 2e-3 // float32 rounding noise of the loss over 2·eps
	fdRelTol = 2e-2 // curvature error of a 1e-2 step
)

// fdCheck compares analytic [len(x)] with central differences of loss
// with respect to x, perturbing x in place (and restoring it).
func fdCheck(t *testing.T, name string, x, analytic []float32, loss func() float64) {
	t.Helper()
	var maxDiff, maxRel float64
	for i := range x {
		orig := x[i]
		x[i] = orig + fdEps
		up := float64(x[i]) - float64(orig)
		lp := loss()
		x[i] = orig - fdEps
		down := float64(orig) - float64(x[i])
		lm := loss()
		x[i] = orig
		numg := (lp - lm) / (up + down)
		a := float64(analytic[i])
		diff := math.Abs(a - numg)
		maxDiff = math.Max(maxDiff, diff)
		if s := math.Max(math.Abs(a), math.Abs(numg)); s > 1e-3 {
			maxRel = math.Max(maxRel, diff/s)
		}
		if diff > fdAbsTol+fdRelTol*math.Abs(numg) {
			t.Errorf("%s[%d]: analytic %.6g, numerical %.6g (diff %.3g)", name, i, a, numg, diff)
		}
	}
	t.Logf("%-14s n=%-5d max diff %.3g, max rel %.3g", name, len(x), maxDiff, maxRel)
}

// projLoss is the scalar Σ r·y used to check a layer with output y: its
// gradient with respect to y is r.
func projLoss(r, y []float32) float64 {
	var s float64
	for i := range y {
		s += float64(r[i]) * float64(y[i])
	}
	return s
}

func TestGradMatmul(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const N, IC, OC = 5, 7, 9
	inp, w, b := randSlice(rng, N*IC, 1), randSlice(rng, IC*OC, 0.5), randSlice(rng, OC, 0.5)
	r := randSlice(rng, N*OC, 1)
	out := make([]float32, N*OC)
	loss := func() float64 { matmulForward(out, inp, w, b, N, IC, OC, 1); return projLoss(r, out) }
	dinp, dw, db := make([]float32, N*IC), make([]float32, IC*OC), make([]float32, OC)
	matmulBackward(dinp, dw, db, r, inp, w, make([]float32, IC*OC), N, IC, OC, 1)
	fdCheck(t, "matmul.dinp", inp, dinp, loss)
	fdCheck(t, "matmul.dw", w, dw, loss)
	fdCheck(t, "matmul.dbias", b, db, loss)
}

func TestGradLayernorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const N, C = 4, 8
	inp, w, b := randSlice(rng, N*C, 1), randSlice(rng, C, 1), randSlice(rng, C, 1)
	for i := range inp {
		inp[i] += float32(i%3) - 1 // rows with a non-zero mean
	}
	r := randSlice(rng, N*C, 1)
	out, mean, rstd := make([]float32, N*C), make([]float32, N), make([]float32, N)
	loss := func() float64 { layernormForward(out, mean, rstd, inp, w, b, N, C, 1); return projLoss(r, out) }
	loss()
	dinp, dw, db := make([]float32, N*C), make([]float32, C), make([]float32, C)
	layernormBackward(dinp, dw, db, r, inp, w, mean, rstd, N, C, 1)
	fdCheck(t, "layernorm.dinp", inp, dinp, loss)
	fdCheck(t, "layernorm.dw", w, dw, loss)
	fdCheck(t, "layernorm.db", b, db, loss)
}

func TestGradGelu(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 40
	inp := randSlice(rng, n, 1.5)
	r := randSlice(rng, n, 1)
	out, th := make([]float32, n), make([]float32, n)
	loss := func() float64 { geluForward(out, th, inp, n, 1); return projLoss(r, out) }
	loss()
	dinp := make([]float32, n)
	geluBackward(dinp, inp, th, r, n, 1)
	fdCheck(t, "gelu.dinp", inp, dinp, loss)
}

func TestGradAttention(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const B, T, C, NH = 2, 5, 8, 2
	qkv := randSlice(rng, B*T*3*C, 1)
	r := randSlice(rng, B*T*C, 1)
	out, att := make([]float32, B*T*C), make([]float32, B*NH*T*T)
	loss := func() float64 {
		attentionForward(out, att, make([]float32, T*C/NH), qkv, nil, nil, 0, B, T, C, NH, 1)
		return projLoss(r, out)
	}
	loss()
	dqkv := make([]float32, B*T*3*C)
	attentionBackward(dqkv, make([]float32, T*T+T*C/NH), r, qkv, att, B, T, C, NH, 1)
	fdCheck(t, "attention.dqkv", qkv, dqkv, loss)
}

func TestGradEncoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const B, T, C, V, Ctx = 2, 4, 3, 5, 6
	tokens := []int32{1, 3, 1, 0, 4, 4, 2, 1} // repeats exercise accumulation
	wte, wpe := randSlice(rng, V*C, 1), randSlice(rng, Ctx*C, 1)
	r := randSlice(rng, B*T*C, 1)
	out := make([]float32, B*T*C)
	loss := func() float64 { encoderForward(out, tokens, wte, wpe, B, T, C, 0); return projLoss(r, out) }
	dwte, dwpe := make([]float32, V*C), make([]float32, Ctx*C)
	encoderBackward(dwte, dwpe, r, tokens, B, T, C)
	fdCheck(t, "encoder.dwte", wte, dwte, loss)
	fdCheck(t, "encoder.dwpe", wpe, dwpe, loss)
}

func TestGradCrossEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const B, T, V = 2, 3, 5
	logits := randSlice(rng, B*T*V, 2)
	targets := []int32{0, 4, -1, 2, 2, 1}
	masks := map[string][]float32{
		"nil":      nil,
		"weighted": {1, 0.5, 0, 2, 1, 1},
	}
	for name, mask := range masks {
		tg := append([]int32(nil), targets...)
		if mask == nil {
			tg[2] = 3 // every position counts
		}
		loss := func() float64 { return CrossEntropy(logits, tg, mask, B, T, V, nil) }
		dlogits := make([]float32, B*T*V)
		CrossEntropy(logits, tg, mask, B, T, V, dlogits)
		fdCheck(t, "ce."+name, logits, dlogits, loss)
	}
}

// tinyConfig is the whole-model gradient-check configuration.
var tinyConfig = Config{Vocab: 11, Ctx: 8, Dim: 8, Layers: 2, Heads: 2}

// randomizeParams moves biases and layernorm parameters away from their
// 0 / 1 initial values and scales weight matrices up (std 0.02 -> 0.2) so
// that every gradient is sizeable and attention and GELU act non-linearly.
func randomizeParams(m *Model, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed))
	for _, s := range m.specs {
		p := m.params[s.off : s.off+s.size]
		for i := range p {
			if s.matrix() {
				p[i] *= 10
			} else {
				p[i] += float32(rng.NormFloat64() * 0.1)
			}
		}
	}
}

func TestGradWholeModel(t *testing.T) {
	m, err := New(tinyConfig, 42)
	if err != nil {
		t.Fatal(err)
	}
	randomizeParams(m, 1)
	m.Workers = 1
	const B, T = 2, 5
	V := tinyConfig.Vocab
	tokens := []int32{1, 5, 10, 0, 3, 7, 7, 2, 9, 4}
	targets := []int32{5, 10, 0, 3, 8, 7, 2, 9, 4, 1}
	mask := []float32{1, 1, 1, 0.5, 1, 0, 1, 1, 2, 1}
	a := new(Acts)
	loss := func() float64 {
		logits := m.Forward(a, tokens, B, T)
		return CrossEntropy(logits, targets, mask, B, T, V, nil)
	}
	dlogits := make([]float32, B*T*V)
	logits := m.Forward(a, tokens, B, T)
	CrossEntropy(logits, targets, mask, B, T, V, dlogits)
	m.ZeroGrad()
	m.Backward(a, dlogits)
	for _, s := range m.specs {
		fdCheck(t, s.name, m.params[s.off:s.off+s.size], m.grads[s.off:s.off+s.size], loss)
	}
}

// TestBackwardAccumulates: two Backward calls without ZeroGrad give
// twice the gradient (up to rounding: a tensor fed by two paths, like the
// tied wte, sums them in a different grouping).
func TestBackwardAccumulates(t *testing.T) {
	const tol = 1e-6 // relative to the largest gradient
	m, _ := New(tinyConfig, 3)
	a := new(Acts)
	tokens := []int32{1, 2, 3, 4}
	logits := m.Forward(a, tokens, 1, 4)
	dlogits := make([]float32, len(logits))
	CrossEntropy(logits, []int32{2, 3, 4, 5}, nil, 1, 4, tinyConfig.Vocab, dlogits)
	m.Backward(a, dlogits)
	once := append([]float32(nil), m.Grads()...)
	var scale float64
	for _, g := range once {
		scale = math.Max(scale, math.Abs(float64(g)))
	}
	m.Backward(a, dlogits)
	var maxDiff float64
	for i, g := range m.Grads() {
		maxDiff = math.Max(maxDiff, math.Abs(float64(g)-2*float64(once[i])))
	}
	t.Logf("max diff %.3g (largest gradient %.3g)", maxDiff, scale)
	if maxDiff > tol*scale {
		t.Errorf("two Backward calls differ from twice one by %g", maxDiff)
	}
}

func ExampleCrossEntropy() {
	// One position, three classes, uniform logits: loss ln 3.
	logits := []float32{0, 0, 0}
	dlogits := make([]float32, 3)
	loss := CrossEntropy(logits, []int32{1}, nil, 1, 1, 3, dlogits)
	fmt.Printf("%.4f %.3f\n", loss, dlogits)
	// Output: 1.0986 [0.333 -0.667 0.333]
}

// TestCrossEntropyIndependentOfGOMAXPROCS: the parallel rows and the
// in-order sum give the same bits with 1 or 4 threads.
func TestCrossEntropyIndependentOfGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const B, T, V = 4, 64, 300 // big enough to run in parallel
	logits := randSlice(rng, B*T*V, 3)
	targets := make([]int32, B*T)
	mask := make([]float32, B*T)
	for i := range targets {
		targets[i] = int32(rng.IntN(V))
		mask[i] = float32(rng.IntN(3)) / 2
	}
	var losses []float64
	var grads [][]float32
	for _, procs := range []int{1, 4} {
		old := runtime.GOMAXPROCS(procs)
		d := make([]float32, B*T*V)
		losses = append(losses, CrossEntropy(logits, targets, mask, B, T, V, d))
		grads = append(grads, d)
		runtime.GOMAXPROCS(old)
	}
	if math.Float64bits(losses[0]) != math.Float64bits(losses[1]) || sameBits(grads[0], grads[1]) >= 0 {
		t.Errorf("CrossEntropy differs between GOMAXPROCS 1 and 4: loss %v", losses)
	}
	defer func() {
		if recover() == nil {
			t.Error("CrossEntropy with an out-of-range counted target did not panic")
		}
	}()
	targets[7], mask[7] = int32(V), 1
	CrossEntropy(logits, targets, mask, B, T, V, nil)
}
