package model

// Causal multi-head self-attention. q, k and v come from one qkv matmul
// (columns q | k | v, head h at [h*hs, (h+1)*hs) of each); each query
// attends to every earlier position and itself.
//
// attendQuery is the single implementation of the forward maths: training
// (Forward), shared-prefix inference (ForwardWithPrefix) and incremental
// inference (Extend) all call it with the keys of positions 0, 1, …, t in
// that order, so all three produce the same bits.

import (
	"math"

	"github.com/copsdlab/copsd/core/num"
)

// kvSeg is a run of n consecutive positions' keys and values for one
// head: position p's key is k[p*stride : p*stride+hs], its value
// v[p*stride : p*stride+hs].
type kvSeg struct {
	k, v   []float32
	stride int
	n      int
}

// dot returns Σ_i a[i]*b[i], summed in order in float32.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	i := 0
	for ; i+4 <= len(a); i += 4 { // unrolled; still one sequential sum
		s += float32(a[i] * b[i])
		s += float32(a[i+1] * b[i+1])
		s += float32(a[i+2] * b[i+2])
		s += float32(a[i+3] * b[i+3])
	}
	for ; i < len(a); i++ {
		s += float32(a[i] * b[i])
	}
	return s
}

// axpy adds a*x to y elementwise (independent outputs).
func axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += float32(a * x[i])
	}
}

// attendQuery writes into out [hs] the attention of query q [hs] over the
// positions of pre followed by those of loc, and leaves the attention
// probabilities in att [pre.n+loc.n]. The order of every sum:
//
//	score[p] = dot(q, k_p) * scale                 (dot in order over i)
//	max, then e[p] = exp(score[p]-max), sum over p in order (float32)
//	att[p] = e[p] * (1/sum)
//	out[i] = Σ_p att[p]*v_p[i]                     (p in order, from 0)
func attendQuery(out, att, q []float32, pre, loc kvSeg, scale float32) {
	if simdKernel && simdAttend(out, att, q, pre, loc, scale) {
		return
	}
	hs := len(q)
	n := pre.n + loc.n
	att = att[:n]
	for p := range pre.n {
		att[p] = dot(q, pre.k[p*pre.stride:][:hs])
	}
	for p := range loc.n {
		att[pre.n+p] = dot(q, loc.k[p*loc.stride:][:hs])
	}
	softmaxScores(att, scale)
	out = out[:hs]
	clear(out)
	for p := range pre.n {
		axpy(out, att[p], pre.v[p*pre.stride:][:hs])
	}
	for p := range loc.n {
		axpy(out, att[pre.n+p], loc.v[p*loc.stride:][:hs])
	}
}

// softmaxScores turns raw dot products q·k into attention probabilities
// in place: s = dot*scale, then exp(s - max) normalised by their float32
// sum (in order) times 1/sum. Every attention path calls it.
func softmaxScores(row []float32, scale float32) {
	if simdKernel && simdSoftmax(row, scale) {
		return
	}
	mx := float32(math.Inf(-1))
	for p, d := range row {
		s := float32(d * scale)
		row[p] = s
		mx = max(mx, s)
	}
	var sum float32
	for p, s := range row {
		e := num.Exp32(s - mx)
		row[p] = e
		sum += e
	}
	inv := 1 / sum
	for p := range row {
		row[p] = float32(row[p] * inv)
	}
}

// attentionForward computes out [B,T,C] from qkv [B,T,3C]. Query t of
// sequence b attends to the P positions of prefix (per layer keys and
// values [P,C] each, nil when P = 0) and then to positions 0..t of its own
// sequence. (b, h) pairs run in parallel: each owns its head's columns.
//
// With att != nil (training, P = 0) the probabilities [B,NH,T,T] are kept
// for the backward pass (zero above the diagonal) and the products run
// through the gemm kernel; otherwise each query takes attendQuery with
// scratch [workers][P+T]. Both give the same bits: scores are dot products
// summed from 0 in order, softmaxScores is shared, and out sums exactly
// the causal terms t2 = 0..t in order (see attendCausal).
func attentionForward(out, att, scratch, qkv, preK, preV []float32, P, B, T, C, NH, workers int) {
	hs := C / NH
	scale := float32(1 / math.Sqrt(float64(hs)))
	if att == nil && simdKernel && simdAttention(out, scratch, qkv, preK, preV, P, B, T, C, NH, workers, scale) {
		return
	}
	parallelFor(workers, B*NH, func(chunk, lo, hi int) {
		for bh := lo; bh < hi; bh++ {
			b, h := bh/NH, bh%NH
			base := b * T * 3 * C
			if att != nil {
				attendCausal(out[b*T*C+h*hs:], att[bh*T*T:][:T*T], scratch[chunk*hs*T:][:hs*T],
					qkv[base:][:T*3*C], h*hs, T, C, hs, scale)
				continue
			}
			var pre kvSeg
			if P > 0 {
				pre = kvSeg{k: preK[h*hs:], v: preV[h*hs:], stride: C, n: P}
			}
			for t := range T {
				loc := kvSeg{k: qkv[base+C+h*hs:], v: qkv[base+2*C+h*hs:], stride: 3 * C, n: t + 1}
				q := qkv[base+t*3*C+h*hs:][:hs]
				o := out[(b*T+t)*C+h*hs:][:hs]
				attendQuery(o, scratch[chunk*(P+T):][:P+T], q, pre, loc, scale)
			}
		}
	})
}

