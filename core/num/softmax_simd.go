//go:build js && wasm && copsdsimd

package num

// Softmax's exponentials and scaling on the SIMD128 kernels of
// core/model/simd (see core/model/gemm_simd.go for how a host supplies
// them). The kernel performs Softmax's operations in the same order with the
// same rounding, so the results are the same bits.

import "unsafe"

// simdABI is the kernels' version this code is written against.
const simdABI = 5

//go:wasmimport copsdsimd version
func simdVersion() int32

//go:wasmimport copsdsimd probs
func simdProbsK(dst, logits unsafe.Pointer, n int32, mx, invTemp float32)

// useSIMD is true when the host supplied the kernels; tests switch it off.
var useSIMD = simdVersion() == simdABI

// simdProbs writes Softmax's probabilities given the maximum and 1/temp; it
// reports false when the kernels are off.
func simdProbs(dst, logits []float32, mx, invTemp float32) bool {
	if !useSIMD {
		return false
	}
	n := len(logits)
	_ = dst[n-1]
	simdProbsK(unsafe.Pointer(&dst[0]), unsafe.Pointer(&logits[0]), int32(n), mx, invTemp)
	return true
}
