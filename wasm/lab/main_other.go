//go:build !(js && wasm)

// Command lab is COPSD Lab for the browser; build it with GOOS=js
// GOARCH=wasm (make web). Natively it only says so.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "the lab runs in the browser: build it with GOOS=js GOARCH=wasm (see `make web`)")
	os.Exit(2)
}
