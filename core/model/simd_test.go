package model

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// The SIMD128 kernels (GOOS=js builds with -tags copsdsimd, run with the
// kernel module bound: core/model/simd/go_js_wasm_exec under Node, or the
// browser harness in wasm/bench) must give the same bits as the pure-Go
// kernels. Every other test in this package runs on whichever path is
// active; the tests below rerun the bit-exact ones with the SIMD kernels
// switched off, and compare the two paths directly.

// TestSIMDStatus reports which kernels run, and fails when
// COPSD_REQUIRE_SIMD=1 but the SIMD kernels are not in use (so a harness that
// silently failed to bind them cannot pass for a SIMD run).
func TestSIMDStatus(t *testing.T) {
	t.Logf("simd kernel compiled in: %v, in use: %v; amd64 assembly: %v (avx %v)", simdKernel, useSIMD, asmKernel, useAVX)
	if os.Getenv("COPSD_REQUIRE_SIMD") == "1" && !useSIMD {
		t.Fatal("COPSD_REQUIRE_SIMD=1 but the SIMD kernels are not in use (build with -tags copsdsimd for GOOS=js and bind kernels.wasm)")
	}
}

// withoutSIMD runs fn with the SIMD kernels switched off.
func withoutSIMD(fn func()) {
	saved := useSIMD
	useSIMD = false
	defer func() { useSIMD = saved }()
	fn()
}

// TestSIMDOffRerun reruns the bit-exact tests on the Go kernels in a binary
// whose default path is SIMD.
func TestSIMDOffRerun(t *testing.T) {
	if !useSIMD {
		t.Skip("the SIMD kernels are not in use: the other tests already ran the Go kernels")
	}
	withoutSIMD(func() {
		t.Run("GemmBitsMatchReference", TestGemmBitsMatchReference)
		t.Run("GoldenTrainingBits", TestGoldenTrainingBits)
		t.Run("InferencePathsAgreeBitForBit", TestInferencePathsAgreeBitForBit)
	})
}

// TestDotRowsMatchDot compares the dot-row kernel (lanes over positions,
// 4×4 transposes) with dot on every remainder of n and of the length.
func TestDotRowsMatchDot(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, hs := range []int{1, 2, 3, 4, 5, 7, 8, 16, 17, 32, 64, 131} {
		for _, n := range []int{0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 33} {
			stride := hs + r.IntN(5)
			q := randSlice(r, hs, 1)
			k := randSlice(r, max(1, n*stride), 1)
			want := make([]float32, n)
			for p := range n {
				want[p] = dot(q, k[p*stride:][:hs])
			}
			got := make([]float32, n)
			if !simdDotRows(got, q, k, stride) {
				if useSIMD {
					t.Fatal("simdDotRows refused with the kernels in use")
				}
				t.Skip("the SIMD kernels are not in use")
			}
			if i := sameBits(got, want); i >= 0 {
				t.Fatalf("hs=%d n=%d stride=%d: out[%d] = %g, want %g", hs, n, stride, i, got[i], want[i])
			}
		}
	}
}

// TestSIMDTrainingAndInferenceMatchGo trains a model and samples from it
// token by token and with a shared prefix, once per path, and requires the
// same parameters and logits bit for bit. The shapes leave edges in every
// kernel: 37 columns, heads of 16 and 48, 21 rows.
func TestSIMDTrainingAndInferenceMatchGo(t *testing.T) {
	if !useSIMD {
		t.Skip("the SIMD kernels are not in use")
	}
	for _, cfg := range []Config{
		{Vocab: 37, Ctx: 40, Dim: 48, Layers: 2, Heads: 3}, // heads of 16
		{Vocab: 70, Ctx: 40, Dim: 96, Layers: 1, Heads: 2}, // heads of 48: 1x32 and 1x16 tiles
	} {
		testSIMDMatchesGo(t, cfg)
	}
}

