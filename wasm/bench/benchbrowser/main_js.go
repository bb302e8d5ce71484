//go:build js

// Command benchbrowser is native only: it drives headless Chromium.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "benchbrowser runs natively: it builds the wasm programs and drives Chromium")
	os.Exit(2)
}
