//go:build js && wasm

// Command lab is COPSD Lab compiled to WebAssembly: one module that the page
// runs on its main thread, where it renders the UI (package page), and that
// each of the page's Web Workers runs, where it is the engine (package
// engine). Training and evaluation happen only in the workers.
//
// One module rather than two: the Go runtime, encoding/json, reflect and fmt
// are most of either binary, and shipping them once saves about 0.7 MB of
// the page's download (brotli); the page compiles the module once and hands
// it to its workers.
package main

import (
	"syscall/js"

	"github.com/copsdlab/copsd/wasm/engine"
	"github.com/copsdlab/copsd/wasm/page"
)

func main() {
	if js.Global().Get("document").IsUndefined() {
		engine.Run() // a Web Worker
	}
	page.Run()
}