func testSIMDMatchesGo(t *testing.T, cfg Config) {
	run := func() (params, ext, pre uint64) {
		m, _ := New(cfg, 3)
		const B, T = 3, 7
		inputs, targets := batch(2, B, T, cfg.Vocab)
		trainSteps(m, NewAdam(AdamConfig{}, m), new(Acts), inputs, targets, B, T, 3)
		c := m.NewKVCache()
		logits := make([]float32, 21*cfg.Vocab)
		seq, _ := batch(7, 1, 21, cfg.Vocab)
		if err := m.Extend(c, seq[:13], logits); err != nil {
			t.Fatal(err)
		}
		for i := 13; i < 21; i++ {
			if err := m.Extend(c, seq[i:i+1], logits[i*cfg.Vocab:][:cfg.Vocab]); err != nil {
				t.Fatal(err)
			}
		}
		rows, _ := batch(8, 4, 9, cfg.Vocab)
		lg := m.ForwardWithPrefix(c, new(Acts), rows, 4, 9)
		return HashFloats(m.Params()), HashFloats(logits), HashFloats(lg)
	}
	p1, e1, f1 := run()
	var p0, e0, f0 uint64
	withoutSIMD(func() { p0, e0, f0 = run() })
	if p1 != p0 || e1 != e0 || f1 != f0 {
		t.Errorf("SIMD vs Go: params %#x/%#x, Extend logits %#x/%#x, ForwardWithPrefix logits %#x/%#x", p1, p0, e1, e0, f1, f0)
	}
}

// TestSIMDGeluAndSoftmaxMatchGo sweeps the float32 line (every 1031st bit
// pattern, both signs, with the branch points of Tanh32 and Exp32 and signed
// zeros added) through GELU, and rows of every length from 1 to 40 with
// scores spread wide enough to underflow Exp32, through softmaxScores, with
// and without the SIMD kernels, and requires the same bits (NaN lanes only
// need to be NaN).
func TestSIMDGeluAndSoftmaxMatchGo(t *testing.T) {
	if !useSIMD {
		t.Skip("the SIMD kernels are not in use")
	}
	var xs []float32
	for b := uint32(0); b < 0x7f800000; b += 1031 {
		xs = append(xs, math.Float32frombits(b), -math.Float32frombits(b))
	}
	for _, v := range []float32{0, 0.625, 9.1, 1e-30, 3.4e38, float32(math.Inf(1))} {
		for _, u := range []float32{v, -v} {
			xs = append(xs, u, math.Nextafter32(u, 0), math.Nextafter32(u, 100))
		}
	}
	// inputs whose GELU argument lands on Tanh32's branch points 0.625 and
	// 9.1 (the argument grows with x: bisect, then take neighbours)
	for _, target := range []float64{0.625, 9.1} {
		lo, hi := float32(0), float32(10)
		for range 60 {
			mid := (lo + hi) / 2
			x3 := float32(float32(mid*mid) * mid)
			if float64(float32(geluScale*(mid+float32(geluCubic*x3)))) < target {
				lo = mid
			} else {
				hi = mid
			}
		}
		for x, k := lo, 0; k < 8; x, k = math.Nextafter32(x, 0), k+1 {
			xs = append(xs, x, -x)
		}
		for x, k := hi, 0; k < 8; x, k = math.Nextafter32(x, 100), k+1 {
			xs = append(xs, x, -x)
		}
	}
	for len(xs)%4 != 3 { // leave a scalar tail
		xs = append(xs, 0.5)
	}
	n := len(xs)
	out1, th1 := make([]float32, n), make([]float32, n)
	out0, th0 := make([]float32, n), make([]float32, n)
	geluForward(out1, th1, xs, n, 1)
	withoutSIMD(func() { geluForward(out0, th0, xs, n, 1) })
	for i := range xs {
		if !sameFloat(out1[i], out0[i]) || !sameFloat(th1[i], th0[i]) {
			t.Fatalf("gelu(%g) [bits %#x] = %g (tanh %g) with SIMD, %g (tanh %g) without", xs[i], math.Float32bits(xs[i]), out1[i], th1[i], out0[i], th0[i])
		}
	}
	r := rand.New(rand.NewPCG(9, 9))
	for n := 1; n <= 40; n++ {
		for _, spread := range []float64{0.1, 3, 40, 300} {
			row := randSlice(r, n, spread)
			if n > 2 {
				row[r.IntN(n)] = float32(-1e4 * spread) // far below the max: Exp32 underflows to 0
			}
			a, b := append([]float32(nil), row...), append([]float32(nil), row...)
			softmaxScores(a, 0.35355338)
			withoutSIMD(func() { softmaxScores(b, 0.35355338) })
			if i := sameBits(a, b); i >= 0 {
				t.Fatalf("softmax n=%d spread=%g: [%d] = %g with SIMD, %g without", n, spread, i, a[i], b[i])
			}
		}
	}
}

