//go:build !(js && wasm && copsdsimd)

package model

// simdKernel reports whether this build can call the SIMD128 kernels of
// core/model/simd (only GOOS=js builds with the copsdsimd tag can).
const simdKernel = false

// useSIMD is always false without the SIMD kernels.
var useSIMD = false

func (g *gemm) simdRows(i0, i1 int) bool                                   { return false }
func simdDotRows(out, q, k []float32, stride int) bool                     { return false }
func simdAttend(out, att, q []float32, pre, loc kvSeg, scale float32) bool { return false }
func simdGelu(out, th, inp []float32, n int) int                           { return 0 }
func simdSoftmax(row []float32, scale float32) bool                        { return false }
func simdLayernorm(out, mean, rstd, inp, w, b []float32, N, C int) bool    { return false }
func simdGeluB(dinp, inp, th, dout []float32, n int) int                   { return 0 }
func simdColsum(dbias, dout []float32, N, OC int) bool                     { return false }
func simdLnWB(dw, db, dout, inp, mean, rstd []float32, N, C int) bool      { return false }
func simdAttnScratch(P, T, hs, NH, workers int) int                        { return 0 }
func simdAttention(out, scratch, qkv, preK, preV []float32, P, B, T, C, NH, workers int, scale float32) bool {
	return false
}
