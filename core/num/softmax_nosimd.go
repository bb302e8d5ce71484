//go:build !(js && wasm && copsdsimd)

package num

// useSIMD is false without the SIMD128 kernels (core/model/simd).
var useSIMD = false

func simdProbs(dst, logits []float32, mx, invTemp float32) bool { return false }
