// Package simd holds the SIMD128 kernels that core/model and core/num call
// in GOOS=js builds with the copsdsimd tag: kernels.wat (the source, hand-written
// WebAssembly text), kernels.wasm (assembled by gen.sh, committed so that a
// build needs only Go), and copsdsimd.js, the glue that binds the kernels to a
// Go instance's memory in a browser or Node. README.md says how a host loads
// them. The Go side of the binding is core/model/gemm_simd.go and
// core/num/softmax_simd.go.
package simd

import _ "embed"

//go:generate sh gen.sh

// ABI is the kernels' version: version() in kernels.wat, ABI in
// copsdsimd.js and simdABI in core/model agree on it (a test checks).
const ABI = 5

// Wasm is the compiled kernel module, kernels.wasm.
//
//go:embed kernels.wasm
var Wasm []byte

// GlueJS is copsdsimd.js, the loader a host page or worker includes.
//
//go:embed copsdsimd.js
var GlueJS []byte
