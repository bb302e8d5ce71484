//go:build js && wasm && copsdsimd

package model

// The SIMD128 kernels of core/model/simd/kernels.wat, imported over Go's
// own memory. The host instantiates that module with this program's memory
// (see core/model/simd/README.md) and supplies its exports as the import
// module "copsdsimd"; when it could not (an old browser, a failed load), it
// supplies a version function that returns 0 and these kernels stay unused.
// Either way the results are the same bits: the kernels follow gemm.go's
// summation order.

import "unsafe"

// simdKernel reports whether this build can call the SIMD kernels.
const simdKernel = true

// simdABI is the kernels' version this code is written against.
const simdABI = 5

//go:wasmimport copsdsimd version
func simdVersion() int32

//go:wasmimport copsdsimd gemm
func simdGemm(out, a, b, bias unsafe.Pointer, ldo, aRow, aK, ldb, m, n, k, mode int32, pack unsafe.Pointer)

//go:wasmimport copsdsimd dots
func simdDots(out, q, k unsafe.Pointer, stride, n, length int32)

//go:wasmimport copsdsimd gelu
func simdGeluK(out, th, inp unsafe.Pointer, n int32)

//go:wasmimport copsdsimd softmax
func simdSoftmaxK(row unsafe.Pointer, n int32, scale float32)

//go:wasmimport copsdsimd layernorm
func simdLayernormK(out, mean, rstd, inp, w, b unsafe.Pointer, n, c int32)

//go:wasmimport copsdsimd gelub
func simdGeluBK(dinp, inp, th, dout unsafe.Pointer, n int32)

//go:wasmimport copsdsimd colsum
func simdColsumK(dst, src unsafe.Pointer, n, c int32)

//go:wasmimport copsdsimd lnwb
func simdLnWBK(dw, db, dout, inp, mean, rstd unsafe.Pointer, n, c int32)

// useSIMD selects the SIMD kernels; it is true when the host supplied the
// module this code expects. Tests turn it off to compare the paths.
var useSIMD = simdVersion() == simdABI

// SIMD kernel modes (kernels.wat).
const (
	simdSet  = 0 // out = Σ
	simdBias = 1 // out = bias + Σ
	simdAdd  = 2 // out += Σ
	simdCont = 3 // out = Σ with the sum starting from out
)

// simdPack is the kernel's scratch for a packed slab of B and a packed
// panel of A (36*K floats).
// Sharing it is safe: a kernel call runs to completion without yielding to
// another goroutine (wasm has one thread), and each call packs before it reads.
var simdPack []float32

// packMinRows is the fewest rows for which the kernel copies B into
// contiguous 32-column slabs first (kernels.wat, gemm), and a transposed A
// panel by panel: their row strides are often multiples of 512 bytes (C, 3C,
// 4C floats), which map rows onto a few cache sets. Measured in V8, packed
// operands run 1.4-2x faster from 16 rows on; the copies cost about 1/M and
// 1/32 of the multiply-adds.
const packMinRows = 16

// simdRows computes output rows [i0, i1) with the SIMD kernel; check() has
// proved every access in bounds. It reports false (and does nothing) when
// the kernel is off or there is nothing to sum.
func (g *gemm) simdRows(i0, i1 int) bool {
	if !useSIMD || g.K == 0 {
		return false
	}
	if i1 <= i0 || g.N == 0 {
		return true
	}
	mode := int32(simdSet)
	var bias unsafe.Pointer
	switch {
	case g.add:
		mode = simdAdd
	case g.bias != nil:
		mode, bias = simdBias, unsafe.Pointer(&g.bias[0])
	}
	var pack unsafe.Pointer
	if i1-i0 >= packMinRows {
		if len(simdPack) < 36*g.K {
			simdPack = make([]float32, 36*g.K)
		}
		pack = unsafe.Pointer(&simdPack[0])
	}
	simdGemm(unsafe.Pointer(&g.out[i0*g.ldo]), unsafe.Pointer(&g.a[i0*g.aRow]), unsafe.Pointer(&g.b[0]), bias,
		int32(g.ldo), int32(g.aRow), int32(g.aK), int32(g.ldb), int32(i1-i0), int32(g.N), int32(g.K), mode, pack)
	return true
}

// simdDotRows writes out[p] = dot(q, k[p*stride:][:len(q)]) for p < len(out),
// each summed in order like dot. It reports false when the kernel is off.
func simdDotRows(out, q, k []float32, stride int) bool {
	n, hs := len(out), len(q)
	if !useSIMD || n == 0 || hs == 0 {
		return useSIMD
	}
	_ = k[(n-1)*stride+hs-1]
	simdDots(unsafe.Pointer(&out[0]), unsafe.Pointer(&q[0]), unsafe.Pointer(&k[0]), int32(stride), int32(n), int32(hs))
	return true
}

