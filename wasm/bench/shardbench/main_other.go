//go:build !js

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "shardbench runs in a Web Worker (GOOS=js GOARCH=wasm); benchbrowser drives it")
	os.Exit(2)
}