// attendCausal is the training forward of one (sequence, head): qkv holds
// the sequence [T,3C] and the head's q, k, v start at column off, kT is
// scratch [hs,T]. It writes out (row t at out[t*C:], hs wide) and the
// probabilities att [T,T].
//
//	scores = Q·Kᵀ     gemm over the full T×T block; entries t2 > t unused
//	att    = softmaxScores of row t's first t+1 scores; the rest zeroed
//	out    = att·V    in 4-row panels: the gemm sums t2 = 0..t0 for all
//	                  four rows, then each row t adds t2 = t0+1..t in order
//
// so every output is the exact causal sum attendQuery computes.
func attendCausal(out, att, kT, qkv []float32, off, T, C, hs int, scale float32) {
	for t := range T { // Kᵀ, so that the kernel reads contiguous rows
		k := qkv[t*3*C+C+off:][:hs]
		for i, v := range k {
			kT[i*T+t] = v
		}
	}
	(&gemm{out: att, ldo: T, a: qkv[off:], aRow: 3 * C, aK: 1, b: kT, ldb: T, M: T, N: T, K: hs}).serial()
	for t := range T {
		row := att[t*T : (t+1)*T]
		softmaxScores(row[:t+1], scale)
		clear(row[t+1:])
	}
	v := qkv[2*C+off:]
	for t0 := 0; t0 < T; t0 += 4 {
		M := min(4, T-t0)
		(&gemm{out: out[t0*C:], ldo: C, a: att[t0*T:], aRow: T, aK: 1, b: v, ldb: 3 * C, M: M, N: hs, K: t0 + 1}).serial()
		for r := 1; r < M; r++ {
			t := t0 + r
			o := out[t*C:][:hs]
			for t2 := t0 + 1; t2 <= t; t2++ {
				axpy(o, att[t*T+t2], v[t2*3*C:][:hs])
			}
		}
	}
}

// attentionBackward accumulates into dqkv [B,T,3C] (which the caller
// zeroes) the gradient of attentionForward, given dout [B,T,C], the
// forward's qkv and att [B,NH,T,T]. scratch is [workers][T*T + hs*T].
// (b, h) pairs run in parallel, each owning its head's columns; within a
// pair every product is a gemm over full T×T blocks whose entries above
// the diagonal are zero, so each sum runs in a fixed order:
//
//	datt = dOut·Vᵀ                             [T,T]
//	dpre = att ⊙ (datt - rowsum(att ⊙ datt)) · scale   (row sums in order)
//	dQ += dpre·K     dK += dpreᵀ·Q     dV += attᵀ·dOut
func attentionBackward(dqkv, scratch, dout, qkv, att []float32, B, T, C, NH, workers int) {
	hs := C / NH
	scale := float32(1 / math.Sqrt(float64(hs)))
	parallelFor(workers, B*NH, func(chunk, lo, hi int) {
		sc := scratch[chunk*(T*T+hs*T):]
		dpre, vT := sc[:T*T], sc[T*T:][:hs*T]
		for bh := lo; bh < hi; bh++ {
			b, h := bh/NH, bh%NH
			off := h * hs
			seq := qkv[b*T*3*C:][:T*3*C]
			dseq := dqkv[b*T*3*C:][:T*3*C]
			d := dout[b*T*C+off:]
			a := att[bh*T*T:][:T*T]
			for t := range T {
				v := seq[t*3*C+2*C+off:][:hs]
				for i, x := range v {
					vT[i*T+t] = x
				}
			}
			(&gemm{out: dpre, ldo: T, a: d, aRow: C, aK: 1, b: vT, ldb: T, M: T, N: T, K: hs}).serial()
			for t := range T {
				ar, dr := a[t*T:][:t+1], dpre[t*T:(t+1)*T]
				var s float32
				for t2, p := range ar {
					s += float32(p * dr[t2])
				}
				for t2, p := range ar {
					dr[t2] = float32(float32(p*(dr[t2]-s)) * scale)
				}
				clear(dr[t+1:])
			}
			(&gemm{out: dseq[off:], ldo: 3 * C, a: dpre, aRow: T, aK: 1, b: seq[C+off:], ldb: 3 * C, M: T, N: hs, K: T, add: true}).serial()
			(&gemm{out: dseq[C+off:], ldo: 3 * C, a: dpre, aRow: 1, aK: T, b: seq[off:], ldb: 3 * C, M: T, N: hs, K: T, add: true}).serial()
			(&gemm{out: dseq[2*C+off:], ldo: 3 * C, a: a, aRow: 1, aK: T, b: d, ldb: C, M: T, N: hs, K: T, add: true}).serial()
		}
	})
}
