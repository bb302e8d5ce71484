package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveGemm is the reference: the documented per-element recipe, written
// as plainly as possible.
func naiveGemm(g *gemm) {
	for i := range g.M {
		for j := range g.N {
			acc := float32(0)
			if g.bias != nil {
				acc = g.bias[j]
			}
			for k := range g.K {
				acc += float32(g.a[i*g.aRow+k*g.aK] * g.b[k*g.ldb+j])
			}
			if g.add {
				g.out[i*g.ldo+j] += acc
			} else {
				g.out[i*g.ldo+j] = acc
			}
		}
	}
}

func randSlice(r *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64() * scale)
	}
	return s
}

// TestGemmBitsMatchReference checks every kernel path (assembly tiles,
// Go tiles, row and column edges, strided A, bias, accumulate) against the
// naive loop, bit for bit, for several worker counts.
func TestGemmBitsMatchReference(t *testing.T) {
	// Exercise the SSE and Go paths too where the AVX kernel would run.
	kernels := []bool{useAVX}
	if useAVX {
		kernels = append(kernels, false)
		defer func() { useAVX = true }()
	}
	for _, avx := range kernels {
		useAVX = avx
		t.Run(fmt.Sprintf("asm=%v,avx=%v", asmKernel, avx), testGemmBits)
	}
}

func testGemmBits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	shapes := []struct{ M, N, K int }{
		{1, 1, 1}, {1, 8, 5}, {4, 8, 3}, {5, 9, 7}, {7, 17, 33}, {13, 24, 64},
		{64, 192, 64}, {3, 320, 64}, {33, 31, 0}, {0, 5, 5}, {129, 40, 20}, {8, 59, 17},
		// from 16 rows the SIMD kernel packs B in 32-column slabs (and a
		// transposed A panel by panel), unrolls k by four and finishes
		// K%4 steps one at a time: full and partial slabs, every K%4, a
		// last row or three
		{16, 32, 5}, {21, 70, 1003}, {33, 64, 2}, {19, 96, 129}, {13, 70, 1000},
	}
	for _, s := range shapes {
		for _, mode := range []string{"plain", "bias", "add", "transA"} {
			for _, workers := range []int{1, 3} {
				M, N, K := s.M, s.N, s.K
				g := gemm{M: M, N: N, K: K, ldo: N + 1, ldb: N + 2, aRow: K + 1, aK: 1}
				if mode == "transA" {
					g.aRow, g.aK = 1, M+3
				}
				g.a = randSlice(r, max(1, (M+3)*(K+3)), 1)
				g.b = randSlice(r, max(1, (K+1)*(N+2)), 1)
				g.out = randSlice(r, max(1, (M+1)*(N+1)), 1)
				switch mode {
				case "bias":
					g.bias = randSlice(r, N, 1)
				case "add", "transA":
					g.add = true
				}
				want := g
				want.out = append([]float32(nil), g.out...)
				naiveGemm(&want)
				g.run(workers)
				for i := range g.out {
					if math.Float32bits(g.out[i]) != math.Float32bits(want.out[i]) {
						t.Fatalf("M=%d N=%d K=%d %s workers=%d: out[%d] = %g, want %g (asm=%v)",
							M, N, K, mode, workers, i, g.out[i], want.out[i], asmKernel)
					}
				}
			}
		}
	}
}

func TestGemmRejectsBadShapes(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("gemm with a short output did not panic")
		}
	}()
	g := gemm{M: 4, N: 8, K: 2, ldo: 8, aRow: 2, aK: 1, ldb: 8,
		out: make([]float32, 31), a: make([]float32, 8), b: make([]float32, 16)}
	g.run(1)
}

func benchGemm(b *testing.B, M, N, K, workers int, transA bool) {
	r := rand.New(rand.NewPCG(1, 1))
	g := gemm{M: M, N: N, K: K, ldo: N, ldb: N, aRow: K, aK: 1,
		a: randSlice(r, M*K, 1), b: randSlice(r, K*N, 1), out: make([]float32, M*N)}
	if transA {
		g.aRow, g.aK, g.add = 1, M, true
	}
	for b.Loop() {
		g.run(workers)
	}
	b.ReportMetric(2*float64(M*N*K)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkMatmul times the kernel on the shapes of a d=64 training step
// (B*T = 1024 rows): forward qkv, MLP up, weight gradient (strided Aᵀ);
// and of the d=128 reference OPSD step (B*T = 16×80 = 1280 rows): the MLP
// projections, the weight gradient of the MLP's first layer, one row while
// sampling, and attention scores (Q·Kᵀ of one head).
func BenchmarkMatmul(b *testing.B) {
	cases := []struct {
		name    string
		M, N, K int
		transA  bool
	}{
		{"fwd_qkv_1024x64x192", 1024, 192, 64, false},
		{"fwd_fc_1024x64x256", 1024, 256, 64, false},
		{"fwd_proj_1024x256x64", 1024, 64, 256, false},
		{"dW_fc_64x256_k1024", 64, 256, 1024, true},
		{"infer_1x64x256", 1, 256, 64, false},
		{"d128_fc_1280x128x512", 1280, 512, 128, false},
		{"d128_proj_1280x512x128", 1280, 128, 512, false},
		{"d128_dW_fc_128x512_k1280", 128, 512, 1280, true},
		{"d128_infer_1x128x384", 1, 384, 128, false},
		{"d128_att_80x32x80", 80, 80, 32, false},
	}
	for _, c := range cases {
		for _, w := range []int{1, 2} {
			b.Run(c.name+"/workers="+string(rune('0'+w)), func(b *testing.B) {
				benchGemm(b, c.M, c.N, c.K, w, c.transA)
			})
		}
	}
}