// simdAttend is attendQuery on the SIMD kernels: the scores as dot rows,
// the shared softmaxScores, then out = Σ_p att[p]·v_p as a one-row gemm over
// the prefix positions followed by one that continues the same sums over the
// local positions, so every output adds its terms in order p = 0, 1, ….
func simdAttend(out, att, q []float32, pre, loc kvSeg, scale float32) bool {
	if !useSIMD {
		return false
	}
	hs := len(q)
	n := pre.n + loc.n
	att = att[:n]
	out = out[:hs]
	if pre.n > 0 {
		simdDotRows(att[:pre.n], q, pre.k, pre.stride)
	}
	simdDotRows(att[pre.n:], q, loc.k, loc.stride)
	softmaxScores(att, scale)
	mode := int32(simdSet)
	for _, s := range [2]struct {
		seg kvSeg
		w   []float32
	}{{pre, att[:pre.n]}, {loc, att[pre.n:]}} {
		if s.seg.n == 0 {
			continue
		}
		_ = s.seg.v[(s.seg.n-1)*s.seg.stride+hs-1]
		simdGemm(unsafe.Pointer(&out[0]), unsafe.Pointer(&s.w[0]), unsafe.Pointer(&s.seg.v[0]), nil,
			int32(hs), int32(s.seg.n), 1, int32(s.seg.stride), 1, int32(hs), int32(s.seg.n), mode, nil)
		mode = simdCont
	}
	return true
}

// simdGelu runs geluForward's recipe on the first n&^3 elements with the
// SIMD kernel (Tanh32's float64 kernel two lanes at a time, same operations
// in the same order) and returns how many it did: 0 when the kernel is off.
func simdGelu(out, th, inp []float32, n int) int {
	n4 := n &^ 3
	if !useSIMD || n4 == 0 {
		return 0
	}
	_, _, _ = out[n4-1], th[n4-1], inp[n4-1]
	simdGeluK(unsafe.Pointer(&out[0]), unsafe.Pointer(&th[0]), unsafe.Pointer(&inp[0]), int32(n4))
	return n4
}

// simdSoftmax is softmaxScores on the SIMD kernel (Exp32's float64 kernel
// two lanes at a time; the sum stays sequential). It reports false when the
// kernel is off.
func simdSoftmax(row []float32, scale float32) bool {
	if !useSIMD || len(row) == 0 {
		return useSIMD
	}
	simdSoftmaxK(unsafe.Pointer(&row[0]), int32(len(row)), scale)
	return true
}

// simdLayernorm is layernormForward on the SIMD kernel (four rows share the
// in-order sums through 4×4 transposes), for C a multiple of 4. It reports
// false when the kernel is off or C does not fit.
func simdLayernorm(out, mean, rstd, inp, w, b []float32, N, C int) bool {
	if !useSIMD || C%4 != 0 || C == 0 || N == 0 {
		return false
	}
	_, _, _, _ = out[N*C-1], inp[N*C-1], mean[N-1], rstd[N-1]
	_, _ = w[C-1], b[C-1]
	simdLayernormK(unsafe.Pointer(&out[0]), unsafe.Pointer(&mean[0]), unsafe.Pointer(&rstd[0]), unsafe.Pointer(&inp[0]),
		unsafe.Pointer(&w[0]), unsafe.Pointer(&b[0]), int32(N), int32(C))
	return true
}

// simdGeluB runs geluBackward's recipe on the first n&^3 elements and
// returns how many it did (0 when the kernel is off).
func simdGeluB(dinp, inp, th, dout []float32, n int) int {
	n4 := n &^ 3
	if !useSIMD || n4 == 0 {
		return 0
	}
	_, _, _, _ = dinp[n4-1], inp[n4-1], th[n4-1], dout[n4-1]
	simdGeluBK(unsafe.Pointer(&dinp[0]), unsafe.Pointer(&inp[0]), unsafe.Pointer(&th[0]), unsafe.Pointer(&dout[0]), int32(n4))
	return n4
}

// simdColsum is biasBackward on the SIMD kernel (lanes are columns, rows
// summed in order), for OC a multiple of 4. It reports false otherwise.
func simdColsum(dbias, dout []float32, N, OC int) bool {
	if !useSIMD || OC%4 != 0 || OC == 0 || N == 0 {
		return false
	}
	_, _ = dbias[OC-1], dout[N*OC-1]
	simdColsumK(unsafe.Pointer(&dbias[0]), unsafe.Pointer(&dout[0]), int32(N), int32(OC))
	return true
}