func sameFloat(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// TestSIMDLayernormMatchesGo: every row count up to 9 (groups of four and
// single rows), several widths and scales, offsets far from zero.
func TestSIMDLayernormMatchesGo(t *testing.T) {
	if !useSIMD {
		t.Skip("the SIMD kernels are not in use")
	}
	r := rand.New(rand.NewPCG(5, 5))
	for _, C := range []int{4, 8, 12, 64, 128} {
		for N := 1; N <= 9; N++ {
			for _, scale := range []float64{1e-3, 1, 300} {
				inp := randSlice(r, N*C, scale)
				for i := range inp {
					inp[i] += float32(scale)
				}
				w, b := randSlice(r, C, 1), randSlice(r, C, 1)
				out1, m1, r1 := make([]float32, N*C), make([]float32, N), make([]float32, N)
				out0, m0, r0 := make([]float32, N*C), make([]float32, N), make([]float32, N)
				layernormForward(out1, m1, r1, inp, w, b, N, C, 1)
				withoutSIMD(func() { layernormForward(out0, m0, r0, inp, w, b, N, C, 1) })
				for _, p := range [][2][]float32{{out1, out0}, {m1, m0}, {r1, r0}} {
					if i := sameBits(p[0], p[1]); i >= 0 {
						t.Fatalf("C=%d N=%d scale=%g: [%d] = %g with SIMD, %g without", C, N, scale, i, p[0][i], p[1][i])
					}
				}
			}
		}
	}
}

// TestSIMDBackwardKernelsMatchGo: geluBackward (in place, as Backward calls
// it, with a scalar tail), biasBackward and layernormBackward on odd row
// counts and several widths, with and without the SIMD kernels.
func TestSIMDBackwardKernelsMatchGo(t *testing.T) {
	if !useSIMD {
		t.Skip("the SIMD kernels are not in use")
	}
	r := rand.New(rand.NewPCG(6, 6))
	for _, C := range []int{4, 8, 12, 20, 64, 96} {
		for _, N := range []int{1, 3, 7, 26} {
			inp, dout := randSlice(r, N*C, 2), randSlice(r, N*C, 1)
			// GELU backward, in place on a copy of dout; n leaves a tail
			n := N*C - 1
			th := make([]float32, N*C)
			withoutSIMD(func() { geluForward(make([]float32, N*C), th, inp, N*C, 1) })
			g1, g0 := append([]float32(nil), dout...), append([]float32(nil), dout...)
			geluBackward(g1, inp, th, g1, n, 1)
			withoutSIMD(func() { geluBackward(g0, inp, th, g0, n, 1) })
			// bias and layernorm gradients, accumulated onto nonzero values
			b1, b0 := randSlice(r, C, 1), make([]float32, C)
			copy(b0, b1)
			biasBackward(b1, dout, N, C, 1)
			withoutSIMD(func() { biasBackward(b0, dout, N, C, 1) })
			mean, rstd := make([]float32, N), make([]float32, N)
			w := randSlice(r, C, 1)
			withoutSIMD(func() { layernormForward(make([]float32, N*C), mean, rstd, inp, w, w, N, C, 1) })
			di1, dw1, db1 := randSlice(r, N*C, 1), randSlice(r, C, 1), randSlice(r, C, 1)
			di0, dw0, db0 := append([]float32(nil), di1...), append([]float32(nil), dw1...), append([]float32(nil), db1...)
			layernormBackward(di1, dw1, db1, dout, inp, w, mean, rstd, N, C, 1)
			withoutSIMD(func() { layernormBackward(di0, dw0, db0, dout, inp, w, mean, rstd, N, C, 1) })
			for name, p := range map[string][2][]float32{"gelu": {g1, g0}, "bias": {b1, b0}, "dinp": {di1, di0}, "dw": {dw1, dw0}, "db": {db1, db0}} {
				if i := sameBits(p[0], p[1]); i >= 0 {
					t.Fatalf("%s C=%d N=%d: [%d] = %g with SIMD, %g without", name, C, N, i, p[0][i], p[1][i])
				}
			}
		}
	}
}
