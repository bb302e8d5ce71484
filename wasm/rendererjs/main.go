// Command rendererjs writes the JavaScript half of Vugu's DOM renderer to a
// file, so the page can load it as a script.
//
//	go run ./wasm/rendererjs -out wasm/web/vugu-render.js
//
// Vugu's renderer (domrender.New) installs that script by calling
// window.eval on a Go string constant, and the page's Content-Security-Policy
// forbids eval. The file holds that constant, from the Vugu module this
// build uses (go list -m), so it cannot drift from the Go half, with small
// patches that skip DOM writes which change nothing (script.go);
// TestScriptIsFresh fails when the committed copy is stale.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("out", "", "file to write (required)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: rendererjs -out FILE")
		os.Exit(2)
	}
	js, err := Script()
	if err != nil {
		fmt.Fprintln(os.Stderr, "rendererjs:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, js, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "rendererjs:", err)
		os.Exit(1)
	}
}
