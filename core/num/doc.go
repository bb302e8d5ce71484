// Package num holds the deterministic numerics shared by the COPSD model
// code: exp, log and tanh written in plain Go, and softmax-style helpers
// built on them.
//
// # Why not package math
//
// math.Exp and math.Log have assembly versions on amd64 (and arm64) that
// can differ in the last bit from the portable Go code that wasm runs, and
// the Go spec lets a compiler fuse x*y+z into one fused multiply-add on
// some targets. The functions here are ports of the standard library's
// portable algorithms (or small float32 kernels) in which every product
// that feeds an addition is wrapped in an explicit conversion, which
// rounds it and forbids fusion. The same input gives the same bits on
// amd64, arm64 and wasm. Only correctly rounded IEEE operations (+, -, *,
// /, math.Sqrt, math.Floor, bit manipulation) are used.
//
// # Conventions
//
//   - An argument called dst is written in place; it must have the length
//     stated by the function and may alias the input only where the doc
//     says so.
//   - Slices of logits, probabilities or log-probabilities are float32;
//     results that are sums over a slice (LogSumExp, Entropy) are float64.
//   - Reductions run sequentially in increasing index order and accumulate
//     in the type stated by the function, so results never depend on how a
//     caller splits work.
//   - Functions panic on length mismatches (programming errors) and never
//     on special values: NaN, ±Inf and underflow follow the documented
//     IEEE-style behaviour of each function.
package num
