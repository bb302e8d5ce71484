package model

// This file holds the one matrix-multiply kernel every linear layer, its
// backward pass and the LM head go through, and the rules that keep its
// results bit-identical everywhere.
//
// # Summation order (the determinism contract)
//
// Each output element is
//
//	acc = init[j]                      (bias[j], or +0 without a bias)
//	for k = 0, 1, …, K-1:              (strictly in this order)
//	    acc = acc + float32(a[i,k]*b[k,j])
//	out[i,j] = acc                     (or out[i,j] + acc when accumulating)
//
// in float32, with every product rounded before it is added (the explicit
// conversion forbids fused multiply-add). Nothing else is allowed to
// change that order:
//
//   - Unrolling and register tiling (the 1×8 tiles of the Go kernel) and
//     vectorisation (the 4×16 AVX and 4×8 SSE tiles of the amd64 kernels,
//     which multiply with MULPS and then add with ADDPS, never FMA; the
//     wasm SIMD128 kernels of core/model/simd, f32x4.mul then f32x4.add,
//     in 4×8, 1×32 and 1×16 tiles) go ACROSS independent outputs (i, j):
//     each output keeps its own accumulator and walks k sequentially. A
//     kernel may never split k into partial sums.
//   - Parallel workers split only over output rows i, never over k, so
//     the result does not depend on Model.Workers.
//   - Edge tiles use the same per-element recipe, so an output gets the
//     same bits whether it sits in a full tile, an edge, a 1-row call
//     (KV-cache inference) or a 1024-row batch.
//
// The weight gradient dW = Xᵀ·dY is the same kernel with A read through
// strides (a[i,k] = x[k,i]), so its reduction over the B*T positions also
// runs in increasing position order.

import (
	"fmt"
	"sync"
	"unsafe"
)

// gemm describes out (=|+=) init + A·B for an M×K matrix A and a K×N
// matrix B, both float32:
//
//	a[i,k] = a[i*aRow + k*aK]   (strided, so Aᵀ needs no copy)
//	b[k,j] = b[k*ldb + j]       (rows contiguous: kernels vectorise over j)
//	out[i,j] = out[i*ldo + j]
type gemm struct {
	out      []float32
	ldo      int
	a        []float32
	aRow, aK int
	b        []float32
	ldb      int
	bias     []float32 // [N] or nil: the initial value of each accumulator
	M, N, K  int
	add      bool // out += result instead of out = result (bias must be nil)
}

// minParallelMACs is the smallest multiply count worth spreading over
// goroutines; below it a call runs on the calling goroutine.
const minParallelMACs = 1 << 15

// run computes the product using up to workers goroutines, each owning a
// contiguous range of 4-row panels.
func (g *gemm) run(workers int) {
	g.check()
	if g.M == 0 || g.N == 0 {
		return
	}
	panels := (g.M + 3) / 4
	w := min(workers, panels)
	if w <= 1 || g.M*g.N*g.K < minParallelMACs {
		g.rows(0, g.M)
		return
	}
	var wg sync.WaitGroup
	for c := range w {
		i0 := c * panels / w * 4
		i1 := min((c+1)*panels/w*4, g.M)
		wg.Go(func() { g.rows(i0, i1) })
	}
	wg.Wait()
}

// serial computes the whole product on the calling goroutine (for callers
// that are already parallel, like attention's per-head jobs).
func (g *gemm) serial() {
	g.check()
	g.rows(0, g.M)
}

// rows computes output rows [i0, i1); check must have passed.
func (g *gemm) rows(i0, i1 int) {
	if simdKernel && g.simdRows(i0, i1) {
		return
	}
	i := i0
	for ; i+4 <= i1; i += 4 {
		g.panel4(i)
	}
	if i < i1 {
		g.goRect(i, i1, 0, g.N)
	}
}

