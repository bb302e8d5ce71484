// Package page is the browser's main-thread side of COPSD Lab: it renders
// the Vugu components of package ui and talks to the engine's Web Workers
// (GOOS=js GOARCH=wasm only). The worker side is package engine; both are
// in the one program wasm/lab.
package page
