package model

// Layers, each a forward/backward pair over flat float32 slices. Forward
// functions overwrite their outputs; backward functions ACCUMULATE (+=)
// into parameter gradients and overwrite activation gradients unless the
// doc says otherwise. Every reduction runs in the order stated beside it.

import (
	"math"

	"github.com/copsdlab/copsd/core/num"
)

// encoderForward writes token plus position embeddings:
//
//	out[b,t,:] = wte[tokens[b,t],:] + wpe[pos0+t,:]
//
// out [B,T,C], tokens [B,T], wte [V,C], wpe [Ctx,C].
func encoderForward(out []float32, tokens []int32, wte, wpe []float32, B, T, C, pos0 int) {
	for b := range B {
		for t := range T {
			o := out[(b*T+t)*C : (b*T+t+1)*C]
			we := wte[int(tokens[b*T+t])*C:][:C]
			pe := wpe[(pos0+t)*C:][:C]
			for c := range o {
				o[c] = we[c] + pe[c]
			}
		}
	}
}

// encoderBackward accumulates dout [B,T,C] into dwte [V,C] and dwpe
// [Ctx,C], visiting positions in order b = 0.., t = 0.. so repeated tokens
// sum in a fixed order.
func encoderBackward(dwte, dwpe, dout []float32, tokens []int32, B, T, C int) {
	for b := range B {
		for t := range T {
			d := dout[(b*T+t)*C : (b*T+t+1)*C]
			dwe := dwte[int(tokens[b*T+t])*C:][:C]
			dpe := dwpe[t*C:][:C]
			for c, v := range d {
				dwe[c] += v
				dpe[c] += v
			}
		}
	}
}

// layernormEps is added to the variance before the reciprocal square root.
const layernormEps = 1e-5

// layernormForward normalises each of the N rows of inp [N,C] over C and
// applies the gain w [C] and shift b [C]:
//
//	out = (x - mean) * rstd * w + b
//
// caching mean [N] and rstd [N] for the backward pass. mean and variance
// are float32 sums over c = 0..C-1 in order. Rows run in parallel.
func layernormForward(out, mean, rstd, inp, w, b []float32, N, C, workers int) {
	if simdKernel && simdLayernorm(out, mean, rstd, inp, w, b, N, C) {
		return
	}
	w, b = w[:C], b[:C]
	parallelFor(workers, N, func(_, lo, hi int) {
		for n := lo; n < hi; n++ {
			x := inp[n*C : (n+1)*C]
			var s float32
			for _, v := range x {
				s += v
			}
			m := s / float32(C)
			var ss float32
			for _, v := range x {
				d := v - m
				ss += float32(d * d)
			}
			r := float32(1 / math.Sqrt(float64(ss/float32(C)+layernormEps)))
			o := out[n*C : (n+1)*C]
			for c, v := range x {
				norm := float32((v - m) * r)
				o[c] = float32(norm*w[c]) + b[c]
			}
			mean[n], rstd[n] = m, r
		}
	})
}

// layernormBackward accumulates into dinp [N,C] (+=, the residual stream's
// gradient) and into dw, db [C]. With norm = (x-mean)*rstd and dnorm =
// w*dout:
//
//	dinp += (dnorm - mean(dnorm) - norm*mean(dnorm*norm)) * rstd
//	dw   += Σ_n norm*dout        db += Σ_n dout
//
// The row means are float32 sums over c in order; dinp runs in parallel
// over rows and dw, db in parallel over channels, each summing n = 0..N-1
// in order.
func layernormBackward(dinp, dw, db, dout, inp, w, mean, rstd []float32, N, C, workers int) {
	w = w[:C]
	parallelFor(workers, N, func(_, lo, hi int) {
		for n := lo; n < hi; n++ {
			x := inp[n*C : (n+1)*C]
			d := dout[n*C : (n+1)*C]
			m, r := mean[n], rstd[n]
			var sumD, sumDN float32
			for c, v := range x {
				norm := float32((v - m) * r)
				dnorm := float32(w[c] * d[c])
				sumD += dnorm
				sumDN += float32(dnorm * norm)
			}
			meanD := sumD / float32(C)
			meanDN := sumDN / float32(C)
			di := dinp[n*C : (n+1)*C]
			for c, v := range x {
				norm := float32((v - m) * r)
				dnorm := float32(w[c] * d[c])
				g := dnorm - meanD - float32(norm*meanDN)
				di[c] += float32(g * r)
			}
		}
	})
	if simdKernel && simdLnWB(dw, db, dout, inp, mean, rstd, N, C) {
		return
	}
	parallelFor(workers, C, func(_, c0, c1 int) {
		for c := c0; c < c1; c++ {
			var sw, sb float32
			for n := range N {
				v, d := inp[n*C+c], dout[n*C+c]
				norm := float32((v - mean[n]) * rstd[n])
				sw += float32(norm * d)
				sb += d
			}
			dw[c] += sw
			db[c] += sb
		}
	})
}