// check panics unless every index the kernels touch is inside its slice;
// the assembly kernel relies on it.
func (g *gemm) check() {
	bad := g.M < 0 || g.N < 0 || g.K < 0 || g.aRow < 0 || g.aK < 0 || g.ldb < 0 || g.ldo < g.N ||
		(g.add && g.bias != nil) || (g.bias != nil && len(g.bias) < g.N)
	if !bad && g.M > 0 && g.N > 0 {
		bad = (g.M-1)*g.ldo+g.N > len(g.out) ||
			(g.K > 0 && ((g.M-1)*g.aRow+(g.K-1)*g.aK >= len(g.a) || (g.K-1)*g.ldb+g.N > len(g.b)))
	}
	if bad {
		panic(fmt.Sprintf("model: bad gemm shape M=%d N=%d K=%d ldo=%d aRow=%d aK=%d ldb=%d len(out,a,b,bias)=%d,%d,%d,%d",
			g.M, g.N, g.K, g.ldo, g.aRow, g.aK, g.ldb, len(g.out), len(g.a), len(g.b), len(g.bias)))
	}
}

// init0 returns the starting accumulator for column j.
func (g *gemm) init0(j int) float32 {
	if g.bias != nil {
		return g.bias[j]
	}
	return 0
}

// store finishes output (i, j).
func (g *gemm) store(i, j int, acc float32) {
	o := &g.out[i*g.ldo+j]
	if g.add {
		*o += acc
	} else {
		*o = acc
	}
}

// goRect is the portable kernel: rows [i0, i1) × columns [j0, j1), one
// row at a time in 1×8 register tiles, then 1×4 and 1×1 edges. Measured
// in wasm with Go 1.26 (GFLOP/s on this project's shapes): 1×8 beats
// 2×4, 2×8 and 4×4 tiles (more accumulators spill), and unrolling k by 4
// inside the 1×8 tile lifts it from 2.8 to 3.8, because Go's wasm code
// pays a dispatch on every loop back-edge. Unrolled steps still add to
// each accumulator in k order. Every path follows the order documented at
// the top of this file.
func (g *gemm) goRect(i0, i1, j0, j1 int) {
	for i := i0; i < i1; i++ {
		g.goRow(i, j0, j1)
	}
}