// simdLnWB is the dw, db half of layernormBackward on the SIMD kernel
// (lanes are channels, rows summed in order), for C a multiple of 4.
func simdLnWB(dw, db, dout, inp, mean, rstd []float32, N, C int) bool {
	if !useSIMD || C%4 != 0 || C == 0 || N == 0 {
		return false
	}
	_, _, _, _ = dw[C-1], db[C-1], dout[N*C-1], inp[N*C-1]
	_, _ = mean[N-1], rstd[N-1]
	simdLnWBK(unsafe.Pointer(&dw[0]), unsafe.Pointer(&db[0]), unsafe.Pointer(&dout[0]), unsafe.Pointer(&inp[0]),
		unsafe.Pointer(&mean[0]), unsafe.Pointer(&rstd[0]), int32(N), int32(C))
	return true
}

// simdCont computes out = out + A·B as one continued sum per output: each
// accumulator starts from what out holds and adds k = 0, 1, … in order
// (kernel mode 3), as attendQuery's running sums do. It checks the shape
// like run; g.add and g.bias must be unset.
func (g *gemm) simdCont() {
	g.check()
	if g.M == 0 || g.N == 0 || g.K == 0 {
		return
	}
	simdGemm(unsafe.Pointer(&g.out[0]), unsafe.Pointer(&g.a[0]), unsafe.Pointer(&g.b[0]), nil,
		int32(g.ldo), int32(g.aRow), int32(g.aK), int32(g.ldb), int32(g.M), int32(g.N), int32(g.K), simdCont, nil)
}

// simdAttnScratch is the scratch simdAttention needs: the prefix keys
// transposed per head, and per worker a block of scores and the local keys
// transposed.
func simdAttnScratch(P, T, hs, NH, workers int) int {
	return NH*hs*P + workers*((P+T)*T+hs*T)
}

// simdAttention is attentionForward's inference path (no probabilities
// kept) for T >= 2 queries per sequence, in blocks on the SIMD kernels
// instead of one query at a time. For each (sequence, head):
//
//	scores = Q·[Kpreᵀ | Klocᵀ]      two gemms; row t's entries after P+t unused
//	softmaxScores on row t's first P+t+1 scores
//	out    = att·Vpre               (from +0, prefix positions in order)
//	       + att·Vloc               continued sums: rows t0..t0+3 add local
//	                                positions 0..t0, then each row t adds
//	                                t0+1..t
//
// so every score is attendQuery's dot product and every output adds
// exactly its terms in attendQuery's order. It reports false (doing
// nothing) when the kernels are off, T < 2, or scratch is short.
func simdAttention(out, scratch, qkv, preK, preV []float32, P, B, T, C, NH, workers int, scale float32) bool {
	hs := C / NH
	S := P + T
	per := S*T + hs*T
	if !useSIMD || T < 2 || len(scratch) < simdAttnScratch(P, T, hs, NH, workers) {
		return false
	}
	kTpre := scratch[:NH*hs*P]
	work := scratch[NH*hs*P:]
	if P > 0 {
		transpose(kTpre, preK[:P*C], P, C) // head h: rows [h*hs, (h+1)*hs), [hs, P]
	}
	parallelFor(workers, B*NH, func(chunk, lo, hi int) {
		sc := work[chunk*per:][:per]
		scores, kTloc := sc[:T*S], sc[T*S:]
		for bh := lo; bh < hi; bh++ {
			b, h := bh/NH, bh%NH
			seq := qkv[b*T*3*C:][:T*3*C]
			for t := range T { // Kᵀ of the local positions, [hs, T]
				k := seq[t*3*C+C+h*hs:][:hs]
				for i, v := range k {
					kTloc[i*T+t] = v
				}
			}
			q := seq[h*hs:]
			if P > 0 {
				(&gemm{out: scores, ldo: S, a: q, aRow: 3 * C, aK: 1, b: kTpre[h*hs*P:][:hs*P], ldb: P, M: T, N: P, K: hs}).serial()
			}
			(&gemm{out: scores[P:], ldo: S, a: q, aRow: 3 * C, aK: 1, b: kTloc, ldb: T, M: T, N: T, K: hs}).serial()
			for t := range T {
				softmaxScores(scores[t*S:][:P+t+1], scale)
			}
			o := out[b*T*C+h*hs:]
			v := seq[2*C+h*hs:]
			if P > 0 {
				(&gemm{out: o, ldo: C, a: scores, aRow: S, aK: 1, b: preV[h*hs:], ldb: C, M: T, N: hs, K: P}).serial()
			}
			for t0 := 0; t0 < T; t0 += 4 {
				M := min(4, T-t0)
				g := gemm{out: o[t0*C:], ldo: C, a: scores[t0*S+P:], aRow: S, aK: 1, b: v, ldb: 3 * C, M: M, N: hs, K: t0 + 1}
				if P > 0 {
					g.simdCont()
				} else {
					g.serial()
				}
				for r := 1; r < M; r++ {
					t := t0 + r
					(&gemm{out: o[t*C:], ldo: C, a: scores[t*S+P+t0+1:], aRow: S, aK: 1, b: v[(t0+1)*3*C:], ldb: 3 * C, M: 1, N: hs, K: r}).simdCont()
				}
			}
		}
	})
	return true
}
