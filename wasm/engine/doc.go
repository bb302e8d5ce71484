// Package engine is the Web Worker side of COPSD Lab in the browser: it
// serves core/lab's protocol over postMessage and plays runs (worker.go,
// GOOS=js GOARCH=wasm only). The page side is package page; both are in the
// one program wasm/lab, which each Web Worker and the page run.
package engine
