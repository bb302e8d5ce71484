//go:build !(js && wasm)

// Command worker is the class board as a Cloudflare Worker; it only builds for GOOS=js
// GOARCH=wasm (`make worker`). This file keeps native `go build ./...` and `go vet ./...` working.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "worker: build with GOOS=js GOARCH=wasm (make worker); see serve/DEPLOY.md")
	os.Exit(2)
}