// matmulForward computes out [N,OC] = inp [N,IC] · w [IC,OC] + bias [OC]
// (bias may be nil). See gemm.go for the summation order.
func matmulForward(out, inp, w, bias []float32, N, IC, OC, workers int) {
	g := gemm{out: out, ldo: OC, a: inp, aRow: IC, aK: 1, b: w, ldb: OC, bias: bias, M: N, N: OC, K: IC}
	g.run(workers)
}

// matmulBackward, for out = inp·w + bias with inp [N,IC], w [IC,OC]:
//
//	dinp  = dout · wᵀ          (overwritten) [N,IC]
//	dw   += inpᵀ · dout         [IC,OC], summed over rows n in order
//	dbias += Σ_n dout[n,:]      [OC] (skipped when dbias is nil)
//
// wT is scratch of at least IC*OC floats for the transposed weight, so
// that every product runs through the same row-contiguous kernel.
func matmulBackward(dinp, dw, dbias, dout, inp, w, wT []float32, N, IC, OC, workers int) {
	if dinp != nil {
		transpose(wT, w, IC, OC)
		g := gemm{out: dinp, ldo: IC, a: dout, aRow: OC, aK: 1, b: wT, ldb: IC, M: N, N: IC, K: OC}
		g.run(workers)
	}
	g := gemm{out: dw, ldo: OC, a: inp, aRow: 1, aK: IC, b: dout, ldb: OC, M: IC, N: OC, K: N, add: true}
	g.run(workers)
	if dbias != nil {
		biasBackward(dbias, dout, N, OC, workers)
	}
}

// biasBackward accumulates dbias[o] += Σ_n dout[n,o], summing n = 0..N-1
// in order, in parallel over blocks of columns.
func biasBackward(dbias, dout []float32, N, OC, workers int) {
	if simdKernel && simdColsum(dbias, dout, N, OC) {
		return
	}
	const block = 64
	parallelFor(workers, (OC+block-1)/block, func(_, lo, hi int) {
		var acc [block]float32
		for blk := lo; blk < hi; blk++ {
			o0, o1 := blk*block, min((blk+1)*block, OC)
			a := acc[:o1-o0]
			clear(a)
			for n := range N {
				row := dout[n*OC+o0 : n*OC+o1]
				for j, v := range row {
					a[j] += v
				}
			}
			for j, v := range a {
				dbias[o0+j] += v
			}
		}
	})
}

// GELU, tanh approximation (as in GPT-2):
//
//	gelu(x) = 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³)))
const (
	geluScale = 0.7978845608028654 // sqrt(2/π)
	geluCubic = 0.044715
)

// geluForward writes out = gelu(inp) and caches th = tanh(...) for the
// backward pass; all three slices have length n. Elements run in parallel.
func geluForward(out, th, inp []float32, n, workers int) {
	const block = 4096
	start := 0 // elements the SIMD kernel did, when it runs
	if simdKernel {
		start = simdGelu(out, th, inp, n)
	}
	parallelFor(workers, (n-start+block-1)/block, func(_, lo, hi int) {
		for i := start + lo*block; i < min(start+hi*block, n); i++ {
			x := inp[i]
			x3 := float32(float32(x*x) * x)
			u := float32(geluScale * (x + float32(geluCubic*x3)))
			t := num.Tanh32(u)
			th[i] = t
			out[i] = float32(float32(0.5*x) * (1 + t))
		}
	})
}

// geluBackward writes dinp = gelu'(inp) · dout, using the cached th; dinp
// may alias dout. Elements run in parallel.
func geluBackward(dinp, inp, th, dout []float32, n, workers int) {
	const block = 4096
	start := 0 // elements the SIMD kernel did, when it runs
	if simdKernel {
		start = simdGeluB(dinp, inp, th, dout, n)
	}
	parallelFor(workers, (n-start+block-1)/block, func(_, lo, hi int) {
		for i := start + lo*block; i < min(start+hi*block, n); i++ {
			x, t := inp[i], th[i]
			sech2 := 1 - float32(t*t)
			du := float32(geluScale * (1 + float32(float32(3*geluCubic)*float32(x*x))))
			local := float32(0.5*(1+t)) + float32(float32(float32(0.5*x)*sech2)*du)
			dinp[i] = float32(local * dout[i])
		}
	})
}

// residualForward writes out = a + b elementwise; the backward pass of a
// residual connection is just passing the gradient to both inputs.
func residualForward(out, a, b []float32) {
	b = b[:len(a)]
	out = out[:len(a)]
	for i, v := range a {
		out[i] = v + b[i]
	}
}
