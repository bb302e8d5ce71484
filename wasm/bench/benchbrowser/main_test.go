//go:build !js

package main

import (
	"os"
	"testing"
	"time"
)

// TestModelBitsInChromium runs core/model's bit-exactness tests in headless
// Chromium (a Web Worker, as the lab runs its engine) with the SIMD kernels
// bound and without them. Like wasm/browsertest it runs when COPSD_BROWSER=1
// and needs chromium (make chromium).
func TestModelBitsInChromium(t *testing.T) {
	if os.Getenv("COPSD_BROWSER") != "1" {
		t.Skip("set COPSD_BROWSER=1 to run core/model's tests in Chromium")
	}
	if err := os.Chdir("../../.."); err != nil {
		t.Fatal(err)
	}
	tests, err := ChromiumModelTests(10 * time.Minute)
	for k, r := range tests {
		t.Logf("%s: passed %v, %d tests, SIMD kernels in use %v", k, r.Passed, len(r.Tests), r.SIMDActive)
	}
	if err != nil {
		t.Fatal(err)
	}
}