// goRow computes one output row, columns [j0, j1). It walks A and B with
// unsafe pointers (about 25% faster in wasm than indexing); check() has
// already proved every address in bounds, and no pointer is advanced
// past the last element it reads.
func (g *gemm) goRow(i, j0, j1 int) {
	K := g.K
	if K == 0 {
		for j := j0; j < j1; j++ {
			g.store(i, j, g.init0(j))
		}
		return
	}
	aK, ldb := uintptr(g.aK)*4, uintptr(g.ldb)*4
	pa0 := unsafe.Pointer(&g.a[i*g.aRow])
	j := j0
	for ; j+8 <= j1; j += 8 {
		c0, c1, c2, c3 := g.init0(j), g.init0(j+1), g.init0(j+2), g.init0(j+3)
		c4, c5, c6, c7 := g.init0(j+4), g.init0(j+5), g.init0(j+6), g.init0(j+7)
		pa, pb := pa0, unsafe.Pointer(&g.b[j])
		k := 0
		for k+4 <= K { // four k steps per iteration, in order
			x0, x1 := *(*float32)(pa), *(*float32)(unsafe.Add(pa, aK))
			x2, x3 := *(*float32)(unsafe.Add(pa, 2*aK)), *(*float32)(unsafe.Add(pa, 3*aK))
			b0, b1 := (*[8]float32)(pb), (*[8]float32)(unsafe.Add(pb, ldb))
			b2, b3 := (*[8]float32)(unsafe.Add(pb, 2*ldb)), (*[8]float32)(unsafe.Add(pb, 3*ldb))
			c0 += float32(x0 * b0[0])
			c1 += float32(x0 * b0[1])
			c2 += float32(x0 * b0[2])
			c3 += float32(x0 * b0[3])
			c4 += float32(x0 * b0[4])
			c5 += float32(x0 * b0[5])
			c6 += float32(x0 * b0[6])
			c7 += float32(x0 * b0[7])
			c0 += float32(x1 * b1[0])
			c1 += float32(x1 * b1[1])
			c2 += float32(x1 * b1[2])
			c3 += float32(x1 * b1[3])
			c4 += float32(x1 * b1[4])
			c5 += float32(x1 * b1[5])
			c6 += float32(x1 * b1[6])
			c7 += float32(x1 * b1[7])
			c0 += float32(x2 * b2[0])
			c1 += float32(x2 * b2[1])
			c2 += float32(x2 * b2[2])
			c3 += float32(x2 * b2[3])
			c4 += float32(x2 * b2[4])
			c5 += float32(x2 * b2[5])
			c6 += float32(x2 * b2[6])
			c7 += float32(x2 * b2[7])
			c0 += float32(x3 * b3[0])
			c1 += float32(x3 * b3[1])
			c2 += float32(x3 * b3[2])
			c3 += float32(x3 * b3[3])
			c4 += float32(x3 * b3[4])
			c5 += float32(x3 * b3[5])
			c6 += float32(x3 * b3[6])
			c7 += float32(x3 * b3[7])
			k += 4
			if k == K {
				break
			}
			pa, pb = unsafe.Add(pa, 4*aK), unsafe.Add(pb, 4*ldb)
		}
		for ; k < K; k++ {
			x, bk := *(*float32)(pa), (*[8]float32)(pb)
			c0 += float32(x * bk[0])
			c1 += float32(x * bk[1])
			c2 += float32(x * bk[2])
			c3 += float32(x * bk[3])
			c4 += float32(x * bk[4])
			c5 += float32(x * bk[5])
			c6 += float32(x * bk[6])
			c7 += float32(x * bk[7])
			if k+1 < K {
				pa, pb = unsafe.Add(pa, aK), unsafe.Add(pb, ldb)
			}
		}
		g.store(i, j, c0)
		g.store(i, j+1, c1)
		g.store(i, j+2, c2)
		g.store(i, j+3, c3)
		g.store(i, j+4, c4)
		g.store(i, j+5, c5)
		g.store(i, j+6, c6)
		g.store(i, j+7, c7)
	}
	for ; j+4 <= j1; j += 4 {
		c0, c1, c2, c3 := g.init0(j), g.init0(j+1), g.init0(j+2), g.init0(j+3)
		pa, pb := pa0, unsafe.Pointer(&g.b[j])
		for k := 1; ; k++ {
			x, bk := *(*float32)(pa), (*[4]float32)(pb)
			c0 += float32(x * bk[0])
			c1 += float32(x * bk[1])
			c2 += float32(x * bk[2])
			c3 += float32(x * bk[3])
			if k == K {
				break
			}
			pa, pb = unsafe.Add(pa, aK), unsafe.Add(pb, ldb)
		}
		g.store(i, j, c0)
		g.store(i, j+1, c1)
		g.store(i, j+2, c2)
		g.store(i, j+3, c3)
	}
	for ; j < j1; j++ {
		c := g.init0(j)
		pa, pb := pa0, unsafe.Pointer(&g.b[j])
		for k := 1; ; k++ {
			c += float32(*(*float32)(pa) * *(*float32)(pb))
			if k == K {
				break
			}
			pa, pb = unsafe.Add(pa, aK), unsafe.Add(pb, ldb)
		}
		g.store(i, j, c)
	}
}

// transpose writes the r×c row-major matrix src into dst as c×r.
func transpose(dst, src []float32, r, c int) {
	_ = src[r*c-1]
	_ = dst[r*c-1]
	for i := range r {
		row := src[i*c : i*c+c]
		for j, v := range row {
			dst[j*r+i] = v
		}
	}
}
